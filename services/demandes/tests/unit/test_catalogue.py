import pytest

from consignations_shared.errors import NotFound, ValidationFailed
from demandes_service.domain import catalogue
from demandes_service.domain.catalogue import CatalogueError, parse_catalogue

ALL = {"SAISIE_IMMO_D", "AM_EXPERTISE_JUD_C", "AM_EXPERTISE_JUD_D", "AM_EXPERTISE_CPH_C", "AM_EXPERTISE_CPH_D",
       "FR_EXPERTISE_CPH_C", "FR_EXPERTISE_CPH_D", "JEUX_VIDEO_C", "ESM_D", "ARS_D"}


def test_every_procedure_loads():
    assert {p.code for p in catalogue.all_procedures()} == ALL
    for p in catalogue.all_procedures():
        assert p.sens == p.code[-1]
        assert [s["code"] for s in p.steps] == ["INFORMATIONS", "JUSTIFICATIFS", "RECAPITULATIF", "CONFIRMATION"]
        assert p.required_documents
        p.as_dict()


def test_audiences_filter():
    assert {p.code for p in catalogue.procedures_for("PARTICULIER")} == {"ESM_D", "ARS_D"}
    assert {p.code for p in catalogue.procedures_for("ENTREPRISE")} == ALL - {"ESM_D", "ARS_D"}
    with pytest.raises(ValidationFailed):
        catalogue.procedures_for("ADMIN")


def test_unknown_procedure():
    with pytest.raises(NotFound) as err:
        catalogue.procedure("NOPE")
    assert err.value.message == "Cette démarche n'existe pas."


def test_saisie_immobiliere_as_the_guide_says():
    p = catalogue.procedure("SAISIE_IMMO_D")
    assert not p.has_amount and p.amount_mode == "TOTAL"
    assert [f.name for f in p.fields] == ["company_name", "legal_form", "account_holder", "iban", "bic", "transfer_label"]
    assert p.field("legal_form").type == "legal_form" and p.field("legal_form").mandatory
    assert not p.field("transfer_label").mandatory
    assert p.documents_for({}) == {"required": ["RIB"], "expected": [], "optional": []}
    assert p.additional_documents_allowed


def test_ars_definition():
    p = catalogue.procedure("ARS_D")
    assert p.audience == "PARTICULIER" and p.once_only and p.amount_mode == "TOTAL"
    assert p.rule("born_on_or_after")["date"].isoformat() == "1998-01-01"
    assert not p.field("caf_msa_number").mandatory
    assert p.documents_for({"tax_residence": True})["required"] == ["IDENTITY", "RIB", "BIRTH_CERTIFICATE"]
    assert p.documents_for({"tax_residence": False})["expected"] == ["RESIDENCE_ABROAD"]
    assert p.documents_for({"tax_residence": True})["expected"] == []


def test_consignations_have_an_amount_and_alsace_moselle_departments():
    for code in ("AM_EXPERTISE_JUD_C", "AM_EXPERTISE_CPH_C", "FR_EXPERTISE_CPH_C", "JEUX_VIDEO_C"):
        assert catalogue.procedure(code).has_amount
    department = catalogue.procedure("AM_EXPERTISE_JUD_C").field("department")
    assert [c["value"] for c in department.params["choices"]] == ["57", "67", "68"]
    assert "department" not in {f.name for f in catalogue.procedure("FR_EXPERTISE_CPH_C").fields}


def test_legal_form_autocomplete_after_three_letters():
    assert catalogue.legal_forms_matching("sa") == []
    assert [f["code"] for f in catalogue.legal_forms_matching("sar")] == ["SARL"]
    assert "EI" in [f["code"] for f in catalogue.legal_forms_matching("entrepreneur")]


BASE = """
version: 1
steps: [{code: INFORMATIONS, label: I}, {code: JUSTIFICATIFS, label: J}, {code: RECAPITULATIF, label: R}, {code: CONFIRMATION, label: C}]
legal_forms: [{code: SAS, label: SAS}]
procedures:
  - code: X
    label: X
    sens: %(sens)s
    audience: ENTREPRISE
    amount_mode: TOTAL
    fields: [{name: a, label: A, type: %(type)s, mandatory: true}]
    documents: {required: [{kind: %(kind)s}]}
"""


def test_valid_minimal_catalogue_parses():
    procedures, forms = parse_catalogue(BASE % {"sens": "D", "type": "text", "kind": "RIB"})
    assert list(procedures) == ["X"] and forms == {"SAS": "SAS"}


@pytest.mark.parametrize("values, problem", [
    ({"sens": "X", "type": "text", "kind": "RIB"}, "sens"),
    ({"sens": "D", "type": "colour", "kind": "RIB"}, "type"),
    ({"sens": "D", "type": "text", "kind": "PASSPORT"}, "kind"),
    ({"sens": "D", "type": "amount", "kind": "RIB"}, "amount"),
    ({"sens": "D", "type": "choice", "kind": "RIB"}, "choices"),
])
def test_malformed_catalogue_fails_loudly(values, problem):
    with pytest.raises(CatalogueError, match=problem):
        parse_catalogue(BASE % values)


def test_invalid_yaml_fails_loudly():
    with pytest.raises(CatalogueError):
        parse_catalogue("procedures: [")
