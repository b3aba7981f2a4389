"""Idempotent consumers (SPEC EV-3): run an event's effect once, whatever the redeliveries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .plumbing import processed_events

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def first_delivery(session: Session, consumer: str, event_id: str, now: datetime) -> bool:
    """Record that `consumer` handles `event_id` in the caller's transaction.

    Returns False when it was handled before: the caller then does nothing. One statement
    (INSERT ... ON CONFLICT DO NOTHING): a delivery racing another one of the same event waits
    for the other's transaction, then sees False if it committed, True if it rolled back.
    """
    dialect = session.get_bind().dialect.name
    insert = _INSERT.get(dialect)
    if insert is None:  # pragma: no cover - the services run on PostgreSQL or SQLite only
        raise RuntimeError(f"unsupported database {dialect}")
    recorded = session.execute(
        insert(processed_events).values(consumer=consumer, event_id=event_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    )
    return recorded.rowcount == 1
