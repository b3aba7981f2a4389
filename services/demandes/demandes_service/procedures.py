"""The catalogue as the acting person sees it (SPEC DM-1): a particulier gets the procedures of
particuliers, the people of a company account those of companies, gestionnaires all of them."""
from __future__ import annotations

from typing import Any

from consignations_shared.errors import Forbidden

from .domain import catalogue

NO_PROCEDURES = "Aucune démarche n'est accessible avec votre profil."

AUDIENCE_OF_PROFILE = {
    "PARTICULIER": "PARTICULIER",
    "ENTREPRISE": "ENTREPRISE",
    "ADMINISTRATEUR": "ENTREPRISE",
    "UTILISATEUR": "ENTREPRISE",
    "CONSULTATION": "ENTREPRISE",
}


def audience_of(person: Any) -> str | None:
    """ENTREPRISE or PARTICULIER for a client; None for a gestionnaire (sees every audience)."""
    if not isinstance(person, dict) or not person.get("id"):
        raise Forbidden(NO_PROCEDURES)
    if person.get("is_staff"):
        return None
    audience = AUDIENCE_OF_PROFILE.get(person.get("profile"))
    if audience is None:
        raise Forbidden(NO_PROCEDURES)
    return audience


def list_for(person: Any) -> list[dict]:
    audience = audience_of(person)
    found = catalogue.all_procedures() if audience is None else catalogue.procedures_for(audience)
    return [p.as_dict() for p in found]


def get(code: Any) -> dict:
    return catalogue.procedure(code).as_dict()


def legal_forms(typed: Any) -> list[dict[str, str]]:
    return catalogue.legal_forms_matching(typed if isinstance(typed, str) else "")
