"""Drafts of requests (SPEC DM-2, DM-8): create one for a procedure of the catalogue, save step 1
« Informations » (« Enregistrer » keeps what was typed, « Suivant » also needs the mandatory
fields), confirm step 2 « Justificatifs » (every required document attached), go back to an
earlier step, duplicate a request, delete a draft or a rejected request."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from consignations_shared.contracts.payloads.demandes import DemandeDeleted
from consignations_shared.errors import Conflict, Forbidden, ValidationFailed

from . import request_documents
from .context import Acting, DemandesContext, acting, request_to_act_on, request_to_read
from .domain import catalogue, fields, lifecycle, presentation
from .models import Request
from .views import view

STEP_INFORMATIONS, STEP_JUSTIFICATIFS, STEP_RECAPITULATIF, STEP_CONFIRMATION = 1, 2, 3, 4
NOT_FOR_YOUR_ACCOUNT = "Cette démarche n'est pas accessible à votre type de compte."
NOT_A_DRAFT = "Seule une demande brouillon peut être modifiée."
SAVED_ELSEWHERE = "Cette demande vient d'être modifiée par ailleurs. Rechargez-la avant de l'enregistrer."
VALUES_NOT_A_FORM = "Les informations de la demande sont invalides."
STEP_INVALID = "Étape inconnue : choisissez une étape entre 1 et 3."
STEP_NOT_REACHED = "Vous ne pouvez revenir qu'à une étape déjà remplie."
FINISH_INFORMATIONS = "Complétez d'abord l'étape « Informations » (bouton « Suivant »)."
DOCUMENTS_MISSING = "Il manque des justificatifs obligatoires : {labels}."
DOCUMENTS_PENDING = ("Certains documents déposés n'ont pas été validés (bouton « Valider ») : {names}. "
                     "Validez-les ou supprimez-les.")
NOT_DUPLICABLE = "Une demande rejetée ne peut pas être dupliquée."
NOT_DELETABLE = "Seules les demandes brouillons et les demandes rejetées peuvent être supprimées."
ONCE_ONLY_STATES = (lifecycle.SUBMITTED, lifecycle.AWAITING_COMPLEMENT, lifecycle.AWAITING_FUNDS, lifecycle.VALIDATED)


def _check_procedure_for(who: Acting, code: Any) -> catalogue.Procedure:
    procedure = catalogue.procedure(code)
    if procedure.audience != who.account_kind:
        raise Forbidden(NOT_FOR_YOUR_ACCOUNT)
    return procedure


def refuse_second_once_only(ctx: DemandesContext, procedure: catalogue.Procedure, person_id: str,
                            *, except_id: str | None = None, lock: bool = False) -> None:
    """DM-4: an ARS request is made once only; a second one is refused while one is transmitted or
    validated. With `lock`, the person's requests of the procedure stay locked until the caller's
    transaction ends, so two drafts submitted at once cannot both pass."""
    if not procedure.once_only:
        return
    query = select(Request.id, Request.state).where(
        Request.owner_person_id == person_id, Request.procedure_code == procedure.code,
        Request.deleted_at.is_(None)).order_by(Request.id)
    if lock:
        query = query.with_for_update()
    for request_id, state in ctx.session.execute(query):
        if request_id != except_id and state in ONCE_ONLY_STATES:
            raise Conflict(procedure.rule("once_per_person")["message"], None, "already_requested")


def _new_request(ctx: DemandesContext, who: Acting, procedure: catalogue.Procedure, values: dict,
                 duplicated_from: str | None = None) -> Request:
    now = ctx.clock.now()
    request = Request(id=str(uuid.uuid4()), procedure_code=procedure.code, sens=procedure.sens,
                      account_id=who.account_id, owner_person_id=who.person_id, created_by=who.person_id,
                      state=lifecycle.DRAFT, step=STEP_INFORMATIONS, values=values, created_at=now,
                      updated_at=now, state_changed_at=now, duplicated_from_id=duplicated_from,
                      amount=_amount_of(values))
    ctx.session.add(request)
    return request


def _amount_of(values: dict) -> Decimal | None:
    amount = values.get("amount")
    return Decimal(str(amount)) if amount not in (None, "") else None


def _commit(ctx: DemandesContext) -> None:
    try:
        ctx.session.commit()
    except StaleDataError:
        ctx.session.rollback()
        raise Conflict(SAVED_ELSEWHERE) from None


def create_draft(ctx: DemandesContext, person: Any, procedure_code: Any) -> dict[str, Any]:
    who = acting(ctx, person).require_can_act()
    procedure = _check_procedure_for(who, procedure_code)
    refuse_second_once_only(ctx, procedure, who.person_id)
    request = _new_request(ctx, who, procedure, {})
    ctx.session.commit()
    return view(request, who=who, owner_name=who.name)


def _draft_to_change(ctx: DemandesContext, who: Acting, request_id: Any, *, lock: bool = False) -> Request:
    request = request_to_act_on(ctx, who, request_id, lock=lock)
    if request.state != lifecycle.DRAFT:
        raise Conflict(NOT_A_DRAFT)
    return request


def save_step(ctx: DemandesContext, person: Any, request_id: Any, values: Any, complete: bool = False) -> dict[str, Any]:
    who = acting(ctx, person)
    request = _draft_to_change(ctx, who, request_id)
    if not isinstance(values, dict):
        raise ValidationFailed(VALUES_NOT_A_FORM)
    procedure = catalogue.procedure(request.procedure_code)
    clean = fields.require_valid(procedure, values, complete=complete is True, today=ctx.today())
    request.values = fields.to_json(clean)
    request.amount = _amount_of(request.values)
    request.updated_at = ctx.clock.now()
    if complete is True:
        request.step = STEP_JUSTIFICATIFS
    _commit(ctx)
    return view(request, who=who)


def check_documents(procedure: catalogue.Procedure, values: dict, documents: list[dict]) -> None:
    """ValidationFailed unless every required document is attached and none waits for « Valider »."""
    pending = presentation.pending_documents(documents)
    if pending:
        message = DOCUMENTS_PENDING.format(names=", ".join(pending))
        raise ValidationFailed(message, {"documents": message})
    missing = presentation.missing_documents(procedure, values, documents)
    if missing:
        message = DOCUMENTS_MISSING.format(labels=", ".join(missing))
        raise ValidationFailed(message, {"documents": message})


def checked_documents(ctx: DemandesContext, procedure: catalogue.Procedure, values: dict,
                      request_id: str) -> list[dict]:
    """The request's documents, once check_documents accepts them. The read model of documents'
    events answers first, without a call; only when it refuses does the documents service, their
    owner, decide — the read model may not have seen yet a document attached a moment ago. A pass
    cannot be stale in a way the call avoided: nothing locks documents across services, so a
    document deleted just after the call was answered was always possible too."""
    documents = request_documents.documents_of(ctx.session, request_id)
    try:
        check_documents(procedure, values, documents)
    except ValidationFailed:
        ctx.session.commit()  # nothing held while the documents service answers
        documents = ctx.documents.documents_of_owner("demandes", request_id)
        check_documents(procedure, values, documents)
    return documents


def confirm_documents(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """« Suivant » of step 2: the required justificatifs are attached; the draft moves to step 3."""
    who = acting(ctx, person)
    request = _draft_to_change(ctx, who, request_id)
    if request.step < STEP_JUSTIFICATIFS:
        raise Conflict(FINISH_INFORMATIONS)
    procedure = catalogue.procedure(request.procedure_code)
    values, version = dict(request.values or {}), request.version
    checked_documents(ctx, procedure, values, request.id)
    request = _draft_to_change(ctx, who, request_id, lock=True)
    if request.version != version:
        raise Conflict(SAVED_ELSEWHERE)
    request.step = STEP_RECAPITULATIF
    request.updated_at = ctx.clock.now()
    _commit(ctx)
    return view(request, who=who)


def go_to_step(ctx: DemandesContext, person: Any, request_id: Any, step: Any) -> dict[str, Any]:
    """« Précédent » / the breadcrumb: back to a step already reached (the draft resumes there)."""
    who = acting(ctx, person)
    request = _draft_to_change(ctx, who, request_id)
    if isinstance(step, bool) or not isinstance(step, int) or not STEP_INFORMATIONS <= step <= STEP_RECAPITULATIF:
        raise ValidationFailed(STEP_INVALID, {"step": STEP_INVALID})
    if step > request.step:
        raise Conflict(STEP_NOT_REACHED)
    request.step = step
    request.updated_at = ctx.clock.now()
    _commit(ctx)
    return view(request, who=who)


def duplicate(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """A new draft from a request (DM-8), owned by the person who duplicates it."""
    who = acting(ctx, person)
    source = request_to_act_on(ctx, who, request_id)
    if not presentation.can_duplicate(source.state):
        raise Conflict(NOT_DUPLICABLE)
    procedure = _check_procedure_for(who, source.procedure_code)
    refuse_second_once_only(ctx, procedure, who.person_id)
    values = presentation.duplicate_values(procedure, dict(source.values or {}), source.state)
    request = _new_request(ctx, who, procedure, values, duplicated_from=source.id)
    ctx.session.commit()
    return view(request, who=who, owner_name=who.name)


def delete(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """Drafts and rejected requests only; kept in the database (history, numbering) but gone from
    every list, and reported as `demande_deleted` (its documents can then be purged)."""
    who = acting(ctx, person)
    request = request_to_act_on(ctx, who, request_id)
    if not presentation.can_delete(request.state):
        raise Conflict(NOT_DELETABLE)
    now = ctx.clock.now()
    request.deleted_at, request.deleted_by, request.updated_at = now, who.person_id, now
    ctx.outbox.publish(ctx.session, DemandeDeleted(
        demande_id=request.id, number=request.number, account_id=request.account_id,
        state=request.state, deleted_by=who.person_id, deleted_at=now.isoformat()))
    _commit(ctx)
    return {"status": "deleted", "id": request.id}


def detail_request(ctx: DemandesContext, who: Acting, request_id: Any) -> Request:
    return request_to_read(ctx, who, request_id)
