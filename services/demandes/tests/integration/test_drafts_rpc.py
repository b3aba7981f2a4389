"""Drafts over RPC on the real broker and PostgreSQL (DM-2, DM-9): the account and profile come
with the acting person's membership (resolved by identity), never from ids the caller adds; the
names from demandes' read model, rebuilt from a stub accounts service's snapshot."""
import pytest
from sqlalchemy import MetaData

from consignations_shared.errors import Forbidden, NotFound, ValidationFailed
from demandes_service.service import DemandesService

from .accounts_stub import acting, member, stub_accounts, stub_documents, wait_until_ready

PROFILES = {
    "alice": member("alice", "acme", "UTILISATEUR", 1),
    "bob": member("bob", "acme", "UTILISATEUR", 2),
    "admin": member("admin", "acme", "ADMINISTRATEUR", 3),
}


def person(person_id, **extra):
    if person_id not in PROFILES:
        return {"id": person_id, "email": f"{person_id}@example.com", "profile": "UTILISATEUR",
                "is_staff": False, "membership": None, **extra}
    return acting(PROFILES[person_id], "UTILISATEUR", **extra)


def test_drafts_over_rpc(start_service, rpc):
    start_service(stub_accounts(PROFILES), metadata=MetaData())
    start_service(stub_documents(), metadata=MetaData())
    start_service(DemandesService)
    assert wait_until_ready(rpc)["checks"]["read_models"] == "ok"
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
