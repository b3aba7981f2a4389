"""Pooled nameko RPC clients for the gateway (SPEC GW-1, NF-2).

Each gunicorn worker keeps a few connected standalone clients and lends one per call, so a
request never opens a broker connection of its own. Every call has a timeout (the short read
timeout while answering a GET or HEAD); a client that timed out or lost its connection is thrown
away rather than reused. Failures become domain errors the error handler turns into GW-3 JSON:
a service that is down or silent is a 503, at once while its circuit breaker is open
(breakers.py).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import queue
import socket
import sys
import threading
import time

from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

import consignations_shared.rpc  # noqa: F401  (domain errors cross RPC as themselves)
from consignations_shared.errors import DomainError, ServiceUnavailable

from .breakers import SERVICE_DOWN, Breakers, DependencyFailure, reading
from .metrics import observe_rpc

log = logging.getLogger(__name__)

# kombu asks, for every connection object it builds (nameko builds one per publish, so one per
# RPC), whether librabbitmq can be used by trying to import it; outside eventlet (gunicorn's
# threads) that is a failed import walking every import finder each time: ~0.1 ms per call and
# ~15% of the gateway's busy samples (bench/run --profile). It is not installed (py-amqp is the
# transport): record its absence once, which makes the probe fail at once.
if importlib.util.find_spec("librabbitmq") is None:
    sys.modules.setdefault("librabbitmq", None)

BROKEN_CONNECTION = (AMQPError, KombuError, OSError, socket.timeout, ConnectionError)


class _Client:
    def __init__(self, amqp_uri: str, timeout: float):
        self.timeout = timeout
        self.standalone = ClusterRpcProxy(
            {"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, context_data={}, timeout=timeout,
        )
        self.standalone.start()
        self.services: dict[tuple[str, float], ServiceProxy] = {}

    def call(self, service: str, method: str, correlation_id: str | None, args, kwargs,
             timeout: float | None = None):
        timeout = timeout or self.timeout
        # The reply is awaited with the socket timeout of the reply queue's consumer.
        self.standalone._reply_listener.queue_consumer.timeout = timeout
        # Context data travels as message headers: the service logs with our correlation id.
        if correlation_id:
            self.standalone._worker_ctx.data["correlation_id"] = correlation_id
        else:
            self.standalone._worker_ctx.data.pop("correlation_id", None)
        proxy = self.services.get((service, timeout))
        if proxy is None:
            # A request nobody took within the timeout expires in the queue: a service that
            # comes back later does not run calls whose caller already got a 503.
            proxy = self.services[(service, timeout)] = ServiceProxy(
                self.standalone._worker_ctx, service, self.standalone._reply_listener,
                expiration=timeout,
            )
        return getattr(proxy, method)(*args, **kwargs)

    def close(self):
        try:
            self.standalone.stop()
        except Exception:  # already broken: nothing to release
            pass


class RpcClientPool:
    def __init__(self, amqp_uri: str, timeout: float, size: int = 4, *,
                 read_timeout: float | None = None, breakers: Breakers | None = None):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.read_timeout = min(read_timeout, timeout) if read_timeout else None
        self.size = size
        self.breakers = breakers
        self._idle: queue.LifoQueue[_Client] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._pid = os.getpid()

    def _reset_after_fork(self):
        # gunicorn forks workers after the app is created: connections are not shared (the
        # breakers start afresh in each process by themselves, breakers.Breakers).
        if os.getpid() != self._pid:
            self._pid = os.getpid()
            self._idle = queue.LifoQueue()
            self._slots = threading.BoundedSemaphore(self.size)

    def call(self, service: str, method: str, *args, correlation_id: str | None = None, **kwargs):
        started = time.perf_counter()
        outcome = "error"
        try:
            result = self._call(service, method, correlation_id, args, kwargs)
        except ServiceUnavailable:
            outcome = "unavailable"
            raise
        except DomainError:
            outcome = "expected_error"
            raise
        else:
            outcome = "ok"
            return result
        finally:
            observe_rpc(service, method, outcome, time.perf_counter() - started)

    def _call(self, service: str, method: str, correlation_id: str | None, args, kwargs):
        self._reset_after_fork()
        timeout = self.read_timeout if self.read_timeout and reading.get() else self.timeout
        breaker = self.breakers[service] if self.breakers is not None else None
        trial = breaker.admit() if breaker is not None else False  # open: ServiceUnavailable now
        if not self._slots.acquire(timeout=timeout):
            if breaker is not None:
                breaker.release(trial)  # this worker is busy: says nothing about the service
            raise ServiceUnavailable(SERVICE_DOWN)
        client = None
        outcome: BaseException | None = None
        try:
            try:
                client = self._idle.get_nowait()
            except queue.Empty:
                client = _Client(self.amqp_uri, self.timeout)
            result = client.call(service, method, correlation_id, args, kwargs, timeout)
        except DomainError as exc:
            outcome = exc
            self._idle.put(client)  # a business refusal: the client is fine
            raise
        except (RpcTimeout, UnknownService) as exc:
            log.warning("rpc %s.%s unavailable: %s", service, method, type(exc).__name__)
            self._discard(client)
            outcome = DependencyFailure(SERVICE_DOWN)
            raise outcome from exc
        except BROKEN_CONNECTION as exc:
            log.warning("rpc %s.%s: broker connection failed: %s", service, method, exc)
            self._discard(client)
            outcome = DependencyFailure(SERVICE_DOWN)
            raise outcome from exc
        except Exception as exc:
            outcome = exc
            self._discard(client)
            raise
        else:
            self._idle.put(client)
            return result
        finally:
            self._slots.release()
            if breaker is not None:
                breaker.record(trial, outcome)

    @staticmethod
    def _discard(client):
        if client is not None:
            client.close()

    def close(self):
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
