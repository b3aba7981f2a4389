"""Prometheus metrics of the services (issue 10), without a broker: outcome classification,
entrypoint kinds, the labels (names only, no personal data), consumer and relay counters, and the
outbox lag read from SQLite."""
import math
import sys
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from consignations_shared import metrics
from consignations_shared.clock import FrozenClock
from consignations_shared.consumer import CommandConsumer, EventConsumer, QueueSpec
from consignations_shared.errors import NotFound, ServiceUnavailable, ValidationFailed
from consignations_shared.outbox import OutboxRelay, OutboxWriter
from consignations_shared.plumbing import plumbing_metadata

ALLOWED_LABELS = {"service", "entrypoint", "kind", "outcome", "queue", "exchange", "routing_key", "le"}


def value(name, **labels):
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def exc_info_of(exc):
    try:
        raise exc
    except Exception:
        return sys.exc_info()


@pytest.mark.parametrize("exc,outcome", [
    (None, "ok"),
    (ValidationFailed("Le champ est invalide.", {"email": "x"}), "expected_error"),
    (NotFound(), "expected_error"),
    (ServiceUnavailable(), "expected_error"),
    (ValueError("boom"), "error"),
    (KeyError("x"), "error"),
])
def test_outcome_is_ok_expected_domain_error_or_error(exc, outcome):
    assert metrics.outcome_of(None if exc is None else exc_info_of(exc)) == outcome


def test_entrypoint_kinds():
    from nameko.rpc import Rpc
    from nameko.timer import Timer
    from nameko.web.handlers import HttpRequestHandler

    assert metrics.entrypoint_kind(Rpc()) == "rpc"
    assert metrics.entrypoint_kind(EventConsumer("identity", "signup_verified")) == "event"
    assert metrics.entrypoint_kind(CommandConsumer("send_signup_sms_code")) == "event"
    assert metrics.entrypoint_kind(HttpRequestHandler("GET", "/health/live")) == "http"
    assert metrics.entrypoint_kind(Timer(interval=60)) == "timer"


def _provider(service):
    provider = metrics.Metrics()
    provider.container = SimpleNamespace(service_name=service, dependencies=[])
    provider.setup()
    return provider


class _WorkerContext:  # what the provider reads of nameko's WorkerContext
    def __init__(self, entrypoint):
        self.entrypoint = entrypoint


def _worker(entrypoint, method_name):
    entrypoint.method_name = method_name
    return _WorkerContext(entrypoint)


def test_dependency_counts_and_times_every_entrypoint_by_outcome():
    from nameko.rpc import Rpc
    from nameko.timer import Timer

    service = f"unit{uuid.uuid4().hex[:6]}"
    provider = _provider(service)
    calls = [
        (_worker(Rpc(), "find"), None),
        (_worker(Rpc(), "find"), exc_info_of(NotFound())),
        (_worker(Rpc(), "find"), exc_info_of(RuntimeError("bug"))),
        (_worker(Timer(interval=1), "remind"), None),
    ]
    for worker_ctx, exc_info in calls:
        provider.worker_setup(worker_ctx)
        provider.worker_result(worker_ctx, None, exc_info)
    for outcome in ("ok", "expected_error", "error"):
        assert value("consignations_requests_total", service=service, entrypoint="find", kind="rpc", outcome=outcome) == 1
    assert value("consignations_requests_total", service=service, entrypoint="remind", kind="timer", outcome="ok") == 1
    # RPC latency: every RPC call observed once, timers are not RPC calls.
    assert value("consignations_rpc_duration_seconds_count", service=service, entrypoint="find") == 3
    assert value("consignations_rpc_duration_seconds_count", service=service, entrypoint="remind") == 0
    assert value("consignations_rpc_duration_seconds_bucket", service=service, entrypoint="find", le="+Inf") == 3


def test_metrics_are_registered_once_per_process():
    again = metrics._metric(metrics.Counter, "consignations_requests_total", "x", ("service",))
    assert again is metrics.REQUESTS
    import importlib

    # Creating a second provider (several services in one process) registers nothing new.
    _provider("a"), _provider("b")
    assert importlib.import_module("consignations_shared.metrics").REGISTRY is metrics.REGISTRY


def test_exposition_shows_one_service_and_only_names_in_labels():
    mine, other = f"mine{uuid.uuid4().hex[:6]}", f"other{uuid.uuid4().hex[:6]}"
    metrics.observe_entrypoint(mine, "start_company_signup", "rpc", None, 0.01)
    metrics.observe_entrypoint(other, "start_company_signup", "rpc", None, 0.01)
    metrics.count_consumed(mine, f"{mine}.on_signup_verified", metrics.HANDLED)
    text = metrics.exposition(mine).decode()
    services = set()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, sample
            if "service" in sample.labels:
                services.add(sample.labels["service"])
    assert mine in services and other not in services
    assert "consignations_requests_total{" in text
    assert "process_resident_memory_bytes" in text or sys.platform != "linux"


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    plumbing_metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def test_outbox_lag_counts_unpublished_rows_and_ages_the_oldest(session):
    clock = FrozenClock()
    assert metrics.outbox_lag(session, clock.now()) == (0, 0.0)
    writer = OutboxWriter("identity", clock=clock)
    writer.event(session, "signup_verified", {"person_id": "p-1"})
    clock.advance(seconds=30)
    writer.command(session, "notifier", "send_signup_sms_code", {"code": "123456"})
    session.commit()
    clock.advance(seconds=12)
    assert metrics.outbox_lag(session, clock.now()) == (2, 42.0)


def test_scrape_sets_the_outbox_gauges_and_ends_the_transaction(session):
    service = f"lag{uuid.uuid4().hex[:6]}"
    clock = FrozenClock()
    OutboxWriter(service, clock=clock).event(session, "thing_happened", {})
    session.commit()
    clock.advance(timedelta(minutes=2))
    text = metrics.ServiceMetrics(service, clock).scrape(session).decode()
    assert not session.in_transaction()
    assert f'consignations_outbox_unpublished{{service="{service}"}} 1.0' in text
    assert f'consignations_outbox_oldest_unpublished_age_seconds{{service="{service}"}} 120.0' in text


def test_scrape_of_an_unreachable_database_reports_unknown_lag():
    service = f"down{uuid.uuid4().hex[:6]}"
    engine = create_engine("sqlite://")  # no outbox table: the query fails
    with Session(engine) as broken:
        metrics.observe_outbox(service, broken, FrozenClock())
    for name in ("consignations_outbox_unpublished", "consignations_outbox_oldest_unpublished_age_seconds"):
        assert math.isnan(metrics.REGISTRY.get_sample_value(name, {"service": service}))


class _Producer:
    def __init__(self, fail_on=None):
        self.published = []
        self.fail_on = fail_on

    def publish(self, body, **kwargs):
        if body["type"] == self.fail_on:
            raise ConnectionError("no confirm")
        self.published.append(kwargs["routing_key"])


def test_relay_counts_what_the_broker_confirmed(session, monkeypatch):
    service = f"relay{uuid.uuid4().hex[:6]}"
    writer = OutboxWriter(service)
    writer.event(session, "thing_happened", {"n": 1})
    writer.event(session, "thing_happened", {"n": 2})
    writer.command(session, "notifier", "send_code", {"code": "1"})
    writer.event(session, "other_happened", {})
    session.commit()
    relay = OutboxRelay(session.get_bind(), "amqp://unused", service=service)
    producer = _Producer(fail_on="other_happened")
    monkeypatch.setattr(relay, "_producer", lambda: producer)
    with pytest.raises(ConnectionError):
        relay.publish_pending()
    events = ("consignations_events_published_total", dict(service=service, exchange="consignations.events"))
    assert value(events[0], **events[1], routing_key=f"{service}.thing_happened") == 2
    assert value("consignations_events_published_total", service=service,
                 exchange="consignations.commands", routing_key="notifier.send_code") == 1
    assert value(events[0], **events[1], routing_key=f"{service}.other_happened") == 0


class _QueueConsumer:
    def __init__(self):
        self.acked, self.requeued = [], []

    def ack_message(self, message):
        self.acked.append(message)

    def requeue_message(self, message):
        self.requeued.append(message)


def _consumer(service, max_attempts=3, broker_down=False):
    consumer = EventConsumer("identity", "signup_verified")
    consumer.method_name = "on_signup_verified"
    consumer.container = SimpleNamespace(service_name=service)
    consumer.queue_consumer = _QueueConsumer()
    consumer.queue_spec = QueueSpec(f"{service}.on_signup_verified", consumer.exchange, consumer.routing_key, (0.1, 0.2))
    consumer.max_attempts = max_attempts
    consumer.routed = []

    def republish(message, queue_name, attempt, error):
        if broker_down:
            raise ConnectionError("broker down")
        consumer.routed.append(queue_name)

    consumer._republish = republish
    return consumer


def _message(attempt=1):
    return SimpleNamespace(headers={"x-attempt": attempt}, body=b"{}", delivery_info={}, properties={})


def test_consumer_counts_handled_retried_and_dead_lettered():
    service = f"cons{uuid.uuid4().hex[:6]}"
    queue = f"{service}.on_signup_verified"
    consumer = _consumer(service)
    failure = exc_info_of(ValueError("handler failed"))
    consumer.handle_result(_message(), None, result=None, exc_info=None)
    consumer.handle_result(_message(1), None, exc_info=failure)
    consumer.handle_result(_message(2), None, exc_info=failure)
    consumer.handle_result(_message(3), None, exc_info=failure)
    consumer.dead_letter_undecodable(_message(), ValueError("not json"))
    assert consumer.routed == [f"{queue}.retry.1", f"{queue}.retry.2", f"{queue}.dlq", f"{queue}.dlq"]
    assert value("consignations_events_consumed_total", service=service, queue=queue, outcome="handled") == 1
    assert value("consignations_events_consumed_total", service=service, queue=queue, outcome="retried") == 2
    assert value("consignations_events_consumed_total", service=service, queue=queue, outcome="dead_lettered") == 2


def test_a_message_requeued_because_the_broker_is_down_is_not_counted():
    service = f"down{uuid.uuid4().hex[:6]}"
    consumer = _consumer(service, broker_down=True)
    consumer.handle_result(_message(), None, exc_info=exc_info_of(ValueError("x")))
    assert consumer.queue_consumer.requeued
    for outcome in ("handled", "retried", "dead_lettered"):
        assert value("consignations_events_consumed_total", service=service,
                     queue=f"{service}.on_signup_verified", outcome=outcome) == 0
