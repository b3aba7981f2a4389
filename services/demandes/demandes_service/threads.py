"""Message threads of requests (SPEC MS-1..MS-6, BO-3): a gestionnaire opens a message (one of
the five subjects, attachments allowed), the client replies (never edits), unread counts and
« marquer comme non lu », the personal-data guard on replies, and the automatic reminders."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from consignations_shared.clock import as_utc
from consignations_shared.contracts.payloads.demandes import MessagePosted, ThreadMessageRead
from consignations_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

from . import request_documents
from .board import total_unread
from .context import (Acting, DemandesContext, acting, load_request, request_to_read, staff_actor,
                      transmitted_request, visible_to)
from .document_rights import client_may_add_documents
from .domain import lifecycle, messaging, personal_data, reminders
from .models import Message, MessageRead, Request
from .transitions import CLIENT, GESTIONNAIRE, SYSTEM, Actor
from .views import iso

NO_THREAD_YET = "Vous pourrez répondre dès que le service des consignations vous aura écrit sur cette demande."
NOT_IN_THREAD = "Ce message n'appartient pas à cette demande."
UNKNOWN_MESSAGE = "Ce message est introuvable."
DRAFT_NO_THREAD = "Une demande brouillon n'a pas de messagerie."
ATTACHMENT_UNKNOWN = "Une pièce jointe est introuvable dans les documents de cette demande."
TOO_MANY_ATTACHMENTS = "Cinq pièces jointes au plus par message."
READ_ONLY_REPLY = "Votre profil « Consultation » permet de lire les messages, pas d'y répondre."
BACK_OFFICE = "Service des consignations"
MAX_ATTACHMENTS = 5


def _message_view(message: Message, read_ids: set[str], *, for_staff: bool,
                  files: dict[str, dict] | None = None) -> dict[str, Any]:
    return {
        "id": message.id, "demande_id": message.request_id, "author_role": message.author_role,
        # Clients see the service, not the gestionnaire's name.
        "author": message.author_name if (for_staff or message.author_role == CLIENT) else BACK_OFFICE,
        "subject_code": message.subject_code, "subject": message.subject, "body": message.body,
        "in_reply_to": message.in_reply_to, "attachments": list(message.attachments or []),
        "attachment_files": [_attachment_file(document_id, (files or {}).get(document_id))
                             for document_id in message.attachments or []],
        "posted_at": iso(message.posted_at), "read": message.id in read_ids,
    }


def _attachment_file(document_id: str, document: dict | None) -> dict[str, Any]:
    """What a reader needs to download an attachment (MS-6): its file name as the documents
    service keeps it (None once the document has been replaced by a newer version)."""
    document = document or {}
    return {"id": document_id, "file_name": document.get("file_name"), "kind_label": document.get("kind_label"),
            "download_path": document.get("download_path") or f"/api/documents/{document_id}/content"}


def _files_of(ctx: DemandesContext, request_id: str, messages: list[Message]) -> dict[str, dict]:
    """The request's current documents by id (the read model), when a message of the thread has
    attachments."""
    if not any(m.attachments for m in messages):
        return {}
    return {d["id"]: d for d in request_documents.documents_of(ctx.session, request_id)}


def thread(ctx: DemandesContext, request_id: str, reader_id: str, *, for_staff: bool,
           mark_read: bool = True) -> list[dict[str, Any]]:
    """The thread, oldest first. With `mark_read`, the messages of the other side are marked read
    by this reader (reading the thread is opening it) and reported once as `message_read`."""
    messages = list(ctx.session.execute(select(Message).where(Message.request_id == request_id)
                                        .order_by(Message.posted_at, Message.id)).scalars())
    read_ids = set(ctx.session.execute(select(MessageRead.message_id).where(
        MessageRead.person_id == reader_id, MessageRead.message_id.in_([m.id for m in messages]))).scalars())
    files = _files_of(ctx, request_id, messages)
    views = [_message_view(m, read_ids, for_staff=for_staff, files=files) for m in messages]
    if not mark_read:
        return views
    other_side = (CLIENT,) if for_staff else (GESTIONNAIRE, SYSTEM)
    now = ctx.clock.now()
    for message in messages:
        if message.author_role in other_side and message.id not in read_ids:
            ctx.session.add(MessageRead(message_id=message.id, person_id=reader_id, read_at=now))
            ctx.outbox.publish(ctx.session, ThreadMessageRead(
                demande_id=request_id, message_id=message.id, reader_person_id=reader_id,
                reader_role=GESTIONNAIRE if for_staff else CLIENT, read_at=now.isoformat()))
    ctx.session.commit()
    return views


def _check_attachments(ctx: DemandesContext, request: Request, attachment_ids: Any) -> dict[str, dict]:
    """The documents joined to a new message, by id in the order given: attached documents of
    this request, five at most."""
    if attachment_ids in (None, []):
        return {}
    if not isinstance(attachment_ids, list) or not all(isinstance(i, str) for i in attachment_ids):
        raise ValidationFailed(ATTACHMENT_UNKNOWN, {"attachments": ATTACHMENT_UNKNOWN})
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise ValidationFailed(TOO_MANY_ATTACHMENTS, {"attachments": TOO_MANY_ATTACHMENTS})
    ctx.session.commit()  # nothing held while the documents service answers
    known = {d["id"]: d for d in ctx.documents.documents_of_owner("demandes", request.id)
             if d.get("status") == "attached"}
    if not set(attachment_ids) <= known.keys():
        raise ValidationFailed(ATTACHMENT_UNKNOWN, {"attachments": ATTACHMENT_UNKNOWN})
    return {document_id: known[document_id] for document_id in attachment_ids}


def _post(ctx: DemandesContext, request: Request, actor: Actor, *, subject_code: str | None, subject: str,
          body: str, attachments: list[str] | dict[str, dict], in_reply_to: str | None = None) -> Message:
    now = ctx.clock.now()
    message = Message(id=str(uuid.uuid4()), request_id=request.id, author_role=actor.role,
                      author_person_id=actor.person_id, author_name=actor.name, subject_code=subject_code,
                      subject=subject, body=body, in_reply_to=in_reply_to, attachments=list(attachments), posted_at=now)
    ctx.session.add(message)
    if actor.person_id:  # the author has read their own message
        ctx.session.add(MessageRead(message_id=message.id, person_id=actor.person_id, read_at=now))
    # The subject may be typed by a gestionnaire but never carries client data; the body never
    # travels in the event (MS-5: replies could; the notifier only names the request).
    ctx.outbox.publish(ctx.session, MessagePosted(
        demande_id=request.id, number=request.number, message_id=message.id,
        author_role=actor.role, subject=subject, subject_code=subject_code,
        owner_person_id=request.owner_person_id, account_id=request.account_id,
        attachments=len(attachments), posted_at=now.isoformat()))
    return message


# --- gestionnaires (BO-3) -----------------------------------------------------------------------

def staff_post(ctx: DemandesContext, person: Any, request_id: Any, subject_code: Any, free_subject: Any,
               body: Any, attachment_ids: Any = None) -> dict[str, Any]:
    actor = staff_actor(person)
    request = transmitted_request(ctx, request_id)
    subject, clean_body = messaging.check_new_message(subject_code, free_subject, body)
    attachments = _check_attachments(ctx, request, attachment_ids)
    request = transmitted_request(ctx, request_id)
    message = _post(ctx, request, actor, subject_code=subject_code, subject=subject, body=clean_body,
                    attachments=attachments)
    ctx.session.commit()
    return _message_view(message, {message.id}, for_staff=True, files=attachments)


def staff_thread(ctx: DemandesContext, person: Any, request_id: Any) -> list[dict[str, Any]]:
    actor = staff_actor(person)
    request = transmitted_request(ctx, request_id)
    return thread(ctx, request.id, actor.person_id, for_staff=True)


# --- clients (MS-2, MS-4, MS-5) ---------------------------------------------------------------------

def _readable(ctx: DemandesContext, who: Acting, request_id: Any) -> Request:
    request = request_to_read(ctx, who, request_id)
    if request.state == lifecycle.DRAFT:
        raise NotFound(DRAFT_NO_THREAD)
    return request


def client_thread(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    who = acting(ctx, person)
    request = _readable(ctx, who, request_id)
    messages = thread(ctx, request.id, who.person_id, for_staff=False)
    can_reply = not who.read_only and any(m["author_role"] != CLIENT for m in messages)
    # A reply may carry files while the client may still add documents to the request (MS-6).
    can_attach = can_reply and client_may_add_documents(request.state, lambda: True)  # can_reply: thread opened
    return {"demande_id": request.id, "number": request.number, "messages": messages, "can_reply": can_reply,
            "can_attach": can_attach, "max_attachments": MAX_ATTACHMENTS}


def reply(ctx: DemandesContext, person: Any, request_id: Any, body: Any, in_reply_to: Any = None,
          attachment_ids: Any = None) -> dict[str, Any]:
    """A client's reply. With personal data in it (MS-5), nothing is stored nor forwarded: the
    answer is the warning, on the `body` field."""
    who = acting(ctx, person)
    if who.read_only:
        raise Forbidden(READ_ONLY_REPLY)
    request = _readable(ctx, who, request_id)
    clean_body = messaging.check_reply(body)
    if personal_data.contains_personal_data(clean_body):
        raise ValidationFailed(personal_data.PERSONAL_DATA_WARNING,
                               {"body": personal_data.PERSONAL_DATA_WARNING}, "personal_data")
    opened = list(ctx.session.execute(select(Message).where(
        Message.request_id == request.id, Message.author_role.in_((GESTIONNAIRE, SYSTEM)))
        .order_by(Message.posted_at.desc())).scalars())
    if not opened:
        raise Conflict(NO_THREAD_YET)
    if in_reply_to is not None:
        answered = next((m for m in opened if m.id == in_reply_to), None)
        if answered is None:
            raise ValidationFailed(NOT_IN_THREAD, {"in_reply_to": NOT_IN_THREAD})
    else:
        answered = opened[0]
    attachments = _check_attachments(ctx, request, attachment_ids)
    request = request_to_read(ctx, who, request_id)
    message = _post(ctx, request, Actor(CLIENT, who.person_id, who.name), subject_code=None,
                    subject=f"RE : {answered.subject}", body=clean_body, attachments=attachments,
                    in_reply_to=answered.id)
    ctx.session.commit()
    return _message_view(message, {message.id}, for_staff=False, files=attachments)


def mark_unread(ctx: DemandesContext, person: Any, message_id: Any) -> dict[str, Any]:
    """« Marquer comme non lu » (MS-4), for clients and gestionnaires alike."""
    message = ctx.session.get(Message, message_id) if isinstance(message_id, str) and len(message_id) <= 36 else None
    if message is None:
        raise NotFound(UNKNOWN_MESSAGE)
    if isinstance(person, dict) and person.get("is_staff"):
        reader = staff_actor(person).person_id
        transmitted_request(ctx, message.request_id)
    else:
        who = acting(ctx, person)
        request = load_request(ctx, message.request_id)
        if request is None or not visible_to(who, request):
            raise NotFound(UNKNOWN_MESSAGE)
        reader = who.person_id
    ctx.session.execute(delete(MessageRead).where(MessageRead.message_id == message.id,
                                                  MessageRead.person_id == reader))
    ctx.session.commit()
    return {"id": message.id, "read": False}


def unread_total(ctx: DemandesContext, person: Any) -> dict[str, int]:
    """The portal header's count of unread messages (MS-4)."""
    return {"unread": total_unread(ctx, acting(ctx, person))}


# --- automatic reminders (issue 7) -----------------------------------------------------------------

def post_due_reminders(ctx: DemandesContext, *, first_after_days: int, second_after_days: int,
                       limit: int = 500) -> list[dict[str, str]]:
    """Posts the 1st / 2nd « relance » of every request waiting for a complement or funds long
    enough. Each request is re-read under lock before posting, so two runs at once (two
    instances, an operator and the timer) never post the same reminder twice."""
    reminders.check_delays(first_after_days, second_after_days)
    now = ctx.clock.now()
    candidates = list(ctx.session.execute(
        select(Request.id).where(Request.state.in_(tuple(reminders.REMINDER_SUBJECTS)),
                                 Request.deleted_at.is_(None)).order_by(Request.state_changed_at).limit(limit)
    ).scalars())
    ctx.session.commit()
    posted = []
    for request_id in candidates:
        request = load_request(ctx, request_id, lock=True)
        code = _due(ctx, request, now, first_after_days, second_after_days) if request else None
        if code is None:
            ctx.session.rollback()
            continue
        _post(ctx, request, Actor(SYSTEM, None, BACK_OFFICE), subject_code=code,
              subject=messaging.SUBJECT_LABELS[code], body=messaging.default_body(code, request.number),
              attachments=[])
        ctx.session.commit()
        posted.append({"demande_id": request.id, "number": request.number, "subject_code": code})
    return posted


def _due(ctx: DemandesContext, request: Request, now: datetime, first: int, second: int) -> str | None:
    if request.state not in reminders.REMINDER_SUBJECTS or request.state_changed_at is None:
        return None
    entered = as_utc(request.state_changed_at)
    sent = {code: as_utc(at) for code, at in ctx.session.execute(
        select(Message.subject_code, Message.posted_at).where(
            Message.request_id == request.id, Message.subject_code.in_(messaging.REMINDERS),
            Message.posted_at >= request.state_changed_at))}
    first_code = reminders.REMINDER_SUBJECTS[request.state][0]
    return reminders.due_reminder(request.state, entered, sent.keys(), now, first_after_days=first,
                                  second_after_days=second, first_posted_at=sent.get(first_code))
