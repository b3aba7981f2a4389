"""SPEC ID-2, ID-5: sign-up form fields."""
from __future__ import annotations

import pytest

from consignations_shared.errors import ValidationFailed
from consignations_shared.validation import (
    check_company_name,
    check_person_name,
    check_text,
    normalise_email,
    normalise_french_mobile,
    normalise_french_phone,
    optional,
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


# --- person names (AC-3, AC-5, ID-5) ----------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("  Le   Goff ", "Le Goff"), ("N'Diaye", "N'Diaye"), ("N’Diaye", "N’Diaye"), ("Jean-Pierre", "Jean-Pierre"),
    ("Élodie", "Élodie"), ("E\u0301lodie", "Élodie"), ("St.Clair", "St.Clair"), ("Jr.", "Jr."),
])
def test_person_names_are_trimmed_collapsed_and_nfc(raw, expected):
    assert check_person_name(raw) == expected


@pytest.mark.parametrize(("field", "label"), [("last_name", "Le nom"), ("first_name", "Le prénom"),
                                              ("other", "Ce champ")])
def test_person_name_messages_name_the_field(field, label):
    assert_refused(check_person_name, " ", field, f"{label} est obligatoire.", field=field)
    assert_refused(check_person_name, None, field, f"{label} est obligatoire.", field=field)
    assert_refused(check_person_name, "R2D2", field,
                   f"{label} ne peut contenir que des lettres, des espaces, des tirets et des apostrophes.",
                   field=field)
    assert_refused(check_person_name, "A" * 101, field, f"{label} ne doit pas dépasser 100 caractères.", field=field)


def test_person_name_default_field_is_the_last_name():
    assert_refused(check_person_name, "", "last_name", "Le nom est obligatoire.")


def test_person_name_length_boundary_is_100_after_collapsing():
    assert check_person_name("A" * 100) == "A" * 100
    assert check_person_name("  " + "A" * 50 + "    " + "B" * 49) == "A" * 50 + " " + "B" * 49
    assert_refused(check_person_name, "A" * 101, "last_name", "Le nom ne doit pas dépasser 100 caractères.")


@pytest.mark.parametrize("raw", ["Jean_Pierre", "-Jean", "Jean--Pierre", "Jean..", "3", "Jean@", "Jean2"])
def test_person_names_refuse_other_characters(raw):
    with pytest.raises(ValidationFailed):
        check_person_name(raw)


# --- any French phone number (AC-3, AC-5: landline) -------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("01 23 45 67 89", "+33123456789"), ("09 51 23 45 67", "+33951234567"), (" 06.12.34.56.78 ", "+33612345678"),
    ("08 00 12 34 56", "+33800123456"), ("+33 (0)1 23 45 67 89", "+33123456789"),
])
def test_french_phones_of_every_kind_give_e164(raw, expected):
    assert normalise_french_phone(raw) == expected


@pytest.mark.parametrize("raw", ["+44 7911 123456", "0612", "abc", "()", "01 23 45 67 8A", "+"])
def test_foreign_or_invalid_phones_are_refused(raw):
    assert_refused(normalise_french_phone, raw, "landline", "Numéro de téléphone invalide.")


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_missing_phone_is_refused(raw):
    assert_refused(normalise_french_phone, raw, "landline", "Le numéro de téléphone est obligatoire.")
    assert_refused(normalise_french_phone, raw, "fixe", "Le numéro de téléphone est obligatoire.", field="fixe")


def test_optional_gives_none_for_an_empty_value_and_checks_the_others():
    check = optional(normalise_french_phone)
    assert check(None, field="landline") is None
    assert check("  ", field="landline") is None
    assert check("01 23 45 67 89", field="landline") == "+33123456789"
    assert_refused(check, "abc", "fixe", "Numéro de téléphone invalide.", field="fixe")
    with pytest.raises(ValidationFailed):
        check(12, field="landline")  # not a string, not empty: checked (and refused)


# --- free text (addresses, services, functions) -----------------------------------------------

def test_free_text_is_trimmed_collapsed_and_nfc():
    assert check_text("  12  rue\tde la\nPaix ", field="address", label="L'adresse") == "12 rue de la Paix"
    assert check_text("Cafe\u0301", field="service", label="Le service") == "Café"


def test_free_text_required_or_not():
    assert_refused(check_text, "  ", "address", "L'adresse est obligatoire.", field="address", label="L'adresse")
    assert_refused(check_text, None, "address", "L'adresse est obligatoire.", field="address", label="L'adresse")
    assert check_text(None, field="function", label="La fonction", required=False) is None
    assert check_text(" ", field="function", label="La fonction", required=False) is None


def test_free_text_refuses_other_types_and_control_characters():
    assert_refused(check_text, 12, "address", "L'adresse est invalide.", field="address", label="L'adresse")
    assert_refused(check_text, "12 rue\x00", "address", "L'adresse contient des caractères non autorisés.",
                   field="address", label="L'adresse")


def test_free_text_length_boundary():
    assert check_text("a" * 200, field="f", label="Le champ") == "a" * 200
    assert_refused(check_text, "a" * 201, "f", "Le champ ne doit pas dépasser 200 caractères.", field="f",
                   label="Le champ")
    assert check_text("a" * 30, field="f", label="Le champ", max_length=30) == "a" * 30
    assert_refused(check_text, "a" * 31, "f", "Le champ ne doit pas dépasser 30 caractères.", field="f",
                   label="Le champ", max_length=30)
