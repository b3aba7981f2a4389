"""SPEC ID-2, ID-5: sign-up form fields."""
from __future__ import annotations

import pytest

from consignations_shared.errors import ValidationFailed
from consignations_shared.validation import (
    check_company_name,
    normalise_email,
    normalise_french_mobile,
)


def assert_refused(call, value, expected_field, message, **kwargs):
    with pytest.raises(ValidationFailed) as caught:
        call(value, **kwargs)
    assert caught.value.message == message
    assert caught.value.fields == {expected_field: message}


# --- e-mail -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jean.Dupont@Example.COM", "jean.dupont@example.com"),
        ("  contact@societe.fr \n", "contact@societe.fr"),
        ("Compta+CDC@Sous.Domaine.Societe.FR", "compta+cdc@sous.domaine.societe.fr"),
        ("a@XN--EXEMPL-GVA.FR", "a@exemplé.fr"),
    ],
)
def test_email_is_normalised_to_lower_case(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["jean.dupont", "jean@", "@example.com", "jean dupont@example.com", "a..b@example.com",
     "a@example", "Jean <jean@example.com>", "élodie@example.com", "a@localhost",
     "a@b@example.com"],
)
def test_invalid_email_is_refused(raw):
    assert_refused(normalise_email, raw, "email", "Adresse courriel invalide.")


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_missing_email_is_refused(raw):
    assert_refused(normalise_email, raw, "email", "L'adresse courriel est obligatoire.")


def test_email_field_name_can_be_chosen():
    assert_refused(normalise_email, "nope", "login", "Adresse courriel invalide.", field="login")


# --- mobile -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw",
    ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "0033612345678", "+33612345678",
     "06.12.34.56.78", "06-12-34-56-78", "+33 (0)6 12 34 56 78", " 06 12 34 56 78 "],
)
def test_french_mobile_spellings_give_e164(raw):
    assert normalise_french_mobile(raw) == "+33612345678"


def test_07_mobiles_are_accepted():
    assert normalise_french_mobile("07 81 23 45 67") == "+33781234567"


@pytest.mark.parametrize(
    "raw",
    ["01 23 45 67 89", "02 98 76 54 32", "03 20 12 34 56", "04 91 12 34 56", "05 56 12 34 56",
     "09 51 23 45 67", "+33 1 23 45 67 89",                  # landlines and VoIP
     "0612", "06 12 34 56 78 9", "07 00 00 00 00",          # wrong length / unassigned
     "abc", "06 12 34 56 7A", "06ABCDEFGH", "+", "()",      # garbage
     "+44 7911 123456", "+262 692 12 34 56", "+32 470 12 34 56"],  # not a French mobile
)
def test_non_mobile_or_garbage_is_refused(raw):
    assert_refused(normalise_french_mobile, raw, "mobile", "Numéro de téléphone mobile invalide.")


@pytest.mark.parametrize("raw", ["", "  ", None])
def test_missing_mobile_is_refused(raw):
    assert_refused(normalise_french_mobile, raw, "mobile",
                   "Le numéro de téléphone mobile est obligatoire.")


# --- company name -----------------------------------------------------------------------------

def test_company_name_is_trimmed_and_collapsed():
    assert check_company_name("  Société   Générale\tdes Eaux  ") == "Société Générale des Eaux"


def test_company_name_length_boundary():
    assert check_company_name("A" * 120) == "A" * 120
    assert check_company_name("  " + "A" * 120 + "  ") == "A" * 120
    assert_refused(check_company_name, "A" * 121, "company_name",
                   "Le nom de la société ne doit pas dépasser 120 caractères.")


@pytest.mark.parametrize("raw", ["", "   \n\t", None])
def test_company_name_is_required(raw):
    assert_refused(check_company_name, raw, "company_name",
                   "Le nom de la société est obligatoire.")


def test_company_name_refuses_control_characters():
    assert_refused(check_company_name, "ACME\x00SA", "company_name",
                   "Le nom de la société contient des caractères non autorisés.")
