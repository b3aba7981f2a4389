"""Never twice, proven by a crash (NO-A): the notifier process dies right after the backend
accepted an SMS and before the database commit and the ack (test-only fault hook
NOTIFIER_FAULT_CRASH_AFTER_SEND); the broker redelivers the command to the restarted process,
which sends it again under the same notification id: one SMS file, one notification row."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from kombu import Connection, Producer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.events import COMMANDS_EXCHANGE, new_envelope
from consignations_shared.testing import logged_http_address
from notifier_service.delivery import read_outbox
from notifier_service.models import DeliveryAttemptRecord, Notification

ROOT = Path(__file__).resolve().parents[4]


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)
    return predicate()


def ready(address):
    try:
        return requests.get(f"http://{address}/health/ready", timeout=1).status_code == 200
    except requests.RequestException:
        return False


class Notifier:
    """`python -m notifier_service` as its own process, its HTTP server on a port the OS chose
    (read back from its log at each start)."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.process = None
        self.address = None

    def start(self, **extra_env):
        self.log = open(self.log_path, "ab")
        since = self.log.tell()
        self.process = subprocess.Popen([sys.executable, "-m", "notifier_service"], cwd=ROOT,
                                        env={**self.env, **extra_env}, stdout=self.log, stderr=self.log)
        self.address = logged_http_address(self.log_path, self.process, since)
        assert wait_for(lambda: ready(self.address) or self.process.poll() is not None), self.logs()
        assert self.process.poll() is None, self.logs()

    def settled(self, queue):
        """Messages of `queue` this process handled or dead-lettered (its /metrics)."""
        from prometheus_client.parser import text_string_to_metric_families

        try:
            text = requests.get(f"http://{self.address}/metrics", timeout=5).text
        except requests.RequestException:
            return 0
        return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                   if sample.name == "consignations_events_consumed_total" and sample.labels["queue"] == queue
                   and sample.labels["outcome"] in ("handled", "dead_lettered"))

    def logs(self):
        return Path(self.log_path).read_text(errors="replace")[-4000:]

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()


@pytest.fixture
def notifier(service_env, postgres_database, tmp_path):
    env = {**service_env, "NOTIFIER_DATABASE_URL": postgres_database("notifier"),
           "NOTIFIER_HTTP_ADDRESS": "127.0.0.1:0", "LOG_LEVEL": "INFO"}
    env.pop("NOTIFIER_FAULT_CRASH_AFTER_SEND", None)
    # Other tests of this session share the vhost: commands they left in the notifier's
    # queues would reach this process (and trip the fault hook) before ours.
    from consignations_shared.config import load_settings
    from consignations_shared.topology import queue_specs
    from notifier_service.service import NotifierService

    with Connection(env["AMQP_URI"]) as connection:
        for spec in queue_specs(NotifierService, load_settings("notifier", env).event_retry_delays):
            spec.declare(connection.default_channel)
            spec.queue()(connection.default_channel).purge()
    process = Notifier(env, tmp_path / "notifier.log")
    yield process
    process.stop()


def rows(url, model):
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return list(session.execute(select(model)).scalars())
    finally:
        engine.dispose()


def test_sms_sent_just_before_a_crash_is_not_sent_twice_after_restart(notifier, amqp_uri):
    outbox = Path(notifier.env["CONSIGNATIONS_VAR_DIR"]) / "outbox"
    url = notifier.env["NOTIFIER_DATABASE_URL"]
    notifier.start(NOTIFIER_FAULT_CRASH_AFTER_SEND="signup_sms_code")

    envelope = new_envelope("send_signup_sms_code", {"signup_id": "s-1", "mobile": "+33612345678",
                                                     "code": "482913"}, source="identity", command=True)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(envelope.to_dict()), exchange=COMMANDS_EXCHANGE, routing_key="notifier.send_signup_sms_code",
            content_type="application/json", content_encoding="utf-8", delivery_mode=2)

    assert notifier.process.wait(timeout=30) == 70, notifier.logs()
    assert "fault hook" in notifier.logs()
    # the crash happened in the window: the SMS is out, nothing recorded, the command not acked
    assert [p.stem for p in read_outbox(outbox).sms_paths] == [envelope.event_id]
    first_write = read_outbox(outbox).sms_paths[0].stat().st_mtime_ns
    assert rows(url, Notification) == []

    notifier.start()  # without the hook: the broker redelivers the command
    # the redelivered command handled and acknowledged by the new process: nothing else to come
    assert wait_for(lambda: notifier.settled("notifier.send_signup_sms_code") >= 1), notifier.logs()

    sms = read_outbox(outbox)
    assert [p.stem for p in sms.sms_paths] == [envelope.event_id]  # one file...
    assert sms.sms_paths[0].stat().st_mtime_ns >= first_write  # ...rewritten in place
    assert [m["text"] for m in sms.sms] == ["Votre code confidentiel CDC est : 482913"]
    [record] = rows(url, Notification)
    assert (record.id, record.status, record.kind) == (envelope.event_id, "sent", "signup_sms_code")
    [attempt] = rows(url, DeliveryAttemptRecord)
    assert (attempt.notification_id, attempt.status) == (envelope.event_id, "sent")
