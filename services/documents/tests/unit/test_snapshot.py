"""DO-7, DO-8: from a request snapshot to what the summary and the payment proof show — the shape
check, masked IBANs, French dates and amounts, labels — without rendering a PDF."""
import hashlib
from datetime import datetime, timezone

import pytest

from consignations_shared.errors import ValidationFailed
from documents_service.domain.snapshot import (
    check_snapshot,
    french_amount,
    french_date,
    french_datetime,
    iban_of,
    mask_iban,
    proof_view,
    snapshot_digest,
    summary_view,
)

NNBSP = "\u202f"
NBSP = "\u00a0"
GENERATED = datetime(2026, 3, 2, 9, 5, tzinfo=timezone.utc)  # 10h05 in Paris (winter)
SNAPSHOT = {
    "demande_id": "d-1", "version": 3, "sens": "D", "number": "102603000000017", "procedure_code": "ARS_D",
    "procedure_label": "Allocation de rentrée scolaire", "state": "VALIDATED", "state_label": "Validée",
    "dates": {"created_at": "2026-02-27T08:00:00+00:00", "submitted_at": "2026-07-01T22:30:00+00:00",
              "validated_at": "2026-07-02T10:00:00", "rejected_at": None},
    "owner": {"name": "Éloïse Dupont", "email": "eloise@example.com", "company_name": None},
    "fields": [
        {"label": "IBAN", "value": "FR76 3000 6000 0112 3456 7890 189", "kind": "iban", "section": "Banque"},
        {"label": "Résident fiscal", "value": True, "kind": "boolean"},
        {"label": "Mineur", "value": False},
        {"label": "Date de naissance", "value": "2003-09-14", "kind": "date"},
        {"label": "Montant", "value": "1234567.5", "kind": "amount"},
        {"label": "Nom", "value": "Dupont"},
        {"label": "Complément", "value": None},
        "valeur seule",
    ],
    "documents": [{"label": "RIB", "file_name": "rib.pdf", "review_status": "conforme"},
                  {"label": "Pièce", "file_name": "id.pdf", "review_status": "pending"},
                  {"label": "Autre", "file_name": "x.pdf", "review_status": None},
                  {"label": "Étrange", "file_name": "y.pdf", "review_status": "bizarre"}, None],
    "amount": "-42",
}


def test_the_summary_shows_everything_in_french_and_nothing_unmasked():
    assert summary_view(SNAPSHOT, GENERATED) == {
        "number": "102603000000017",
        "procedure_label": "Allocation de rentrée scolaire", "sens": "D", "sens_label": "Déconsignation",
        "state_label": "Validée",
        "dates": [{"label": "Date d'enregistrement", "value": "27/02/2026 à 09h00"},
                  {"label": "Date de soumission", "value": "02/07/2026 à 00h30"},
                  {"label": "Date de validation", "value": "02/07/2026 à 12h00"}],
        "requester": [{"label": "Nom", "value": "Éloïse Dupont"},
                      {"label": "Adresse électronique", "value": "eloise@example.com"}],
        "company_name": "", "owner_name": "Éloïse Dupont",
        "fields": [
            {"label": "IBAN", "value": "*** **** **** **** **** **** 0189", "section": "Banque"},
            {"label": "Résident fiscal", "value": "Oui", "section": ""},
            {"label": "Mineur", "value": "Non", "section": ""},
            {"label": "Date de naissance", "value": "14/09/2003", "section": ""},
            {"label": "Montant", "value": f"1{NNBSP}234{NNBSP}567,50{NBSP}€", "section": ""},
            {"label": "Nom", "value": "Dupont", "section": ""},
            {"label": "", "value": "valeur seule", "section": ""},
        ],  # « Complément », given no value, has no line
        "documents": [
            {"label": "RIB", "file_name": "rib.pdf", "review_status": "conforme", "review_label": "Conforme"},
            {"label": "Pièce", "file_name": "id.pdf", "review_status": "pending", "review_label": "En cours d'examen"},
            {"label": "Autre", "file_name": "x.pdf", "review_status": None, "review_label": "—"},
            {"label": "Étrange", "file_name": "y.pdf", "review_status": "bizarre", "review_label": "bizarre"},
            {"label": "", "file_name": "", "review_status": None, "review_label": "—"},
        ],
        "amount": f"-42,00{NBSP}€",
        "generated_at": "02/03/2026 à 10h05",
    }


def test_a_draft_has_no_number_and_the_state_code_stands_in_for_its_label():
    draft = {"demande_id": "d", "version": 0, "sens": "C", "state": "DRAFT"}
    view = summary_view(draft, GENERATED)
    assert view["number"] == "Non attribué (brouillon)" and view["sens_label"] == "Consignation"
    assert view["state_label"] == "Demande enregistrée" and view["dates"] == [] and view["fields"] == []
    assert view["requester"] == [] and view["company_name"] == "" and view["owner_name"] == ""
    assert view["amount"] == "Non renseigné" and view["procedure_label"] == ""
    assert summary_view({**draft, "state": "SOMETHING_NEW"}, GENERATED)["state_label"] == ""  # never a code


def test_long_texts_are_cut():
    view = summary_view({**SNAPSHOT, "number": "9" * 50, "procedure_label": "p" * 400, "procedure_code": "c" * 70,
                         "state_label": "s" * 150, "owner": {"name": "n" * 250, "email": "e" * 300,
                                                             "company_name": "c" * 250},
                         "fields": [{"label": "l" * 250, "value": "v" * 2500, "section": "s" * 130}],
                         "documents": [{"label": "d" * 250, "file_name": "f" * 200, "review_status": "r" * 50}]},
                        GENERATED)
    assert (len(view["number"]), len(view["procedure_label"]), len(view["state_label"])) == (40, 300, 100)
    assert view["requester"] == [{"label": "Structure", "value": "c" * 200}, {"label": "Nom", "value": "n" * 200},
                                 {"label": "Adresse électronique", "value": "e" * 254}]
    assert view["fields"] == [{"label": "l" * 200, "value": "v" * 2000, "section": "s" * 120}]
    assert view["documents"][0]["label"] == "d" * 200 and view["documents"][0]["file_name"] == "f" * 160
    assert view["documents"][0]["review_label"] == "r" * 40


def test_a_field_labelled_iban_is_masked_whatever_its_kind():
    snapshot = {**SNAPSHOT, "fields": [{"label": "Votre iban", "value": "FR7630006000011234567890189"},
                                       {"label": "Ibanez", "value": "visible"}]}
    assert [f["value"] for f in summary_view(snapshot, GENERATED)["fields"]] == [
        "*** **** **** **** **** **** 0189", "visible"]
    assert iban_of(snapshot) == "*** **** **** **** **** **** 0189"
    assert iban_of({"fields": [{"label": "Nom", "value": "x"}, "FR76"]}) is None
    assert iban_of({"fields": None}) is None


def test_a_field_of_an_unknown_date_or_amount_shows_what_was_given():
    snapshot = {**SNAPSHOT, "fields": [{"label": "Date", "value": "bientôt", "kind": "date"},
                                       {"label": "Montant", "value": "TOTAL", "kind": "amount"}]}
    assert [f["value"] for f in summary_view(snapshot, GENERATED)["fields"]] == ["bientôt", "Total"]


def test_the_proof_adds_its_title_validation_date_masked_iban_signer_and_reference():
    signer = {"name": "Caisse des Dépôts"}
    proof = proof_view(SNAPSHOT, GENERATED, signer)
    assert proof["title"] == "Justificatif de paiement"  # the seeds' name, as the NO-10 e-mail says
    assert proof["validated_at"] == "02/07/2026 à 12h00"
    assert proof["iban"] == "*** **** **** **** **** **** 0189"
    assert proof["signer"] is signer and proof["reference"] == "JUST-102603000000017"
    assert proof["fields"] == summary_view(SNAPSHOT, GENERATED)["fields"]
    consignation = proof_view({**SNAPSHOT, "sens": "C", "dates": None}, GENERATED, signer)
    assert consignation["title"] == "Justificatif de paiement" and consignation["validated_at"] == ""


def test_the_beneficiary_of_a_particuliers_proof_is_the_person():
    proof = proof_view(SNAPSHOT, GENERATED, {})
    assert proof["beneficiary"] == [{"label": "Nom", "value": "Éloïse Dupont"},
                                    {"label": "Adresse électronique", "value": "eloise@example.com"},
                                    {"label": "Compte bancaire (IBAN)", "value": "*** **** **** **** **** **** 0189"}]
    assert proof["filed_by"] == ""


def test_the_beneficiary_of_a_company_accounts_proof_is_the_structure():
    """Issue 19: the proof named the employee who filed as « Bénéficiaire »."""
    company = {**SNAPSHOT, "owner": {"name": "Élodie Dupont", "email": "elodie@acme.example.com",
                                     "company_name": "ACME SAS"}}
    proof = proof_view(company, GENERATED, {})
    assert proof["beneficiary"] == [{"label": "Structure", "value": "ACME SAS"},
                                    {"label": "Compte bancaire (IBAN)", "value": "*** **** **** **** **** **** 0189"}]
    assert proof["filed_by"] == "Élodie Dupont"  # named apart, without the address


def test_empty_values_get_no_line():
    """Issue 19: « Adresse électronique — » was printed for an owner without an address."""
    bare = {**SNAPSHOT, "owner": {"name": "Éloïse Dupont", "email": None, "company_name": None},
            "fields": [{"label": "Complément", "value": ""}, {"label": "Ville", "value": None},
                       {"label": "Mineur", "value": False}, {"label": "IBAN", "value": "", "kind": "iban"}]}
    view = summary_view(bare, GENERATED)
    assert view["requester"] == [{"label": "Nom", "value": "Éloïse Dupont"}]
    assert view["fields"] == [{"label": "Mineur", "value": "Non", "section": ""}]
    proof = proof_view(bare, GENERATED, {})
    assert proof["beneficiary"] == [{"label": "Nom", "value": "Éloïse Dupont"}]
    nobody = proof_view({**bare, "owner": None}, GENERATED, {})
    assert nobody["beneficiary"] == [] and summary_view({**bare, "owner": None}, GENERATED)["requester"] == []


def test_nothing_shown_carries_the_procedure_code_nor_the_version():
    """Issue 19: the summary printed « Code de la procédure SAISIE_IMMO_D » and « version 7 de la
    demande »; the views no longer carry either, so no template can print them."""
    snapshot = {**SNAPSHOT, "procedure_code": "SAISIE_IMMO_D", "version": 987654}
    shown = repr(summary_view(snapshot, GENERATED)) + repr(proof_view(snapshot, GENERATED, {}))
    assert "SAISIE_IMMO_D" not in shown and "987654" not in shown and "version" not in shown


@pytest.mark.parametrize("raw, shown", [
    ("FR76 3000 6000 0112 3456 7890 189", "*** **** **** **** **** **** 0189"),
    ("DE89370400440532013000", "** **** **** **** **** 3000"),
    ("1234", "1234"), ("123", "123"), ("12345", "* 2345"), ("", ""), (None, ""), ("   ", ""),
    ("X" * 70 + "ABCD", "**** " * 15 + "XXXX"),  # cut at 64 characters first
])
def test_mask_iban_keeps_the_last_four(raw, shown):
    assert mask_iban(raw) == shown


@pytest.mark.parametrize("raw, shown", [
    (0, f"0,00{NBSP}€"), ("0.015", f"0,02{NBSP}€"), ("0.025", f"0,02{NBSP}€"), ("999", f"999,00{NBSP}€"),
    ("1000", f"1{NNBSP}000,00{NBSP}€"), ("-1234.5", f"-1{NNBSP}234,50{NBSP}€"),
    ("123456789.99", f"123{NNBSP}456{NNBSP}789,99{NBSP}€"),
    (None, "Non renseigné"), ("", "Non renseigné"), ("total", "Total"), ("n/a", "n/a"), ("x" * 50, "x" * 40),
])
def test_french_amounts(raw, shown):
    """The thousands are grouped by narrow no-break spaces and « € » follows a no-break space:
    an amount never wraps (issue 19)."""
    assert french_amount(raw) == shown


def test_french_dates_are_in_paris_time():
    assert french_datetime("2026-07-01T22:30:00+00:00") == "02/07/2026 à 00h30"  # summer: UTC+2
    assert french_datetime(datetime(2026, 1, 1, 23, 59, tzinfo=timezone.utc)) == "02/01/2026 à 00h59"
    assert french_datetime("2026-07-02T10:00:00") == "02/07/2026 à 12h00"  # naive means UTC
    assert french_datetime("") == "" and french_datetime(None) == ""
    assert french_datetime("pas une date" * 5) == ("pas une date" * 5)[:40]
    assert french_date("2026-07-01T22:30:00+00:00") == "02/07/2026" and french_date(None) == ""


def test_check_snapshot_lists_every_problem():
    assert check_snapshot(SNAPSHOT) is SNAPSHOT
    check_snapshot({"demande_id": "d" * 64, "version": 0, "sens": "C"})
    with pytest.raises(ValidationFailed) as refused:
        check_snapshot({"demande_id": "d" * 65, "version": -1, "sens": "X", "fields": "a",
                        "documents": [{}] * 201, "dates": []})
    assert refused.value.message == "Le récapitulatif de la demande est invalide."
    assert refused.value.fields == {"demande_id": "Identifiant de demande manquant.",
                                    "version": "Version de la demande manquante.", "sens": "Sens attendu : C ou D.",
                                    "fields": "Liste attendue.", "documents": "Liste attendue.",
                                    "dates": "Objet attendu."}
    for bad in ({"demande_id": "", "version": 1, "sens": "C"}, {"demande_id": 3, "version": 1, "sens": "D"}):
        with pytest.raises(ValidationFailed) as refused:
            check_snapshot(bad)
        assert list(refused.value.fields) == ["demande_id"]
    for version in (True, "1", None, 1.0):
        with pytest.raises(ValidationFailed) as refused:
            check_snapshot({"demande_id": "d", "version": version, "sens": "C"})
        assert list(refused.value.fields) == ["version"]
    check_snapshot({"demande_id": "d", "version": 1, "sens": "C", "fields": [{}] * 200})
    with pytest.raises(ValidationFailed) as refused:
        check_snapshot(["not", "a", "dict"])
    assert refused.value.message == "Le récapitulatif de la demande est invalide." and not refused.value.fields


def test_the_digest_is_stable_and_sees_every_change():
    same = dict(reversed(list(SNAPSHOT.items())))
    assert snapshot_digest(same) == snapshot_digest(SNAPSHOT)
    assert len(snapshot_digest(SNAPSHOT)) == 64
    assert snapshot_digest({**SNAPSHOT, "version": 4}) != snapshot_digest(SNAPSHOT)
    assert snapshot_digest({"b": "Éloïse", "a": 1}) == hashlib.sha256('{"a": 1, "b": "Éloïse"}'.encode()).hexdigest()


def test_a_field_of_kind_iban_is_masked_whatever_its_label():
    snapshot = {**SNAPSHOT, "fields": [{"label": "Coordonnées bancaires", "value": "DE89370400440532013000",
                                        "kind": "iban"},
                                       {"label": "Type", "value": "x", "kind": "t" * 40}]}
    assert [f["value"] for f in summary_view(snapshot, GENERATED)["fields"]] == ["** **** **** **** **** 3000", "x"]
    assert iban_of(snapshot) == "** **** **** **** **** 3000"


def test_an_offset_given_with_the_date_is_kept():
    assert french_datetime("2026-07-01T10:00:00+05:00") == "01/07/2026 à 07h00"


def test_the_proof_is_dated_when_generated_and_any_value_has_a_digest():
    assert proof_view(SNAPSHOT, GENERATED, {})["generated_at"] == "02/03/2026 à 10h05"
    assert snapshot_digest({"on": datetime(2026, 3, 2, tzinfo=timezone.utc)}) == hashlib.sha256(
        '{"on": "2026-03-02 00:00:00+00:00"}'.encode()).hexdigest()
