"""The back-office and messaging routes of the gateway without broker nor demandes service (a
fake RPC): the acting person comes from the session, clients and gestionnaires each reach only
their side (French 403 before any call), sent messages are final (405 JSON)."""
import pytest
import yaml

from consignations_shared.errors import Conflict, ValidationFailed

PERSON = {"id": "alice", "email": "alice@example.com", "profile": "UTILISATEUR", "is_staff": False}
AGENT = {"id": "anne", "email": "anne@caissedesdepots.fr", "profile": None, "is_staff": True}
AUTH = {"Authorization": "Bearer token-alice"}
STAFF = {"Authorization": "Bearer token-anne"}
ANSWER = {"id": "d1", "state": "SUBMITTED"}


SESSIONS = {"token-alice": PERSON, "token-anne": AGENT}


# (method, path, JSON body, RPC method, RPC arguments after the person, HTTP status)
CLIENT_ROUTES = [
    ("get", "/api/demandes/d1/messages", None, "thread", ("d1",), 200),
    ("post", "/api/demandes/d1/messages", {"body": "Voici le RIB.", "author": "bob"}, "reply",
     ("d1", "Voici le RIB.", None, None), 201),
    ("post", "/api/demandes/d1/messages", {"body": "Ci-joint", "in_reply_to": "m1", "attachments": ["doc1"]},
     "reply", ("d1", "Ci-joint", "m1", ["doc1"]), 201),
    ("get", "/api/messages/unread-count", None, "unread_total", (), 200),
]
STAFF_ROUTES = [
    ("get", "/api/backoffice/demandes/d1", None, "staff_detail", ("d1",), 200),
    ("post", "/api/backoffice/demandes/d1/complement", {"reason": "RIB illisible"}, "staff_request_complement",
     ("d1", "RIB illisible"), 200),
    ("post", "/api/backoffice/demandes/d1/complement", None, "staff_request_complement", ("d1", None), 200),
    ("post", "/api/backoffice/demandes/d1/await-funds", None, "staff_await_funds", ("d1", None), 200),
    ("post", "/api/backoffice/demandes/d1/await-funds", {"reason": "Virement attendu"}, "staff_await_funds",
     ("d1", "Virement attendu"), 200),
    ("post", "/api/backoffice/demandes/d1/funds-received", None, "staff_funds_received", ("d1",), 200),
    ("post", "/api/backoffice/demandes/d1/validate", None, "staff_validate", ("d1",), 200),
    ("post", "/api/backoffice/demandes/d1/reject", {"reason": "Doublon"}, "staff_reject", ("d1", "Doublon"), 200),
    ("post", "/api/backoffice/demandes/d1/reject", None, "staff_reject", ("d1", None), 200),
    ("get", "/api/backoffice/demandes/d1/messages", None, "staff_thread", ("d1",), 200),
    ("post", "/api/backoffice/demandes/d1/messages",
     {"subject_code": "FREE", "free_subject": "RIB", "body": "Bonjour", "attachments": ["doc1"]},
     "staff_post_message", ("d1", "FREE", "RIB", "Bonjour", ["doc1"]), 201),
]


def _send(client, method, path, headers, body):
    return getattr(client, method)(path, headers=headers, **({"json": body} if body is not None else {}))


@pytest.mark.parametrize("method,path,body,rpc_method,rpc_args,status", CLIENT_ROUTES)
def test_client_routes_call_the_service_for_the_session_person(client, rpc, method, path, body, rpc_method,
                                                               rpc_args, status):
    reply = _send(client, method, path, AUTH, body)
    assert reply.status_code == status, reply.get_data(as_text=True)
    assert reply.get_json() == ANSWER
    assert rpc.calls == [("demandes", rpc_method, (PERSON, *rpc_args))]


@pytest.mark.parametrize("method,path,body,rpc_method,rpc_args,status", STAFF_ROUTES)
def test_staff_routes_call_the_service_for_the_session_gestionnaire(client, rpc, method, path, body, rpc_method,
                                                                    rpc_args, status):
    reply = _send(client, method, path, STAFF, body)
    assert reply.status_code == status, reply.get_data(as_text=True)
    assert rpc.calls == [("demandes", rpc_method, (AGENT, *rpc_args))]


def test_the_queue_passes_the_query_string_as_single_values(client, rpc):
    rpc.answer = {"items": [], "total": 0}
    reply = client.get("/api/backoffice/demandes?state=SUBMITTED,REJECTED&number=1026&client_name=acme"
                       "&sort=number&sort=amount", headers=STAFF)
    assert reply.status_code == 200
    assert rpc.calls == [("demandes", "staff_queue", (AGENT, {"state": "SUBMITTED,REJECTED", "number": "1026",
                                                               "client_name": "acme", "sort": "number"}))]


@pytest.mark.parametrize("who", [AUTH, STAFF])
def test_mark_unread_is_for_clients_and_gestionnaires(client, rpc, who):
    rpc.answer = {"id": "m1", "read": False}
    reply = client.post("/api/messages/m1/unread", headers=who)
    assert reply.status_code == 200 and reply.get_json() == {"id": "m1", "read": False}
    assert rpc.calls == [("demandes", "mark_unread", (PERSON if who is AUTH else AGENT, "m1"))]


@pytest.mark.parametrize("method,path,body", [(m, p, b) for m, p, b, *_ in STAFF_ROUTES] +
                         [("get", "/api/backoffice/demandes", None)])
def test_a_client_gets_a_french_403_on_back_office_routes(client, rpc, method, path, body):
    reply = _send(client, method, path, AUTH, body)
    assert reply.status_code == 403
    assert "réservée aux gestionnaires" in reply.get_json()["error"]["message"]
    assert rpc.calls == []


@pytest.mark.parametrize("method,path,body", [(m, p, b) for m, p, b, *_ in CLIENT_ROUTES])
def test_a_gestionnaire_gets_a_french_403_on_client_routes(client, rpc, method, path, body):
    reply = _send(client, method, path, STAFF, body)
    assert reply.status_code == 403
    assert "gestionnaire" in reply.get_json()["error"]["message"]
    assert rpc.calls == []


@pytest.mark.parametrize("method,path", [(m, p) for m, p, *_ in CLIENT_ROUTES + STAFF_ROUTES] +
                         [("post", "/api/messages/m1/unread"), ("get", "/api/backoffice/demandes")])
def test_a_session_is_needed(client, rpc, method, path):
    assert getattr(client, method)(path, json={}).status_code == 401
    assert rpc.calls == []


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/messages/m1", "/api/demandes/d1/messages/m1"])
@pytest.mark.parametrize("headers", [AUTH, STAFF, {}])
def test_a_sent_message_is_final(client, rpc, method, path, headers):
    reply = getattr(client, method)(path, headers=headers, json={"body": "Modifié"})
    assert reply.status_code == 405
    assert reply.get_json()["error"] == {"code": "message_not_editable", "fields": {},
                                         "message": "Un message envoyé ne peut être ni modifié ni supprimé."}
    assert rpc.calls == []


def test_other_methods_on_a_thread_are_gw3_405(client, rpc):
    reply = client.patch("/api/demandes/d1/messages", headers=AUTH, json={})
    assert reply.status_code == 405 and reply.get_json()["error"]["code"] == "method_not_allowed"
    assert rpc.calls == []


@pytest.mark.parametrize("error,status", [
    (ValidationFailed("Votre message n'a pas été transmis…", {"body": "Votre message n'a pas été transmis…"},
                      "personal_data"), 422),
    (Conflict("Vous pourrez répondre dès que le service des consignations vous aura écrit sur cette demande."), 409),
])
def test_service_refusals_are_gw3_json(client, rpc, error, status):
    rpc.answer = error
    reply = client.post("/api/demandes/d1/messages", headers=AUTH, json={"body": "FR76 3000 6000 0112 3456 7890 189"})
    assert reply.status_code == status
    # A 422 whose fields carry the sentence summarises it in `message` (issue 18).
    message = "Un champ est invalide." if status == 422 else error.message
    assert reply.get_json()["error"] == {"code": error.code, "message": message, "fields": error.fields or {}}


def test_a_decision_body_that_is_not_json_is_refused(client, rpc):
    reply = client.post("/api/backoffice/demandes/d1/reject", headers=STAFF, data="reason=x",
                        content_type="application/x-www-form-urlencoded")
    assert reply.status_code == 400 and "JSON" in reply.get_json()["error"]["message"]
    assert rpc.calls == []


def test_the_routes_are_documented(client):
    document = yaml.safe_load(client.get("/api/openapi.yaml").get_data(as_text=True))
    paths = document["paths"]
    for method, path, *_ in CLIENT_ROUTES + STAFF_ROUTES:
        assert method in paths[path.replace("/d1", "/{demande_id}")], (method, path)
    assert {"put", "patch", "delete"} <= set(paths["/api/messages/{message_id}"])
    assert {"Message", "Thread", "BackofficeQueue", "BackofficeDemande"} <= set(document["components"]["schemas"])
