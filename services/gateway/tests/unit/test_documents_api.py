"""Documents through the gateway, without broker nor documents service: the 5 MB limit counted
while reading (413 in French, nothing forwarded), multipart only, one file, who may call what
(the owner's grant asked first and passed along), and the download headers. The RPC pool and the
documents client are stand-ins."""
import io

import pytest

from consignations_shared.errors import Forbidden
from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings

MAX = 5 * 1024 * 1024
PERSON = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}
AGENT = {"id": "agent", "email": "agent@caissedesdepots.fr", "profile": "GESTIONNAIRE", "is_staff": True}


class FakeRpc:
    def __init__(self):
        self.calls = []
        self.person = PERSON
        self.answer = {"ok": True}
        self.grants = []

    def call(self, service, method, *args, correlation_id=None, **kwargs):
        if (service, method) == ("identity", "resolve_session"):
            return {"session_id": "s1", "csrf_hash": "-", "person": self.person}
        if isinstance(self.answer, BaseException):
            raise self.answer
        if method == "document_owner":
            return {"service": "accounts", "id": "acct-1"}
        if method == "document_grant":
            person, owner_id, action, document_id = args
            self.grants.append((service, owner_id, person["id"], action, document_id))
            return {"grant": f"grant-{service}-{owner_id}-{action}-{document_id}"}
        self.calls.append((service, method, args, kwargs) if kwargs else (service, method, args))
        return self.answer


class FakeUpstream:
    def __init__(self, data, headers):
        self.data, self.headers, self.closed = data, headers, False

    def iter_content(self, size):
        for start in range(0, len(self.data), size):
            yield self.data[start:start + size]

    def close(self):
        self.closed = True


class FakeDocuments:
    def __init__(self):
        self.uploads = []
        self.downloads = []

    def upload(self, metadata, person, stream, length, correlation_id=None, grant=None):
        data = stream.read()
        assert len(data) == length and grant == "grant-accounts-acct-1-write-None"
        self.uploads.append((metadata, person, data, correlation_id))
        return {"id": "d1", "status": "pending"}

    def replace(self, document_id, metadata, person, stream, length, correlation_id=None, grant=None):
        assert grant == f"grant-accounts-acct-1-write-{document_id}"
        self.uploads.append((metadata, person, stream.read(), correlation_id))
        return {"id": "d2", "status": "pending", "replaces_document_id": document_id}

    def download(self, document_id, person, correlation_id=None, grant=None):
        self.downloads.append((document_id, person, grant))
        upstream = FakeUpstream(b"%PDF-1.7 bytes", {
            "Content-Type": "application/pdf", "Content-Length": "14",
            "Content-Disposition": "attachment; filename=\"rib.pdf\"", "X-Document-Sha256": "ab" * 32})
        self.last = upstream
        return upstream


@pytest.fixture
def rpc():
    return FakeRpc()


@pytest.fixture
def docs():
    return FakeDocuments()


@pytest.fixture
def client(rpc, docs):
    app = create_app(GatewaySettings.from_env({}), configure_logs=False)
    app.extensions["rpc"] = rpc
    app.extensions["documents_client"] = docs
    return app.test_client()


AUTH = {"Authorization": "Bearer token-alice"}


def post_file(client, data, name="rib.pdf", mimetype="application/pdf", **fields):
    form = {"owner_service": "accounts", "owner_id": "acct-1", "kind": "RIB", **fields,
            "file": (io.BytesIO(data), name, mimetype)}
    return client.post("/api/documents", data=form, headers=AUTH, content_type="multipart/form-data")


def test_an_upload_is_streamed_with_its_metadata(client, docs):
    reply = post_file(client, b"%PDF-1.7 contenu", name="../relevé.pdf", mimetype="image/png", page="",
                      is_staff="true", storage_key="x")
    assert reply.status_code == 201, reply.get_json()
    [(metadata, person, data, correlation_id)] = docs.uploads
    assert data == b"%PDF-1.7 contenu" and person == PERSON and correlation_id
    assert metadata == {"owner_service": "accounts", "owner_id": "acct-1", "kind": "RIB", "page": None,
                        "document_date": None, "file_name": "../relevé.pdf", "declared_type": "image/png"}


def test_exactly_five_megabytes_pass(client, docs):
    assert post_file(client, b"x" * MAX).status_code == 201
    assert len(docs.uploads[0][2]) == MAX


def test_five_megabytes_and_one_byte_are_refused_while_reading(client, docs):
    reply = post_file(client, b"x" * (MAX + 1))
    assert reply.status_code == 413
    assert reply.get_json()["error"] == {
        "code": "file_too_large", "message": "Le fichier dépasse la taille maximale autorisée de 5 Mo.",
        "fields": {"file": "Le fichier dépasse la taille maximale autorisée de 5 Mo."}}
    assert docs.uploads == []


def test_a_request_over_the_whole_limit_is_refused_in_french(client, docs):
    reply = post_file(client, b"x" * (7 * 1024 * 1024))
    assert reply.status_code == 413 and "trop volumineux" in reply.get_json()["error"]["message"]
    assert docs.uploads == []


def test_the_spool_counts_bytes_as_werkzeug_writes_them():
    from gateway_service.api.documents import _CountingSpool, _FileTooLarge

    spool = _CountingSpool()
    spool.write(b"x" * (MAX - 1))
    spool.write(b"x")
    with pytest.raises(_FileTooLarge):
        spool.write(b"x")
    assert spool.tell() == MAX


def test_multipart_with_exactly_one_file(client, docs):
    # Not multipart at all, or multipart without its boundary: 400 (issue 18).
    assert client.post("/api/documents", data=b"%PDF", headers={**AUTH, "Content-Type": "application/pdf"}).status_code == 400
    no_boundary = client.post("/api/documents", data=b"--x\r\n", headers={**AUTH, "Content-Type": "multipart/form-data"})
    assert no_boundary.status_code == 400 and no_boundary.get_json()["error"]["code"] == "malformed_body"
    no_file = client.post("/api/documents", data={"kind": "RIB"}, headers=AUTH, content_type="multipart/form-data")
    assert no_file.status_code == 422 and "Aucun fichier" in no_file.get_json()["error"]["fields"]["file"]
    two = client.post("/api/documents", headers=AUTH, content_type="multipart/form-data", data={
        "file": [(io.BytesIO(b"a"), "a.pdf"), (io.BytesIO(b"b"), "b.pdf")]})
    assert two.status_code == 422 and two.get_json()["error"]["fields"]["file"] == "Un seul fichier par envoi."
    assert docs.uploads == []


def test_nothing_is_read_nor_forwarded_without_a_session(client, docs, rpc):
    reply = client.post("/api/documents", data={"file": (io.BytesIO(b"%PDF"), "a.pdf")},
                        content_type="multipart/form-data")
    assert reply.status_code == 401 and docs.uploads == []


def test_a_cookie_session_needs_the_csrf_token(client, docs):
    client.set_cookie("consignations_session", "token-alice")
    reply = client.post("/api/documents", data={"file": (io.BytesIO(b"%PDF"), "a.pdf")},
                        content_type="multipart/form-data")
    assert reply.status_code == 403 and reply.get_json()["error"]["code"] == "csrf_failed"
    assert docs.uploads == []


def test_download_is_an_attachment_with_the_checked_type(client, docs):
    reply = client.get("/api/documents/d1/content", headers=AUTH)
    assert reply.status_code == 200 and reply.data == b"%PDF-1.7 bytes"
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.headers["Content-Disposition"] == "attachment; filename=\"rib.pdf\""
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
    assert docs.downloads == [("d1", PERSON, "grant-accounts-acct-1-read-d1")] and docs.last.closed


def test_metadata_calls_carry_the_acting_person_and_the_owners_grant(client, rpc):
    client.get("/api/documents?owner_service=accounts&owner_id=acct-1&history=1", headers=AUTH)
    client.post("/api/documents/d1/attach", headers=AUTH)
    client.delete("/api/documents/d1", headers=AUTH)
    assert [(m, a, k) for _, m, a, k in rpc.calls] == [
        ("list_documents", ("accounts", "acct-1", PERSON, True), {"grant": "grant-accounts-acct-1-read-None"}),
        ("attach_document", ("d1", PERSON), {"grant": "grant-accounts-acct-1-write-d1"}),
        ("delete_document", ("d1", PERSON), {"grant": "grant-accounts-acct-1-write-d1"})]
    assert rpc.grants == [("accounts", "acct-1", "alice", "read", None), ("accounts", "acct-1", "alice", "write", "d1"),
                          ("accounts", "acct-1", "alice", "write", "d1")]


def test_an_unknown_owner_is_refused_before_anyone_is_asked(client, rpc):
    reply = client.get("/api/documents?owner_service=identity&owner_id=x", headers=AUTH)
    assert reply.status_code == 422
    assert reply.get_json()["error"]["fields"] == {"owner_service": "Propriétaire inconnu (accounts ou demandes)."}
    assert rpc.grants == [] and rpc.calls == []


def test_only_gestionnaires_review(client, rpc):
    refused = client.post("/api/documents/d1/review", json={"status": "conforme"}, headers=AUTH)
    assert refused.status_code == 403 and rpc.calls == [] and rpc.grants == []
    rpc.person = AGENT
    client.post("/api/documents/d1/review", json={"status": "non_conforme", "reason": "Illisible"}, headers=AUTH)
    assert rpc.calls == [("documents", "review_document", ("d1", AGENT, "non_conforme", "Illisible"),
                          {"grant": "grant-accounts-acct-1-review-d1"})]


def test_refusals_of_the_documents_service_keep_their_status(client, rpc):
    rpc.answer = Forbidden("Vous n'avez pas accès à ce document.")
    reply = client.get("/api/documents/d1", headers=AUTH)
    assert reply.status_code == 403 and reply.get_json()["error"]["message"] == "Vous n'avez pas accès à ce document."


def test_settings_find_the_documents_service():
    assert GatewaySettings.from_env({}).documents_url == "http://127.0.0.1:8104"
    assert GatewaySettings.from_env({"DOCUMENTS_HTTP_ADDRESS": "0.0.0.0:9104"}).documents_url == "http://127.0.0.1:9104"
    assert GatewaySettings.from_env({"DOCUMENTS_URL": "http://documents:8104/"}).documents_url == "http://documents:8104"
