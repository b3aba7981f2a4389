"""Event and command consumers with bounded retries and a dead-letter queue (SPEC EV-3).

`@consume_event("identity", "signup_verified")` subscribes a service method to an event type;
`@consume_command("send_signup_sms_code")` to a private command addressed to the service.

Each subscription has a durable queue `<service>.<method>` bound to the exchange, declared at
service start and by the deploy-time topology step (consignations_shared.topology), so events
published before the first consumer ever ran are kept. When the handler raises, the message is
re-published to `<queue>.retry.<n>`, a queue whose TTL is the n-th back-off delay and which
dead-letters back to `<queue>`; after the last attempt it goes to `<queue>.dlq` with the error,
and the original is acknowledged only once that copy is confirmed by the broker.
Messages that are not a valid envelope go straight to the dead-letter queue.

A handler that failed because the service's own database did (connection cut or refused,
deadlock victim: db.database_unavailable) is not at fault and neither is its message: it goes
through the retry queues as well, backing off to the longest delay, but without using up an
attempt — a database outage longer than the retry budget must not park every message handled
meanwhile in the DLQ (issue 10, PostgreSQL connections terminated under load).
"""
from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from functools import partial

from eventlet.semaphore import Semaphore
from kombu import Connection, Exchange, Producer, Queue, binding
from nameko.extensions import Entrypoint
from nameko.messaging import QueueConsumer

from .config import settings_of
from .db import database_unavailable
from .events import COMMANDS_EXCHANGE, EVENTS_EXCHANGE, Envelope, InvalidEnvelope, command_routing_key, event_routing_key
from .metrics import DEAD_LETTERED, HANDLED, RETRIED, count_consumed
from .providers import ATTEMPT_KEY, CORRELATION_KEY

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-attempt"
ERROR_HEADER = "x-error"
OUTAGE_HEADER = "x-database-unavailable"  # failures in a row because the database was, not counted


@dataclass(frozen=True)
class QueueSpec:
    """Everything declared for one subscription: the queue, its retry queues and its DLQ."""

    name: str
    exchange: Exchange
    routing_key: str
    retry_delays: tuple[float, ...]

    @property
    def dlq_name(self) -> str:
        return f"{self.name}.dlq"

    def retry_queue_name(self, attempt: int) -> str:
        return f"{self.name}.retry.{attempt}"

    def queue(self) -> Queue:
        return Queue(self.name, bindings=[binding(self.exchange, routing_key=self.routing_key)], durable=True)

    def retry_queues(self) -> list[Queue]:
        return [
            Queue(
                self.retry_queue_name(n), durable=True,
                queue_arguments={
                    "x-message-ttl": int(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.name,
                },
            )
            for n, delay in enumerate(self.retry_delays, start=1)
        ]

    def dlq(self) -> Queue:
        return Queue(self.dlq_name, durable=True)

    def declare(self, channel) -> None:
        self.exchange(channel).declare()
        self.queue()(channel).declare()
        for queue in self.retry_queues():
            queue(channel).declare()
        self.dlq()(channel).declare()


class TolerantQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but acknowledging or requeuing a message on a connection the
    broker just dropped (a restart) is logged, never raised. nameko ignores only amqp's
    ConnectionError there; the socket's own errors (BrokenPipeError, ConnectionResetError...)
    escaped, and raised from an RPC reply's or a worker's handler they stopped the whole service
    instead of letting it reconnect. Nothing is lost: the broker delivers every unacknowledged
    message of a closed channel again (RPC calls answer within their caller's timeout, event
    handlers are idempotent on the event id). Every entrypoint and RPC proxy of ours uses it
    (rpc.py, MessageConsumer)."""

    def ack_message(self, message):
        self._settle(super().ack_message, message, "acknowledge")

    def requeue_message(self, message):
        self._settle(super().requeue_message, message, "requeue")

    @staticmethod
    def _settle(settle, message, verb: str):
        try:
            settle(message)
        except Exception as exc:
            log.warning("could not %s a message from %s (%s: %s): the broker delivers it again", verb,
                        message.delivery_info.get("routing_key"), type(exc).__name__, exc)


class DeadLetteringQueueConsumer(TolerantQueueConsumer):
    """An undecodable message is dead-lettered, not looped on."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(provider.dead_letter_undecodable)
        return consumers


class BoundedQueueConsumer(DeadLetteringQueueConsumer):
    """The queue consumer of background work that waits on a resource of its own (documents'
    renderer processes): on a channel of its own, each of its consumers holds at most `prefetch`
    messages (its providers' smallest). nameko's queue consumer lets every subscription hold as
    many messages as the container has workers, and a handler waiting for a renderer holds its
    worker: a backlog of renders took every worker, and the RPCs and pages of the service waited
    behind it (issue 15, bench/all.py: submissions)."""

    @property
    def prefetch_count(self):
        return min((provider.prefetch for provider in self._providers), default=1)


class MessageConsumer(Entrypoint):
    queue_consumer = DeadLetteringQueueConsumer()

    def __init__(self, exchange: Exchange, routing_key: str, queue_name: str | None = None, **kwargs):
        self.exchange = exchange
        self.routing_key = routing_key
        self.queue_name = queue_name
        super().__init__(**kwargs)

    # -- declaration ----------------------------------------------------------------------
    def spec(self, service_name: str, method_name: str, retry_delays: tuple[float, ...]) -> QueueSpec:
        return QueueSpec(
            name=self.queue_name or f"{service_name}.{method_name}",
            exchange=self.exchange,
            routing_key=self.routing_key,
            retry_delays=retry_delays,
        )

    def setup(self):
        settings = settings_of(self.container)
        self.max_attempts = settings.event_max_attempts
        self.queue_spec = self.spec(
            self.container.service_name, self.method_name, settings.event_retry_delays
        )
        self.queue = self.queue_spec.queue()
        self._amqp_uri = settings.amqp_uri
        self._publish_lock = Semaphore()
        self._connection = None
        self._declare_side_queues()
        self.queue_consumer.register_provider(self)

    def _declare_side_queues(self):
        # Services start in any order (NF-2): wait for the broker rather than fail.
        with Connection(self._amqp_uri, connect_timeout=5) as connection:
            connection.ensure_connection(
                errback=lambda exc, interval: log.warning(
                    "broker not reachable (%s), retrying in %ss", exc, interval),
                max_retries=None, interval_start=1, interval_step=1, interval_max=5,
            )
            self.queue_spec.declare(connection.default_channel)

    def stop(self):
        self.queue_consumer.unregister_provider(self)
        self._close_publisher()

    # -- handling -------------------------------------------------------------------------
    def handle_message(self, body, message):
        try:
            envelope = Envelope.from_dict(body)
        except InvalidEnvelope as exc:
            log.error("invalid envelope on %s: %s", self.queue_spec.name, exc)
            self._dead_letter(message, f"invalid envelope: {exc}", attempt=self._attempt(message))
            return
        context_data = {
            CORRELATION_KEY: envelope.correlation_id or envelope.event_id,
            ATTEMPT_KEY: self._attempt(message),
        }
        try:
            self.container.spawn_worker(
                self, (envelope,), {}, context_data=context_data,
                handle_result=partial(self.handle_result, message),
            )
        except Exception:  # container being killed: give the message back
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            self._count(HANDLED)
            return result, exc_info
        attempt = self._attempt(message)
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        try:
            if database_unavailable(exc_info[1]) and self.queue_spec.retry_delays:
                outage = int((message.headers or {}).get(OUTAGE_HEADER, 0)) + 1
                log.warning("handler %s could not use its database (%s time(s) in a row), retrying "
                            "without counting an attempt: %s", self.queue_spec.name, outage, error)
                delay = min(outage, len(self.queue_spec.retry_delays))
                self._republish(message, self.queue_spec.retry_queue_name(delay), attempt, error,
                                outage=outage)
                outcome = RETRIED
            elif attempt < self.max_attempts and attempt <= len(self.queue_spec.retry_delays):
                log.warning("handler %s failed (attempt %s/%s), retrying: %s",
                            self.queue_spec.name, attempt, self.max_attempts, error)
                self._republish(message, self.queue_spec.retry_queue_name(attempt), attempt + 1, error)
                outcome = RETRIED
            else:
                log.error("handler %s failed %s times, dead-lettered: %s",
                          self.queue_spec.name, attempt, error)
                self._republish(message, self.queue_spec.dlq_name, attempt, error)
                outcome = DEAD_LETTERED
        except Exception as exc:  # broker unreachable: better run it again than lose it
            log.warning("could not re-route failed message (%s); requeued", exc)
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)
            self._count(outcome)
        return result, exc_info

    def _count(self, outcome: str) -> None:
        count_consumed(self.container.service_name, self.queue_spec.name, outcome)

    def dead_letter_undecodable(self, message, exc):
        log.error("undecodable message on %s: %s", self.queue_spec.name, exc)
        try:
            self._dead_letter(message, f"undecodable: {exc}", attempt=self._attempt(message))
        except Exception:
            self.queue_consumer.requeue_message(message)

    def _dead_letter(self, message, error: str, attempt: int):
        self._republish(message, self.queue_spec.dlq_name, attempt, error)
        self.queue_consumer.ack_message(message)
        self._count(DEAD_LETTERED)

    @staticmethod
    def _attempt(message) -> int:
        return int((message.headers or {}).get(ATTEMPT_HEADER, 1))

    def _republish(self, message, queue_name: str, attempt: int, error: str, outage: int = 0):
        headers = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt
        headers[ERROR_HEADER] = error[:1000]
        headers[OUTAGE_HEADER] = outage
        headers.setdefault("x-original-exchange", message.delivery_info.get("exchange"))
        headers.setdefault("x-original-routing-key", message.delivery_info.get("routing_key"))
        with self._publish_lock:
            try:
                self._publisher().publish(
                    message.body, exchange="", routing_key=queue_name,
                    content_type=message.content_type, content_encoding=message.content_encoding,
                    headers=headers, delivery_mode=2,
                    message_id=message.properties.get("message_id"),
                    correlation_id=message.properties.get("correlation_id"),
                )
            except Exception:
                self._close_publisher()
                raise

    def _publisher(self) -> Producer:
        if self._connection is None:
            self._connection = Connection(
                self._amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5,
            )
        return Producer(self._connection.default_channel)

    def _close_publisher(self):
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                pass
            self._connection = None


class EventConsumer(MessageConsumer):
    """`@consume_event(source, type)` receives version 1 of the type; `version=n` binds to the
    routing key of version n (contracts.messages: each version has its own)."""

    def __init__(self, source: str, event_type: str, version: int = 1, **kwargs):
        super().__init__(
            Exchange(EVENTS_EXCHANGE, type="topic", durable=True),
            event_routing_key(source, event_type, version),
            **kwargs,
        )


class CommandConsumer(MessageConsumer):
    def __init__(self, command: str, target: str | None = None, **kwargs):
        self.command = command
        self.target = target
        super().__init__(Exchange(COMMANDS_EXCHANGE, type="direct", durable=True), "", **kwargs)

    def spec(self, service_name, method_name, retry_delays):
        self.routing_key = command_routing_key(self.target or service_name, self.command)
        return super().spec(service_name, method_name, retry_delays)


class BackgroundCommandConsumer(CommandConsumer):
    """A command handled at most `prefetch(settings)` at a time (BoundedQueueConsumer): for work
    bounded by a pool of its own, so that its backlog waits in the queue, not in the workers."""
    queue_consumer = BoundedQueueConsumer()

    def __init__(self, command: str, prefetch, target: str | None = None, **kwargs):
        self.prefetch_of = prefetch
        self.prefetch = 1
        super().__init__(command, target, **kwargs)

    def setup(self):
        self.prefetch = max(1, int(self.prefetch_of(settings_of(self.container))))
        super().setup()


consume_event = EventConsumer.decorator
consume_command = CommandConsumer.decorator
consume_background_command = BackgroundCommandConsumer.decorator
