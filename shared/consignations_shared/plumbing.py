"""Tables that every service database has: the transactional outbox and the processed events.

They live in their own metadata, which every service's Alembic environment compares along with
the service's own tables; each service's first migration creates them with
`create_plumbing_tables()`.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table,
)

plumbing_metadata = MetaData()

# Messages waiting to be published: written in the same transaction as the change they report
# (SPEC EV-3), published by the relay, then marked published.
outbox = Table(
    "outbox",
    plumbing_metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("exchange", String(100), nullable=False),
    Column("routing_key", String(200), nullable=False),
    Column("body", JSON, nullable=False),
    # Private messages (notifier commands carrying codes, EV-4) are scrubbed once published.
    Column("private", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("publish_attempts", Integer, nullable=False, default=0),
    Index("ix_outbox_unpublished", "published_at", "id"),
)

# Idempotent consumers (EV-3): a handler's effect and the record of the event it handled are
# committed together, so a redelivered event is recognised and skipped.
processed_events = Table(
    "processed_events",
    plumbing_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)



def create_plumbing_tables() -> None:
    """In each service's first migration: the outbox and processed-events tables."""
    from alembic import op

    plumbing_metadata.create_all(op.get_bind())


def drop_plumbing_tables() -> None:
    from alembic import op

    plumbing_metadata.drop_all(op.get_bind())
