"""The notifier service against RabbitMQ and PostgreSQL: commands become messages in the outbox
folder or on a real SMTP server, once per event even when the command is delivered twice."""
import json
import time
from pathlib import Path

import pytest
from kombu import Connection, Producer

from consignations_shared.events import COMMANDS_EXCHANGE, new_envelope
from consignations_shared.testing import Settled, smtp_controller
from notifier_service.delivery import read_outbox
from notifier_service.service import NotifierService


def send_command(amqp_uri, command, payload, envelope=None):
    envelope = envelope or new_envelope(command, payload, source="identity", command=True).to_dict()
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(envelope), exchange=COMMANDS_EXCHANGE, routing_key=f"notifier.{command}",
            content_type="application/json", content_encoding="utf-8", delivery_mode=2)
    return envelope


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def outbox_dir(service_env):
    return Path(service_env["CONSIGNATIONS_VAR_DIR"]) / "outbox"


def test_sms_code_reaches_the_outbox_once_even_if_the_command_is_redelivered(start_service, amqp_uri, outbox_dir):
    start_service(NotifierService)
    settled = Settled("notifier")
    envelope = send_command(amqp_uri, "send_signup_sms_code",
                            {"signup_id": "s-1", "mobile": "+33612345678", "code": "482913"})
    send_command(amqp_uri, "send_signup_sms_code", None, envelope=envelope)  # redelivery
    marker = send_command(amqp_uri, "send_signup_sms_code",
                          {"signup_id": "s-2", "mobile": "+33700000000", "code": "000111"})
    # the three deliveries handled (one at a time or not): the redelivery had its chance to send
    assert settled.wait(3) >= 3
    sms = read_outbox(outbox_dir).sms
    assert sorted(m["text"] for m in sms) == [
        "Votre code confidentiel CDC est : 000111", "Votre code confidentiel CDC est : 482913"]
    assert {m["notification_id"] for m in sms} == {envelope["event_id"], marker["event_id"]}


def test_email_code_goes_through_a_real_smtp_server(start_service, amqp_uri):
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    controller = smtp_controller(Handler())
    controller.start()
    try:
        start_service(NotifierService, env={
            "NOTIFIER_EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port),
        })
        send_command(amqp_uri, "send_signup_email_code", {
            "signup_id": "s-1", "email": "contact@acme.example.com", "company_name": "ACME", "code": "K7P2QX"})
        assert wait_for(lambda: received)
    finally:
        controller.stop()
    [envelope] = received
    assert envelope.rcpt_tos == ["contact@acme.example.com"]
    from email import message_from_bytes, policy
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert "K7P2QX" in message.get_body(("plain",)).get_content()
    assert "ne-pas-repondre@" in message["From"]
