"""Delivery attempts in the running service (RabbitMQ + PostgreSQL): an unreachable SMTP server
gives one committed `transient_failure` row per delivery of the command (numbered by the
consumer), then the command is parked in the dead-letter queue; code SMS beyond the hourly limit
of a number are refused without retry."""
import json
import time
from pathlib import Path

import pytest
from kombu import Connection, Producer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared import dead_letters
from consignations_shared.events import COMMANDS_EXCHANGE, new_envelope
from consignations_shared.testing import Settled, refusing_port
from notifier_service.delivery import read_outbox
from notifier_service.models import DeliveryAttemptRecord, Notification
from notifier_service.service import NotifierService


def send_command(amqp_uri, command, payload):
    envelope = new_envelope(command, payload, source="identity", command=True).to_dict()
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(envelope), exchange=COMMANDS_EXCHANGE, routing_key=f"notifier.{command}",
            content_type="application/json", content_encoding="utf-8", delivery_mode=2)
    return envelope


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)
    return predicate()


def attempts(container):
    engine = create_engine(container.config["DATABASE_URL"])
    try:
        with Session(engine) as session:
            return list(session.execute(select(DeliveryAttemptRecord).order_by(DeliveryAttemptRecord.id)).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def refused_smtp_port():
    with refusing_port() as port:  # held for the whole test: nobody can start listening there
        yield port


def test_transient_failures_are_logged_per_attempt_then_dead_lettered(start_service, amqp_uri, refused_smtp_port):
    container = start_service(NotifierService, env={
        "NOTIFIER_EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(refused_smtp_port)})
    envelope = send_command(amqp_uri, "send_signup_email_code", {
        "signup_id": "s-1", "email": "contact@acme.example.com", "company_name": "ACME", "code": "K7P2QX"})
    dlq = "notifier.send_signup_email_code.dlq"

    def parked():
        return [m for m in dead_letters.inspect_queue(amqp_uri, dlq).messages if m.event_id == envelope["event_id"]]

    assert wait_for(parked)
    rows = [a for a in attempts(container) if a.notification_id == envelope["event_id"]]
    assert [(a.attempt, a.status, a.channel, a.recipient) for a in rows] == [
        (n, "transient_failure", "email", "contact@acme.example.com") for n in (1, 2, 3)]
    assert all("cannot connect to SMTP server" in a.error for a in rows)
    assert "TransientDeliveryError" in parked()[0].error


def test_code_sms_beyond_the_hourly_limit_are_not_sent(start_service, amqp_uri, service_env):
    container = start_service(NotifierService, env={"NOTIFIER_SMS_CODE_LIMIT_PER_HOUR": "2"})
    settled = Settled("notifier", "notifier.send_signup_sms_code")
    outbox = Path(service_env["CONSIGNATIONS_VAR_DIR"]) / "outbox"
    sent = [send_command(amqp_uri, "send_signup_sms_code", {"signup_id": f"s-{n}", "mobile": "+33611111111",
                                                             "code": f"10000{n}"}) for n in range(2)]
    assert wait_for(lambda: len(read_outbox(outbox).sms) == 2)
    refused = send_command(amqp_uri, "send_signup_sms_code", {"signup_id": "s-3", "mobile": "+33611111111",
                                                              "code": "999999"})
    assert wait_for(lambda: any(a.notification_id == refused["event_id"] for a in attempts(container)))
    [row] = [a for a in attempts(container) if a.notification_id == refused["event_id"]]
    assert (row.status, row.attempt) == ("rate_limited", 1)
    # Settled: handled at once, not sent to a retry queue (a retried command is settled only
    # when handled at last or dead-lettered, each attempt leaving its row)
    assert settled.wait(3) >= 3
    assert len([a for a in attempts(container) if a.notification_id == refused["event_id"]]) == 1
    assert sorted(s["notification_id"] for s in read_outbox(outbox).sms) == sorted(e["event_id"] for e in sent)
    engine = create_engine(container.config["DATABASE_URL"])
    try:
        with Session(engine) as session:
            assert session.get(Notification, refused["event_id"]).status == "rate_limited"
    finally:
        engine.dispose()
