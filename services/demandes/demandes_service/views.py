"""What the demandes service answers about a request: its view for the wizard and the detail
page (with the live « Récapitulatif »), and the people of an account by id (owners' names)."""
from __future__ import annotations

from typing import Any

from consignations_shared.clock import as_utc

from . import members
from .context import Acting, DemandesContext, full_name
from .domain import catalogue, lifecycle, presentation
from .models import Request


def iso(moment) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


def people_of_account(ctx: DemandesContext, account_id: str) -> dict[str, dict]:
    """{person_id: person} of one client account, from the read model of accounts' events."""
    return members.people_of_account(ctx.session, account_id)


def may_act_on(who: Acting, request: Request) -> bool:
    return not who.read_only and (who.is_admin or request.owner_person_id == who.person_id)


def actions_for(who: Acting, request: Request) -> list[str]:
    return presentation.available_actions(
        state=request.state, read_only=who.read_only, may_act=may_act_on(who, request),
        can_reassign=who.account_kind == "ENTREPRISE" and presentation.can_reassign(request.state),
        proof_available=request.proof_document_id is not None)


def state_label(request: Request) -> str:
    return lifecycle.label(request.state, proof_available=request.proof_document_id is not None)


def view(request: Request, *, who: Acting | None = None, owner_name: str | None = None) -> dict[str, Any]:
    procedure = catalogue.procedure(request.procedure_code)
    values = dict(request.values or {})
    return {
        "id": request.id, "procedure_code": request.procedure_code, "procedure_label": procedure.label,
        "sens": request.sens, "state": request.state, "state_label": state_label(request),
        "tab": lifecycle.tab(request.state), "step": request.step, "values": values,
        "number": request.number, "owner_person_id": request.owner_person_id, "owner_name": owner_name,
        "amount": presentation.amount_display(procedure, values),
        "recap": presentation.recap(procedure, values),
        "documents_expected": procedure.documents_for(values),
        "created_at": iso(request.created_at), "updated_at": iso(request.updated_at),
        "submitted_at": iso(request.submitted_at), "validated_at": iso(request.validated_at),
        "rejected_at": iso(request.rejected_at), "duplicated_from_id": request.duplicated_from_id,
        "proof_document_id": request.proof_document_id,
        "actions": actions_for(who, request) if who is not None else [],
        "version": request.version,
    }


def name_of(people: dict[str, dict], person_id: str | None) -> str:
    return full_name(people.get(person_id)) if person_id else ""
