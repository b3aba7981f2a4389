from datetime import date
from decimal import Decimal

import pytest

from consignations_shared.errors import ValidationFailed
from demandes_service.domain import fields as f
from demandes_service.domain.catalogue import Field, procedure

TODAY = date(2025, 10, 15)
IBAN = "FR76 3000 6000 0112 3456 7890 189"
ARS_MESSAGE = ("Si vous êtes nés avant le 1er janvier 1998, il ne faut donc pas effectuer de demande de "
               "reversement à la Caisse des Dépôts. En effet, les allocations de rentrée scolaire antérieures "
               "à cette date étaient versées directement aux parents par les organismes déposants.")
ARS_OK = {"last_name": "Dupont", "first_name": "Éloïse", "birth_date": "14/09/2003", "address": "1 rue de la Paix",
          "postal_code": "75002", "city": "Paris", "country": "FR", "tax_residence": "true",
          "account_holder": "MME ELOISE DUPONT", "iban": IBAN, "bic": "BNPAFRPPXXX"}


def check(code, form, complete=True):
    return f.validate_fields(procedure(code), form, complete=complete, today=TODAY)


def test_complete_ars_is_clean():
    values, errors = check("ARS_D", ARS_OK)
    assert errors == {}
    assert values["birth_date"] == date(2003, 9, 14) and values["iban"] == "FR7630006000011234567890189"
    assert values["tax_residence"] is True and values["caf_msa_number"] is None
    assert f.to_json(values)["birth_date"] == "2003-09-14"


def test_mandatory_fields_only_on_suivant():
    values, errors = check("SAISIE_IMMO_D", {"company_name": "ACME"}, complete=False)
    assert errors == {} and values["company_name"] == "ACME"
    _, errors = check("SAISIE_IMMO_D", {"company_name": "ACME"}, complete=True)
    assert errors == {"legal_form": "Le champ « Forme juridique » est obligatoire.",
                      "account_holder": "Le champ « Titulaire du compte bancaire » est obligatoire.",
                      "iban": "Le champ « IBAN » est obligatoire.", "bic": "Le champ « BIC » est obligatoire."}


def test_enregistrer_still_checks_what_was_typed():
    _, errors = check("SAISIE_IMMO_D", {"iban": "FR76 1234"}, complete=False)
    assert errors == {"iban": f.IBAN_INVALID}


def test_unknown_field_refused():
    _, errors = check("SAISIE_IMMO_D", {"amount": "10"}, complete=False)
    assert errors == {"amount": "Ce champ n'existe pas pour cette démarche."}


@pytest.mark.parametrize("value", [IBAN, "fr7630006000011234567890189", "DE89370400440532013000"])
def test_iban_good(value):
    assert f.check_value(procedure("ARS_D").field("iban"), value).isupper()


@pytest.mark.parametrize("value, message", [
    ("FR7630006000011234567890188", f.IBAN_CHECKSUM), ("FR76 3000", f.IBAN_INVALID), ("hello", f.IBAN_INVALID),
    (12, f.IBAN_INVALID)])
def test_iban_bad(value, message):
    _, errors = check("ARS_D", {"iban": value}, complete=False)
    assert errors == {"iban": message}


@pytest.mark.parametrize("value, clean", [("BNPAFRPPXXX", "BNPAFRPPXXX"), ("bnpa fr pp", "BNPAFRPP")])
def test_bic_good(value, clean):
    values, errors = check("ARS_D", {"bic": value}, complete=False)
    assert errors == {} and values["bic"] == clean


@pytest.mark.parametrize("value", ["BNPA", "BNPAFRPPXX", "BNPAZZPP", "BNPA99PP", "BNPAFR@P"])
def test_bic_bad(value):
    _, errors = check("ARS_D", {"bic": value}, complete=False)
    assert errors == {"bic": f.BIC_INVALID}


@pytest.mark.parametrize("value, clean", [("1 500,50", "1500.50"), ("1500.5", "1500.50"), ("0,01", "0.01"),
                                          (250, "250.00"), (Decimal("12.3"), "12.30"), ("1\u202f000 €", "1000.00")])
def test_amount_good(value, clean):
    values, errors = check("JEUX_VIDEO_C", {"amount": value}, complete=False)
    assert errors == {} and values["amount"] == Decimal(clean)


@pytest.mark.parametrize("value, message", [
    ("0", f.AMOUNT_NOT_POSITIVE), ("0,00", f.AMOUNT_NOT_POSITIVE), ("-5", f.AMOUNT_INVALID),
    ("12,345", f.AMOUNT_DECIMALS), ("abc", f.AMOUNT_INVALID), (12.5, f.AMOUNT_INVALID), ("1e3", f.AMOUNT_INVALID),
    ("1000000000", "Le montant ne doit pas dépasser 999\u202f999\u202f999,99\u00a0€.")])
def test_amount_bad(value, message):
    _, errors = check("JEUX_VIDEO_C", {"amount": value}, complete=False)
    assert errors == {"amount": message}


@pytest.mark.parametrize("value", ["2003-09-14", "14/09/2003", "1/1/2003"])
def test_date_good(value):
    values, errors = check("ARS_D", {"birth_date": value}, complete=False)
    assert errors == {} and values["birth_date"].year == 2003


@pytest.mark.parametrize("value, message", [("31/02/2003", f.DATE_INVALID), ("2003/09/14", f.DATE_INVALID),
                                            ("demain", f.DATE_INVALID), ("16/10/2025", f.DATE_IN_FUTURE)])
def test_date_bad(value, message):
    _, errors = check("ARS_D", {"birth_date": value}, complete=False)
    assert errors == {"birth_date": message}


def test_choice_boolean_country_legal_form():
    values, errors = check("AM_EXPERTISE_JUD_C", {"department": "67"}, complete=False)
    assert errors == {} and values["department"] == "67"
    _, errors = check("AM_EXPERTISE_JUD_C", {"department": "75"}, complete=False)
    assert errors == {"department": "Veuillez choisir une valeur dans la liste."}
    values, errors = check("ARS_D", {"tax_residence": "non", "country": "be"}, complete=False)
    assert errors == {} and values["tax_residence"] is False and values["country"] == "BE"
    _, errors = check("ARS_D", {"tax_residence": "peut-être", "country": "XX"}, complete=False)
    assert errors == {"tax_residence": "Veuillez répondre par oui ou par non.", "country": "Ce pays n'existe pas."}
    _, errors = check("SAISIE_IMMO_D", {"legal_form": "SARLX"}, complete=False)
    assert errors == {"legal_form": "Veuillez choisir une forme juridique dans la liste."}


def test_text_rules():
    _, errors = check("SAISIE_IMMO_D", {"company_name": "x" * 121, "transfer_label": "a\x00b"}, complete=False)
    assert errors == {"company_name": "Le champ « Nom de la structure » ne doit pas dépasser 120 caractères.",
                      "transfer_label": "Le champ « Libellé du virement » contient des caractères non autorisés."}
    _, errors = check("AM_EXPERTISE_JUD_C", {"case_number": "23/01234"}, complete=False)
    assert errors == {}
    _, errors = check("AM_EXPERTISE_JUD_C", {"case_number": "23#01234"}, complete=False)
    assert "numéro RG" in errors["case_number"]


def test_residence_country_required_only_when_not_tax_resident():
    _, errors = check("ARS_D", {**ARS_OK, "tax_residence": "false"})
    assert errors == {"residence_country": "Le champ « Pays de résidence » est obligatoire."}
    _, errors = check("ARS_D", {**ARS_OK, "tax_residence": "false", "residence_country": "BE"})
    assert errors == {}


@pytest.mark.parametrize("complete", [False, True])
def test_ars_born_before_1998_is_refused(complete):
    _, errors = check("ARS_D", {**ARS_OK, "birth_date": "31/12/1997"}, complete=complete)
    assert errors == {"birth_date": ARS_MESSAGE}
    _, errors = check("ARS_D", {**ARS_OK, "birth_date": "01/01/1998"}, complete=complete)
    assert errors == {}


@pytest.mark.parametrize("holder", ["Eloise Dupont", "DUPONT ELOISE", "M. Dupont Éloïse", "dupont éloïse marie"])
def test_holder_matching_the_applicant(holder):
    _, errors = check("ARS_D", {**ARS_OK, "account_holder": holder})
    assert errors == {}


@pytest.mark.parametrize("holder", ["Marie Dupont", "M OU MME DUPONT ELOISE", "Dupont", "SCI Les Lilas"])
def test_holder_mismatch_refused(holder):
    _, errors = check("ESM_D" if holder == "Dupont" else "ARS_D",
                      {**ARS_OK, "account_holder": holder,
                       **({"activity": "SPECTACLE"} if holder == "Dupont" else {})})
    assert errors == {"account_holder": "Le compte bancaire doit être à votre nom et non à celui d'un tiers "
                      "(parents, amis...) : le titulaire du compte doit correspondre à vos nom et prénom."}


JEUX_VIDEO_MESSAGE = ("Seuls les gains des enfants de moins de 16 ans à la date de la compétition sont déposés "
                      "à la Caisse des Dépôts.")


@pytest.mark.parametrize("born, competition, refused", [
    ("2008-06-01", "2024-06-01", True),    # 16 years old exactly on the day of the competition
    ("2008-06-02", "2024-06-01", False),   # 16 the day after: still 15 on the day
    ("2008-05-31", "2024-06-01", True),    # 16 the day before
    ("2005-01-01", "2024-06-01", True),
    ("2010-01-01", "2024-06-01", False),
    ("2008-02-29", "2024-02-28", False),   # born on 29 February: 16 on 29 February 2024
    ("2008-02-29", "2024-02-29", True),
])
def test_jeux_video_child_under_16_at_competition(born, competition, refused):
    _, errors = check("JEUX_VIDEO_C", {"child_birth_date": born, "competition_date": competition}, complete=False)
    assert errors == ({"child_birth_date": JEUX_VIDEO_MESSAGE} if refused else {})


def test_jeux_video_age_needs_both_dates():
    assert check("JEUX_VIDEO_C", {"child_birth_date": "2005-01-01"}, complete=False)[1] == {}
    assert check("JEUX_VIDEO_C", {"competition_date": "2024-06-01"}, complete=False)[1] == {}


def test_require_valid_raises_validation_failed():
    with pytest.raises(ValidationFailed) as err:
        f.require_valid(procedure("SAISIE_IMMO_D"), {"bic": "nope"}, complete=False)
    assert err.value.fields == {"bic": f.BIC_INVALID} and err.value.message == f.BIC_INVALID


def test_masked_iban_keeps_last_four():
    assert f.masked_iban(IBAN) == "**** **** **** **** **** ***0 189"
    assert f.masked_iban("FR7630006000011234567890189").replace(" ", "").endswith("0189")
    assert f.masked_iban("") == ""


# --- check_value at its boundaries (issue 21: mutation survivors) -----------------------------

def _field(kind, **params):
    return Field(name="x", label="Le champ X", type=kind, section=None, mandatory=True, params=params)


def _message(field, value, today=TODAY):
    with pytest.raises(f._Invalid) as refused:
        f.check_value(field, value, today=today)
    return refused.value.message


def test_text_is_limited_to_200_characters_by_default_or_to_its_max_length():
    assert f.check_value(_field("text"), "a" * 200) == "a" * 200
    assert _message(_field("text"), "a" * 201) == "Le champ « Le champ X » ne doit pas dépasser 200 caractères."
    assert f.check_value(_field("text", max_length=5), "abcde") == "abcde"
    assert _message(_field("text", max_length=5), "abcdef") == "Le champ « Le champ X » ne doit pas dépasser 5 caractères."
    assert _message(_field("text"), 12) == "Le champ « Le champ X » est invalide."


def test_dates_between_their_bounds_inclusive():
    field = _field("date", min=date(2020, 1, 1), max=date(2020, 12, 31))
    assert f.check_value(field, "2020-01-01") == date(2020, 1, 1)
    assert f.check_value(field, "2020-12-31") == date(2020, 12, 31)
    assert _message(field, "2019-12-31") == "La date ne peut pas être antérieure au 01/01/2020."
    assert _message(field, "2021-01-01") == "La date ne peut pas être postérieure au 31/12/2020."
    until_today = _field("date", min="today", max="today")
    assert f.check_value(until_today, TODAY.isoformat()) == TODAY
    assert _message(until_today, "2025-10-16") == "La date ne peut pas être postérieure à aujourd'hui."
    assert _message(until_today, "2025-10-14") == "La date ne peut pas être antérieure au 15/10/2025."


def test_an_amount_up_to_its_maximum_inclusive():
    field = _field("amount", max=1000)
    assert f.check_value(field, "1000") == Decimal("1000.00")
    with pytest.raises(f._Invalid):
        f.check_value(field, "1000.01")
    assert f.check_value(_field("amount"), "999999999.99") == Decimal("999999999.99")
    with pytest.raises(f._Invalid):
        f.check_value(_field("amount"), "1000000000")
    assert f.check_value(_field("amount"), "1\u202f500,50 €") == Decimal("1500.50")
    assert f.check_value(_field("amount"), f.format_euros(Decimal("1500.5"))) == Decimal("1500.50")  # as shown
    for value in (True, 1.5):
        with pytest.raises(f._Invalid):
            f.check_value(_field("amount"), value)


@pytest.mark.parametrize("kind, value, message", [
    ("bic", 42, f.BIC_INVALID), ("bic", None, f.BIC_INVALID),
    ("amount", [1500], f.AMOUNT_INVALID), ("amount", {"euros": 1500}, f.AMOUNT_INVALID),
    ("date", 20030914, f.DATE_INVALID), ("date", ["2003-09-14"], f.DATE_INVALID),
    ("country", 250, f.COUNTRY_INVALID), ("country", ["FR"], f.COUNTRY_INVALID),
])
def test_a_value_of_the_wrong_type_gets_the_fields_message(kind, value, message):
    assert _message(_field(kind), value) == message


def test_a_date_and_time_is_not_a_date():
    from datetime import datetime

    assert _message(_field("date"), datetime(2003, 9, 14, 10, 0)) == f.DATE_INVALID
    assert f.check_value(_field("date"), date(2003, 9, 14)) == date(2003, 9, 14)


def test_fold_ignores_case_accents_hyphens_apostrophes_and_dots():
    assert f.fold("Éloïse-Marie") == "eloise marie"
    assert f.fold("O’Connor d'Arc") == "o connor d arc"
    assert f.fold("  J.-P.,  DUPONT ") == "j p dupont"


def test_masked_iban_keeps_the_last_four_as_written_in_capitals():
    assert f.masked_iban("mt84 malt 0110 0001 2345 mtlc ast0 01s") == "**** **** **** **** **** **** ***0 01S"
    assert f.masked_iban("FR76") == "FR76"  # nothing to hide before the last four
    assert f.masked_iban("189") == "189"


def test_require_valid_checks_like_validate_fields():
    # « Suivant » (complete=True) requires the mandatory fields, « Enregistrer » does not
    with pytest.raises(ValidationFailed) as err:
        f.require_valid(procedure("SAISIE_IMMO_D"), {"company_name": "ACME", "legal_form": "SAS",
                                                     "account_holder": "ACME", "iban": IBAN}, complete=True)
    assert err.value.fields == {"bic": "Le champ « BIC » est obligatoire."}
    assert err.value.message == "Le champ « BIC » est obligatoire."
    saved = f.require_valid(procedure("SAISIE_IMMO_D"), {"company_name": "ACME"}, complete=False)
    assert saved["company_name"] == "ACME" and saved["bic"] is None
    # the caller's today bounds the dates marked « max: today »
    with pytest.raises(ValidationFailed) as err:
        f.require_valid(procedure("ARS_D"), {"birth_date": "16/10/2025"}, complete=False, today=TODAY)
    assert err.value.fields == {"birth_date": f.DATE_IN_FUTURE}
    assert f.require_valid(procedure("ARS_D"), {"birth_date": "15/10/2025"}, complete=False,
                           today=TODAY)["birth_date"] == TODAY


def test_require_valid_with_several_problems_gives_a_general_message():
    with pytest.raises(ValidationFailed) as err:
        f.require_valid(procedure("SAISIE_IMMO_D"), {"bic": "nope", "iban": "nope"}, complete=False)
    assert err.value.message == "Certaines informations saisies sont invalides ou manquantes."
    assert err.value.fields == {"iban": f.IBAN_INVALID, "bic": f.BIC_INVALID}


def test_values_as_json():
    assert f.to_json({"born": date(2003, 9, 14), "amount": Decimal("1500.5"), "name": "A", "empty": None,
                      "yes": True}) == {"born": "2003-09-14", "amount": "1500.50", "name": "A", "empty": None,
                                        "yes": True}


@pytest.mark.parametrize("amount, shown", [
    (Decimal("1500"), "1\u202f500,00\u00a0€"), (Decimal("0.5"), "0,50\u00a0€"),
    (Decimal("1234567.89"), "1\u202f234\u202f567,89\u00a0€"), (Decimal("999"), "999,00\u00a0€"),
])
def test_an_amount_never_wraps(amount, shown):
    """Issue 19: « 1 500,00 » on one line and « € » alone on the next; every space of an amount is
    a no-break one (narrow between the thousands)."""
    assert f.format_euros(amount) == shown
    assert " " not in f.format_euros(amount)
