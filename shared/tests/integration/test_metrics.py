"""A service's Prometheus endpoint (issue 10) against the real RabbitMQ and PostgreSQL: a tiny
service with the HealthEndpoints mixin answers RPCs (one refused with a domain error), publishes
events through its outbox relay, consumes them (one always fails: retried, then dead-lettered),
and GET /metrics on its HTTP port shows each of these and the outbox lag."""
import time
import urllib.request
from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import MetaData

from consignations_shared.consumer import consume_event
from consignations_shared.db import get_engine
from consignations_shared.errors import NotFound
from consignations_shared.health import HealthEndpoints
from consignations_shared.plumbing import outbox
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock
from consignations_shared.rpc import rpc as rpc_entrypoint


class MeteredService(HealthEndpoints):
    name = "metered"
    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()

    @rpc_entrypoint
    def record(self, note):
        self.outbox.event(self.db, "thing_happened", {"note": note})
        self.db.commit()
        return "recorded"

    @rpc_entrypoint
    def find(self, number):
        raise NotFound("Aucune demande ne porte ce numéro.")

    @consume_event("metered", "thing_happened")
    def on_thing(self, envelope):
        if envelope.payload["note"] == "poison":
            raise ValueError("this event always fails")


def scrape(container) -> dict:
    address = container.config["WEB_SERVER_ADDRESS"]
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/plain; version=")
        text = reply.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def sample(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_metrics_endpoint_counts_requests_events_and_outbox_lag(start_service, rpc):
    container = start_service(MeteredService, metadata=MetaData())
    assert rpc.metered.record("first") == "recorded"
    assert rpc.metered.record("poison") == "recorded"
    try:
        rpc.metered.find("2026-000123")
    except NotFound:
        pass
    else:
        raise AssertionError("find should have been refused")

    queue = "metered.on_thing"

    def settled():
        samples = scrape(container)
        done = (
            sample(samples, "consignations_events_consumed_total", service="metered", queue=queue, outcome="dead_lettered") == 1
            and sample(samples, "consignations_events_consumed_total", service="metered", queue=queue, outcome="handled") == 1
            and sample(samples, "consignations_outbox_unpublished", service="metered") == 0
        )
        return samples if done else None

    samples = wait_for(settled)
    assert samples, "the events were not published, handled and dead-lettered in time"

    def requests(entrypoint, kind, outcome):
        return sample(samples, "consignations_requests_total", service="metered",
                      entrypoint=entrypoint, kind=kind, outcome=outcome)

    assert requests("record", "rpc", "ok") == 2
    assert requests("find", "rpc", "expected_error") == 1
    assert requests("find", "rpc", "error") == 0
    assert requests("on_thing", "event", "ok") == 1
    assert requests("on_thing", "event", "error") == 3  # first delivery and two retries
    assert requests("metrics_endpoint", "http", "ok") >= 1
    assert sample(samples, "consignations_rpc_duration_seconds_count", service="metered", entrypoint="record") == 2
    assert sample(samples, "consignations_rpc_duration_seconds_count", service="metered", entrypoint="find") == 1
    assert sample(samples, "consignations_events_published_total", service="metered",
                  exchange="consignations.events", routing_key="metered.thing_happened") == 2
    assert sample(samples, "consignations_events_consumed_total", service="metered", queue=queue, outcome="retried") == 2
    assert sample(samples, "consignations_outbox_oldest_unpublished_age_seconds", service="metered") == 0
    # No personal data in labels: the number asked for appears nowhere.
    assert not any("2026-000123" in str(key) for key in samples)

    # A message the broker refuses (unknown exchange) stays in the outbox: the lag shows it.
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    with get_engine(container.config["DATABASE_URL"]).begin() as connection:
        connection.execute(outbox.insert().values(
            event_id="00000000-0000-4000-8000-000000000001", exchange="consignations.nowhere",
            routing_key="metered.thing_happened", body={"type": "thing_happened", "source": "metered"},
            private=False, created_at=an_hour_ago, publish_attempts=0,
        ))

    def lagging():
        samples = scrape(container)
        return samples if sample(samples, "consignations_outbox_unpublished", service="metered") == 1 else None

    stuck = wait_for(lagging)
    assert stuck, "the refused message is not counted as unpublished"
    assert sample(stuck, "consignations_outbox_oldest_unpublished_age_seconds", service="metered") >= 3600
