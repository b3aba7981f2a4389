"""Catalogue of the procedures (SPEC DM-1), read from ``catalogue/procedures.yaml``.

The YAML is loaded and checked once, at import: a malformed definition raises
``CatalogueError`` naming the procedure and the field, so a bad edit never reaches a client.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from datetime import date
from importlib import resources
from typing import Any

import yaml

from consignations_shared.errors import NotFound, ValidationFailed

AUDIENCES = ("ENTREPRISE", "PARTICULIER")
SENS = ("C", "D")
AMOUNT_MODES = ("TOTAL", "ENTERED")
STEP_CODES = ("INFORMATIONS", "JUSTIFICATIFS", "RECAPITULATIF", "CONFIRMATION")
FIELD_TYPES = ("text", "date", "iban", "bic", "amount", "choice", "boolean", "country", "legal_form")
DOCUMENT_KINDS = ("IDENTITY", "RIB", "KBIS", "DELEGATION_SIGNATURE", "BIRTH_CERTIFICATE",
                  "RESIDENCE_ABROAD", "OTHER")
RULES = ("born_on_or_after", "younger_than_at", "holder_matches_applicant", "once_per_person")
LEGAL_FORM_MIN_LETTERS = 3
PROCEDURE_UNKNOWN = "Cette démarche n'existe pas."


class CatalogueError(ValueError):
    """The catalogue file is malformed (a programming error, never shown to a client)."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    section: str | None
    mandatory: bool
    help: str | None = None
    required_when: dict | None = None  # {field, equals}
    params: dict = dc_field(default_factory=dict)  # max_length, pattern, pattern_message, min, max, choices
    prefill: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "type": self.type, "section": self.section,
                "mandatory": self.mandatory, "help": self.help, "required_when": self.required_when,
                "prefill": self.prefill, **{k: _plain(v) for k, v in self.params.items()}}


@dataclass(frozen=True)
class DocumentSpec:
    kind: str
    label: str | None = None
    help: str | None = None
    when: dict | None = None  # expected_when: {field, equals}

    def as_dict(self) -> dict:
        return {"kind": self.kind, "label": self.label, "help": self.help, "when": self.when}


@dataclass(frozen=True)
class Procedure:
    code: str
    label: str
    sens: str
    audience: str
    amount_mode: str
    steps: tuple[dict, ...]
    sections: tuple[dict, ...]
    fields: tuple[Field, ...]
    required_documents: tuple[DocumentSpec, ...]
    optional_documents: tuple[DocumentSpec, ...]
    expected_documents: tuple[DocumentSpec, ...]
    additional_documents_allowed: bool
    eligibility: tuple[dict, ...]
    summary_notice: str | None = None
    holder_sections: frozenset[str] = frozenset()

    @property
    def holder_fields(self) -> tuple[str, ...]:
        """The titulaire / holder fields a duplicate of a transmitted request keeps (DM-8)."""
        return tuple(f.name for f in self.fields if f.section in self.holder_sections and f.type != "amount")

    @property
    def has_amount(self) -> bool:
        return self.amount_mode == "ENTERED"

    @property
    def once_only(self) -> bool:
        return any(rule["rule"] == "once_per_person" for rule in self.eligibility)

    def rule(self, name: str) -> dict | None:
        return next((rule for rule in self.eligibility if rule["rule"] == name), None)

    def field(self, name: str) -> Field:
        return self._fields_by_name()[name]

    def _fields_by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def documents_for(self, values: dict[str, Any]) -> dict[str, list[str]]:
        """Kinds required, expected (conditional, not blocking) and optional for these values."""
        expected = [d.kind for d in self.expected_documents
                    if d.when and values.get(d.when["field"]) == d.when["equals"]]
        return {"required": [d.kind for d in self.required_documents], "expected": expected,
                "optional": [d.kind for d in self.optional_documents]}

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "sens": self.sens, "audience": self.audience,
                "amount_mode": self.amount_mode, "has_amount": self.has_amount, "once_only": self.once_only,
                "steps": [dict(s) for s in self.steps], "sections": [dict(s) for s in self.sections],
                "fields": [f.as_dict() for f in self.fields],
                "documents": {"required": [d.as_dict() for d in self.required_documents],
                              "optional": [d.as_dict() for d in self.optional_documents],
                              "expected_when": [d.as_dict() for d in self.expected_documents],
                              "additional_allowed": self.additional_documents_allowed},
                "eligibility": [{k: _plain(v) for k, v in r.items()} for r in self.eligibility],
                "summary_notice": self.summary_notice}


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------
# Loading and checking


def _require(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise CatalogueError(f"{where}: {problem}")


def _text(value, where: str, name: str) -> str:
    _require(isinstance(value, str) and value.strip() != "", where, f"'{name}' must be a non-empty string")
    return value


_FIELD_KEYS = {"name", "label", "type", "section", "mandatory", "help", "required_when", "prefill",
               "max_length", "pattern", "pattern_message", "min", "max", "choices"}


def _parse_field(raw: dict, where: str, sections: set[str]) -> Field:
    _require(isinstance(raw, dict), where, "a field must be a mapping")
    name = _text(raw.get("name"), where, "name")
    where = f"{where}, field {name}"
    unknown = set(raw) - _FIELD_KEYS
    _require(not unknown, where, f"unknown keys {sorted(unknown)}")
    _require(re.fullmatch(r"[a-z][a-z0-9_]*", name) is not None, where, "name must be snake_case")
    label = _text(raw.get("label"), where, "label")
    ftype = raw.get("type")
    _require(ftype in FIELD_TYPES, where, f"type must be one of {FIELD_TYPES}")
    _require(isinstance(raw.get("mandatory"), bool), where, "'mandatory' must be true or false")
    section = raw.get("section")
    _require(section is None or section in sections, where, f"unknown section {section!r}")
    params = {k: raw[k] for k in ("max_length", "pattern", "pattern_message", "min", "max", "choices") if k in raw}
    if "max_length" in params:
        _require(isinstance(params["max_length"], int) and params["max_length"] > 0, where, "bad max_length")
        _require(ftype == "text", where, "max_length is for text fields")
    if "pattern" in params:
        _require(ftype == "text", where, "pattern is for text fields")
        try:
            re.compile(params["pattern"])
        except (re.error, TypeError) as exc:
            raise CatalogueError(f"{where}: bad pattern ({exc})") from None
        _require(isinstance(params.get("pattern_message"), str), where, "a pattern needs a pattern_message")
    for bound in ("min", "max"):
        if bound in params:
            value = params[bound]
            if ftype == "date":
                if isinstance(value, str) and value != "today":
                    try:
                        params[bound] = date.fromisoformat(value)
                    except ValueError:
                        raise CatalogueError(f"{where}: bad {bound} date {value!r}") from None
                else:
                    _require(value == "today" or isinstance(value, date), where, f"bad {bound}")
            elif ftype == "amount":
                _require(bound == "max" and isinstance(value, (int, float, str)), where, f"bad {bound}")
            else:
                raise CatalogueError(f"{where}: {bound} is for date and amount fields")
    if ftype == "choice":
        choices = params.get("choices")
        _require(isinstance(choices, list) and choices, where, "a choice field needs choices")
        for choice in choices:
            _require(isinstance(choice, dict) and isinstance(choice.get("value"), str)
                     and isinstance(choice.get("label"), str), where, "each choice needs value and label")
        values = [c["value"] for c in choices]
        _require(len(values) == len(set(values)), where, "duplicate choice values")
    else:
        _require("choices" not in params, where, "choices are for choice fields")
    required_when = raw.get("required_when")
    if required_when is not None:
        _require(isinstance(required_when, dict) and set(required_when) == {"field", "equals"}, where,
                 "required_when needs {field, equals}")
    return Field(name=name, label=label, type=ftype, section=section, mandatory=raw["mandatory"],
                 help=raw.get("help"), required_when=required_when, params=params, prefill=raw.get("prefill"))


def _parse_documents(raw: dict, where: str, field_names: set[str]):
    _require(isinstance(raw, dict), where, "documents must be a mapping")
    unknown = set(raw) - {"required", "optional", "expected_when", "additional_allowed"}
    _require(not unknown, where, f"unknown document keys {sorted(unknown)}")

    def specs(key):
        items = raw.get(key) or []
        _require(isinstance(items, list), where, f"documents.{key} must be a list")
        out = []
        for item in items:
            _require(isinstance(item, dict) and item.get("kind") in DOCUMENT_KINDS, where,
                     f"documents.{key}: kind must be one of {DOCUMENT_KINDS}")
            when = None
            if key == "expected_when":
                _require(item.get("field") in field_names, where, f"expected_when: unknown field {item.get('field')!r}")
                _require("equals" in item, where, "expected_when needs 'equals'")
                when = {"field": item["field"], "equals": item["equals"]}
            out.append(DocumentSpec(kind=item["kind"], label=item.get("label"), help=item.get("help"), when=when))
        return tuple(out)

    required, optional, expected = specs("required"), specs("optional"), specs("expected_when")
    kinds = [d.kind for d in required + optional]
    _require(len(kinds) == len(set(kinds)), where, "a document kind is listed twice")
    _require(isinstance(raw.get("additional_allowed", False), bool), where, "additional_allowed must be a boolean")
    return required, optional, expected, raw.get("additional_allowed", False)


def _parse_rules(raw, where: str, fields: dict[str, Field]) -> tuple[dict, ...]:
    _require(isinstance(raw, list), where, "eligibility must be a list")
    rules = []
    for rule in raw:
        _require(isinstance(rule, dict) and rule.get("rule") in RULES, where, f"rule must be one of {RULES}")
        _text(rule.get("message"), where, "message")
        name = rule["rule"]
        if name == "born_on_or_after":
            _require(fields.get(rule.get("field")) is not None and fields[rule["field"]].type == "date",
                     where, "born_on_or_after needs a date field")
            limit = rule.get("date")
            if isinstance(limit, str):
                limit = date.fromisoformat(limit)
            _require(isinstance(limit, date), where, "born_on_or_after needs a date")
            rule = {**rule, "date": limit}
        elif name == "younger_than_at":
            for key in ("field", "at_field"):
                _require(fields.get(rule.get(key)) is not None and fields[rule[key]].type == "date",
                         where, f"younger_than_at needs a date {key}")
            _require(isinstance(rule.get("years"), int) and rule["years"] > 0, where, "bad years")
        elif name == "holder_matches_applicant":
            for key in ("holder_field", "last_name_field", "first_name_field"):
                _require(rule.get(key) in fields, where, f"holder_matches_applicant: unknown {key}")
        rules.append(dict(rule))
    return tuple(rules)


def _parse_procedure(raw: dict, steps: tuple[dict, ...], holder_sections: frozenset[str] = frozenset()) -> Procedure:
    _require(isinstance(raw, dict), "catalogue", "a procedure must be a mapping")
    code = _text(raw.get("code"), "catalogue", "code")
    where = f"procedure {code}"
    _text(raw.get("label"), where, "label")
    _require(raw.get("sens") in SENS, where, f"sens must be one of {SENS}")
    _require(raw.get("audience") in AUDIENCES, where, f"audience must be one of {AUDIENCES}")
    _require(raw.get("amount_mode") in AMOUNT_MODES, where, f"amount_mode must be one of {AMOUNT_MODES}")
    sections = tuple(raw.get("sections") or ())
    for section in sections:
        _require(isinstance(section, dict) and {"code", "label"} <= set(section), where, "bad section")
    section_codes = {s["code"] for s in sections}
    fields = tuple(_parse_field(f, where, section_codes) for f in raw.get("fields") or ())
    by_name = {f.name: f for f in fields}
    _require(fields, where, "no fields")
    _require(len(by_name) == len(fields), where, "duplicate field names")
    for f in fields:
        if f.required_when:
            _require(f.required_when["field"] in by_name, where,
                     f"field {f.name}: required_when refers to an unknown field")
    amount_fields = [f for f in fields if f.type == "amount"]
    if raw["amount_mode"] == "ENTERED":
        _require(len(amount_fields) == 1 and amount_fields[0].name == "amount" and amount_fields[0].mandatory,
                 where, "amount_mode ENTERED needs exactly one mandatory amount field named 'amount'")
    else:
        _require(not amount_fields, where, "amount_mode TOTAL must not have an amount field")
    required, optional, expected, additional = _parse_documents(raw.get("documents"), where, set(by_name))
    _require(required, where, "at least one required document")
    eligibility = _parse_rules(raw.get("eligibility", []), where, by_name)
    return Procedure(code=code, label=raw["label"], sens=raw["sens"], audience=raw["audience"],
                     amount_mode=raw["amount_mode"], steps=steps, sections=sections, fields=fields,
                     required_documents=required, optional_documents=optional, expected_documents=expected,
                     additional_documents_allowed=additional, eligibility=eligibility,
                     summary_notice=raw.get("summary_notice"), holder_sections=holder_sections)


def parse_catalogue(text: str) -> tuple[dict[str, Procedure], dict[str, str]]:
    """(procedures by code, legal forms by code) from the YAML text; CatalogueError if malformed."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"catalogue: invalid YAML ({exc})") from None
    _require(isinstance(data, dict) and data.get("version") == 1, "catalogue", "version 1 expected")
    steps = tuple(data.get("steps") or ())
    _require(tuple(s.get("code") for s in steps if isinstance(s, dict)) == STEP_CODES, "catalogue",
             f"steps must be {STEP_CODES}")
    legal_forms = data.get("legal_forms") or []
    _require(all(isinstance(f, dict) and isinstance(f.get("code"), str) and isinstance(f.get("label"), str)
                 for f in legal_forms) and legal_forms, "catalogue", "legal_forms needs [{code, label}]")
    holder_sections = data.get("holder_sections") or []
    _require(isinstance(holder_sections, list) and all(isinstance(c, str) for c in holder_sections),
             "catalogue", "holder_sections must be a list of section codes")
    procedures: dict[str, Procedure] = {}
    for raw in data.get("procedures") or ():
        procedure = _parse_procedure(raw, steps, frozenset(holder_sections))
        _require(procedure.code not in procedures, "catalogue", f"duplicate procedure {procedure.code}")
        procedures[procedure.code] = procedure
    _require(bool(procedures), "catalogue", "no procedures")
    return procedures, {f["code"]: f["label"] for f in legal_forms}


def _load() -> tuple[dict[str, Procedure], dict[str, str]]:
    text = resources.files("demandes_service").joinpath("catalogue/procedures.yaml").read_text("utf-8")
    return parse_catalogue(text)


PROCEDURES, LEGAL_FORMS = _load()


def all_procedures() -> tuple[Procedure, ...]:
    return tuple(PROCEDURES.values())


def procedures_for(audience: str) -> tuple[Procedure, ...]:
    """The procedures an ENTREPRISE or a PARTICULIER may start, in catalogue order."""
    if audience not in AUDIENCES:
        raise ValidationFailed("Type de client inconnu.", {"audience": "Type de client inconnu."})
    return tuple(p for p in PROCEDURES.values() if p.audience == audience)


def procedure(code: str) -> Procedure:
    found = PROCEDURES.get(code) if isinstance(code, str) else None
    if found is None:
        raise NotFound(PROCEDURE_UNKNOWN)
    return found


def legal_forms_matching(typed: str) -> list[dict[str, str]]:
    """Autocomplete of « Forme juridique »: nothing before 3 letters, then the forms whose code or
    label contains what was typed (case and accents ignored)."""
    from .fields import fold  # local: fields imports this module

    query = fold(typed or "")
    if len(query.replace(" ", "")) < LEGAL_FORM_MIN_LETTERS:
        return []
    return [{"code": code, "label": label} for code, label in LEGAL_FORMS.items()
            if query in fold(code) or query in fold(label)]
