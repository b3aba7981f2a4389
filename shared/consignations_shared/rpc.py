"""RPC between services: domain errors that cross the wire, calls that always time out, and
infrastructure failures answered as « unavailable, try again » rather than as a bug."""
from __future__ import annotations

import logging
import sys

import eventlet
import kombu.serialization
from amqp.exceptions import RecoverableConnectionError
from kombu.exceptions import OperationalError as BrokerUnreachable
from nameko import exceptions as nameko_exceptions
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.rpc import ReplyListener, Responder, Rpc, RpcConsumer, RpcProxy, get_rpc_exchange

from .config import settings_of
from .consumer import TolerantQueueConsumer
from .db import database_unavailable
from .errors import DOMAIN_ERRORS, ServiceUnavailable

log = logging.getLogger(__name__)


def register_domain_errors() -> None:
    """Let nameko rebuild our domain errors on the calling side instead of a RemoteError.

    Only the classes of consignations_shared.errors cross RPC: services raise those, never
    subclasses of their own, so every caller can rebuild them.
    """
    for exc_type in DOMAIN_ERRORS:
        nameko_exceptions.registry[nameko_exceptions.get_module_path(exc_type)] = exc_type


register_domain_errors()


class _TimedMethod:
    def __init__(self, method_proxy, timeout: float, label: str):
        self._method_proxy = method_proxy
        self._timeout = timeout
        self._label = label

    def __call__(self, *args, **kwargs):
        try:
            # The request's publish too: with the broker going away, it may wait for a pooled
            # connection or a confirm; the caller's deadline covers the whole call.
            with eventlet.Timeout(self._timeout):
                return self._method_proxy.call_async(*args, **kwargs).result()
        except eventlet.Timeout:
            raise ServiceUnavailable(
                f"Le service {self._label} ne répond pas. Veuillez réessayer dans quelques instants."
            ) from None


class _TimedService:
    def __init__(self, service_proxy, timeout: float, label: str):
        self._service_proxy = service_proxy
        self._timeout = timeout
        self._label = label

    def __getattr__(self, name):
        return _TimedMethod(getattr(self._service_proxy, name), self._timeout, self._label)


class _ReplyListener(ReplyListener):
    queue_consumer = TolerantQueueConsumer()  # acks each reply first: see TolerantQueueConsumer


class TimedRpcProxy(RpcProxy):
    """nameko's RpcProxy with a timeout on every call (SPEC NF-2).

    The correlation id travels with the call as nameko context data.
    """

    rpc_reply_listener = _ReplyListener()

    def __init__(self, target_service: str, timeout: float | None = None, **kwargs):
        super().__init__(target_service, **kwargs)
        self._timeout = timeout

    def setup(self):
        super().setup()
        # Requests expire in the queue after the timeout: nobody runs a call its caller gave up on.
        self.options.setdefault("expiration", self.timeout)

    @property
    def timeout(self) -> float:
        return self._timeout or settings_of(self.container).rpc_timeout

    def get_dependency(self, worker_ctx):
        timeout = self.timeout
        return _TimedService(super().get_dependency(worker_ctx), timeout, self.target_service)


class TypedRpcProxy(TimedRpcProxy):
    """A TimedRpcProxy checked against the target's interface (`contracts.interfaces`): the
    service declares `documents = TypedRpcProxy(DocumentsInterface)`, then
    `self.documents.render_summary(snapshot, person)` fails at once on an unknown method or on
    arguments that do not fit the interface. The declarations make the RPC graph (tested acyclic)."""

    def __init__(self, interface, timeout: float | None = None, **kwargs):
        super().__init__(interface.service, timeout, **kwargs)
        self.interface = interface

    def get_dependency(self, worker_ctx):
        from .contracts.interfaces import TypedProxy

        timed = super().get_dependency(worker_ctx)
        return TypedProxy(self.interface, lambda method, *args, **kwargs: getattr(timed, method)(*args, **kwargs))


def infrastructure_failure(exc: BaseException) -> bool:
    """The database or the broker failed under the call (see db.database_unavailable)."""
    return database_unavailable(exc) or isinstance(exc, (BrokerUnreachable, RecoverableConnectionError,
                                                         ConnectionError))


class _Responder(Responder):
    """nameko's reply, serialised once (nameko serialises the result twice: a check, then the
    message; for a board page that is ~10 KB of JSON each time) and published without waiting for
    a publisher confirm. A reply goes to the caller's non-durable reply queue: a confirm proves
    nothing the caller's timeout does not already cover (a broker that loses the reply has lost
    that queue too), and it cost a broker round trip and its CPU on every call (bench/all.py)."""

    def send_response(self, result, exc_info):
        error = None if exc_info is None else nameko_exceptions.serialize(exc_info[1])
        serializer = kombu.serialization.registry.type_to_name[self.message.properties["content_type"]]
        try:
            content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:
            # As nameko: an unserialisable result is answered as an error that always serialises.
            exc_info = sys.exc_info()
            error = nameko_exceptions.serialize(nameko_exceptions.UnserializableValueError(result))
            result = None
            content_type, encoding, body = kombu.serialization.dumps({"result": None, "error": error}, serializer)
        publisher = self.publisher_cls(self.amqp_uri, ssl=self.ssl, login_method=self.login_method)
        publisher.publish(
            body, content_type=content_type, content_encoding=encoding, use_confirms=False,
            exchange=self.exchange, routing_key=self.message.properties["reply_to"],
            correlation_id=self.message.properties.get("correlation_id"),
        )
        return result, exc_info


class _RpcConsumer(RpcConsumer):
    queue_consumer = TolerantQueueConsumer()


class _Rpc(Rpc):
    """nameko's Rpc entrypoint, but a call that failed because the database or the broker failed
    under it answers ServiceUnavailable (the gateway's 503, SPEC NF-2): the caller may try again
    (when a commit's acknowledgement was what got lost, an Idempotency-Key gives back the first
    answer). Without this, a PostgreSQL connection cut mid-call (a restart, pg_terminate_backend)
    reached the person as a 500, a bug's answer, for an outage."""

    rpc_consumer = _RpcConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and infrastructure_failure(exc_info[1]):
            log.warning("%s answered unavailable: %s: %s", worker_ctx.call_id, type(exc_info[1]).__name__,
                        str(exc_info[1]).splitlines()[0] if str(exc_info[1]) else "")
            unavailable = ServiceUnavailable()
            exc_info = (ServiceUnavailable, unavailable, exc_info[2])
        config = self.container.config
        responder = _Responder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except Exception as exc:
            # The broker is gone (restart, network): the caller times out and answers 503. Raised
            # from here, the error would stop the whole service (nameko stops a container whose
            # result handler fails) instead of letting it reconnect.
            log.warning("%s: reply not sent, the caller times out: %s: %s", worker_ctx.call_id,
                        type(exc).__name__, exc)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


def rpc(fn=None, **kwargs):
    """nameko's @rpc where our domain errors are expected outcomes (logged as warnings, no trace),
    and infrastructure failures answer ServiceUnavailable (_Rpc)."""
    kwargs.setdefault("expected_exceptions", DOMAIN_ERRORS)
    decorator = _Rpc.decorator(**kwargs)
    return decorator if fn is None else decorator(fn)
