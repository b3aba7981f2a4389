"""Idempotent consumers (SPEC EV-3): run an event's effect once, whatever the redeliveries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .plumbing import processed_events


def first_delivery(session: Session, consumer: str, event_id: str, now: datetime) -> bool:
    """Record that `consumer` handles `event_id` in the caller's transaction.

    Returns False when it was handled before: the caller then does nothing. Two concurrent
    deliveries both seeing True collide on the primary key at commit; the loser's handler fails,
    is retried, and then sees False.
    """
    seen = session.execute(
        select(processed_events.c.event_id).where(
            processed_events.c.consumer == consumer, processed_events.c.event_id == event_id
        )
    ).first()
    if seen is not None:
        return False
    session.execute(processed_events.insert().values(consumer=consumer, event_id=event_id, processed_at=now))
    return True
