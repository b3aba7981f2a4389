"""How a request is shown (DM-2, DM-7, DM-8), without a database: values as a person reads them,
the live « Récapitulatif », the amount column, the board's actions, duplicates, documents."""
from datetime import date

import pytest
import yaml

from demandes_service.domain import lifecycle as lc
from demandes_service.domain import presentation as p
from demandes_service.domain.catalogue import parse_catalogue, procedure

ARS = procedure("ARS_D")
JUD = procedure("AM_EXPERTISE_JUD_C")  # an amount and a choice of department
SAISIE = procedure("SAISIE_IMMO_D")  # a legal form
NNBSP = "\u202f"


def test_values_as_a_person_reads_them():
    assert p.display_value(ARS, "birth_date", "2003-09-14") == "14/09/2003"
    assert p.display_value(ARS, "birth_date", date(2003, 9, 4)) == "04/09/2003"
    assert p.display_value(ARS, "iban", "FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"
    assert p.display_value(ARS, "tax_residence", True) == "Oui"
    assert p.display_value(ARS, "tax_residence", False) == "Non"
    assert p.display_value(ARS, "tax_residence", "true") == "Non"  # only a stored True is « Oui »
    assert p.display_value(ARS, "country", "DE") == "Allemagne"
    assert p.display_value(ARS, "country", "ZZ") == "ZZ"
    assert p.display_value(ARS, "last_name", "Dupont") == "Dupont"
    assert p.display_value(ARS, "last_name", None) == "Non renseigné"
    assert p.display_value(ARS, "last_name", "") == "Non renseigné"
    assert p.display_value(JUD, "department", "57") == "Moselle (57)"
    assert p.display_value(JUD, "department", "99") == "99"
    assert p.display_value(JUD, "amount", "1500") == f"1{NNBSP}500,00\u00a0€"
    assert p.display_value(SAISIE, "legal_form", "SAS") == "SAS - Société par actions simplifiée"
    assert p.display_value(SAISIE, "legal_form", "NOPE") == "NOPE"


def test_the_recap_lists_every_section_and_field_with_what_was_entered():
    recap = p.recap(ARS, {"last_name": "Dupont", "birth_date": "2003-09-14"})
    assert [s["code"] for s in recap] == ["IDENTITY", "ADDRESS", "BANK"]
    assert recap[0]["label"] == "Votre identité"
    assert recap[0]["lines"][:3] == [
        {"name": "last_name", "label": "Nom", "kind": "text", "value": "Dupont"},
        {"name": "first_name", "label": "Prénom", "kind": "text", "value": "Non renseigné"},
        {"name": "birth_date", "label": "Date de naissance", "kind": "date", "value": "14/09/2003"}]
    assert sum(len(s["lines"]) for s in recap) == len(ARS.fields)


def test_the_amount_column_and_the_snapshots_amount():
    assert p.amount_display(ARS, {}) == "Total" and p.amount_for_snapshot(ARS, {"amount": "3"}) == "TOTAL"
    assert p.amount_display(JUD, {"amount": "1234.5"}) == f"1{NNBSP}234,50\u00a0€"
    assert p.amount_display(JUD, {"amount": ""}) == "Non renseigné" and p.amount_display(JUD, {}) == "Non renseigné"
    assert p.amount_for_snapshot(JUD, {"amount": "1234.5"}) == "1234.50"
    assert p.amount_for_snapshot(JUD, {"amount": ""}) is None and p.amount_for_snapshot(JUD, {}) is None


ALL = dict(read_only=False, may_act=True, can_reassign=True, proof_available=True)


@pytest.mark.parametrize("state, actions", [
    (lc.DRAFT, ["detail", "resume", "duplicate", "delete", "reassign"]),
    (lc.SUBMITTED, ["detail", "duplicate", "summary", "reassign"]),
    (lc.AWAITING_FUNDS, ["detail", "duplicate", "summary", "reassign"]),
    (lc.AWAITING_COMPLEMENT, ["detail", "duplicate", "summary", "reassign", "complete"]),
    (lc.VALIDATED, ["detail", "duplicate", "summary", "proof"]),
    (lc.REJECTED, ["detail", "summary", "delete"]),
])
def test_board_actions_of_each_state(state, actions):
    assert p.available_actions(state=state, **ALL) == actions


def test_board_actions_minus_what_the_person_may_not_do():
    assert p.available_actions(state=lc.VALIDATED, **{**ALL, "proof_available": False}) == [
        "detail", "duplicate", "summary"]
    assert p.available_actions(state=lc.DRAFT, **{**ALL, "can_reassign": False}) == [
        "detail", "resume", "duplicate", "delete"]
    for limited in ({"read_only": True}, {"may_act": False}):
        assert p.available_actions(state=lc.AWAITING_COMPLEMENT, **{**ALL, **limited}) == ["detail", "summary"]
        assert p.available_actions(state=lc.VALIDATED, **{**ALL, **limited}) == ["detail", "summary", "proof"]
        assert p.available_actions(state=lc.DRAFT, **{**ALL, **limited}) == ["detail"]


def test_duplicates_keep_a_draft_whole_and_only_the_holder_of_a_transmitted_request():
    values = {"last_name": "Dupont", "iban": "FR76", "amount": "12", "other": "x"}
    assert p.duplicate_values(ARS, values, lc.DRAFT) == values
    assert p.duplicate_values(ARS, values, lc.VALIDATED) == {"last_name": "Dupont", "iban": "FR76"}
    assert p.duplicate_values(ARS, values, lc.AWAITING_FUNDS) == {"last_name": "Dupont", "iban": "FR76"}
    with pytest.raises(ValueError):
        p.duplicate_values(ARS, values, lc.REJECTED)
    assert [s for s in lc.STATES if p.can_duplicate(s)] == [
        lc.DRAFT, lc.SUBMITTED, lc.AWAITING_COMPLEMENT, lc.AWAITING_FUNDS, lc.VALIDATED]
    assert [s for s in lc.STATES if p.can_delete(s)] == [lc.DRAFT, lc.REJECTED]
    assert [s for s in lc.STATES if p.can_reassign(s)] == [
        lc.DRAFT, lc.SUBMITTED, lc.AWAITING_COMPLEMENT, lc.AWAITING_FUNDS]


def test_missing_documents_need_both_identity_sides_attached():
    labels = [s.label for s in ARS.required_documents]
    assert p.missing_documents(ARS, {}, []) == labels
    attached = [{"kind": "RIB", "status": "attached"}, {"kind": "BIRTH_CERTIFICATE", "status": "attached"}]
    recto = {"kind": "IDENTITY", "status": "attached", "page": "recto"}
    verso = {"kind": "IDENTITY", "status": "attached", "page": "verso"}
    assert p.missing_documents(ARS, {}, attached + [recto]) == [labels[0]]
    assert p.missing_documents(ARS, {}, attached + [recto, verso]) == []
    assert p.missing_documents(ARS, {}, attached + [{**recto, "page": "recto_verso"}]) == []
    assert p.missing_documents(ARS, {}, attached + [recto, {**verso, "status": "pending"}]) == [labels[0]]
    generated = [{"kind": "RIB", "status": "attached", "generated": True}]
    assert p.missing_documents(ARS, {}, generated)[1] == labels[1]


def test_pending_and_non_conforming_documents():
    documents = [{"status": "pending", "file_name": "rib.pdf", "kind": "RIB"},
                 {"status": "pending", "file_name": None, "kind": "KBIS"},
                 {"status": "attached", "file_name": "a.pdf", "review": {"status": "non_conforme", "reason": "Flou"}},
                 {"status": "attached", "review": {"status": "non_conforme"}, "replaced_by_document_id": "d2"},
                 {"status": "attached", "review": {"status": "conforme"}}, {"status": "attached"}]
    assert p.pending_documents(documents) == ["rib.pdf", "KBIS"]
    assert p.non_conforming(documents) == [documents[2]]


def test_a_company_account_that_no_one_else_may_take_over_still_completes():
    assert p.available_actions(state=lc.AWAITING_COMPLEMENT, **{**ALL, "can_reassign": False}) == [
        "detail", "duplicate", "summary", "complete"]


def test_a_duplicate_never_keeps_the_amount_whatever_its_field():
    steps = [{"code": c, "label": c} for c in ("INFORMATIONS", "JUSTIFICATIFS", "RECAPITULATIF", "CONFIRMATION")]
    text = {"version": 1, "steps": steps, "legal_forms": [{"code": "SAS", "label": "SAS"}],
            "holder_sections": ["HOLDER"],
            "procedures": [{"code": "X", "label": "X", "sens": "D", "audience": "ENTREPRISE", "amount_mode": "TOTAL",
                            "sections": [{"code": "HOLDER", "label": "Titulaire"}],
                            "fields": [{"name": "holder", "label": "Titulaire", "type": "text", "mandatory": True,
                                        "section": "HOLDER"},
                                       {"name": "amount", "label": "Somme", "type": "text", "mandatory": False,
                                        "section": "HOLDER"}],
                            "documents": {"required": [{"kind": "RIB"}]}}]}
    proc = parse_catalogue(yaml.safe_dump(text))[0]["X"]
    assert proc.holder_fields == ("holder", "amount")
    assert p.duplicate_values(proc, {"holder": "ACME", "amount": "12"}, lc.SUBMITTED) == {"holder": "ACME"}
