"""Procedures through the gateway, without broker nor demandes service: the acting person comes
from the session (never from the query), login is required except for the legal form autocomplete."""
import pytest
import yaml

from consignations_shared.errors import NotFound

PERSON = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}
AUTH = {"Authorization": "Bearer token-alice"}


SESSIONS = {"token-alice": PERSON}
ANSWER = [{"code": "ARS_D"}]


def test_procedures_are_those_of_the_session_person(client, rpc):
    reply = client.get("/api/procedures?person=bob&profile=ADMINISTRATEUR", headers=AUTH)
    assert reply.status_code == 200 and reply.get_json() == [{"code": "ARS_D"}]
    assert rpc.calls == [("demandes", "procedures", (PERSON,))]


def test_one_procedure_is_the_one_of_the_path(client, rpc):
    """The code comes from the path (not from the query), and each code gets its own procedure:
    the fake answers from the call's arguments, so a wrong code would show in the body."""
    catalogue = {"ARS_D": {"code": "ARS_D", "sens": "D", "label": "Allocation de rentrée scolaire"},
                 "ESM_D": {"code": "ESM_D", "sens": "D", "label": "Enfants du spectacle"}}
    answer_from_args = rpc.call

    def call(service, method, *args, **kwargs):
        answered = answer_from_args(service, method, *args, **kwargs)
        return catalogue[args[0]] if (service, method) == ("demandes", "procedure") else answered

    rpc.call = call
    assert client.get("/api/procedures/ESM_D?code=ARS_D", headers=AUTH).get_json() == catalogue["ESM_D"]
    assert client.get("/api/procedures/ARS_D", headers=AUTH).get_json() == catalogue["ARS_D"]
    assert rpc.calls == [("demandes", "procedure", ("ESM_D",)), ("demandes", "procedure", ("ARS_D",))]


def test_an_unknown_procedure_is_a_french_404(client, rpc):
    rpc.answer = NotFound("Cette démarche n'existe pas.")
    reply = client.get("/api/procedures/NOPE", headers=AUTH)
    assert reply.status_code == 404
    assert reply.get_json()["error"]["message"] == "Cette démarche n'existe pas."


@pytest.mark.parametrize("path", ["/api/procedures", "/api/procedures/ARS_D"])
def test_procedures_need_a_session(client, rpc, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer other"}).status_code == 401
    assert rpc.calls == []


def test_legal_forms_are_public(client, rpc):
    rpc.answer = [{"code": "SARL", "label": "SARL - Société à responsabilité limitée"}]
    reply = client.get("/api/legal-forms?q=sarl")
    assert reply.status_code == 200 and reply.get_json()[0]["code"] == "SARL"
    assert rpc.calls == [("demandes", "legal_forms", ("sarl",))]
    client.get("/api/legal-forms")
    assert rpc.calls[-1] == ("demandes", "legal_forms", ("",))


def test_the_procedures_are_documented(client):
    document = yaml.safe_load(client.get("/api/openapi.yaml").get_data(as_text=True))
    assert {"/api/procedures", "/api/procedures/{code}", "/api/legal-forms"} <= set(document["paths"])
    assert "Procedure" in document["components"]["schemas"]
