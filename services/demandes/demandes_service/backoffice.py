"""The back office (SPEC BO-1, BO-2): the gestionnaires' queue of transmitted requests, a
request's full detail, and their decisions — request a complement, wait for funds, funds
received, validate (the signed payment proof is issued), reject. Every decision is a lifecycle
transition recorded with the gestionnaire's identity (history, audit log, event)."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from consignations_shared.errors import Conflict, ValidationFailed
from consignations_shared.validation import check_text

from . import request_documents, threads, transitions
from .board import PER_PAGE_DEFAULT, PER_PAGE_MAX, bounded_int, paris_midnight, unread_counts
from .context import DemandesContext, full_name, staff_actor, transmitted_request
from .domain import catalogue, lifecycle, presentation
from .document_rights import REVIEWABLE_STATES
from .domain.fields import parse_date
from .models import Message, Request
from .pdfs import ask_for_proof
from .transitions import change_state
from .views import iso, people_of_account, state_label, view

audit = logging.getLogger("demandes.audit")

REASON_REQUIRED = "Le motif est obligatoire."
NOTHING_FLAGGED = ("Marquez au moins un document « non conforme », avec son motif, avant de demander un "
                   "complément.")
NOT_ALL_REVIEWED = "Contrôlez chaque document (conforme ou non conforme) avant de valider la demande : {labels}."
NON_CONFORMING_LEFT = "Des documents sont non conformes : demandez un complément ou rejetez la demande."
CHANGED_MEANWHILE = "Cette demande vient d'être modifiée par ailleurs. Rechargez-la."
REVIEWED = ("conforme", "non_conforme")  # the documents service says "pending" until then
QUEUE_STATES = (lifecycle.SUBMITTED, lifecycle.AWAITING_COMPLEMENT, lifecycle.AWAITING_FUNDS,
                lifecycle.VALIDATED, lifecycle.REJECTED)
QUEUE_FILTERS = ("state", "procedure_code", "sens", "date_from", "date_to", "number", "client_name")
QUEUE_SORTS = {"submitted_at": Request.submitted_at, "number": Request.number, "client_name": Request.client_name,
               "state": Request.state, "procedure": Request.procedure_code, "amount": Request.amount}


# --- BO-1 queue and detail ------------------------------------------------------------------------

def _queue_filters(raw: dict) -> tuple[list, dict[str, str]]:
    where, errors = [], {}
    for name, value in raw.items():
        if name not in QUEUE_FILTERS:
            errors[name] = "Ce filtre n'existe pas."
            continue
        if value in (None, ""):
            continue
        if name == "state":
            states = [s for s in str(value).split(",") if s]
            if not states or any(s not in QUEUE_STATES for s in states):
                errors[name] = "État inconnu."
            else:
                where.append(Request.state.in_(states))
        elif name == "procedure_code":
            if value not in catalogue.PROCEDURES:
                errors[name] = catalogue.PROCEDURE_UNKNOWN
            else:
                where.append(Request.procedure_code == value)
        elif name == "sens":
            if value not in ("C", "D"):
                errors[name] = "Sens inconnu (C ou D)."
            else:
                where.append(Request.sens == value)
        elif name in ("date_from", "date_to"):
            try:
                day: date = parse_date(value)
            except Exception:  # fields._Invalid: the same French message as the board
                errors[name] = "Date invalide (format attendu : JJ/MM/AAAA)."
                continue
            where.append(Request.submitted_at >= paris_midnight(day) if name == "date_from"
                         else Request.submitted_at < paris_midnight(day + timedelta(days=1)))
        elif name == "number":
            if not str(value).isdigit() or len(str(value)) > 15:
                errors[name] = "Le numéro de demande ne contient que des chiffres (15 au plus)."
            else:
                where.append(Request.number.startswith(str(value)))
        elif name == "client_name":
            text = str(value).strip()
            if len(text) > 100:
                errors[name] = "Le nom du client ne doit pas dépasser 100 caractères."
            else:
                escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                where.append(func.lower(Request.client_name).like(f"%{escaped.lower()}%", escape="\\"))
    return where, errors


def sort_and_order(raw: dict, errors: dict[str, str]) -> tuple[str, str]:
    """The queue's `sort` and `order`, taken out of `raw` (an unknown one goes to `errors`)."""
    sort = raw.pop("sort", None) or "submitted_at"
    if sort not in QUEUE_SORTS:
        errors["sort"] = "Tri inconnu."
    order = raw.pop("order", None) or "asc"  # oldest first: first come, first served
    if order not in ("asc", "desc"):
        errors["order"] = "Ordre de tri inconnu (asc ou desc)."
    return sort, order


def selection(raw: dict, errors: dict[str, str]) -> list:
    """The queue's WHERE clause from its filters (`raw` holds nothing else: any other parameter
    is refused); raises ValidationFailed with `errors` and the filters' own. Without a state, the
    requests waiting for the back office; never a deleted request."""
    where, filter_errors = _queue_filters(raw)
    errors.update(filter_errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values())) if len(errors) == 1 else
                               "Certains critères de recherche sont invalides.", errors)
    if not raw.get("state"):  # by default, the requests waiting for the back office
        where.append(Request.state.in_((lifecycle.SUBMITTED, lifecycle.AWAITING_COMPLEMENT, lifecycle.AWAITING_FUNDS)))
    where.append(Request.deleted_at.is_(None))
    return where


def ordering(sort: str, order: str) -> list:
    """The queue's order: the sorted column (empty values last), then the id (a total order)."""
    column = QUEUE_SORTS[sort]
    return [column.asc().nulls_last() if order == "asc" else column.desc().nulls_last(), Request.id]


def queue(ctx: DemandesContext, person: Any, raw_query: Any) -> dict[str, Any]:
    actor = staff_actor(person)
    raw = dict(raw_query) if isinstance(raw_query, dict) else {}
    errors: dict[str, str] = {}
    sort, order = sort_and_order(raw, errors)
    try:
        page = bounded_int(raw.pop("page", None), 1, "Le numéro de page doit être un entier positif.", "page", 1)
        per_page = bounded_int(raw.pop("per_page", None), PER_PAGE_DEFAULT,
                        f"Le nombre de demandes par page doit être compris entre 1 et {PER_PAGE_MAX}.",
                        "per_page", 1, PER_PAGE_MAX)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        page, per_page = 1, PER_PAGE_DEFAULT
    where = selection(raw, errors)
    total = ctx.session.execute(select(func.count()).select_from(Request).where(*where)).scalar_one()
    rows = list(ctx.session.execute(select(Request).where(*where).order_by(*ordering(sort, order))
                                    .limit(per_page).offset((page - 1) * per_page)).scalars())
    unread = unread_counts(ctx, actor.person_id, [r.id for r in rows], authors=("CLIENT",))
    ctx.session.commit()
    items = [{
        "id": r.id, "number": r.number, "sens": r.sens, "procedure_code": r.procedure_code,
        "procedure_label": catalogue.procedure(r.procedure_code).label, "client_name": r.client_name,
        "submitted_at": iso(r.submitted_at), "state": r.state, "state_label": state_label(r),
        "amount": presentation.amount_display(catalogue.procedure(r.procedure_code), r.values or {}),
        "unread_messages": unread.get(r.id, 0),
    } for r in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "pages": max(1, -(-total // per_page)), "sort": sort, "order": order}


def detail(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """Everything a gestionnaire needs to decide: the data, the documents with their review, the
    history with who decided, the decisions possible now."""
    staff_actor(person)
    request = transmitted_request(ctx, request_id)
    history = transitions.history(ctx, request.id, for_staff=True)
    messages = threads.thread(ctx, request.id, str(person["id"]), for_staff=True, mark_read=False)
    people = people_of_account(ctx, request.account_id)
    documents = request_documents.documents_of(ctx.session, request.id)  # the read model
    owner = people.get(request.owner_person_id)
    return {**view(request, owner_name=full_name(owner)), "client_name": request.client_name,
            "account_id": request.account_id, "history": history, "documents": documents,
            "messages": messages,
            "decisions": lifecycle.staff_decisions(request.state, request.sens),
            "can_review": request.state in REVIEWABLE_STATES}


# --- BO-2 decisions ---------------------------------------------------------------------------------

def message_attachments(ctx: DemandesContext, request_id: str) -> set[str]:
    """Ids of the files joined to the request's messages (MS-6): not justificatifs to review."""
    rows = ctx.session.execute(select(Message.attachments).where(Message.request_id == request_id)).scalars()
    return {document_id for attachments in rows for document_id in (attachments or [])}


def _reason(value: Any, *, required: bool) -> str | None:
    return check_text(value, field="reason", label="Le motif", max_length=1000, required=required) or None


def _decide(ctx: DemandesContext, person: Any, request_id: Any, target: str, *, reason: str | None = None,
            check=None, also=None) -> Request:
    """Locks the request, runs `check(request, documents)`, changes its state, runs
    `also(request)` in the same transaction (what must happen because of the change), commits."""
    actor = staff_actor(person)
    request = transmitted_request(ctx, request_id)
    lifecycle.transition(request.state, target, request.sens)  # refuse early, before asking documents
    version = request.version
    ctx.session.commit()
    documents = ctx.documents.documents_of_owner("demandes", request.id) if check else []
    extra = check(request, documents) if check else {}
    request = transmitted_request(ctx, request_id, lock=True)
    if request.version != version:
        ctx.session.rollback()
        raise Conflict(CHANGED_MEANWHILE)
    change_state(ctx, request, target, actor, reason=reason, **(extra or {}))
    if also is not None:
        also(request)
    try:
        ctx.session.commit()
    except StaleDataError:
        ctx.session.rollback()
        raise Conflict(CHANGED_MEANWHILE) from None
    audit.info("decision", extra={"demande_id": request.id, "number": request.number, "to_state": target,
                                  "gestionnaire_id": actor.person_id, "reason": reason})
    return request


def request_complement(ctx: DemandesContext, person: Any, request_id: Any, reason: Any = None) -> dict[str, Any]:
    """→ AWAITING_COMPLEMENT: the documents marked non conforme (with their reasons) go in the
    event, and so in the NO-9 e-mail; the client sees them in red and replaces them (DO-5)."""
    def flagged(request, documents):
        non_conforming = presentation.non_conforming(documents)
        if not non_conforming:
            raise ValidationFailed(NOTHING_FLAGGED, {"documents": NOTHING_FLAGGED})
        return {"non_conforming_documents": [
            {"document_id": d["id"], "label": d.get("kind_label") or d.get("kind"),
             "reason": (d.get("review") or {}).get("reason") or ""} for d in non_conforming]}

    request = _decide(ctx, person, request_id, lifecycle.AWAITING_COMPLEMENT,
                      reason=_reason(reason, required=False), check=flagged)
    return view(request)


def await_funds(ctx: DemandesContext, person: Any, request_id: Any, reason: Any = None) -> dict[str, Any]:
    return view(_decide(ctx, person, request_id, lifecycle.AWAITING_FUNDS, reason=_reason(reason, required=False)))


def funds_received(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """AWAITING_FUNDS → SUBMITTED: the funds arrived, the review goes on."""
    return view(_decide(ctx, person, request_id, lifecycle.SUBMITTED, reason="Fonds reçus."))


def reject(ctx: DemandesContext, person: Any, request_id: Any, reason: Any) -> dict[str, Any]:
    """→ REJECTED with a reason (NO-11 carries it to the client)."""
    return view(_decide(ctx, person, request_id, lifecycle.REJECTED, reason=_reason(reason, required=True)))


def validate(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """→ VALIDATED once every document is reviewed conforme. The signed payment proof (DO-8) is
    asked for in the same transaction (pdfs.ask_for_proof) and issued right after, out of the
    gestionnaire's call: rendering and signing take a while, and the documents service may be
    away; its event brings the NO-10 e-mail and the board then shows « Justificatif de
    déconsignation disponible »."""
    def all_conforming(request, documents):
        in_messages = message_attachments(ctx, request.id)
        client_documents = [d for d in documents if not d.get("generated") and d.get("status") == "attached"
                            and d["id"] not in in_messages]
        unreviewed = [d.get("kind_label") or d.get("kind") for d in client_documents
                      if (d.get("review") or {}).get("status") not in REVIEWED]
        if unreviewed:
            message = NOT_ALL_REVIEWED.format(labels=", ".join(unreviewed))
            raise ValidationFailed(message, {"documents": message})
        if presentation.non_conforming(documents):
            raise ValidationFailed(NON_CONFORMING_LEFT, {"documents": NON_CONFORMING_LEFT})
        return {}

    request = _decide(ctx, person, request_id, lifecycle.VALIDATED, check=all_conforming,
                      also=lambda validated: ask_for_proof(ctx, validated, person))
    return view(request)
