"""Drafts of requests (SPEC DM-2): create one for a procedure of the catalogue, then save step 1
« Informations » (« Enregistrer » keeps what was typed, « Suivant » also needs the mandatory
fields and moves the draft to step 2 « Justificatifs »)."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from consignations_shared.clock import as_utc
from consignations_shared.errors import Conflict, Forbidden, ValidationFailed

from .context import Acting, DemandesContext, acting, request_to_act_on
from .domain import catalogue, fields, lifecycle
from .models import Request

STEP_INFORMATIONS, STEP_JUSTIFICATIFS = 1, 2
NOT_FOR_YOUR_ACCOUNT = "Cette démarche n'est pas accessible à votre type de compte."
NOT_A_DRAFT = "Seule une demande brouillon peut être modifiée."
SAVED_ELSEWHERE = "Cette demande vient d'être modifiée par ailleurs. Rechargez-la avant de l'enregistrer."
VALUES_NOT_A_FORM = "Les informations de la demande sont invalides."


def view(request: Request) -> dict[str, Any]:
    procedure = catalogue.procedure(request.procedure_code)
    return {
        "id": request.id, "procedure_code": request.procedure_code, "procedure_label": procedure.label,
        "sens": request.sens, "state": request.state, "state_label": lifecycle.label(request.state),
        "tab": lifecycle.tab(request.state), "step": request.step, "values": dict(request.values or {}),
        "number": request.number, "owner_person_id": request.owner_person_id,
        "created_at": as_utc(request.created_at).isoformat(), "updated_at": as_utc(request.updated_at).isoformat(),
        "version": request.version,
    }


def _check_procedure_for(who: Acting, code: Any) -> catalogue.Procedure:
    procedure = catalogue.procedure(code)
    if procedure.audience != who.account_kind:
        raise Forbidden(NOT_FOR_YOUR_ACCOUNT)
    return procedure


def create_draft(ctx: DemandesContext, person: Any, procedure_code: Any) -> dict[str, Any]:
    who = acting(ctx, person).require_can_act()
    procedure = _check_procedure_for(who, procedure_code)
    now = ctx.clock.now()
    request = Request(id=str(uuid.uuid4()), procedure_code=procedure.code, sens=procedure.sens,
                      account_id=who.account_id, owner_person_id=who.person_id, created_by=who.person_id,
                      state=lifecycle.DRAFT, step=STEP_INFORMATIONS, values={}, created_at=now, updated_at=now)
    ctx.session.add(request)
    ctx.session.commit()
    return view(request)


def save_step(ctx: DemandesContext, person: Any, request_id: Any, values: Any, complete: bool = False) -> dict[str, Any]:
    who = acting(ctx, person)
    request = request_to_act_on(ctx, who, request_id)
    if request.state != lifecycle.DRAFT:
        raise Conflict(NOT_A_DRAFT)
    if not isinstance(values, dict):
        raise ValidationFailed(VALUES_NOT_A_FORM)
    procedure = catalogue.procedure(request.procedure_code)
    clean = fields.require_valid(procedure, values, complete=complete is True, today=ctx.today())
    request.values = fields.to_json(clean)
    request.updated_at = ctx.clock.now()
    if complete is True:
        request.step = max(request.step, STEP_JUSTIFICATIFS)
    try:
        ctx.session.commit()
    except StaleDataError:
        ctx.session.rollback()
        raise Conflict(SAVED_ELSEWHERE) from None
    return view(request)
