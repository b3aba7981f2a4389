"""Login sessions (SPEC ID-11, NF-1): 256-bit tokens stored hashed, revocable, with an idle
timeout and an absolute lifetime; a CSRF token bound to each session for cookie clients.

Every revocation publishes identity.sessions_revoked in its transaction: the gateways cache
resolved sessions and drop them on that event (docs/architecture.md, Sessions)."""
from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from consignations_shared.clock import as_utc
from consignations_shared.contracts.acting import ActingPerson
from consignations_shared.contracts.payloads.identity import SessionsRevoked
from consignations_shared.errors import NotFound, Unauthenticated

from . import audit
from .context import IdentityContext, token_hash
from .memberships import membership_of, names_of
from .models import Person, Session

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most once a minute

SESSION_ENDED = "Votre session a expiré. Veuillez vous reconnecter."


def person_view(session: DbSession, person: Person) -> dict[str, Any]:
    first_name, last_name = names_of(session, person)
    return {
        "id": person.id, "email": person.email, "profile": person.profile,
        "first_name": first_name, "last_name": last_name,
        "is_staff": person.is_staff, "valid_until": as_utc(person.valid_until).isoformat(),
    }


def acting_person_view(ctx: IdentityContext, person: Person, session_id: str) -> dict[str, Any]:
    """The acting person of a session as every service reads it (ActingPerson, validated here),
    with their membership of a client account from identity's read model of accounts' events
    (None for gestionnaires, for people in no account yet and for deleted members); the names
    are the ones the accounts service holds when it has some (`names_of`). `valid_until` is kept
    for the portal (« Mon accès »)."""
    membership = None if person.is_staff else membership_of(ctx.session, person.id)
    first_name, last_name = names_of(ctx.session, person)
    acting = ActingPerson(
        id=person.id, email=person.email, first_name=first_name, last_name=last_name,
        profile=person.profile, is_staff=person.is_staff, session_id=session_id, membership=membership,
    )
    return {**acting.to_wire(), "valid_until": as_utc(person.valid_until).isoformat()}


def person_contact(ctx: IdentityContext, person_id: str) -> dict[str, Any]:
    person = ctx.session.get(Person, str(person_id))
    if person is None:
        raise NotFound("Cette personne est introuvable.")
    first_name, last_name = names_of(ctx.session, person)
    return {"person_id": person.id, "email": person.email, "first_name": first_name,
            "last_name": last_name, "mobile": person.mobile, "profile": person.profile,
            "status": person.status}


def open_session(ctx: IdentityContext, person: Person, ip: str | None, user_agent: str | None) -> dict[str, str]:
    now = ctx.clock.now()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session = Session(
        id=str(uuid.uuid4()), token_hash=token_hash(token), csrf_hash=token_hash(csrf),
        person_id=person.id, created_at=now, last_seen_at=now,
        expires_at=now + ABSOLUTE_LIFETIME, ip=ip, user_agent=(user_agent or "")[:300] or None,
    )
    ctx.session.add(session)
    return {"session_token": token, "csrf_token": csrf, "session_id": session.id}


def announce_revoked(ctx: IdentityContext, person_id: str, session_ids: list[str], reason: str) -> None:
    """identity.sessions_revoked, in the transaction that revokes: the gateways' caches of
    resolved sessions drop them (docs/architecture.md, Sessions)."""
    if session_ids:
        revoked = SessionsRevoked(person_id=person_id, session_ids=sorted(session_ids), reason=reason)
        ctx.outbox.publish(ctx.session, revoked)


def revoke_all(ctx: IdentityContext, person_id: str, reason: str, *, keep_session_id: str | None = None) -> int:
    """Revoke every open session of a person (password change/reset, expiry, deletion)."""
    statement = (
        update(Session)
        .where(Session.person_id == person_id, Session.revoked_at.is_(None))
        .values(revoked_at=ctx.clock.now(), revoked_reason=reason)
        .returning(Session.id)
        .execution_options(synchronize_session=False)
    )
    if keep_session_id:
        statement = statement.where(Session.id != keep_session_id)
    revoked = list(ctx.session.execute(statement).scalars())
    announce_revoked(ctx, person_id, revoked, reason)
    return len(revoked)


def _end(ctx: IdentityContext, session: Session, reason: str) -> None:
    session.revoked_at, session.revoked_reason = ctx.clock.now(), reason
    announce_revoked(ctx, session.person_id, [session.id], reason)


def resolve(ctx: IdentityContext, token: Any) -> dict[str, Any]:
    """Who a session token belongs to, or Unauthenticated. Expired accesses lose their sessions."""
    if not isinstance(token, str) or not token or len(token) > 200:
        raise Unauthenticated()
    now = ctx.clock.now()
    session = ctx.session.execute(
        select(Session).where(Session.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if session is None or session.revoked_at is not None:
        raise Unauthenticated()
    if as_utc(session.expires_at) <= now or as_utc(session.last_seen_at) + IDLE_TIMEOUT <= now:
        _end(ctx, session, "timeout")
        ctx.session.commit()
        raise Unauthenticated(SESSION_ENDED, None, "session_expired")
    person = ctx.session.get(Person, session.person_id)
    if person is None or person.status != "active":
        _end(ctx, session, "person_inactive")
        ctx.session.commit()
        raise Unauthenticated(SESSION_ENDED, None, "session_expired")
    if as_utc(person.valid_until) <= now:
        from .access import announce_expiry

        announce_expiry(ctx, person)
        ctx.session.commit()
        raise Unauthenticated(SESSION_ENDED, None, "session_expired")
    if now - as_utc(session.last_seen_at) >= TOUCH_EVERY:
        session.last_seen_at = now
        ctx.session.commit()
    return {"session_id": session.id, "csrf_hash": session.csrf_hash,
            "person": acting_person_view(ctx, person, session.id)}


def close(ctx: IdentityContext, token: Any, ip: str | None = None) -> None:
    """Logout: revoke this session (idempotent; an unknown token is simply nothing to close)."""
    if not isinstance(token, str) or not token:
        return
    session = ctx.session.execute(
        select(Session).where(Session.token_hash == token_hash(token), Session.revoked_at.is_(None))
    ).scalar_one_or_none()
    if session is None:
        return
    _end(ctx, session, "logout")
    audit.record(ctx, "logout", person_id=session.person_id, ip=ip)
    ctx.session.commit()
