"""Documents through the gateway (Flask app with its real RPC pool and documents client)
against the real documents service, with stub identity and owner services: upload, « Valider »,
review by a gestionnaire, complement with history, downloads allowed to the right people only,
summaries and signed proofs downloaded like any other document."""
import io

import pytest
from nameko.containers import ServiceContainer

from consignations_shared.config import load_settings
from documents_service import samples
from documents_service.service import DocumentsService
from documents_service.testing import StubAccounts, StubDemandes, StubIdentity
from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings

ALICE = {"Authorization": "Bearer token-alice"}
BOB = {"Authorization": "Bearer token-bob"}
AGENT = {"Authorization": "Bearer token-agent"}


@pytest.fixture
def system(start_service, service_env):
    stubs = []
    for cls in (StubIdentity, StubAccounts, StubDemandes):
        container = ServiceContainer(cls, load_settings(cls.name, service_env).nameko_config())
        container.start()
        stubs.append(container)
    documents = start_service(DocumentsService, env={"DOCUMENTS_WORKERS": "1"})
    settings = GatewaySettings.from_env({**service_env, "DOCUMENTS_HTTP_ADDRESS": documents.config["WEB_SERVER_ADDRESS"]})
    app = create_app(settings, configure_logs=False)
    yield app.test_client(), documents
    app.extensions["rpc"].close()
    for container in stubs:
        container.stop()


def upload(client, data, name, headers=ALICE, **fields):
    form = {"owner_service": "accounts", "owner_id": "acct-of-alice", "kind": "RIB", **fields,
            "file": (io.BytesIO(data), name, "application/octet-stream")}
    return client.post("/api/documents", data=form, headers=headers, content_type="multipart/form-data")


def test_upload_review_complement_download(system):
    client, _ = system
    first = upload(client, samples.png(), "scan.pdf")  # a PNG renamed .pdf
    assert first.status_code == 201, first.get_json()
    first = first.get_json()
    assert (first["content_type"], first["file_name"], first["status"]) == ("image/png", "scan.png", "pending")
    assert client.post(f"/api/documents/{first['id']}/attach", headers=ALICE).get_json()["status"] == "attached"
    assert client.post(f"/api/documents/{first['id']}/review", json={"status": "conforme"},
                       headers=ALICE).status_code == 403
    reviewed = client.post(f"/api/documents/{first['id']}/review", headers=AGENT,
                           json={"status": "non_conforme", "reason": "Le RIB est illisible."})
    assert reviewed.status_code == 200, reviewed.get_json()
    mine = client.get("/api/documents?owner_service=accounts&owner_id=acct-of-alice", headers=ALICE).get_json()
    assert mine[0]["review"]["status"] == "non_conforme" and mine[0]["review"]["reason"] == "Le RIB est illisible."

    complement = client.post(f"/api/documents/{first['id']}/replace", headers=ALICE, content_type="multipart/form-data",
                             data={"file": (io.BytesIO(samples.pdf()), "rib.png", "image/png")})  # a PDF declared PNG
    assert complement.status_code == 201, complement.get_json()
    complement = complement.get_json()
    assert complement["content_type"] == "application/pdf" and complement["file_name"] == "rib.pdf"
    client.post(f"/api/documents/{complement['id']}/attach", headers=ALICE)
    history = client.get(f"/api/documents/{complement['id']}", headers=ALICE).get_json()["versions"]
    assert [(v["version"], v["status"]) for v in history] == [(1, "replaced"), (2, "attached")]

    download = client.get(f"/api/documents/{complement['id']}/content", headers=ALICE)
    assert download.status_code == 200 and download.data == samples.pdf()
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;") and "rib.pdf" in download.headers["Content-Disposition"]
    old = client.get(f"/api/documents/{first['id']}/content", headers=AGENT)
    assert old.status_code == 200 and old.data == samples.png()


def test_someone_elses_document_through_the_gateway(system):
    client, _ = system
    document = upload(client, samples.pdf(), "rib.pdf").get_json()
    for method, path in (("get", f"/api/documents/{document['id']}"),
                         ("get", f"/api/documents/{document['id']}/content"),
                         ("post", f"/api/documents/{document['id']}/attach"),
                         ("delete", f"/api/documents/{document['id']}"),
                         ("get", "/api/documents?owner_service=accounts&owner_id=acct-of-alice")):
        reply = getattr(client, method)(path, headers=BOB)
        assert reply.status_code == 403, (method, path, reply.get_json())
        assert samples.pdf() not in reply.data
    assert upload(client, samples.pdf(), "x.pdf", headers=BOB).status_code == 403
    assert client.get(f"/api/documents/{document['id']}/content").status_code == 401


@pytest.mark.parametrize("data, name, status, code", [
    (samples.png(), "a.pdf.exe", 201, None),
    (samples.exe(), "a.pdf.exe", 422, "file_unsupported_type"),
    (b"", "vide.pdf", 422, "file_empty"),
    (samples.pdf_of_size(5 * 1024 * 1024 + 1), "gros.pdf", 413, "file_too_large"),
    (samples.encrypted_pdf(), "protege.pdf", 422, "file_pdf_encrypted"),
    (samples.javascript_pdf(), "script.pdf", 422, "file_pdf_active_content"),
    (samples.png_bomb(), "bombe.png", 422, "file_image_too_large"),
])
def test_bad_input_through_the_gateway(system, data, name, status, code):
    client, _ = system
    reply = upload(client, data, name)
    assert reply.status_code == status, reply.get_json()
    if code:
        assert reply.get_json()["error"]["code"] == code
    else:
        assert reply.get_json()["file_name"] == "a.pdf.png"


def test_a_file_altered_in_storage_is_not_served(system):
    client, documents = system
    document = upload(client, samples.pdf(), "rib.pdf").get_json()
    [path] = [p for p in (documents.config["SERVICE_SETTINGS"].var_dir / "documents").rglob("*") if p.is_file()]
    path.write_bytes(path.read_bytes().replace(b"Relev", b"Revel"))
    reply = client.get(f"/api/documents/{document['id']}/content", headers=ALICE)
    assert reply.status_code == 500 and reply.get_json()["error"]["code"] == "integrity_check_failed"
    assert reply.get_json()["error"]["message"].startswith("Ce document a été altéré")


def test_summary_and_signed_proof_are_downloaded_through_the_gateway(system, rpc, tmp_path):
    """The demandes service asks for them (RPC); people download them like any document."""
    client, documents = system
    summary = rpc.documents.render_summary(samples.snapshot(demande_id="dem-of-alice"), {"id": "alice"})
    proof = rpc.documents.issue_payment_proof(samples.snapshot(demande_id="dem-of-alice", state="VALIDATED"),
                                              {"id": "agent", "is_staff": True})
    listed = client.get("/api/documents?owner_service=demandes&owner_id=dem-of-alice", headers=ALICE).get_json()
    assert {d["kind"] for d in listed} == {"SUMMARY", "PAYMENT_PROOF"}
    for document in (summary, proof):
        reply = client.get(f"/api/documents/{document['id']}/content", headers=ALICE)
        assert reply.status_code == 200 and reply.data.startswith(b"%PDF-")
        assert reply.headers["Content-Type"] == "application/pdf"
        assert client.get(f"/api/documents/{document['id']}/content", headers=BOB).status_code == 403
    signed = client.get(f"/api/documents/{proof['id']}/content", headers=ALICE).data

    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    cert = documents.config["SERVICE_SETTINGS"].var_dir / "signing" / "dev-signing-cert.pem"
    [signature] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[load_cert_from_pemder(str(cert))]))
    assert status.bottom_line
    assert client.delete(f"/api/documents/{proof['id']}", headers=ALICE).status_code == 403


def test_the_documents_service_down_is_a_503(system, service_env):
    client, documents = system
    documents.stop()
    reply = upload(client, samples.pdf(), "rib.pdf")
    assert reply.status_code == 503
    assert reply.get_json()["error"]["message"].startswith("Le service des documents est momentanément indisponible")
