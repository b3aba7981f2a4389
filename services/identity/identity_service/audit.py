"""Audit log of security events (NF-1), queryable by an operator (python -m identity_service audit)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consignations_shared.clock import as_utc

from .models import SecurityEvent

KINDS = (
    "signup_verified", "signup_started", "login_succeeded", "login_failed", "login_locked",
    "login_throttled_ip", "login_refused_not_activated", "login_refused_expired", "logout",
    "session_revoked", "account_activated", "activation_link_sent", "password_reset_requested",
    "password_reset", "password_change_code_sent", "password_changed", "invitation_sent",
    "invitation_accepted", "access_renewed", "access_expired", "access_deleted", "staff_created",
    "invitation_not_sent",
)


def record(ctx, kind: str, *, person_id: str | None = None, email: str | None = None,
           ip: str | None = None, actor_id: str | None = None, detail: dict | None = None) -> None:
    """Add an audit entry to the current transaction (committed with the change it describes)."""
    if kind not in KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    ctx.session.add(SecurityEvent(
        occurred_at=ctx.clock.now(), kind=kind, person_id=person_id, email=email, ip=ip,
        actor_id=actor_id, detail=detail, correlation_id=ctx.correlation_id,
    ))


def query(session: Session, *, kind: str | None = None, person_id: str | None = None,
          email: str | None = None, since: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    statement = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if kind:
        statement = statement.where(SecurityEvent.kind == kind)
    if person_id:
        statement = statement.where(SecurityEvent.person_id == person_id)
    if email:
        statement = statement.where(SecurityEvent.email == email.strip().lower())
    if since:
        statement = statement.where(SecurityEvent.occurred_at >= since)
    return [
        {"id": e.id, "occurred_at": as_utc(e.occurred_at).isoformat(), "kind": e.kind, "person_id": e.person_id,
         "email": e.email, "ip": e.ip, "actor_id": e.actor_id, "detail": e.detail,
         "correlation_id": e.correlation_id}
        for e in session.execute(statement).scalars()
    ]
