"""Changing a request's state (SPEC DM-6): the lifecycle decides whether the change is allowed;
here it is recorded (who, when, why) and reported as `demande_state_changed`, in the caller's
transaction, so the history row and the event exist if and only if the change is committed."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from consignations_shared.clock import as_utc
from consignations_shared.contracts.payloads.demandes import DemandeStateChanged

from .context import CLIENT, GESTIONNAIRE, SYSTEM, Actor, DemandesContext
from .domain import catalogue, lifecycle
from .models import Request, RequestTransition

ROLE_LABELS = {CLIENT: "Client", GESTIONNAIRE: "Gestionnaire", SYSTEM: "Traitement automatique"}


def change_state(ctx: DemandesContext, request: Request, target: str, actor: Actor, *,
                 reason: str | None = None, non_conforming_documents: list[dict] | None = None) -> RequestTransition:
    source = request.state
    lifecycle.transition(source, target, request.sens)  # Conflict with a French message if illegal
    now = ctx.clock.now()
    request.state = target
    request.state_changed_at = now
    request.updated_at = now
    if target == lifecycle.SUBMITTED and request.submitted_at is None:
        request.submitted_at = now
    elif target == lifecycle.VALIDATED:
        request.validated_at = now
    elif target == lifecycle.REJECTED:
        request.rejected_at = now
    record = RequestTransition(request_id=request.id, from_state=source, to_state=target, at=now,
                               by_person_id=actor.person_id, by_role=actor.role, by_name=actor.name or None,
                               reason=reason)
    ctx.session.add(record)
    ctx.outbox.publish(ctx.session, DemandeStateChanged(
        demande_id=request.id, number=request.number, procedure_code=request.procedure_code,
        procedure_label=catalogue.procedure(request.procedure_code).label, sens=request.sens,
        account_id=request.account_id, owner_person_id=request.owner_person_id,
        from_state=source, to_state=target, reason=reason,
        non_conforming_documents=non_conforming_documents or [],
        changed_by_role=actor.role, changed_by_person_id=actor.person_id,
        changed_at=now.isoformat(),
    ))
    return record


def history(ctx: DemandesContext, request_id: str, *, for_staff: bool = False) -> list[dict[str, Any]]:
    """The request's transitions, oldest first. Clients see the role of who acted, not the
    gestionnaire's name (the back office answers as a service)."""
    rows = ctx.session.execute(select(RequestTransition).where(RequestTransition.request_id == request_id)
                               .order_by(RequestTransition.at, RequestTransition.id)).scalars()
    return [{
        "from_state": r.from_state, "from_label": lifecycle.label(r.from_state),
        "to_state": r.to_state, "to_label": lifecycle.label(r.to_state),
        "at": as_utc(r.at).isoformat(),
        "by_role": r.by_role, "by_role_label": ROLE_LABELS.get(r.by_role, r.by_role),
        "by": r.by_name if (for_staff or r.by_role == CLIENT) else ROLE_LABELS.get(r.by_role),
        "by_person_id": r.by_person_id if for_staff else None,
        "reason": r.reason,
    } for r in rows]
