"""Notifier database tables: what was sent to whom for which event, every delivery attempt, and
the contacts learnt from events (NO-A)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Notification(Base):
    """One message (e-mail or SMS), identified by the event that caused it: never sent twice.

    The id is the event id, or ``<event id>:<person id>`` when one event notifies several
    people (NO-13: one e-mail per administrator).
    """

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20))  # sent | failed | rate_limited
    attempts: Mapped[int] = mapped_column(Integer)  # the delivery attempt that settled it
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryAttemptRecord(Base):
    """Every attempt to deliver a notification (NO-A: each delivery attempt is logged).

    ``attempt`` is the consumer's delivery number of the message (1, then 2... after retries).
    A transient failure is committed on its own even though the handler then raises for a retry.
    """

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        # the per-recipient SMS rate limit counts recent attempts of one number
        Index("ix_delivery_attempts_recipient_at", "channel", "recipient", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    notification_id: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    attempt: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    # sent | transient_failure | permanent_failure | rate_limited
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Contact(Base):
    """How to reach a person, learnt from identity and accounts events (or, failing that, from
    the identity service once): the notifier does not ask on every message.

    ``updated_at`` is the instant of the newest information applied (the event's
    ``occurred_at``): an older event delivered late does not overwrite newer data.
    """

    __tablename__ = "contacts"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
