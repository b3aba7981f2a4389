"""Step 1 « Votre structure » of the company wizard (AC-1): checks and French messages."""
from __future__ import annotations

import re
from typing import Any

from stdnum.fr import siret as stdnum_siret

from consignations_shared.validation import check_text

from .referentials import STRUCTURE_TYPES, commune_matches, country_names

SIRET_REQUIRED = "Le numéro SIRET est obligatoire pour une structure située en France."
SIRET_DIGITS = "Le numéro SIRET est composé de 14 chiffres."
SIRET_CHECKSUM = "Ce numéro SIRET n'est pas valide (clé de contrôle incorrecte)."
STRUCTURE_FIELDS = ("structure_type", "service", "address", "address_complement", "postal_code",
                    "commune", "country", "siret")


def check_siret(value: Any, *, required: bool, field: str = "siret") -> dict[str, str | None] | str:
    """{siret, siren} when valid (or both None when optional and empty), else the message."""
    text = re.sub(r"[\s.]", "", value) if isinstance(value, str) else ""
    if not text:
        return SIRET_REQUIRED if required else {"siret": None, "siren": None}
    if not text.isdigit() or len(text) != 14:
        return SIRET_DIGITS
    if not stdnum_siret.is_valid(text):
        return SIRET_CHECKSUM
    return {"siret": text, "siren": text[:9]}


def check_structure(form: dict[str, Any], *, complete: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """Values and errors of step 1. `complete` (« Suivant ») also requires the mandatory fields;
    « Enregistrer » only checks what was typed."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def text(field, label, max_length, required):
        try:
            values[field] = check_text(form.get(field), field=field, label=label, max_length=max_length,
                                       required=required and complete)
        except Exception as exc:  # ValidationFailed
            errors.update(getattr(exc, "fields", {field: str(exc)}))

    structure_type = form.get("structure_type")
    if structure_type in (None, ""):
        values["structure_type"] = None
        if complete:
            errors["structure_type"] = "Veuillez choisir un type de structure (les entreprises choisissent « AUTRES »)."
    elif not isinstance(structure_type, str) or structure_type not in STRUCTURE_TYPES:
        errors["structure_type"] = "Ce type de structure n'existe pas."
    else:
        values["structure_type"] = structure_type
    text("service", "Le service", 100, False)
    text("address", "L'adresse postale du siège", 200, True)
    text("address_complement", "Le complément d'adresse", 200, False)
    country = form.get("country")
    if country in (None, ""):
        values["country"] = None
        if complete:
            errors["country"] = "Veuillez choisir le pays."
    elif not isinstance(country, str) or country not in country_names():
        errors["country"] = "Ce pays n'existe pas."
    else:
        values["country"] = country
    in_france = values.get("country") == "FR"
    text("postal_code", "Le code postal", 10, True)
    text("commune", "La commune", 100, True)
    if in_france and values.get("postal_code") and values.get("commune"):
        known = commune_matches(values["postal_code"], values["commune"])
        if known is None:
            errors["postal_code"] = "Ce code postal n'existe pas."
        elif known is False:
            errors["commune"] = "Cette commune ne correspond pas au code postal."
    siret = check_siret(form.get("siret"), required=in_france and complete)
    if isinstance(siret, str):
        errors["siret"] = siret
    else:
        values.update(siret)
    return values, errors
