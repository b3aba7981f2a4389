"""The catalogue as the acting person sees it (SPEC DM-1): a particulier gets the procedures of
particuliers, the people of a company account those of companies, gestionnaires all of them."""
from __future__ import annotations

import functools
import unicodedata
from typing import Any

from consignations_shared.errors import Forbidden

from .domain import catalogue
from .domain.fields import country_names

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
    """One procedure, as its wizard needs it: a country field comes with the countries it accepts
    (the list the recap names them from), for a list to choose from rather than a code to type."""
    definition = catalogue.procedure(code).as_dict()
    for field in definition["fields"]:
        if field["type"] == "country":
            field["choices"] = list(country_choices())
    return definition


@functools.cache
def country_choices() -> tuple[dict[str, str], ...]:
    """[{value: ISO 3166-1 code, label: French name}], France first then alphabetical, accents
    and case ignored (as the company wizard's list, accounts' referentials)."""
    def folded(name: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", name.casefold()) if not unicodedata.combining(c))

    choices = [{"value": code, "label": name} for code, name in country_names().items()]
    choices.sort(key=lambda c: (c["value"] != "FR", folded(c["label"])))
    return tuple(choices)


def legal_forms(typed: Any) -> list[dict[str, str]]:
    return catalogue.legal_forms_matching(typed if isinstance(typed, str) else "")
