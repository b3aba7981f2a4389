from datetime import date

import pytest
import yaml

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


FIELD_BASE = BASE.replace("fields: [{name: a, label: A, type: %(type)s, mandatory: true}]", "fields: [%(field)s]")


def with_field(field: str) -> str:
    return FIELD_BASE % {"sens": "D", "kind": "RIB", "field": field}


@pytest.mark.parametrize("field", [
    "{name: a, label: A, type: text, mandatory: false, max_length: 12, pattern: '[0-9]+', pattern_message: Chiffres}",
    "{name: d, label: D, type: date, mandatory: true, min: '2000-01-01', max: today}",
    "{name: c, label: C, type: choice, mandatory: true, choices: [{value: x, label: X}, {value: y, label: Y}]}",
    "{name: t2, label: T, type: text, mandatory: false, required_when: {field: t2, equals: x}, help: Aide}",
])
def test_well_formed_fields_parse_with_their_parameters(field):
    [parsed] = parse_catalogue(with_field(field))[0]["X"].fields
    assert parsed.name in ("a", "d", "c", "t2")
    if parsed.name == "a":
        assert parsed.params == {"max_length": 12, "pattern": "[0-9]+", "pattern_message": "Chiffres"}
        assert parsed.mandatory is False and parsed.type == "text"
    if parsed.name == "d":
        assert parsed.params == {"min": date(2000, 1, 1), "max": "today"}
    if parsed.name == "c":
        assert [c["value"] for c in parsed.params["choices"]] == ["x", "y"]
    if parsed.name == "t2":
        assert parsed.required_when == {"field": "t2", "equals": "x"} and parsed.help == "Aide"


@pytest.mark.parametrize("field, problem", [
    ("nope", "procedure X: a field must be a mapping"),
    ("{label: A, type: text, mandatory: true}", "'name' must be a non-empty string"),
    ("{name: ' ', label: A, type: text, mandatory: true}", "'name' must be a non-empty string"),
    ("{name: a, label: A, type: text, mandatory: true, colour: red}", "field a: unknown keys ['colour']"),
    ("{name: Aa, label: A, type: text, mandatory: true}", "field Aa: name must be snake_case"),
    ("{name: a_, label: '', type: text, mandatory: true}", "field a_: 'label' must be a non-empty string"),
    ("{name: a, label: A, type: colour, mandatory: true}", "field a: type must be one of"),
    ("{name: a, label: A, type: text, mandatory: yes please}", "field a: 'mandatory' must be true or false"),
    ("{name: a, label: A, type: text, mandatory: true, section: NOPE}", "field a: unknown section 'NOPE'"),
    ("{name: a, label: A, type: text, mandatory: true, max_length: 0}", "field a: bad max_length"),
    ("{name: a, label: A, type: text, mandatory: true, max_length: '3'}", "field a: bad max_length"),
    ("{name: a, label: A, type: date, mandatory: true, max_length: 3}", "field a: max_length is for text fields"),
    ("{name: a, label: A, type: date, mandatory: true, pattern: x, pattern_message: y}",
     "field a: pattern is for text fields"),
    ("{name: a, label: A, type: text, mandatory: true, pattern: '[', pattern_message: y}", "field a: bad pattern"),
    ("{name: a, label: A, type: text, mandatory: true, pattern: '[0-9]'}", "field a: a pattern needs a pattern_message"),
    ("{name: a, label: A, type: date, mandatory: true, min: '2020-13-01'}", "field a: bad min date '2020-13-01'"),
    ("{name: a, label: A, type: date, mandatory: true, max: 3}", "field a: bad max"),
    ("{name: a, label: A, type: amount, mandatory: true, min: 3}", "field a: bad min"),
    ("{name: a, label: A, type: amount, mandatory: true, max: [3]}", "field a: bad max"),
    ("{name: a, label: A, type: text, mandatory: true, min: 3}", "field a: min is for date and amount fields"),
    ("{name: a, label: A, type: choice, mandatory: true, choices: []}", "field a: a choice field needs choices"),
    ("{name: a, label: A, type: choice, mandatory: true, choices: [{value: x}]}",
     "field a: each choice needs value and label"),
    ("{name: a, label: A, type: choice, mandatory: true, choices: [{value: 1, label: X}]}",
     "field a: each choice needs value and label"),
    ("{name: a, label: A, type: choice, mandatory: true, choices: [{value: x, label: X}, {value: x, label: Y}]}",
     "field a: duplicate choice values"),
    ("{name: a, label: A, type: text, mandatory: true, choices: [{value: x, label: X}]}",
     "field a: choices are for choice fields"),
    ("{name: a, label: A, type: text, mandatory: true, required_when: {field: a}}",
     "field a: required_when needs {field, equals}"),
    ("{name: a, label: A, type: text, mandatory: true, required_when: [a]}",
     "field a: required_when needs {field, equals}"),
])
def test_malformed_fields_fail_with_the_field_and_the_problem(field, problem):
    with pytest.raises(CatalogueError) as failed:
        parse_catalogue(with_field(field))
    assert problem in str(failed.value)


# --- procedures, documents and eligibility rules of the catalogue -----------------------------

def _catalogue(**changes) -> str:
    proc = {"code": "X", "label": "X", "sens": "D", "audience": "ENTREPRISE", "amount_mode": "TOTAL",
            "sections": [{"code": "S", "label": "Section"}],
            "fields": [{"name": "a", "label": "A", "type": "text", "mandatory": True, "section": "S"},
                       {"name": "born", "label": "Né le", "type": "date", "mandatory": True},
                       {"name": "on", "label": "Le", "type": "date", "mandatory": False}],
            "documents": {"required": [{"kind": "RIB"}]}}
    for key, value in changes.items():
        if value is None:
            proc.pop(key, None)
        else:
            proc[key] = value
    steps = yaml.safe_load(BASE % {"sens": "D", "type": "text", "kind": "RIB"})["steps"]
    return yaml.safe_dump({"version": 1, "steps": steps,
                           "legal_forms": [{"code": "SAS", "label": "SAS"}], "procedures": [proc]},
                          allow_unicode=True)


def test_a_procedure_with_its_documents_and_rules_parses():
    rules = [{"rule": "born_on_or_after", "field": "born", "date": "1998-01-01", "message": "Trop tôt."},
             {"rule": "younger_than_at", "field": "born", "at_field": "on", "years": 16, "message": "Trop âgé."},
             {"rule": "holder_matches_applicant", "holder_field": "a", "last_name_field": "a",
              "first_name_field": "a", "message": "Titulaire."}]
    documents = {"required": [{"kind": "RIB", "label": "Le RIB", "help": "Aide"}],
                 "optional": [{"kind": "OTHER"}],
                 "expected_when": [{"kind": "KBIS", "field": "a", "equals": "x"}], "additional_allowed": True}
    proc = parse_catalogue(_catalogue(eligibility=rules, documents=documents))[0]["X"]
    assert proc.eligibility[0]["date"] == date(1998, 1, 1) and proc.eligibility[1]["years"] == 16
    assert [(d.kind, d.label, d.help) for d in proc.required_documents] == [("RIB", "Le RIB", "Aide")]
    assert [d.kind for d in proc.optional_documents] == ["OTHER"]
    assert [(d.kind, d.when) for d in proc.expected_documents] == [("KBIS", {"field": "a", "equals": "x"})]
    assert proc.additional_documents_allowed is True and proc.sections == ({"code": "S", "label": "Section"},)
    assert parse_catalogue(_catalogue())[0]["X"].additional_documents_allowed is False


@pytest.mark.parametrize("changes, problem", [
    ({"code": ""}, "catalogue: 'code' must be a non-empty string"),
    ({"label": None}, "procedure X: 'label' must be a non-empty string"),
    ({"sens": "Z"}, "procedure X: sens must be one of"),
    ({"audience": "TOUS"}, "procedure X: audience must be one of"),
    ({"amount_mode": "SOME"}, "procedure X: amount_mode must be one of"),
    ({"sections": [{"code": "S"}]}, "procedure X: bad section"),
    ({"sections": ["S"]}, "procedure X: bad section"),
    ({"fields": []}, "procedure X: no fields"),
    ({"fields": [{"name": "a", "label": "A", "type": "text", "mandatory": True}] * 2},
     "procedure X: duplicate field names"),
    ({"fields": [{"name": "a", "label": "A", "type": "text", "mandatory": True,
                  "required_when": {"field": "b", "equals": 1}}]},
     "procedure X: field a: required_when refers to an unknown field"),
    ({"amount_mode": "ENTERED"}, "procedure X: amount_mode ENTERED needs exactly one mandatory amount field"),
    ({"amount_mode": "ENTERED", "fields": [{"name": "amount", "label": "M", "type": "amount", "mandatory": False}]},
     "amount_mode ENTERED needs exactly one mandatory amount field"),
    ({"amount_mode": "ENTERED", "fields": [{"name": "montant", "label": "M", "type": "amount", "mandatory": True}]},
     "amount_mode ENTERED needs exactly one mandatory amount field"),
    ({"documents": None}, "procedure X: documents must be a mapping"),
    ({"documents": {"required": [{"kind": "RIB"}], "others": []}}, "procedure X: unknown document keys ['others']"),
    ({"documents": {"required": {"kind": "RIB"}}}, "procedure X: documents.required must be a list"),
    ({"documents": {"required": [{"kind": "PASSPORT"}]}}, "procedure X: documents.required: kind must be one of"),
    ({"documents": {"required": ["RIB"]}}, "procedure X: documents.required: kind must be one of"),
    ({"documents": {"required": [{"kind": "RIB"}], "optional": [{"kind": "PASSPORT"}]}},
     "procedure X: documents.optional: kind must be one of"),
    ({"documents": {"required": [{"kind": "RIB"}], "expected_when": [{"kind": "KBIS", "field": "zz", "equals": 1}]}},
     "procedure X: expected_when: unknown field 'zz'"),
    ({"documents": {"required": [{"kind": "RIB"}], "expected_when": [{"kind": "KBIS", "field": "a"}]}},
     "procedure X: expected_when needs 'equals'"),
    ({"documents": {"required": [{"kind": "RIB"}], "optional": [{"kind": "RIB"}]}},
     "procedure X: a document kind is listed twice"),
    ({"documents": {"required": [{"kind": "RIB"}], "additional_allowed": "yes"}},
     "procedure X: additional_allowed must be a boolean"),
    ({"documents": {"optional": [{"kind": "RIB"}]}}, "procedure X: at least one required document"),
    ({"eligibility": {"rule": "x"}}, "procedure X: eligibility must be a list"),
    ({"eligibility": [{"rule": "nope", "message": "m"}]}, "procedure X: rule must be one of"),
    ({"eligibility": [{"rule": "born_on_or_after", "field": "born", "date": "1998-01-01"}]},
     "procedure X: 'message' must be a non-empty string"),
    ({"eligibility": [{"rule": "born_on_or_after", "field": "a", "date": "1998-01-01", "message": "m"}]},
     "procedure X: born_on_or_after needs a date field"),
    ({"eligibility": [{"rule": "born_on_or_after", "field": "zz", "date": "1998-01-01", "message": "m"}]},
     "procedure X: born_on_or_after needs a date field"),
    ({"eligibility": [{"rule": "born_on_or_after", "field": "born", "date": 1998, "message": "m"}]},
     "procedure X: born_on_or_after needs a date"),
    ({"eligibility": [{"rule": "younger_than_at", "field": "a", "at_field": "on", "years": 16, "message": "m"}]},
     "procedure X: younger_than_at needs a date field"),
    ({"eligibility": [{"rule": "younger_than_at", "field": "born", "at_field": "a", "years": 16, "message": "m"}]},
     "procedure X: younger_than_at needs a date at_field"),
    ({"eligibility": [{"rule": "younger_than_at", "field": "born", "at_field": "on", "years": 0, "message": "m"}]},
     "procedure X: bad years"),
    ({"eligibility": [{"rule": "younger_than_at", "field": "born", "at_field": "on", "years": "16", "message": "m"}]},
     "procedure X: bad years"),
    ({"eligibility": [{"rule": "holder_matches_applicant", "holder_field": "zz", "last_name_field": "a",
                       "first_name_field": "a", "message": "m"}]},
     "procedure X: holder_matches_applicant: unknown holder_field"),
    ({"eligibility": [{"rule": "holder_matches_applicant", "holder_field": "a", "last_name_field": "a",
                       "first_name_field": "zz", "message": "m"}]},
     "procedure X: holder_matches_applicant: unknown first_name_field"),
])
def test_malformed_procedures_fail_with_the_procedure_and_the_problem(changes, problem):
    with pytest.raises(CatalogueError) as failed:
        parse_catalogue(_catalogue(**changes))
    assert problem in str(failed.value)


def test_a_procedure_as_the_api_sends_it():
    rules = [{"rule": "born_on_or_after", "field": "born", "date": "1998-01-01", "message": "Trop tôt."}]
    documents = {"required": [{"kind": "RIB", "label": "Le RIB", "help": "Aide"}],
                 "expected_when": [{"kind": "KBIS", "field": "a", "equals": "x"}], "additional_allowed": True}
    proc = parse_catalogue(_catalogue(eligibility=rules, documents=documents, summary_notice="Note"))[0]["X"]
    bare = {"help": None, "prefill": None, "required_when": None}
    assert proc.as_dict() == {
        "code": "X", "label": "X", "sens": "D", "audience": "ENTREPRISE", "amount_mode": "TOTAL",
        "has_amount": False, "once_only": False,
        "steps": [{"code": "INFORMATIONS", "label": "I"}, {"code": "JUSTIFICATIFS", "label": "J"},
                  {"code": "RECAPITULATIF", "label": "R"}, {"code": "CONFIRMATION", "label": "C"}],
        "sections": [{"code": "S", "label": "Section"}],
        "fields": [{"name": "a", "label": "A", "type": "text", "section": "S", "mandatory": True, **bare},
                   {"name": "born", "label": "Né le", "type": "date", "section": None, "mandatory": True, **bare},
                   {"name": "on", "label": "Le", "type": "date", "section": None, "mandatory": False, **bare}],
        "documents": {"required": [{"kind": "RIB", "label": "Le RIB", "help": "Aide", "when": None}],
                      "optional": [],
                      "expected_when": [{"kind": "KBIS", "label": None, "help": None,
                                         "when": {"field": "a", "equals": "x"}}],
                      "additional_allowed": True},
        "eligibility": [{"rule": "born_on_or_after", "field": "born", "date": "1998-01-01", "message": "Trop tôt."}],
        "summary_notice": "Note",
    }
    field = parse_catalogue(with_field(
        "{name: d, label: D, type: date, mandatory: true, min: '2000-01-01', max: today, help: H, prefill: email}"
    ))[0]["X"].fields[0]
    assert field.as_dict() == {"name": "d", "label": "D", "type": "date", "section": None, "mandatory": True,
                               "help": "H", "required_when": None, "prefill": "email", "min": "2000-01-01",
                               "max": "today"}


# --- the catalogue's top level: version, steps, legal forms, holder sections, procedures ------

STEPS = [{"code": "INFORMATIONS", "label": "I"}, {"code": "JUSTIFICATIFS", "label": "J"},
         {"code": "RECAPITULATIF", "label": "R"}, {"code": "CONFIRMATION", "label": "C"}]


def _top(**changes) -> str:
    """A whole catalogue of one procedure (that of `_catalogue()`) with top-level keys changed
    (None: the key left out)."""
    data = yaml.safe_load(_catalogue())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return yaml.safe_dump(data, allow_unicode=True)


def _failure(text: str) -> str:
    with pytest.raises(CatalogueError) as failed:
        parse_catalogue(text)
    return str(failed.value)


def test_the_top_level_as_the_service_reads_it():
    procedures, forms = parse_catalogue(_top(legal_forms=[{"code": "SAS", "label": "Société par actions"},
                                                          {"code": "EI", "label": "Entrepreneur individuel"}],
                                             holder_sections=["S"]))
    assert forms == {"SAS": "Société par actions", "EI": "Entrepreneur individuel"}
    proc = procedures["X"]
    assert proc.steps == tuple(STEPS)
    assert proc.holder_sections == frozenset({"S"}) and proc.holder_fields == ("a",)
    # without holder sections a duplicate keeps nothing
    assert parse_catalogue(_top())[0]["X"].holder_sections == frozenset()
    assert parse_catalogue(_top())[0]["X"].holder_fields == ()


@pytest.mark.parametrize("text, problem", [
    ("procedures: [", "catalogue: invalid YAML ("),
    ("- version: 1", "catalogue: version 1 expected"),
    (_top(version=2), "catalogue: version 1 expected"),
    (_top(version=None), "catalogue: version 1 expected"),
    (_top(steps=None), "catalogue: steps must be ('INFORMATIONS', 'JUSTIFICATIFS', 'RECAPITULATIF', 'CONFIRMATION')"),
    (_top(steps=STEPS[:3]), "catalogue: steps must be ("),
    (_top(steps=[STEPS[1], STEPS[0]] + STEPS[2:]), "catalogue: steps must be ("),
    (_top(legal_forms=None), "catalogue: legal_forms needs [{code, label}]"),
    (_top(legal_forms=["SAS"]), "catalogue: legal_forms needs [{code, label}]"),
    (_top(legal_forms=[{"code": "SAS"}]), "catalogue: legal_forms needs [{code, label}]"),
    (_top(legal_forms=[{"label": "SAS"}]), "catalogue: legal_forms needs [{code, label}]"),
    (_top(legal_forms=[{"code": 1, "label": "SAS"}]), "catalogue: legal_forms needs [{code, label}]"),
    (_top(legal_forms=[{"code": "SAS", "label": 1}]), "catalogue: legal_forms needs [{code, label}]"),
    (_top(holder_sections="S"), "catalogue: holder_sections must be a list of section codes"),
    (_top(holder_sections=["S", 1]), "catalogue: holder_sections must be a list of section codes"),
    (_top(procedures=None), "catalogue: no procedures"),
    (_top(procedures=[]), "catalogue: no procedures"),
    (_top(procedures=["X"]), "catalogue: a procedure must be a mapping"),
])
def test_a_malformed_top_level_fails_with_the_problem(text, problem):
    message = _failure(text)
    assert message.startswith(problem), message


def test_a_procedure_code_is_defined_once():
    proc = yaml.safe_load(_catalogue())["procedures"][0]
    assert _failure(_top(procedures=[proc, {**proc, "label": "Autre"}])) == "catalogue: duplicate procedure X"
    assert list(parse_catalogue(_top(procedures=[proc, {**proc, "code": "Y"}]))[0]) == ["X", "Y"]


AMOUNT = {"name": "amount", "label": "Montant", "type": "amount", "mandatory": True}


def test_the_amount_of_an_entered_procedure():
    proc = parse_catalogue(_catalogue(amount_mode="ENTERED",
                                      fields=[{**AMOUNT, "max": 1000}, {"name": "a", "label": "A", "type": "text",
                                                                        "mandatory": False}]))[0]["X"]
    assert proc.has_amount and proc.field("amount").params == {"max": 1000}
    # an amount field in a TOTAL procedure, or two of them in an ENTERED one, are refused
    assert _failure(_catalogue(fields=[AMOUNT])) == "procedure X: amount_mode TOTAL must not have an amount field"
    assert _failure(_catalogue(amount_mode="ENTERED", fields=[AMOUNT, {**AMOUNT, "name": "amount_2"}])) == (
        "procedure X: amount_mode ENTERED needs exactly one mandatory amount field named 'amount'")


@pytest.mark.parametrize("field, problem", [
    ({"name": "amount", "label": "M", "type": "amount", "mandatory": True, "min": 1},
     "procedure X, field amount: bad min"),
    ({"name": "amount", "label": "M", "type": "amount", "mandatory": True, "max": None},
     "procedure X, field amount: bad max"),
])
def test_an_amount_has_a_maximum_only(field, problem):
    assert _failure(_catalogue(amount_mode="ENTERED", fields=[field])) == problem


def test_the_smallest_limits_are_accepted():
    proc = parse_catalogue(with_field("{name: a, label: A, type: text, mandatory: true, max_length: 1}"))[0]["X"]
    assert proc.field("a").params == {"max_length": 1}
    rules = [{"rule": "younger_than_at", "field": "born", "at_field": "on", "years": 1, "message": "Trop âgé."}]
    assert parse_catalogue(_catalogue(eligibility=rules))[0]["X"].rule("younger_than_at")["years"] == 1


def test_a_field_without_a_name_is_located_by_its_procedure():
    assert _failure(with_field("{label: A, type: text, mandatory: true}")) == (
        "procedure X: 'name' must be a non-empty string")


def test_a_rule_a_procedure_does_not_have_is_none():
    proc = parse_catalogue(_catalogue())[0]["X"]
    assert proc.rule("younger_than_at") is None and proc.eligibility == () and not proc.once_only


def test_choices_as_the_api_sends_them():
    field = parse_catalogue(with_field(
        "{name: c, label: C, type: choice, mandatory: true, choices: [{value: x, label: X}, {value: y, label: Y}]}"
    ))[0]["X"].field("c")
    assert field.as_dict()["choices"] == [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]


def test_the_packaged_catalogue_is_the_one_loaded():
    assert catalogue._load() == (catalogue.PROCEDURES, catalogue.LEGAL_FORMS)
    assert catalogue.LEGAL_FORMS["SARL"] == "SARL - Société à responsabilité limitée"


@pytest.mark.parametrize("audience", ["ADMIN", "entreprise", "", None])
def test_an_unknown_audience_is_refused_in_french(audience):
    with pytest.raises(ValidationFailed) as refused:
        catalogue.procedures_for(audience)
    assert refused.value.message == "Type de client inconnu."
    assert refused.value.fields == {"audience": "Type de client inconnu."}


@pytest.mark.parametrize("code", [None, 42, ["ARS_D"], {"code": "ARS_D"}, "ars_d", ""])
def test_a_procedure_code_that_is_not_one_is_not_found(code):
    with pytest.raises(NotFound) as err:
        catalogue.procedure(code)
    assert err.value.message == "Cette démarche n'existe pas."


def test_legal_form_autocomplete_answers_codes_and_labels():
    assert catalogue.legal_forms_matching("SARL") == [
        {"code": "SARL", "label": "SARL - Société à responsabilité limitée"}]
    assert catalogue.legal_forms_matching(None) == [] and catalogue.legal_forms_matching("  s a ") == []
