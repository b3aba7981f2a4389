"""The event log (issue 20, point 1) on the real broker: the services' events, published by the
outbox relay, are replayed after the fact by the subscriber of docs/examples — pika and the
standard library only, run as another system would run it — from the first event, from a
timestamp, and from the offset it saved, without a gap or a duplicate; the operator's status
command tells what the log holds."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from kombu import Connection
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from consignations_shared import event_log
from consignations_shared.clock import FrozenClock, SystemClock
from consignations_shared.outbox import OutboxRelay, OutboxWriter
from consignations_shared.plumbing import plumbing_metadata
from consignations_shared.testing import AMQP_BASE, rabbitmqctl

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "event_log_consumer.py"
TYPES = ("demande_submitted", "document_reviewed", "member_changed", "message_posted")


@pytest.fixture
def log():
    """A virtual host of this test's own (the log's offsets start at 0) with the event log declared
    as consignations_shared.topology declares it."""
    vhost = f"test-log-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    amqp_uri = AMQP_BASE + vhost
    with Connection(amqp_uri) as connection:
        event_log.declare(connection.default_channel, event_log.Retention())
    yield amqp_uri
    rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def outbox_engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'producer.db'}")
    plumbing_metadata.create_all(engine)
    yield engine
    engine.dispose()


def publish(engine, amqp_uri, moments: list[datetime]) -> list[str]:
    """One event per moment (its occurred_at), written to the outbox and relayed: the ids in order."""
    ids = []
    with Session(engine) as session:
        for n, moment in enumerate(moments):
            writer = OutboxWriter("demandes", clock=FrozenClock(moment))
            ids.append(writer.event(session, TYPES[n % len(TYPES)], {"n": n}).event_id)
        session.commit()
    relay = OutboxRelay(engine, amqp_uri)
    try:
        while relay.publish_pending():
            pass
    finally:
        relay.close()
    return ids


def subscriber(amqp_uri, db: Path, *options: str, exit_code: int = 0) -> list[dict]:
    """The example subscriber, run until it has been idle for 5 s (its first delivery included, slow on a busy machine): what it printed."""
    done = subprocess.run([sys.executable, str(EXAMPLE), "--amqp-uri", amqp_uri, "--db", str(db),
                           "--idle-exit", "5", *options], capture_output=True, text=True, timeout=120)
    assert done.returncode == exit_code, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def stored(db: Path) -> list[str]:
    with sqlite3.connect(db) as store:
        return [row[0] for row in store.execute("SELECT event_id FROM events ORDER BY stream_offset")]


def a_day(count: int) -> list[datetime]:
    start = datetime.now(timezone.utc) - timedelta(days=1)
    return [start + timedelta(days=1) * n / count for n in range(count)]


def test_a_day_of_events_is_replayed_after_the_fact_in_order(log, outbox_engine, tmp_path):
    ids = publish(outbox_engine, log, a_day(240))  # published before the subscriber existed
    printed = subscriber(log, tmp_path / "late.db", "--from-first")
    assert [line["event_id"] for line in printed] == ids
    assert [line["offset"] for line in printed] == list(range(240))
    assert printed[0]["event"] == "demandes.demande_submitted.v1"
    assert stored(tmp_path / "late.db") == ids


def test_a_subscriber_reads_from_a_timestamp(log, outbox_engine, tmp_path):
    before = publish(outbox_engine, log, a_day(50))
    # The stream dates what it receives by the broker's clock, to the second; the broker's Erlang
    # clock may lag this one (140 ms seen here): the events below are published 1.5 s after `since`.
    since = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    while datetime.now(timezone.utc) < since + timedelta(milliseconds=1500):
        time.sleep(0.05)
    after = publish(outbox_engine, log, [SystemClock().now() for _ in range(30)])
    printed = subscriber(log, tmp_path / "since.db", "--since", since.isoformat())
    assert [line["event_id"] for line in printed] == after
    assert not set(stored(tmp_path / "since.db")) & set(before)


def test_a_subscriber_that_crashed_resumes_from_its_saved_offset_without_gap_or_duplicate(log, outbox_engine, tmp_path):
    ids = publish(outbox_engine, log, a_day(200))
    db = tmp_path / "resumed.db"
    first_part = subscriber(log, db, "--from-first", "--crash-after", "77", exit_code=3)
    assert [line["event_id"] for line in first_part] == ids[:77]
    more = publish(outbox_engine, log, a_day(20))
    # Our relay publishes an event again after a crash of its own: the same event_id, a new offset.
    with Connection(log) as connection:
        producer = connection.Producer()
        producer.publish(json.dumps({"event_id": ids[10], "type": "demande_submitted", "version": 1,
                                     "source": "demandes", "occurred_at": SystemClock().now().isoformat(),
                                     "correlation_id": None, "payload": {"n": 10}}),
                         exchange="consignations.events", routing_key="demandes.demande_submitted",
                         content_type="application/json")
    rest = subscriber(log, db)  # no option: after the offset it saved
    assert [line["event_id"] for line in rest] == ids[77:] + more
    assert stored(db) == ids + more
    with sqlite3.connect(db) as store:
        assert store.execute("SELECT last_offset FROM position").fetchone() == (len(ids) + len(more),)


def test_the_status_command_shows_the_size_and_the_first_and_last_events(log, outbox_engine):
    ids = publish(outbox_engine, log, a_day(30))
    report = event_log.status(log, until_idle=0.5)
    assert report["events"] == 30
    assert (report["first"]["offset"], report["first"]["event_id"]) == (0, ids[0])
    assert (report["last"]["offset"], report["last"]["event_id"]) == (29, ids[-1])
    assert report["first"]["type"] == "demande_submitted" and report["first"]["occurred_at"] < report["last"]["occurred_at"]


def test_private_commands_never_enter_the_log(log, outbox_engine):
    with Session(outbox_engine) as session:
        OutboxWriter("identity").command(session, "notifier", "send_signup_sms_code", {"code": "482913"})
        marker = OutboxWriter("identity").event(session, "signup_verified", {"n": 0}).event_id
        session.commit()
    relay = OutboxRelay(outbox_engine, log)
    try:
        assert relay.publish_pending() == 2
    finally:
        relay.close()
    report = event_log.status(log, until_idle=0.5)
    assert (report["events"], report["first"]["event_id"], report["last"]["event_id"]) == (1, marker, marker)


def test_retention_settings_are_checked_before_anything_is_declared():
    assert event_log.Retention.from_env({}).arguments() == {
        "x-queue-type": "stream", "x-max-age": "400D", "x-max-length-bytes": 20_000_000_000,
        "x-stream-max-segment-size-bytes": 100_000_000}
    assert event_log.Retention.from_env({"EVENT_LOG_MAX_AGE": "30D", "EVENT_LOG_MAX_BYTES": "5000000000",
                                         "EVENT_LOG_SEGMENT_BYTES": "50000000"}).arguments()["x-max-age"] == "30D"
    for bad, message in (({"EVENT_LOG_MAX_AGE": "30 days"}, "EVENT_LOG_MAX_AGE"),
                         ({"EVENT_LOG_MAX_BYTES": "-1"}, "EVENT_LOG_MAX_BYTES"),
                         ({"EVENT_LOG_MAX_BYTES": "1000", "EVENT_LOG_SEGMENT_BYTES": "2000"}, "larger than")):
        with pytest.raises(ValueError, match=message):
            event_log.Retention.from_env(bad)
