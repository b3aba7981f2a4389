"""The documents service against the real broker and PostgreSQL, with stub owner services:
bytes over its internal HTTP API only, metadata over RPC, rights always the owner's (its signed
grant, asked of the stub owner as the gateway does), events
published after commit, files checked on every read, PDFs rendered off the hub."""
import io
import threading
import time

import pytest
import requests

from consignations_shared.errors import Forbidden, NotFound, ValidationFailed
from consignations_shared.events import EVENTS_EXCHANGE
from documents_service import samples
from documents_service.service import DocumentsService

from documents_service.testing import AGENT, ALICE, BOB, Internal, grant_for


@pytest.fixture
def documents(start_service, owners):
    return start_service(DocumentsService, env={"DOCUMENTS_WORKERS": "1"})


@pytest.fixture
def internal(documents):
    return Internal(documents)


def test_upload_attach_review_download_with_events(documents, internal, rpc, spy):
    watcher = spy(EVENTS_EXCHANGE, "documents.*")
    reply = internal.upload(samples.pdf(2), file_name="../../relevé.pdf.exe", declared_type="image/png")
    assert reply.status_code == 201, reply.text
    document = reply.json()
    assert (document["status"], document["content_type"], document["file_name"]) == ("pending", "application/pdf", "relevé.pdf")
    rpc.documents.attach_document(document["id"], ALICE, grant=grant_for(rpc, ALICE, "write", document_id=document["id"]))
    reviewed = rpc.documents.review_document(document["id"], AGENT, "non_conforme", "Document illisible",
                                             grant=grant_for(rpc, AGENT, "review", document_id=document["id"]))
    assert reviewed["review"]["reason"] == "Document illisible"
    listed = rpc.documents.list_documents("accounts", "acct-of-alice", ALICE,
                                          grant=grant_for(rpc, ALICE, "read", owner=("accounts", "acct-of-alice")))
    assert listed[0]["review"]["status"] == "non_conforme"
    download = internal.content(document["id"])
    assert download.status_code == 200 and download.content == samples.pdf(2)
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "relev%C3%A9.pdf" in download.headers["Content-Disposition"]
    events = watcher.wait_for(3)
    assert [e["type"] for e in events] == ["document_uploaded", "document_attached", "document_reviewed"]
    assert all(e["source"] == "documents" for e in events)
    assert events[0]["correlation_id"] == "corr-documents-1"  # the caller's id, kept
    assert events[2]["payload"]["review_status"] == "non_conforme"
    assert events[2]["payload"]["documents"][0]["review"]["reason"] == "Document illisible"


def test_someone_elses_document_directly_over_rpc_and_http(documents, internal, rpc):
    document = internal.upload(samples.png()).json()
    with pytest.raises(Forbidden):  # the owner refuses Bob a grant
        rpc.accounts.document_grant(BOB, "acct-of-alice", "read", document["id"])
    alices = grant_for(rpc, ALICE, "read", document_id=document["id"])
    with pytest.raises(Forbidden):  # without a grant, or with Alice's
        rpc.documents.get_document(document["id"], BOB)
    with pytest.raises(Forbidden):
        rpc.documents.get_document(document["id"], BOB, grant=alices)
    with pytest.raises(Forbidden):
        rpc.documents.list_documents("accounts", "acct-of-alice", BOB)
    with pytest.raises(Forbidden):
        rpc.documents.delete_document(document["id"], BOB, grant=alices)
    refused = internal.content(document["id"], person=BOB)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert samples.png() not in refused.content
    assert internal.content(document["id"], token="wrong").status_code == 401
    assert internal.content(document["id"], token="").status_code == 401
    assert internal.content(document["id"], person=None).status_code == 401
    assert internal.upload(samples.png(), person=BOB, owner_id="acct-of-alice").status_code == 403
    assert internal.content(document["id"], person=AGENT).status_code == 200  # gestionnaires read
    with pytest.raises(NotFound):
        rpc.documents.document_owner("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound):
        rpc.documents.get_document("00000000-0000-0000-0000-000000000000", ALICE)


def test_refusals_over_http(documents, internal):
    too_big = internal.upload(samples.pdf_of_size(5 * 1024 * 1024 + 1))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["message"] == "Le fichier dépasse la taille maximale autorisée de 5 Mo."
    empty = internal.upload(b"")
    assert empty.status_code == 422 and empty.json()["error"]["message"] == "Le fichier est vide."
    encrypted = internal.upload(samples.encrypted_pdf())
    assert encrypted.status_code == 422 and "mot de passe" in encrypted.json()["error"]["message"]
    bomb = internal.upload(samples.png_bomb())
    assert bomb.status_code == 422 and bomb.json()["error"]["code"] == "file_image_too_large"
    chunked = requests.post(internal.base + "/internal/documents", data=iter([samples.pdf()]), timeout=30,
                            headers=internal.headers(ALICE, {"owner_service": "accounts", "owner_id": "acct-of-alice",
                                                             "kind": "RIB"}))
    assert chunked.status_code == 411
    no_metadata = requests.post(internal.base + "/internal/documents", data=samples.pdf(), timeout=30,
                                headers=internal.headers(ALICE))
    assert no_metadata.status_code == 422


def test_a_stored_file_modified_on_disk_is_reported_not_served(documents, internal, rpc):
    document = internal.upload(samples.pdf()).json()
    root = documents.config["SERVICE_SETTINGS"].var_dir / "documents"
    [path] = [p for p in root.rglob("*") if p.is_file()]
    data = bytearray(path.read_bytes())
    data[200] ^= 0x20
    path.write_bytes(bytes(data))
    reply = internal.content(document["id"])
    assert reply.status_code == 500 and reply.json()["error"]["code"] == "integrity_check_failed"
    assert bytes(data) not in reply.content and b"%PDF" not in reply.content
    assert rpc.documents.get_document(document["id"], ALICE, grant=grant_for(
        rpc, ALICE, "read", document_id=document["id"]))["integrity"] == "altered"


def test_replacement_keeps_versions(documents, internal, rpc):
    first = internal.upload(samples.pdf()).json()
    rpc.documents.attach_document(first["id"], ALICE, grant=grant_for(rpc, ALICE, "write", document_id=first["id"]))
    rpc.documents.review_document(first["id"], AGENT, "non_conforme", "Illisible",
                                  grant=grant_for(rpc, AGENT, "review", document_id=first["id"]))
    replaced = requests.post(f"{internal.base}/internal/documents/{first['id']}/versions", data=samples.png(),
                             headers=internal.headers(ALICE, {"file_name": "rib.png"}, grant=grant_for(
                                 rpc, ALICE, "write", document_id=first["id"])), timeout=30)
    assert replaced.status_code == 201, replaced.text
    rpc.documents.attach_document(replaced.json()["id"], ALICE,
                                  grant=grant_for(rpc, ALICE, "write", document_id=replaced.json()["id"]))
    versions = rpc.documents.get_document(first["id"], ALICE,
                                          grant=grant_for(rpc, ALICE, "read", document_id=first["id"]))["versions"]
    assert [(v["version"], v["status"], v["content_type"]) for v in versions] == [
        (1, "replaced", "application/pdf"), (2, "attached", "image/png")]
    with pytest.raises(ValidationFailed):
        rpc.documents.review_document(replaced.json()["id"], AGENT, "perhaps",
                                      grant=grant_for(rpc, AGENT, "review", document_id=replaced.json()["id"]))


def test_summaries_and_proofs_render_off_the_hub(documents, rpc, amqp_uri):
    """While the worker renders PDFs, an unrelated RPC of the same service keeps answering: some
    answers arrive before even the first of the queued renders is done (an order, not a time)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    rpc.documents.render_summary(samples.snapshot(demande_id="dem-of-alice"), ALICE)  # warm
    events = []

    def render(version):
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=60) as proxy:
            proxy.documents.render_summary(samples.snapshot(demande_id="dem-of-alice", version=version), ALICE)
            events.append("render done")

    threads = [threading.Thread(target=render, args=(v,)) for v in range(2, 6)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        assert len(rpc.documents.document_kinds()) == 9
        events.append("answer")
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    assert events.count("render done") == 4
    # A render that blocked the event loop would hold every answer until it finished.
    assert events.index("render done") >= 3, events


def test_payment_proof_over_rpc_and_its_download(documents, internal, rpc, spy):
    watcher = spy(EVENTS_EXCHANGE, "documents.payment_proof_issued")
    proof = rpc.documents.issue_payment_proof(samples.snapshot(demande_id="dem-of-alice", state="VALIDATED"), ALICE)
    assert proof == rpc.documents.issue_payment_proof(
        samples.snapshot(demande_id="dem-of-alice", state="VALIDATED"), ALICE)
    download = internal.content(proof["id"], owner=("demandes", "dem-of-alice"))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert b"/ETSI.CAdES.detached" in download.content
    assert internal.content(proof["id"], person=BOB, owner=("demandes", "dem-of-alice")).status_code == 403
    [event] = watcher.wait_for(1)
    assert event["payload"]["document_id"] == proof["id"] and "signer" in event["payload"]
    with pytest.raises(Forbidden):
        rpc.documents.delete_document(proof["id"], ALICE, grant=grant_for(rpc, ALICE, "write", document_id=proof["id"]))
    assert io.BytesIO(download.content).read(5) == b"%PDF-"
