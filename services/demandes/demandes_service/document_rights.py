"""Who may do what with the documents of a request: the rule behind `document_grant`, the signed
grant the gateway asks before every read, write or review and passes to the documents service
(consignations_shared.grants, documents_service/contracts.py). DM-9 for reading; writing while the
request is a draft or awaits a complement (DO-2, DO-5), or, once a gestionnaire has written in
its thread, to join documents to a reply (MS-6); reviewing for gestionnaires once the request is
transmitted (DO-4); gestionnaires also join files to their messages (MS-6)."""
from __future__ import annotations

from typing import Any

from consignations_shared import grants
from consignations_shared.errors import Forbidden, NotFound

from sqlalchemy import exists, select

from .context import DemandesContext, acting, load_request, request_to_act_on, request_to_read
from .domain import lifecycle
from .models import Message

UNKNOWN_DOCUMENT = "Ce document est introuvable."
LOCKED = "Cette demande a été transmise : ses justificatifs ne peuvent plus être modifiés."
NOT_TO_REVIEW = "Cette demande n'est pas en cours d'instruction : ses documents ne se contrôlent pas."
PROFILE_CANNOT = "Votre profil ne permet pas cette action."
WRITABLE_STATES = (lifecycle.DRAFT, lifecycle.AWAITING_COMPLEMENT)
REVIEWABLE_STATES = (lifecycle.SUBMITTED, lifecycle.AWAITING_COMPLEMENT, lifecycle.AWAITING_FUNDS)
REPLY_STATES = (lifecycle.SUBMITTED, lifecycle.AWAITING_FUNDS)


def document_grant(ctx: DemandesContext, grant_key: bytes, person: Any, request_id: Any, action: Any,
                   document_id: Any = None) -> dict[str, str]:
    """{"grant": token} when `authorize_document` allows it; its refusal otherwise."""
    return grants.grant_for(grant_key, ctx.clock.now(), owner_service="demandes", owner_id=request_id,
                            person=person, action=action, document_id=document_id,
                            rule=lambda: authorize_document(ctx, request_id, person, action))


def authorize_document(ctx: DemandesContext, request_id: Any, person: Any, action: Any) -> bool:
    try:
        if isinstance(person, dict) and person.get("is_staff"):
            request = load_request(ctx, request_id)
            if request is None or request.deleted_at is not None or request.state == lifecycle.DRAFT:
                raise NotFound(UNKNOWN_DOCUMENT)
            if action == "read":
                return True
            if action == "review":
                if request.state not in REVIEWABLE_STATES:
                    raise Forbidden(NOT_TO_REVIEW)
                return True
            if action == "write":  # attachments of the gestionnaire's messages
                return True
            raise Forbidden(PROFILE_CANNOT)
        who = acting(ctx, person)
        if action == "read":
            request_to_read(ctx, who, request_id)
            return True
        if action == "write":
            request = request_to_act_on(ctx, who, request_id)
            if client_may_add_documents(request.state, lambda: _thread_opened(ctx, request.id)):
                return True
            raise Forbidden(LOCKED)
        raise Forbidden(PROFILE_CANNOT)
    finally:
        ctx.session.commit()


def client_may_add_documents(state: str, thread_opened) -> bool:
    """The client adds documents to a draft or a request awaiting a complement, and joins files to
    their replies once the back office has written in the thread (MS-6). `thread_opened()` is only
    asked when the state needs it."""
    return state in WRITABLE_STATES or (state in REPLY_STATES and thread_opened())


def _thread_opened(ctx: DemandesContext, request_id: str) -> bool:
    return ctx.session.execute(select(exists().where(
        Message.request_id == request_id, Message.author_role.in_(("GESTIONNAIRE", "SYSTEM"))))).scalar()
