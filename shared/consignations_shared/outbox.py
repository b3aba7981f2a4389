"""Transactional outbox (SPEC EV-3): record messages with the change, publish after commit.

`OutboxWriter` is used by business code: it only adds rows to the caller's session, so a
rolled-back transaction leaves no message behind. `OutboxRelay` publishes committed rows to
RabbitMQ as persistent messages with publisher confirms, then marks them published; a crash
between the two republishes the row, which consumers absorb by being idempotent on event_id.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable

from kombu import Connection, Exchange, Producer
from sqlalchemy import JSON, case, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from .clock import Clock, SystemClock
from .events import (
    COMMANDS_EXCHANGE, EVENTS_EXCHANGE, Envelope, command_routing_key, event_routing_key,
    new_envelope,
)
from .metrics import count_published
from .plumbing import outbox

if TYPE_CHECKING:
    from .contracts.messages import Message

log = logging.getLogger(__name__)

events_exchange = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)
commands_exchange = Exchange(COMMANDS_EXCHANGE, type="direct", durable=True)


class OutboxWriter:
    """Adds events and commands to the outbox inside the caller's transaction."""

    def __init__(
        self,
        source: str,
        *,
        correlation_id: str | None = None,
        clock: Clock | None = None,
        on_commit: Callable[[], None] | None = None,
    ):
        self.source = source
        self.correlation_id = correlation_id
        self.clock = clock or SystemClock()
        self._on_commit = on_commit

    def publish(self, session: Session, message: "Message") -> Envelope:
        """Write a typed event or command (`consignations_shared.contracts.payloads`): its name,
        version and routing come from its type, its payload from the instance. An event whose
        older version is still in its deprecation period is written in that version too, in the
        same transaction (contracts.messages); the envelope returned is the newest one's."""
        if message.message_kind == "event":
            if message.source != self.source:
                raise ValueError(f"{self.source} cannot publish {message.routing_key()}: it belongs to {message.source}")
            written = [self.event(session, version.name, version.payload(), version=version.message_version)
                       for version in message.with_versions_still_written(self.clock.now().date())]
            return written[0]
        if message.message_kind == "command":
            if message.source != self.source:
                raise ValueError(f"{self.source} cannot send the command {message.routing_key()} "
                                 f"(only {message.source} does)")
            return self.command(session, message.target, message.name, message.payload())
        raise TypeError(f"{type(message).__name__} is not a declared event or command")

    def event(self, session: Session, type: str, payload: dict[str, Any], version: int = 1) -> Envelope:
        envelope = new_envelope(
            type, payload, source=self.source, correlation_id=self.correlation_id,
            version=version, clock=self.clock,
        )
        self._add(session, envelope, EVENTS_EXCHANGE, event_routing_key(self.source, type, version), False)
        return envelope

    def command(self, session: Session, target: str, command: str, payload: dict[str, Any]) -> Envelope:
        """A private message for one service (e.g. a code for the notifier), never an event."""
        envelope = new_envelope(
            command, payload, source=self.source, correlation_id=self.correlation_id,
            clock=self.clock, command=True,
        )
        self._add(session, envelope, COMMANDS_EXCHANGE, command_routing_key(target, command), True)
        return envelope

    def _add(self, session: Session, envelope: Envelope, exchange: str, routing_key: str, private: bool):
        session.execute(outbox.insert().values(
            event_id=envelope.event_id, exchange=exchange, routing_key=routing_key,
            body=envelope.to_dict(), private=private, created_at=self.clock.now(),
            publish_attempts=0,
        ))
        if self._on_commit is not None:
            _call_after_commit(session, self._on_commit)


def _call_after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once after the session's next commit (however many messages it adds)."""
    from sqlalchemy import event

    if session.info.get("outbox_wake_pending"):
        return
    session.info["outbox_wake_pending"] = True

    def _after_commit(committed_session):
        committed_session.info.pop("outbox_wake_pending", None)
        callback()

    event.listen(session, "after_commit", _after_commit, once=True)


class scrubbed_body(FunctionElement):
    """SQL: an outbox body whose payload is replaced by {"scrubbed": true}, the rest of the envelope
    kept — computed by the database, so that one UPDATE marks a whole batch published and scrubs its
    private rows (PostgreSQL and SQLite, the two databases of the services)."""

    type = JSON()
    name = "scrubbed_body"
    inherit_cache = True


@compiles(scrubbed_body, "postgresql")
def _scrubbed_body_postgresql(element, compiler, **kw):
    return f"""jsonb_set(CAST({compiler.process(element.clauses, **kw)} AS JSONB), '{{payload}}', '{{"scrubbed": true}}')::json"""


@compiles(scrubbed_body, "sqlite")
def _scrubbed_body_sqlite(element, compiler, **kw):
    return f"""json_set({compiler.process(element.clauses, **kw)}, '$.payload', json('{{"scrubbed": true}}'))"""


class OutboxRelay:
    """Publishes committed outbox rows, oldest first, and marks them published."""

    def __init__(
        self, engine: Engine, amqp_uri: str, *, clock: Clock | None = None, batch_size: int = 200,
        service: str | None = None,
    ):
        self.engine = engine
        self.service = service  # metrics label; None: each message's envelope source
        self.amqp_uri = amqp_uri
        self.clock = clock or SystemClock()
        self.batch_size = batch_size
        self._connection: Connection | None = None
        self._producer_on_connection: Producer | None = None
        self._lock = threading.Lock()

    def _producer(self) -> Producer:
        """The producer of the current connection; the exchanges are declared once per connection
        (they were declared again before every batch: two broker round trips per commit). Any
        failure closes the connection (publish_pending), so a broker that lost them, or a new
        node, gets them declared again before the next batch."""
        if self._connection is None:
            self._connection = Connection(
                self.amqp_uri, transport_options={"confirm_publish": True}, heartbeat=0,
                connect_timeout=5,
            )
            self._producer_on_connection = None
        if self._producer_on_connection is None:
            channel = self._connection.default_channel
            events_exchange(channel).declare()
            commands_exchange(channel).declare()
            self._producer_on_connection = Producer(channel)
        return self._producer_on_connection

    def close(self) -> None:
        self._producer_on_connection = None
        if self._connection is not None:
            try:
                self._connection.release()
            finally:
                self._connection = None

    def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were published. Safe to call concurrently."""
        with self._lock:
            try:
                return self._publish_batch()
            except Exception:
                # Broker or database trouble: drop the connection, the caller retries later.
                self.close()
                raise

    def _publish_batch(self) -> int:
        query = (
            select(outbox.c.id, outbox.c.event_id, outbox.c.exchange, outbox.c.routing_key,
                   outbox.c.body, outbox.c.private)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
        )
        if self.engine.dialect.name == "postgresql":
            # Several instances of a service share the table: each row goes to one relay.
            query = query.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return 0
            producer = self._producer()
            for row in rows:
                producer.publish(
                    row.body,
                    exchange=row.exchange,
                    routing_key=row.routing_key,
                    serializer="json",
                    delivery_mode=2,  # persistent: survives a broker restart
                    message_id=row.event_id,
                    correlation_id=row.body.get("correlation_id") or None,
                    headers={"event_type": row.body.get("type"), "source": row.body.get("source")},
                    retry=False,
                )
                # publish() returned: the broker confirmed this message (confirm_publish).
                count_published(self.service or row.body.get("source") or "unknown",
                                row.exchange, row.routing_key)
            marked = update(outbox).where(outbox.c.id.in_([row.id for row in rows])).values(published_at=self.clock.now())
            if any(row.private for row in rows):
                # Codes must not stay readable in the database once handed to the notifier: the
                # same statement scrubs the private rows' payloads.
                marked = marked.values(body=case((outbox.c.private, scrubbed_body(outbox.c.body)), else_=outbox.c.body))
            conn.execute(marked)
            return len(rows)

    def pending_count(self) -> int:
        from sqlalchemy import func
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            ).scalar_one()
