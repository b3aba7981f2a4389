"""Failing fast when a service is down (issue 15): a circuit breaker per target service, per
gateway process, and a short wait for the RPCs of read requests.

- One breaker per service guards every way the gateway reaches it: its RPCs (`rpc_client`) and,
  for documents, the internal HTTP calls that carry the file bytes (`documents_client`).
- Only calls that got no answer count: a timeout, a service without its RPC queue, a broken
  broker connection, a refused HTTP connection (`DependencyFailure`). A business refusal (any
  other DomainError, any HTTP answer such as a 4xx) is an answer: it counts as a success.
- After `failures` such calls in a row, the breaker of that service opens: calls to it answer the
  GW-3 503 (« Le service est momentanément indisponible… ») at once, without waiting for a pool
  slot nor the broker. After `reset_timeout` seconds one trial call goes through (the others
  still answer 503 at once while it runs); its success closes the breaker, its failure opens it
  for another `reset_timeout`.
- RPCs made while answering a GET or HEAD wait at most `RPC_READ_TIMEOUT` (1.5 s) instead of
  `RPC_TIMEOUT` (10 s), so even the first calls to a frozen service answer within 2 s. Those
  requests only read (HTTP safe methods), so giving up early loses nothing; the requests that
  change something keep the long timeout until the breaker opens.

pybreaker keeps the state (closed, open, half-open), the count of failures, the exclusion of
business refusals and the listeners. Its `CircuitBreaker.call` holds one lock for the whole call
(danielfm/pybreaker#55), which would serialise every RPC of a process to a service; so the call
runs outside it: `admit()` decides under a short lock, `record()` feeds the outcome to pybreaker.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextvars import ContextVar
from typing import Any, Callable

import pybreaker
from flask import Flask, request
from prometheus_client import Counter, Gauge

from consignations_shared.errors import ServiceUnavailable
from consignations_shared.metrics import _metric

from .metrics import REGISTRY

log = logging.getLogger(__name__)

SERVICE_DOWN = "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants."
STATE_VALUES = {pybreaker.STATE_CLOSED: 0, pybreaker.STATE_HALF_OPEN: 1, pybreaker.STATE_OPEN: 2}

BREAKER_STATE = _metric(
    Gauge, "consignations_gateway_breaker_state",
    "Circuit breaker of each service the gateway calls: 0 closed, 1 half-open (a trial call), "
    "2 open (calls answered 503 at once). The highest value among the live workers.",
    ("service",), registry=REGISTRY, multiprocess_mode="livemax",
)
BREAKER_REJECTED = _metric(
    Counter, "consignations_gateway_breaker_rejected_total",
    "Calls the gateway answered 503 at once because the service's breaker was open.",
    ("service",), registry=REGISTRY,
)

# True while the current request only reads (GET, HEAD): its RPCs get the short read timeout.
reading: ContextVar[bool] = ContextVar("gateway_reading", default=False)


class DependencyFailure(ServiceUnavailable):
    """An RPC that got no answer (timeout, no such service, broker connection lost): the only
    failures a breaker counts. Answered like any ServiceUnavailable (GW-3 503)."""


def _answered(exc: BaseException) -> bool:
    return not isinstance(exc, DependencyFailure)


class _Observer(pybreaker.CircuitBreakerListener):
    def __init__(self, owner: "ServiceBreaker"):
        self.owner = owner

    def state_change(self, cb, old_state, new_state) -> None:
        # Runs inside pybreaker's lock (and sometimes inside the owner's): no lock taken here.
        if new_state.name == pybreaker.STATE_OPEN:
            self.owner._opened_at = self.owner._clock()
            log.warning("breaker of %s opened: calls answer 503 for %.1f s", cb.name, self.owner.reset_timeout)
        elif new_state.name == pybreaker.STATE_CLOSED and old_state is not None:
            log.info("breaker of %s closed: the service answers again", cb.name)
        BREAKER_STATE.labels(cb.name).set(STATE_VALUES[new_state.name])


class ServiceBreaker:
    def __init__(self, service: str, failures: int, reset_timeout: float,
                 clock: Callable[[], float] = time.monotonic):
        self.service = service
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._trial_running = False
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=failures, reset_timeout=reset_timeout, name=service,
            exclude=[_answered], listeners=[_Observer(self)],
        )
        BREAKER_STATE.labels(service).set(0)

    @property
    def state(self) -> str:
        """pybreaker's state: "closed", "open" or "half-open"."""
        return self.breaker.current_state

    def admit(self) -> bool:
        """May a call go now? Raises ServiceUnavailable when not; True for the trial call."""
        with self._lock:
            state = self.breaker.current_state
            if state == pybreaker.STATE_CLOSED:
                return False
            waited = self._opened_at is None or self._clock() - self._opened_at >= self.reset_timeout
            if (state == pybreaker.STATE_OPEN and not waited) or self._trial_running:
                BREAKER_REJECTED.labels(self.service).inc()
                raise ServiceUnavailable(SERVICE_DOWN)
            if state == pybreaker.STATE_OPEN:
                self.breaker.half_open()
            self._trial_running = True
            return True

    def release(self, trial: bool) -> None:
        """An admitted call that did not reach the service (no pool slot): no outcome."""
        if trial:
            with self._lock:
                self._trial_running = False

    def record(self, trial: bool, exc: BaseException | None) -> None:
        """The outcome of an admitted call: None (an answer) or the exception it raised."""
        with self._lock:
            if trial:
                self._trial_running = False
            elif self.breaker.current_state == pybreaker.STATE_OPEN:
                return  # a late outcome of a call admitted before it opened: the trial decides
            try:
                if exc is None:
                    self.breaker.call(_succeed)
                else:
                    self.breaker.call(_fail, exc)
            except pybreaker.CircuitBreakerError:
                pass  # this failure opened the breaker
            except BaseException as raised:  # noqa: B036  (pybreaker re-raises the failure given)
                if raised is not exc:
                    raise

    def call(self, func: Callable[..., Any], *args, **kwargs) -> Any:
        trial = self.admit()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            self.record(trial, exc)
            raise
        self.record(trial, None)
        return result


def _succeed() -> None:
    return None


def _fail(exc: BaseException):
    raise exc


class Breakers:
    """The breakers of one process, one per target service, made on first use. gunicorn forks
    its workers after the app is made: a process that is not the one that made them starts with
    none (each process judges the services by its own calls)."""

    def __init__(self, failures: int, reset_timeout: float, clock: Callable[[], float] = time.monotonic):
        self.failures = failures
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._by_service: dict[str, ServiceBreaker] = {}
        self._pid = os.getpid()

    def __getitem__(self, service: str) -> ServiceBreaker:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._by_service, self._pid = {}, os.getpid()
        found = self._by_service.get(service)
        if found is None:
            with self._lock:
                found = self._by_service.get(service)
                if found is None:
                    found = self._by_service[service] = ServiceBreaker(
                        service, self.failures, self.reset_timeout, self._clock)
        return found

    def states(self) -> dict[str, str]:
        return {service: breaker.state for service, breaker in self._by_service.items()}


def install(app: Flask) -> None:
    """Marks the requests that only read, for the short RPC timeout of the pool."""

    @app.before_request
    def _mark_reads():
        reading.set(request.method in ("GET", "HEAD"))
