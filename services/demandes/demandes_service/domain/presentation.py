"""How a request is shown (pure): the live « Récapitulatif » (DM-2), the amount column and the
actions of the « Mon suivi » board (DM-7, DM-8). No database, no clock: the service passes the
request's values and states in."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from . import lifecycle
from .catalogue import LEGAL_FORMS, Procedure
from .fields import country_names, format_date, format_euros

TOTAL = "Total"
NOT_ENTERED = "Non renseigné"
YES, NO = "Oui", "Non"

# DM-8 actions, in the order of the board's icons.
DETAIL, RESUME, DUPLICATE, DELETE, SUMMARY, PROOF, REASSIGN, COMPLETE = (
    "detail", "resume", "duplicate", "delete", "summary", "proof", "reassign", "complete")
ACTION_LABELS = {
    DETAIL: "Consulter le détail",
    RESUME: "Reprendre la demande",
    DUPLICATE: "Dupliquer la demande",
    DELETE: "Supprimer la demande",
    SUMMARY: "Télécharger le récapitulatif",
    PROOF: "Télécharger le justificatif de paiement",
    REASSIGN: "Réaffecter la demande",
    COMPLETE: "Compléter la demande",
}
_TAB_ACTIONS = {
    lifecycle.TAB_DRAFTS: (DETAIL, RESUME, DUPLICATE, DELETE, REASSIGN),
    lifecycle.TAB_TRANSMITTED: (DETAIL, DUPLICATE, SUMMARY, REASSIGN, COMPLETE),
    lifecycle.TAB_VALIDATED: (DETAIL, DUPLICATE, SUMMARY, PROOF),
    lifecycle.TAB_REJECTED: (DETAIL, SUMMARY, DELETE),
}
_READ_ONLY_ACTIONS = frozenset({DETAIL, SUMMARY, PROOF})

# The date column of each tab: d'enregistrement / de soumission / de validation / de rejet.
TAB_DATE = {
    lifecycle.TAB_DRAFTS: ("updated_at", "Date d'enregistrement"),
    lifecycle.TAB_TRANSMITTED: ("submitted_at", "Date de soumission"),
    lifecycle.TAB_VALIDATED: ("validated_at", "Date de validation"),
    lifecycle.TAB_REJECTED: ("rejected_at", "Date de rejet"),
}


def display_value(procedure: Procedure, name: str, value: Any) -> str:
    """One stored value as a person reads it (dates JJ/MM/AAAA, « 1 500,00 € », Oui/Non, labels
    of choices, countries and legal forms). The IBAN is shown whole, grouped by 4: it is the
    person's own entry; PDFs mask it (documents service)."""
    if value is None or value == "":
        return NOT_ENTERED
    field = procedure.field(name)
    if field.type == "date":
        return format_date(date.fromisoformat(value)) if isinstance(value, str) else format_date(value)
    if field.type == "amount":
        return format_euros(Decimal(str(value)))
    if field.type == "boolean":
        return YES if value is True else NO
    if field.type == "choice":
        return next((c["label"] for c in field.params["choices"] if c["value"] == value), str(value))
    if field.type == "country":
        return country_names().get(value, str(value))
    if field.type == "legal_form":
        return LEGAL_FORMS.get(value, str(value))
    if field.type == "iban":
        return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return str(value)


def recap(procedure: Procedure, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The live « Récapitulatif »: every section with what was entered so far (empty fields shown
    as « Non renseigné »), plus the amount line of the procedure."""
    labels = {s["code"]: s["label"] for s in procedure.sections}
    sections: dict[str | None, dict[str, Any]] = {}
    for field in procedure.fields:
        section = sections.setdefault(field.section, {
            "code": field.section, "label": labels.get(field.section), "lines": []})
        section["lines"].append({"name": field.name, "label": field.label, "kind": field.type,
                                 "value": display_value(procedure, field.name, values.get(field.name))})
    return list(sections.values())


def amount_display(procedure: Procedure, values: dict[str, Any]) -> str:
    """The « Montant » column: the entered amount, « Total » for a total deconsignation (no
    amount field), « Non renseigné » while not entered."""
    if not procedure.has_amount:
        return TOTAL
    amount = values.get("amount")
    return format_euros(Decimal(str(amount))) if amount not in (None, "") else NOT_ENTERED


def amount_for_snapshot(procedure: Procedure, values: dict[str, Any]) -> str | None:
    """The snapshot's `amount` for the documents service: « 1234.56 », "TOTAL" or None."""
    if not procedure.has_amount:
        return "TOTAL"
    amount = values.get("amount")
    return f"{Decimal(str(amount)):.2f}" if amount not in (None, "") else None


def available_actions(*, state: str, read_only: bool, may_act: bool, can_reassign: bool,
                      proof_available: bool) -> list[str]:
    """The board's actions for one request (DM-8): those of its tab, minus what the person may
    not do. `read_only` is a Consultation profile; `may_act` means the person may change this
    request (owner, or administrator of the account); `can_reassign` that someone else of the
    account could take it over (company accounts)."""
    tab = lifecycle.tab(state)
    actions = []
    for action in _TAB_ACTIONS[tab]:
        if (read_only or not may_act) and action not in _READ_ONLY_ACTIONS:
            continue
        if action == COMPLETE and state != lifecycle.AWAITING_COMPLEMENT:
            continue
        if action == PROOF and not proof_available:
            continue
        if action == REASSIGN and not can_reassign:
            continue
        actions.append(action)
    return actions


def duplicate_values(procedure: Procedure, values: dict[str, Any], source_state: str) -> dict[str, Any]:
    """The values of a duplicate (DM-8): a draft as saved; a transmitted or validated request only
    its titulaire / holder information, the amount reset. Rejected requests are not duplicated."""
    if source_state == lifecycle.DRAFT:
        return dict(values)
    if lifecycle.tab(source_state) in (lifecycle.TAB_TRANSMITTED, lifecycle.TAB_VALIDATED):
        keep = set(procedure.holder_fields)
        return {name: value for name, value in values.items() if name in keep and name != "amount"}
    raise ValueError(f"a request in state {source_state} is not duplicated")


def can_duplicate(state: str) -> bool:
    return state == lifecycle.DRAFT or lifecycle.tab(state) in (lifecycle.TAB_TRANSMITTED, lifecycle.TAB_VALIDATED)


def can_delete(state: str) -> bool:
    return state in (lifecycle.DRAFT, lifecycle.REJECTED)


def can_reassign(state: str) -> bool:
    return lifecycle.tab(state) in (lifecycle.TAB_DRAFTS, lifecycle.TAB_TRANSMITTED)


def missing_documents(procedure: Procedure, values: dict[str, Any], documents: list[dict]) -> list[str]:
    """Labels of the required document kinds with no attached document (« Valider » done) among
    `documents` (the request's current documents, as the documents service lists them). An
    identity document needs its recto and its verso (or one file with both sides)."""
    attached = [d for d in documents if d.get("status") == "attached" and not d.get("generated")]
    missing = []
    for spec in procedure.required_documents:
        of_kind = [d for d in attached if d.get("kind") == spec.kind]
        if spec.kind == "IDENTITY":
            pages = {d.get("page") for d in of_kind}
            complete = "recto_verso" in pages or {"recto", "verso"} <= pages
        else:
            complete = bool(of_kind)
        if not complete:
            missing.append(spec.label or spec.kind)
    return missing


def pending_documents(documents: list[dict]) -> list[str]:
    """File names uploaded but not validated (« Valider », DO-2)."""
    return [d.get("file_name") or d.get("kind") for d in documents if d.get("status") == "pending"]


def non_conforming(documents: list[dict]) -> list[dict]:
    """Current documents a gestionnaire marked « non conforme » (DO-4), with the reason."""
    return [d for d in documents if (d.get("review") or {}).get("status") == "non_conforme"
            and not d.get("replaced_by_document_id")]
