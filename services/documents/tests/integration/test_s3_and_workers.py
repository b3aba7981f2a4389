"""The S3 backend against a real S3-compatible server (moto in server mode on a free local
port), the whole service on it; and the worker pool: timeouts, crashes, a free hub."""
import io

import eventlet
import pytest

from consignations_shared.errors import ServiceUnavailable
from documents_service import samples
from documents_service.service import DocumentsService
from documents_service.storage import S3Storage, TamperedContent, verified_copy
from documents_service.testing import Internal
from documents_service.workers import WorkerPool

S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # the OS picks the port
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def storage(endpoint, bucket):
    s3 = S3Storage(bucket, endpoint_url=endpoint, access_key="testing", secret_key="testing")
    s3.ensure_bucket()
    return s3


def test_s3_storage_put_open_verify_delete(s3_endpoint):
    s3 = storage(s3_endpoint, "documents-unit")
    data = samples.pdf(2)
    stored = s3.put(io.BytesIO(data))
    assert stored.size == len(data)
    assert s3.client.head_object(Bucket="documents-unit", Key="documents/" + stored.key)["ContentLength"] == len(data)
    with verified_copy(s3, stored.key, stored.sha256, stored.size) as copy:
        assert copy.read() == data
    s3.client.put_object(Bucket="documents-unit", Key="documents/" + stored.key, Body=data.replace(b"1", b"2"))
    with pytest.raises(TamperedContent):
        verified_copy(s3, stored.key, stored.sha256, stored.size)
    s3.delete(stored.key)
    with pytest.raises(TamperedContent):
        s3.open(stored.key)


def test_the_service_on_s3(start_service, owners, s3_endpoint):
    storage(s3_endpoint, "documents-service")
    documents = start_service(DocumentsService, env={
        "DOCUMENTS_WORKERS": "1", "DOCUMENTS_STORAGE": "s3", "DOCUMENTS_S3_BUCKET": "documents-service",
        "DOCUMENTS_S3_ENDPOINT_URL": s3_endpoint, **S3_ENV})
    internal = Internal(documents)
    document = internal.upload(samples.png(), file_name="scan.png")
    assert document.status_code == 201, document.text
    document = document.json()
    download = internal.content(document["id"])
    assert download.status_code == 200 and download.content == samples.png()
    local = documents.config["SERVICE_SETTINGS"].var_dir / "documents"
    assert not local.exists() or not [p for p in local.rglob("*") if p.is_file()]
    client = S3Storage("documents-service", endpoint_url=s3_endpoint, access_key="testing", secret_key="testing").client
    [key] = [o["Key"] for o in client.list_objects_v2(Bucket="documents-service")["Contents"]]
    assert "scan" not in key
    client.put_object(Bucket="documents-service", Key=key, Body=b"\x89PNG\r\n\x1a\nforged")
    assert internal.content(document["id"]).status_code == 500


def test_a_slow_task_is_killed_and_its_worker_replaced():
    pool = WorkerPool(size=1, timeout=1.0, warm_up=False)
    pool.start()
    try:
        first = pool.run("pid")
        with pytest.raises(ServiceUnavailable):
            pool.run("sleep", 5)
        assert pool.run("pid") != first
        with pytest.raises(ServiceUnavailable):
            pool.run("exit", 3)  # a worker that dies mid-call
        assert pool.run("sleep", 0.01) == 0.01
    finally:
        pool.stop()


def test_workers_yield_the_cpu_to_the_processes_answering_requests():
    import os

    here = os.nice(0)
    for nice, expected in ((None, here + 10), (3, here + 3), (0, here)):
        pool = WorkerPool(size=1, timeout=30, warm_up=False, **({} if nice is None else {"nice": nice}))
        pool.start()
        try:
            assert pool.run("niceness") == min(expected, 19)
        finally:
            pool.stop()


def test_the_hub_keeps_running_while_a_worker_computes(tmp_path):
    """No clock: the task in the worker ends only once a green thread of this process has run
    while the task was in progress (it answers the worker's « started » file with a file of its
    own). If waiting for the worker blocked the hub, the answer could never come and the task
    would report it."""
    pool = WorkerPool(size=1, timeout=60, warm_up=False)
    pool.start()
    started, answer = tmp_path / "started", tmp_path / "hub-ran"

    def bystander():
        for _ in range(3000):  # bounded: 30 s at most
            if started.exists():
                answer.touch()
                return True
            eventlet.sleep(0.01)
        return False

    try:
        helper = eventlet.spawn(bystander)
        assert pool.run("handshake", str(started), str(answer), 30) is True
        assert helper.wait() is True
        assert pool.run("burn", 0.05) > 0  # pure CPU in the worker process, answered as usual
    finally:
        pool.stop()
