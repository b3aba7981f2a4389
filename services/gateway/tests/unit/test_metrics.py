"""The gateway's /metrics (issue 10) without a broker: HTTP requests by route template, method and
status; RPC calls by service, method and outcome; no id nor personal data in any label; and the
gunicorn workers' counts aggregated in one scrape (multiprocess mode)."""
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from nameko.exceptions import RpcTimeout
from prometheus_client.parser import text_string_to_metric_families

from consignations_shared.errors import NotFound, Unauthenticated
from consignations_shared.testing import listening_socket
from gateway_service import rpc_client
from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings

ROOT = Path(__file__).resolve().parents[4]


class FakeRpc:
    def call(self, service, method, *args, correlation_id=None, **kwargs):
        raise Unauthenticated()


@pytest.fixture
def client():
    app = create_app(GatewaySettings.from_env({}), configure_logs=False)
    app.extensions["rpc"] = FakeRpc()
    return app.test_client()


def samples_of(text: str) -> dict:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def sample(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_after_a_request_show_the_route_template_method_and_status(client):
    secret_id = f"d-{uuid.uuid4()}"
    before = samples_of(client.get("/metrics").get_data(as_text=True))
    assert client.get(f"/api/demandes/{secret_id}", headers={"Authorization": "Bearer x"}).status_code == 401
    assert client.get("/nulle-part/alice@example.com").status_code == 404
    reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=")
    text = reply.get_data(as_text=True)
    after = samples_of(text)
    name = "consignations_gateway_http_request_duration_seconds_count"
    route = dict(route="/api/demandes/<demande_id>", method="GET", status="401")
    assert sample(after, name, **route) == sample(before, name, **route) + 1
    unmatched = dict(route="unmatched", method="GET", status="404")
    assert sample(after, name, **unmatched) == sample(before, name, **unmatched) + 1
    assert secret_id not in text and "alice@example.com" not in text
    for (_, labels) in after:
        assert {key for key, _ in labels} <= {"route", "method", "status", "service", "outcome", "le"}


def test_unknown_methods_do_not_make_new_labels(client):
    client.open("/api/procedures", method="BREW")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'method="BREW"' not in text and 'method="OTHER"' in text


def test_metrics_is_not_part_of_the_api(client):
    document = yaml.safe_load(client.get("/api/openapi.yaml").get_data(as_text=True))
    assert "/metrics" not in document["paths"] and "/api/metrics" not in document["paths"]


class _Client:
    """Stands in for a pooled standalone client: answers, refuses or times out as told."""

    def __init__(self, amqp_uri, timeout):
        pass

    def call(self, service, method, correlation_id, args, kwargs, timeout=None):
        if method == "find":
            raise NotFound()
        if method == "slow":
            raise RpcTimeout()
        return "ok"

    def close(self):
        pass


def test_rpc_calls_are_timed_by_service_method_and_outcome(client, monkeypatch):
    monkeypatch.setattr(rpc_client, "_Client", _Client)
    pool = rpc_client.RpcClientPool("amqp://unused", timeout=1, size=2)
    service = f"svc{uuid.uuid4().hex[:6]}"
    assert pool.call(service, "procedures") == "ok"
    with pytest.raises(NotFound):
        pool.call(service, "find", "2026-000123")
    with pytest.raises(rpc_client.ServiceUnavailable):
        pool.call(service, "slow")
    after = samples_of(client.get("/metrics").get_data(as_text=True))
    name = "consignations_gateway_rpc_duration_seconds_count"
    assert sample(after, name, service=service, method="procedures", outcome="ok") == 1
    assert sample(after, name, service=service, method="find", outcome="expected_error") == 1
    assert sample(after, name, service=service, method="slow", outcome="unavailable") == 1


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as reply:
        return reply.read().decode()


def test_gunicorn_workers_are_aggregated_in_one_scrape(tmp_path):
    """deploy/gunicorn.conf.py: several workers, one PROMETHEUS_MULTIPROC_DIR per run."""
    listener = listening_socket()  # gunicorn serves on it (fd://): a port nobody else can take
    port = listener.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(GATEWAY_BIND=f"fd://{listener.fileno()}", GATEWAY_WORKERS="2", GATEWAY_THREADS="2",
               CONSIGNATIONS_VAR_DIR=str(tmp_path), AMQP_URI="amqp://guest:guest@127.0.0.1:1/")
    stale = tmp_path / "metrics" / "gateway-999999999"
    stale.mkdir(parents=True)
    (stale / "counter_1.db").write_bytes(b"")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "gateway_service.app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=[listener.fileno()],
    )
    listener.close()  # the gunicorn master holds it now
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/health/live")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        # Counted from a first scrape: a start-up probe that timed out on a loaded machine may
        # still have been served, and counted, by a worker.
        def live_count():
            return sample(samples_of(_get(f"http://127.0.0.1:{port}/metrics")),
                          "consignations_gateway_http_request_duration_seconds_count",
                          route="/health/live", method="GET", status="200")
        before = live_count()
        assert before >= 1
        for _ in range(20):
            _get(f"http://127.0.0.1:{port}/health/live")
        folders = list((tmp_path / "metrics").iterdir())
        assert [f.name for f in folders] == [f"gateway-{process.pid}"]  # the stale run is gone
        assert live_count() == before + 20
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not (tmp_path / "metrics" / f"gateway-{process.pid}").exists()
