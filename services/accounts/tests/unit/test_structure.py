"""Step 1 « Votre structure » of the company wizard (AC-1), its rules without a database: SIRET,
structure types, countries, postal codes and communes, and which fields « Suivant » requires."""
import pytest

from accounts_service.domain.referentials import (
    STRUCTURE_TYPES,
    commune_matches,
    countries,
    country_names,
    suggest,
)
from accounts_service.domain.structure import check_siret, check_structure

VALID_SIRET = "73282932000074"
FRANCE = {"structure_type": "AUTRES", "service": "Direction financière", "address": "12 rue de la Paix",
          "postal_code": "75002", "commune": "Paris", "country": "FR", "siret": "732 829 320 00074"}


# --- SIRET ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["732 829 320 00074", "732.829.320.00074", " 73282932000074 ", VALID_SIRET])
def test_a_valid_siret_gives_siret_and_siren(raw):
    assert check_siret(raw, required=True) == {"siret": VALID_SIRET, "siren": "732829320"}


@pytest.mark.parametrize("raw", ["7328293200007", "732829320000744", "7328293200007A", "732-829-320-00074"])
def test_a_siret_is_14_digits(raw):
    assert check_siret(raw, required=True) == "Le numéro SIRET est composé de 14 chiffres."


def test_a_siret_with_a_wrong_key_is_refused():
    assert check_siret("73282932000075", required=False) == \
        "Ce numéro SIRET n'est pas valide (clé de contrôle incorrecte)."


@pytest.mark.parametrize("raw", [None, "", "  ", " . ", 73282932000074])
def test_an_empty_siret_is_required_only_when_asked(raw):
    assert check_siret(raw, required=True) == "Le numéro SIRET est obligatoire pour une structure située en France."
    assert check_siret(raw, required=False) == {"siret": None, "siren": None}


# --- reference lists --------------------------------------------------------------------------

def test_countries_in_french_france_first_then_alphabetical_ignoring_accents():
    listed = countries()
    assert listed[0] == {"code": "FR", "name": "France"}
    codes = [c["code"] for c in listed]
    assert codes.index("ZA") < codes.index("AX") < codes.index("DE")  # Afrique du Sud, Åland, Allemagne
    assert codes.index("EG") < codes.index("ES")  # Égypte before Espagne: the accent is ignored
    assert len(listed) == len(set(codes)) == 249
    assert country_names()["DE"] == "Allemagne" and country_names()["FR"] == "France"


def test_postal_code_autocomplete_from_two_digits():
    assert suggest("75001") == [{"postal_code": "75001", "commune": "Paris 1er Arrondissement",
                                 "insee_code": "75101"}]
    assert len(suggest("75")) == 20 and all(s["postal_code"].startswith("75") for s in suggest("75"))
    assert len(suggest("75", limit=5)) == 5
    assert suggest("7") == [] and suggest(" ") == [] and suggest(None) == []


def test_commune_autocomplete_from_three_letters_ignoring_case_accents_and_hyphens():
    assert {"postal_code": "42000", "commune": "Saint-Étienne", "insee_code": "42218"} in suggest(
        "SAINT ETIENNE", limit=100)
    assert suggest("L’Haÿ") == [{"postal_code": "94240", "commune": "L'Haÿ-les-Roses", "insee_code": "94038"}]
    assert all(s["commune"].startswith("Sai") for s in suggest("sai"))
    assert suggest("ab") == []


def test_commune_matches_the_name_or_la_postes_label_of_the_postal_code():
    assert commune_matches("75001", "Paris 1er Arrondissement") is True
    assert commune_matches("75001", "PARIS") is True  # La Poste's routing label
    assert commune_matches("42000", "saint etienne") is True
    assert commune_matches("42000", "Saint-Étienne") is True
    assert commune_matches("75001", "Lyon") is False
    assert commune_matches("00000", "Paris") is None  # no such postal code


# --- step 1 -----------------------------------------------------------------------------------

def test_a_complete_french_structure():
    values, errors = check_structure(FRANCE, complete=True)
    assert errors == {}
    assert values == {"structure_type": "AUTRES", "service": "Direction financière", "address": "12 rue de la Paix",
                      "address_complement": None, "postal_code": "75002", "commune": "Paris", "country": "FR",
                      "siret": VALID_SIRET, "siren": "732829320"}


def test_suivant_requires_the_mandatory_fields_with_their_messages():
    values, errors = check_structure({}, complete=True)
    assert errors == {
        "structure_type": "Veuillez choisir un type de structure (les entreprises choisissent « AUTRES »).",
        "address": "L'adresse postale du siège est obligatoire.",
        "country": "Veuillez choisir le pays.",
        "postal_code": "Le code postal est obligatoire.",
        "commune": "La commune est obligatoire.",
    }  # no SIRET asked while the country is unknown
    assert values["structure_type"] is None and values["country"] is None


def test_enregistrer_only_checks_what_was_typed():
    values, errors = check_structure({"structure_type": "", "country": "", "service": "Compta"}, complete=False)
    assert errors == {}
    assert values == {"structure_type": None, "service": "Compta", "address": None, "address_complement": None,
                      "country": None, "postal_code": None, "commune": None, "siret": None, "siren": None}
    _, errors = check_structure({"country": "FR"}, complete=False)
    assert errors == {}  # the SIRET of a French structure is required by « Suivant » only


def test_the_siret_is_required_in_france_only():
    _, errors = check_structure({**FRANCE, "siret": ""}, complete=True)
    assert errors == {"siret": "Le numéro SIRET est obligatoire pour une structure située en France."}
    values, errors = check_structure({**FRANCE, "country": "DE", "postal_code": "10115", "commune": "Berlin",
                                      "siret": ""}, complete=True)
    assert errors == {} and values["siret"] is None and values["siren"] is None


def test_unknown_structure_types_and_countries_are_refused():
    assert set(STRUCTURE_TYPES) >= {"AUTRES", "NOTAIRE", "ADMINISTRATION"}
    for structure_type in ("NOPE", 3, "autres"):
        _, errors = check_structure({**FRANCE, "structure_type": structure_type}, complete=False)
        assert errors == {"structure_type": "Ce type de structure n'existe pas."}
    for country in ("XX", 33, "fr"):
        values, errors = check_structure({**FRANCE, "country": country}, complete=False)
        assert errors == {"country": "Ce pays n'existe pas."}
        assert "country" not in values


def test_every_structure_type_is_accepted():
    for structure_type in STRUCTURE_TYPES:
        values, errors = check_structure({**FRANCE, "structure_type": structure_type}, complete=True)
        assert errors == {} and values["structure_type"] == structure_type


def test_postal_code_and_commune_are_checked_together_in_france():
    _, errors = check_structure({**FRANCE, "postal_code": "00000"}, complete=True)
    assert errors == {"postal_code": "Ce code postal n'existe pas."}
    _, errors = check_structure({**FRANCE, "commune": "Lyon"}, complete=True)
    assert errors == {"commune": "Cette commune ne correspond pas au code postal."}
    values, errors = check_structure({**FRANCE, "country": "BE", "postal_code": "00000", "commune": "Lyon"},
                                     complete=True)
    assert errors == {} and values["postal_code"] == "00000"  # abroad: not checked against the French list


def test_free_text_limits_and_messages_of_step_1():
    long = {"service": "s" * 101, "address": "a" * 201, "address_complement": "c" * 201,
            "postal_code": "1" * 11, "commune": "c" * 101}
    _, errors = check_structure({**FRANCE, **long}, complete=True)
    assert errors == {
        "service": "Le service ne doit pas dépasser 100 caractères.",
        "address": "L'adresse postale du siège ne doit pas dépasser 200 caractères.",
        "address_complement": "Le complément d'adresse ne doit pas dépasser 200 caractères.",
        "postal_code": "Le code postal ne doit pas dépasser 10 caractères.",
        "commune": "La commune ne doit pas dépasser 100 caractères.",
    }
    exact = {"service": "s" * 100, "address": "a" * 200, "address_complement": "c" * 200}
    values, errors = check_structure({**FRANCE, **exact}, complete=True)
    assert errors == {} and values["address_complement"] == "c" * 200


def test_commune_autocomplete_starts_at_exactly_three_letters():
    assert suggest("pa") == []
    assert suggest("par") and all(s["commune"].lower().startswith("par") for s in suggest("par"))
