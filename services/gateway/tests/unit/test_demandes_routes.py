"""The request routes of the gateway without broker nor demandes service (a fake RPC): the acting
person always comes from the session, the body and the query are passed as they are, the
service's errors become GW-3 JSON, gestionnaires are refused in French."""
import pytest
import yaml

from consignations_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

PERSON = {"id": "alice", "email": "alice@example.com", "profile": "UTILISATEUR", "is_staff": False}
AGENT = {"id": "anne", "email": "anne@caissedesdepots.fr", "profile": None, "is_staff": True}
AUTH = {"Authorization": "Bearer token-alice"}
STAFF = {"Authorization": "Bearer token-anne"}
VIEW = {"id": "d1", "state": "DRAFT", "step": 1, "number": None}
SUMMARY = {"id": "doc1", "kind": "SUMMARY", "download_path": "/api/documents/doc1/content"}


SESSIONS = {"token-alice": PERSON, "token-anne": AGENT}
ANSWER = VIEW


# (method, path, JSON body, RPC method, RPC arguments after the person, HTTP status)
ROUTES = [
    ("post", "/api/demandes", {"procedure_code": "ARS_D", "person": "bob"}, "create_draft", ("ARS_D",), 201),
    ("get", "/api/demandes/d1", None, "detail", ("d1",), 200),
    ("put", "/api/demandes/d1/informations", {"values": {"iban": "FR76"}, "complete": True},
     "save_step", ("d1", {"iban": "FR76"}, True), 200),
    ("post", "/api/demandes/d1/justificatifs/confirm", None, "confirm_documents", ("d1",), 200),
    ("put", "/api/demandes/d1/step", {"step": 1}, "go_to_step", ("d1", 1), 200),
    ("post", "/api/demandes/d1/submit", None, "submit", ("d1", None), 200),
    ("post", "/api/demandes/d1/duplicate", None, "duplicate", ("d1",), 201),
    ("delete", "/api/demandes/d1", None, "delete", ("d1",), 200),
    ("get", "/api/demandes/d1/reassign-candidates", None, "reassign_candidates", ("d1",), 200),
    ("post", "/api/demandes/d1/reassign", {"person_id": "p2"}, "reassign", ("d1", "p2"), 200),
    ("post", "/api/demandes/d1/complete", None, "complete", ("d1",), 200),
    ("get", "/api/demandes/d1/summary", None, "summary_document", ("d1",), 200),
    ("get", "/api/demandes/d1/proof", None, "proof_document", ("d1",), 200),
]


@pytest.mark.parametrize("method,path,body,rpc_method,rpc_args,status", ROUTES)
def test_each_route_calls_the_service_for_the_session_person(client, rpc, method, path, body, rpc_method,
                                                             rpc_args, status):
    reply = getattr(client, method)(path, headers=AUTH, **({"json": body} if body is not None else {}))
    assert reply.status_code == status, reply.get_data(as_text=True)
    assert reply.get_json() == VIEW
    assert rpc.calls == [("demandes", rpc_method, (PERSON, *rpc_args))]


def test_enregistrer_is_the_default_and_only_true_means_suivant(client, rpc):
    client.put("/api/demandes/d1/informations", headers=AUTH, json={"values": {"bic": "X"}})
    client.put("/api/demandes/d1/informations", headers=AUTH, json={"values": {"bic": "X"}, "complete": "yes"})
    client.put("/api/demandes/d1/informations", headers=AUTH, json={})
    assert [c[2][2:] for c in rpc.calls] == [({"bic": "X"}, False), ({"bic": "X"}, False), ({}, False)]


def test_a_body_that_is_not_json_is_refused_before_the_service(client, rpc):
    reply = client.put("/api/demandes/d1/informations", headers=AUTH, data="values=1")
    assert reply.status_code == 400 and "JSON" in reply.get_json()["error"]["message"]
    assert rpc.calls == []


def test_the_board_passes_the_query_string_as_single_values(client, rpc):
    rpc.answer = {"tab": "TRANSMITTED", "items": []}
    reply = client.get("/api/demandes?tab=TRANSMITTED&page=2&sort=number&order=asc&sens=D&sens=C&owner=x",
                       headers=AUTH)
    assert reply.status_code == 200
    assert rpc.calls == [("demandes", "board", (PERSON, {"tab": "TRANSMITTED", "page": "2", "sort": "number",
                                                         "order": "asc", "sens": "D", "owner": "x"}))]


def test_the_idempotency_key_header_goes_to_the_service(client, rpc):
    client.post("/api/demandes/d1/submit", headers={**AUTH, "Idempotency-Key": "k-123"})
    assert rpc.calls == [("demandes", "submit", (PERSON, "d1", "k-123"))]


@pytest.mark.parametrize("path,rpc_method", [("/api/demandes/d1/summary.pdf", "summary_download"),
                                             ("/api/demandes/d1/proof.pdf", "proof_download")])
def test_pdf_links_stream_the_document_with_the_grant_of_one_call(client, rpc, path, rpc_method):
    from .test_documents_api import FakeDocuments

    documents = client.application.extensions["documents_client"] = FakeDocuments()
    rpc.answer = {"document": SUMMARY, "grant": "grant-demandes-d1-read-doc1"}
    reply = client.get(path, headers=AUTH)
    assert reply.status_code == 200 and reply.data == b"%PDF-1.7 bytes"
    assert reply.headers["Content-Type"] == "application/pdf" and reply.headers["X-Content-Type-Options"] == "nosniff"
    assert rpc.calls == [("demandes", rpc_method, (PERSON, "d1"))]  # no other call: no owner look-up, no grant asked
    assert documents.downloads == [("doc1", PERSON, "grant-demandes-d1-read-doc1")] and documents.last.closed


@pytest.mark.parametrize("error,status", [
    (NotFound("Cette demande est introuvable."), 404),
    (Forbidden("Votre profil « Consultation » ne permet pas de créer ni de modifier une demande."), 403),
    (Conflict("Seules les demandes brouillons et les demandes rejetées peuvent être supprimées."), 409),
    (ValidationFailed("Certaines informations saisies sont invalides.", {"iban": "IBAN invalide."}), 422),
])
def test_service_errors_are_gw3_json(client, rpc, error, status):
    rpc.answer = error
    reply = client.delete("/api/demandes/d1", headers=AUTH)
    assert reply.status_code == status
    body = reply.get_json()["error"]
    message = "Un champ est invalide." if status == 422 else error.message  # summarised (issue 18)
    assert body["message"] == message and body["fields"] == (error.fields or {})


def test_a_refused_pdf_link_is_json_not_a_file(client, rpc):
    rpc.answer = Conflict("Le récapitulatif est disponible une fois la demande transmise.")
    reply = client.get("/api/demandes/d1/summary.pdf", headers=AUTH)
    assert reply.status_code == 409 and "Location" not in reply.headers


ALL_PATHS = [(m, p) for m, p, *_ in ROUTES] + [("get", "/api/demandes"), ("get", "/api/demandes/d1/summary.pdf"),
                                              ("get", "/api/demandes/d1/proof.pdf")]


@pytest.mark.parametrize("method,path", ALL_PATHS)
def test_gestionnaires_get_a_french_403(client, rpc, method, path):
    reply = getattr(client, method)(path, headers=STAFF, json={})
    assert reply.status_code == 403
    assert "gestionnaire" in reply.get_json()["error"]["message"]
    assert rpc.calls == []


@pytest.mark.parametrize("method,path", ALL_PATHS)
def test_a_session_is_needed(client, rpc, method, path):
    assert getattr(client, method)(path, json={}).status_code == 401
    assert rpc.calls == []


def test_the_request_routes_are_documented(client):
    document = yaml.safe_load(client.get("/api/openapi.yaml").get_data(as_text=True))
    for method, path in ALL_PATHS:
        assert method in document["paths"][path.replace("/d1", "/{demande_id}")], (method, path)
    assert {"Demande", "DemandeDetail", "Board", "DemandeHistoryEntry"} <= set(document["components"]["schemas"])
    submit = document["paths"]["/api/demandes/{demande_id}/submit"]["post"]
    assert [p["name"] for p in submit["parameters"]] == ["Idempotency-Key"]
