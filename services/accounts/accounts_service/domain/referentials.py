"""Reference lists of the company wizard (AC-1): structure types, countries (ISO 3166-1 with
French names), and the official French postal codes and communes (data/codes-postaux.csv.gz)."""
from __future__ import annotations

import csv
import functools
import gettext
import gzip
import io
import unicodedata
from importlib import resources

import pycountry

# The guide only says that companies choose « AUTRES »; the other entries are the kinds of
# structure the consignations service deals with.
STRUCTURE_TYPES = {
    "ADMINISTRATION": "Administration ou collectivité",
    "ETABLISSEMENT_PUBLIC": "Établissement public",
    "NOTAIRE": "Office notarial",
    "COMMISSAIRE_DE_JUSTICE": "Commissaire de justice",
    "MANDATAIRE_JUDICIAIRE": "Mandataire ou administrateur judiciaire",
    "AVOCAT": "Cabinet d'avocats",
    "ASSOCIATION": "Association",
    "AUTRES": "AUTRES",
}


@functools.cache
def countries() -> tuple[dict[str, str], ...]:
    """[{code, name}] with French names, France first then alphabetical (accents ignored)."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    entries = [{"code": c.alpha_2, "name": french.gettext(c.name)} for c in pycountry.countries]
    entries.sort(key=lambda e: (e["code"] != "FR", _fold(e["name"])))
    return tuple(entries)


@functools.cache
def country_names() -> dict[str, str]:
    return {entry["code"]: entry["name"] for entry in countries()}


def _fold(text: str) -> str:
    """Case, accents, hyphens and apostrophes do not matter (« saint-étienne » = « SAINT ETIENNE »)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace("'", " ").replace("’", " ").split())


@functools.cache
def _postal_rows() -> tuple[tuple[str, str, str, str], ...]:
    raw = resources.files("accounts_service").joinpath("data/codes-postaux.csv.gz").read_bytes()
    reader = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")), delimiter=";")
    return tuple((r["code_postal"], r["nom_commune"], r["code_commune"], r["libelle_acheminement"])
                 for r in reader)


@functools.cache
def _communes_by_postal_code() -> dict[str, frozenset[str]]:
    """Accepted spellings per postal code: the commune's name and La Poste's routing label
    (« Paris 1er Arrondissement » and « PARIS » for 75001)."""
    index: dict[str, set[str]] = {}
    for postal_code, commune, _, routing_label in _postal_rows():
        index.setdefault(postal_code, set()).update((_fold(commune), _fold(routing_label)))
    return {code: frozenset(names) for code, names in index.items()}


def suggest(query: str, limit: int = 20) -> list[dict[str, str]]:
    """Autocomplete: a postal code prefix (2+ digits) or the start of a commune (3+ letters)."""
    text = (query or "").strip()
    if text.isdigit() and len(text) >= 2:
        matches = [r for r in _postal_rows() if r[0].startswith(text)]
    elif len(text) >= 3:
        folded = _fold(text)
        matches = [r for r in _postal_rows() if _fold(r[1]).startswith(folded)]
    else:
        return []
    return [{"postal_code": code, "commune": name, "insee_code": insee} for code, name, insee, _ in matches[:limit]]


def commune_matches(postal_code: str, commune: str) -> bool | None:
    """True/False for a known postal code; None when the postal code does not exist."""
    names = _communes_by_postal_code().get(postal_code)
    if names is None:
        return None
    return _fold(commune) in names
