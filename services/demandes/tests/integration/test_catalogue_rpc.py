"""The catalogue over RPC, on the real broker (DM-1, DM-3)."""
import pytest

from consignations_shared.errors import Forbidden, NotFound
from demandes_service.service import DemandesService

PARTICULIER = {"id": "p1", "email": "p1@example.com", "profile": "PARTICULIER", "is_staff": False}
UTILISATEUR = {"id": "u1", "email": "u1@example.com", "profile": "UTILISATEUR", "is_staff": False}
AGENT = {"id": "a1", "email": "a1@caissedesdepots.fr", "profile": "GESTIONNAIRE", "is_staff": True}


def test_procedures_per_audience_over_rpc(start_service, rpc):
    start_service(DemandesService)
    particulier = {p["code"] for p in rpc.demandes.procedures(PARTICULIER)}
    entreprise = {p["code"] for p in rpc.demandes.procedures(UTILISATEUR)}
    assert particulier == {"ESM_D", "ARS_D"}
    assert "SAISIE_IMMO_D" in entreprise and not entreprise & particulier
    assert {p["code"] for p in rpc.demandes.procedures(AGENT)} == particulier | entreprise
    assert rpc.demandes.procedure("SAISIE_IMMO_D")["sens"] == "D"
    assert [f["code"] for f in rpc.demandes.legal_forms("sarl")] == ["SARL"]
    with pytest.raises(NotFound):
        rpc.demandes.procedure("NOPE")
    with pytest.raises(Forbidden):
        rpc.demandes.procedures({"id": "x", "profile": "INCONNU", "is_staff": False})
