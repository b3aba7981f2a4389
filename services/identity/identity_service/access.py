"""Validity of an access (SPEC ID-7): 18 months after creation or the last renewal; an
administrator renews it, even after expiry; an expired access loses its sessions."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from consignations_shared.clock import as_utc
from consignations_shared.contracts.payloads.identity import AccessDeleted, AccessExpired, AccessRenewed
from consignations_shared.errors import NotFound

from . import audit, sessions
from .context import IdentityContext
from .models import Person

ACCESS_VALIDITY = timedelta(days=548)  # 18 months


def announce_expiry(ctx: IdentityContext, person: Person) -> None:
    """Revoke the sessions of an expired access and publish access_expired, once per expiry."""
    sessions.revoke_all(ctx, person.id, "access_expired")
    if person.expiry_announced_at is None or as_utc(person.expiry_announced_at) < as_utc(person.valid_until):
        person.expiry_announced_at = ctx.clock.now()
        audit.record(ctx, "access_expired", person_id=person.id, email=person.email)
        ctx.outbox.publish(ctx.session, AccessExpired(
            person_id=person.id, email=person.email, profile=person.profile,
            valid_until=as_utc(person.valid_until).isoformat(),
        ))


def sweep_expired(ctx: IdentityContext, limit: int = 500) -> int:
    """Find accesses that expired since the last sweep (a timer runs it) and announce them."""
    now = ctx.clock.now()
    due = ctx.session.execute(
        select(Person).where(Person.status == "active", Person.valid_until <= now).limit(limit)
    ).scalars().all()
    announced = 0
    for person in due:
        if person.expiry_announced_at is None or as_utc(person.expiry_announced_at) < as_utc(person.valid_until):
            announce_expiry(ctx, person)
            announced += 1
    ctx.session.commit()
    return announced


def renew_access(ctx: IdentityContext, person_id: str, renewed_by: str | None = None) -> dict[str, Any]:
    """Give a person 18 more months from now (used by accounts when an administrator renews)."""
    person = ctx.session.get(Person, str(person_id))
    if person is None:
        # An invitation to an address that already had an account (invitations.invite): it
        # behaves as any invitation never accepted; nothing to renew.
        return {"id": str(person_id), "valid_until": (ctx.clock.now() + ACCESS_VALIDITY).isoformat()}
    if person.status == "deleted":
        raise NotFound("Cette personne est introuvable.")
    person.valid_until = ctx.clock.now() + ACCESS_VALIDITY
    audit.record(ctx, "access_renewed", person_id=person.id, email=person.email, actor_id=renewed_by)
    ctx.outbox.publish(ctx.session, AccessRenewed(
        person_id=person.id, valid_until=person.valid_until.isoformat(), renewed_by=renewed_by,
    ))
    ctx.session.commit()
    return sessions.person_view(ctx.session, person)


def delete_access(ctx: IdentityContext, person_id: str, deleted_by: str | None = None) -> dict[str, Any]:
    """An administrator deleted this person's access (AC-5, AC-6): no more login, no session."""
    person = ctx.session.get(Person, str(person_id))
    if person is None:  # an invitation that was never sent (invitations.invite): nothing to delete
        return {"person_id": str(person_id), "status": "deleted"}
    if person.status != "deleted":
        person.status = "deleted"
        sessions.revoke_all(ctx, person.id, "access_deleted")
        audit.record(ctx, "access_deleted", person_id=person.id, email=person.email, actor_id=deleted_by)
        ctx.outbox.publish(ctx.session, AccessDeleted(person_id=person.id, deleted_by=deleted_by))
        ctx.session.commit()
    return {"person_id": person.id, "status": person.status}
