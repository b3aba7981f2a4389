"""Drafts over RPC on the real broker and PostgreSQL, with a stub accounts service answering
`my_profile` (DM-2, DM-9): the account and profile come from the accounts service, never from
the caller."""
import pytest
from sqlalchemy import MetaData

from consignations_shared.errors import Forbidden, NotFound, ValidationFailed
from consignations_shared.rpc import rpc as rpc_entrypoint
from demandes_service.service import DemandesService

PROFILES = {
    "alice": {"person_id": "alice", "account_id": "acme", "account_kind": "ENTREPRISE",
              "profile": "UTILISATEUR", "can_submit": True, "status": "active"},
    "bob": {"person_id": "bob", "account_id": "acme", "account_kind": "ENTREPRISE",
            "profile": "UTILISATEUR", "can_submit": True, "status": "active"},
    "admin": {"person_id": "admin", "account_id": "acme", "account_kind": "ENTREPRISE",
              "profile": "ADMINISTRATEUR", "can_submit": True, "status": "active"},
}


class StubAccounts:
    name = "accounts"

    @rpc_entrypoint
    def my_profile(self, person):
        if person["id"] not in PROFILES:
            raise Forbidden("Aucun compte client n'est associé à votre accès.")
        return PROFILES[person["id"]]


def person(person_id, **extra):
    return {"id": person_id, "email": f"{person_id}@example.com", "profile": "ENTREPRISE",
            "is_staff": False, **extra}


def test_drafts_over_rpc(start_service, rpc):
    start_service(StubAccounts, metadata=MetaData())
    start_service(DemandesService)
    # what the caller claims about its account is ignored
    draft = rpc.demandes.create_draft(person("alice", account_id="globex"), "SAISIE_IMMO_D")
    assert draft["state"] == "DRAFT" and draft["owner_person_id"] == "alice" and draft["step"] == 1
    saved = rpc.demandes.save_step(person("alice"), draft["id"], {"company_name": "ACME"}, False)
    assert saved["values"]["company_name"] == "ACME" and saved["version"] == 2
    with pytest.raises(ValidationFailed) as error:
        rpc.demandes.save_step(person("alice"), draft["id"], {"company_name": "ACME"}, True)
    assert error.value.fields
    by_admin = rpc.demandes.save_step(person("admin"), draft["id"], {"company_name": "ACME SAS"}, False)
    assert by_admin["values"]["company_name"] == "ACME SAS" and by_admin["owner_person_id"] == "alice"
    with pytest.raises(NotFound):
        rpc.demandes.save_step(person("bob"), draft["id"], {"company_name": "X"}, False)
    with pytest.raises(Forbidden):
        rpc.demandes.create_draft(person("stranger"), "SAISIE_IMMO_D")
    with pytest.raises(Forbidden):
        rpc.demandes.create_draft(person("alice"), "ARS_D")
