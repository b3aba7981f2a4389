"""Submitting a draft (SPEC DM-5) and sending a complement back (DO-5).

A submission checks everything first (the person's right to submit, the fields, the documents:
drafts.checked_documents, the read model first, the documents service when it refuses),
then, in one transaction: locks the draft, re-checks the once-only rule under lock, takes the next
number of the month (numbering.allocate: no gap, no duplicate), records the transition and writes
`demande_submitted` to the outbox, with the command that has the documents service render the
summary of the transmitted version (pdfs.ask_for_summary, DO-7). The notifier sends the
confirmation e-mail (NO-8) from that event. An `Idempotency-Key` makes a retried submission answer the first one's result."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from consignations_shared.contracts.payloads.demandes import DemandeSubmitted
from consignations_shared.errors import Conflict, Forbidden, ValidationFailed

from . import numbering, pdfs
from .context import Acting, DemandesContext, acting, request_to_act_on
from .domain import catalogue, fields, lifecycle, presentation
from .drafts import SAVED_ELSEWHERE, STEP_CONFIRMATION, check_documents, checked_documents, refuse_second_once_only
from .models import Request, SubmissionKey
from .transitions import CLIENT, Actor, change_state
from .views import view

NO_SUBMIT_RIGHT = ("Votre administrateur vous a retiré le droit de soumettre des demandes : vous pouvez "
                   "préparer cette demande, un administrateur de votre compte la transmettra.")
ALREADY_SUBMITTED = "Cette demande a déjà été transmise (n° {number})."
NOT_A_DRAFT = "Seule une demande brouillon peut être transmise."
KEY_INVALID = "En-tête Idempotency-Key invalide (1 à 100 caractères : lettres, chiffres, - _ . :)."
KEY_REUSED = "Cette clé d'idempotence a déjà servi à transmettre une autre demande."
NOT_AWAITING_COMPLEMENT = "Cette demande n'est pas en attente de complément."
STILL_NON_CONFORMING = ("Remplacez d'abord les documents signalés non conformes : {labels}.")
COMPLEMENT_SENT = "Compléments transmis par le client."
_KEY = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")


def _key(idempotency_key: Any) -> str | None:
    if idempotency_key is None or idempotency_key == "":
        return None
    if not isinstance(idempotency_key, str) or not _KEY.fullmatch(idempotency_key):
        raise ValidationFailed(KEY_INVALID, {"Idempotency-Key": KEY_INVALID})
    return idempotency_key


def _replay(ctx: DemandesContext, who: Acting, key: str, request_id: Any) -> dict[str, Any] | None:
    """The answer of the first submission made with this key, if there was one."""
    used = ctx.session.get(SubmissionKey, (who.person_id, key), populate_existing=True)
    if used is None:
        return None
    if used.request_id != request_id:
        raise Conflict(KEY_REUSED, None, "idempotency_key_reused")
    return view(ctx.session.get(Request, used.request_id), who=who, owner_name=who.name)


def _actor(who: Acting) -> Actor:
    return Actor(role=CLIENT, person_id=who.person_id, name=who.name)


def submit(ctx: DemandesContext, person: Any, request_id: Any, idempotency_key: Any = None) -> dict[str, Any]:
    who = acting(ctx, person)
    key = _key(idempotency_key)
    if key and (answer := _replay(ctx, who, key, request_id)) is not None:
        return answer
    # Locked until this transaction ends: a second submission of the same draft waits here, then
    # finds it transmitted.
    request = request_to_act_on(ctx, who, request_id, lock=True)
    if request.state != lifecycle.DRAFT:
        # A first call with the same key (its caller gave up waiting, this is the retry) may have
        # committed since the look-up above: its answer, not « already submitted ».
        if key and (answer := _replay(ctx, who, key, request_id)) is not None:
            return answer
        raise Conflict(ALREADY_SUBMITTED.format(number=request.number) if request.number else NOT_A_DRAFT,
                       None, "already_submitted")
    if not who.can_submit:
        raise Forbidden(NO_SUBMIT_RIGHT)
    procedure = catalogue.procedure(request.procedure_code)
    fields.require_valid(procedure, dict(request.values or {}), complete=True, today=ctx.today())
    refuse_second_once_only(ctx, procedure, request.owner_person_id, except_id=request.id, lock=True)
    values, version = dict(request.values or {}), request.version
    documents = checked_documents(ctx, procedure, values, request.id)
    if not ctx.session.in_transaction():
        # The documents service was asked (checked_documents committed first: nothing is held while
        # another service answers): lock the draft again and make sure it did not change meanwhile.
        request = request_to_act_on(ctx, who, request_id, lock=True)
        if request.state != lifecycle.DRAFT or request.version != version:
            ctx.session.rollback()
            if key and (answer := _replay(ctx, who, key, request_id)) is not None:
                return answer
            raise Conflict(SAVED_ELSEWHERE if request.state == lifecycle.DRAFT else
                           ALREADY_SUBMITTED.format(number=request.number), None, "already_submitted")
        refuse_second_once_only(ctx, procedure, request.owner_person_id, except_id=request.id, lock=True)
    owner, company_name = pdfs.owner_of(ctx, request, who)
    now = ctx.clock.now()
    request.number = numbering.allocate(ctx.session, now)
    request.step = STEP_CONFIRMATION
    # The company for a company account; a particulier always submits their own requests.
    request.client_name = (who.company_name if who.account_kind == "ENTREPRISE" else who.name) or None
    change_state(ctx, request, lifecycle.SUBMITTED, _actor(who))
    ctx.outbox.publish(ctx.session, DemandeSubmitted(
        demande_id=request.id, number=request.number, procedure_code=procedure.code,
        procedure_label=procedure.label, sens=request.sens, owner_person_id=request.owner_person_id,
        account_id=request.account_id, submitted_at=now.isoformat(),
        amount=presentation.amount_for_snapshot(procedure, values),
    ))
    if key:
        ctx.session.add(SubmissionKey(person_id=who.person_id, key=key, request_id=request.id, created_at=now))
    pdfs.ask_for_summary(ctx, request, documents, owner, company_name, person)  # DO-7, off the request path
    try:
        ctx.session.commit()
    except (IntegrityError, StaleDataError):
        # The same key or the same draft, submitted at the same moment by another call: theirs won.
        ctx.session.rollback()
        if key and (answer := _replay(ctx, who, key, request_id)) is not None:
            return answer
        raise Conflict(SAVED_ELSEWHERE, None, "already_submitted") from None
    return view(request, who=who)


def complete(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """« VALIDER » of a complement (DO-5): every document flagged non conforme has been replaced
    (the replacement has no review yet), none waits for « Valider »; back to SUBMITTED."""
    who = acting(ctx, person)
    request = request_to_act_on(ctx, who, request_id)
    if request.state != lifecycle.AWAITING_COMPLEMENT:
        raise Conflict(NOT_AWAITING_COMPLEMENT)
    procedure = catalogue.procedure(request.procedure_code)
    values, version = dict(request.values or {}), request.version
    ctx.session.commit()
    documents = ctx.documents.documents_of_owner("demandes", request.id)
    flagged = presentation.non_conforming(documents)
    if flagged:
        labels = ", ".join(d.get("kind_label") or d.get("kind") for d in flagged)
        message = STILL_NON_CONFORMING.format(labels=labels)
        raise ValidationFailed(message, {"documents": message})
    check_documents(procedure, values, documents)
    owner, company_name = pdfs.owner_of(ctx, request, who)
    request = request_to_act_on(ctx, who, request_id, lock=True)
    if request.state != lifecycle.AWAITING_COMPLEMENT or request.version != version:
        ctx.session.rollback()
        raise Conflict(SAVED_ELSEWHERE)
    change_state(ctx, request, lifecycle.SUBMITTED, _actor(who), reason=COMPLEMENT_SENT)
    pdfs.ask_for_summary(ctx, request, documents, owner, company_name, person)  # DO-7, off the request path
    try:
        ctx.session.commit()
    except StaleDataError:
        ctx.session.rollback()
        raise Conflict(SAVED_ELSEWHERE) from None
    return view(request, who=who)
