"""Prometheus metrics of a service process (issue 10): one registry per process, labels that
carry only names (service, entrypoint, kind, outcome, queue, exchange, routing key), never an id,
an e-mail, a number or anything a person entered.

- `Metrics` (the "metrics" dependency of every service, through `health.HealthEndpoints`)
  counts and times every entrypoint (RPC, event, HTTP, timer).
- The outbox relay counts what the broker confirmed (`count_published`), consumers what they
  handled, retried and dead-lettered (`count_consumed`).
- `GET /metrics` (health.py) sets the outbox lag gauges from the service's own database, then
  renders this registry with `exposition`.

Metrics are created once per process whatever the number of services running in it (tests start
several): `_metric` returns the one already registered under a name.
"""
from __future__ import annotations

import threading
import time
import weakref
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider
from prometheus_client import (
    CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select

from .clock import Clock, SystemClock
from .errors import DomainError
from .plumbing import outbox

CONTENT_TYPE = CONTENT_TYPE_LATEST

OK = "ok"
EXPECTED_ERROR = "expected_error"  # a consignations_shared.errors.DomainError: a business refusal
ERROR = "error"

HANDLED = "handled"
RETRIED = "retried"
DEAD_LETTERED = "dead_lettered"

# Seconds; RPC calls are expected in milliseconds, the slowest (PDF, hashing) in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REGISTRY = CollectorRegistry(auto_describe=True)
_defined: dict[str, object] = {}
_define_lock = threading.Lock()


def _metric(kind, name: str, documentation: str, labels: tuple[str, ...], registry=None, **kwargs):
    """The metric `name`, created and registered on first use only (idempotent)."""
    with _define_lock:
        existing = _defined.get(name)
        if existing is None:
            existing = _defined[name] = kind(
                name, documentation, labels, registry=registry or REGISTRY, **kwargs
            )
        return existing


def _process_collector():
    try:
        ProcessCollector(registry=REGISTRY)
    except ValueError:  # already registered (module reloaded in tests)
        pass


_process_collector()

REQUESTS = _metric(
    Counter, "consignations_requests_total",
    "Entrypoint calls handled by a service, by entrypoint kind (rpc, event, http, timer) and "
    "outcome (ok, expected_error: a domain error, error: anything else).",
    ("service", "entrypoint", "kind", "outcome"),
)
RPC_DURATION = _metric(
    Histogram, "consignations_rpc_duration_seconds",
    "Time a service spent on an RPC call, from worker start to the reply sent.",
    ("service", "entrypoint"), buckets=LATENCY_BUCKETS,
)
EVENTS_PUBLISHED = _metric(
    Counter, "consignations_events_published_total",
    "Outbox messages the broker confirmed, by exchange and routing key (<source>.<type> for "
    "events, <service>.<command> for commands).",
    ("service", "exchange", "routing_key"),
)
EVENTS_CONSUMED = _metric(
    Counter, "consignations_events_consumed_total",
    "Messages taken from a subscription queue: handled, retried (sent to a retry queue) or "
    "dead_lettered (sent to <queue>.dlq, also when not a valid envelope).",
    ("service", "queue", "outcome"),
)
OUTBOX_UNPUBLISHED = _metric(
    Gauge, "consignations_outbox_unpublished",
    "Outbox rows not yet published (computed at scrape time from the service's database).",
    ("service",),
)
OUTBOX_OLDEST_AGE = _metric(
    Gauge, "consignations_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row, 0 when none (computed at scrape time).",
    ("service",),
)


# --- entrypoints -------------------------------------------------------------------------------

def entrypoint_kind(entrypoint) -> str:
    """rpc, event (our event and command consumers), http, timer; else the class name."""
    from nameko.rpc import Rpc
    from nameko.timer import Timer
    from nameko.web.handlers import HttpRequestHandler

    from .consumer import MessageConsumer

    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, MessageConsumer):
        return "event"
    if isinstance(entrypoint, HttpRequestHandler):
        return "http"
    if isinstance(entrypoint, Timer):
        return "timer"
    return type(entrypoint).__name__.lower()


def outcome_of(exc_info) -> str:
    if exc_info is None or exc_info[1] is None:
        return OK
    if isinstance(exc_info[1], DomainError):
        return EXPECTED_ERROR
    return ERROR


def observe_entrypoint(service: str, entrypoint: str, kind: str, exc_info, seconds: float | None) -> None:
    REQUESTS.labels(service, entrypoint, kind, outcome_of(exc_info)).inc()
    if kind == "rpc" and seconds is not None:
        RPC_DURATION.labels(service, entrypoint).observe(seconds)


def count_published(service: str, exchange: str, routing_key: str) -> None:
    EVENTS_PUBLISHED.labels(service, exchange, routing_key).inc()


def count_consumed(service: str, queue: str, outcome: str) -> None:
    EVENTS_CONSUMED.labels(service, queue, outcome).inc()


# --- outbox lag --------------------------------------------------------------------------------

def outbox_lag(session, now: datetime) -> tuple[int, float]:
    """(unpublished rows, age in seconds of the oldest of them) in the session's database."""
    count, oldest = session.execute(
        select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
    ).one()
    if not count or oldest is None:
        return 0, 0.0
    if oldest.tzinfo is None:  # SQLite keeps no offset: stored as UTC
        oldest = oldest.replace(tzinfo=timezone.utc)
    return int(count), max(0.0, (now - oldest).total_seconds())


def observe_outbox(service: str, session, clock: Clock | None = None) -> None:
    """Set the outbox gauges of `service`, then end the session's transaction. On a database
    error the gauges become NaN (unknown) rather than keep a stale value."""
    try:
        count, age = outbox_lag(session, (clock or SystemClock()).now())
    except Exception:
        count = age = float("nan")
    finally:
        try:
            session.rollback()
        except Exception:
            pass
    OUTBOX_UNPUBLISHED.labels(service).set(count)
    OUTBOX_OLDEST_AGE.labels(service).set(age)


# --- exposition --------------------------------------------------------------------------------

class _OneService:
    """The registry's families with only the samples of one service (and those without a
    service label: process metrics), so each service's /metrics speaks for itself even when
    tests run several services in one process."""

    def __init__(self, registry: CollectorRegistry, service: str):
        self.registry = registry
        self.service = service

    def collect(self):
        for family in self.registry.collect():
            kept = Metric(family.name, family.documentation, family.type, family.unit)
            kept.samples = [s for s in family.samples if s.labels.get("service", self.service) == self.service]
            yield kept


def exposition(service: str | None = None, registry: CollectorRegistry | None = None) -> bytes:
    registry = registry or REGISTRY
    return generate_latest(_OneService(registry, service) if service else registry)


# --- nameko ------------------------------------------------------------------------------------

class ServiceMetrics:
    """What a worker gets as `self.metrics`: the scrape of its service."""

    def __init__(self, service: str, clock: Clock | None):
        self.service = service
        self.clock = clock

    def scrape(self, session) -> bytes:
        observe_outbox(self.service, session, self.clock)
        return exposition(self.service)


class Metrics(DependencyProvider):
    """Counts and times every entrypoint of the service (worker_setup → worker_result)."""

    def setup(self):
        self._started = weakref.WeakKeyDictionary()

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        seconds = None if started is None else time.perf_counter() - started
        entrypoint = worker_ctx.entrypoint
        observe_entrypoint(
            self.container.service_name, entrypoint.method_name, entrypoint_kind(entrypoint),
            exc_info, seconds,
        )

    def get_dependency(self, worker_ctx):
        from .providers import service_clock

        return ServiceMetrics(self.container.service_name, service_clock(self.container))
