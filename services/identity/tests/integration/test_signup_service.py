"""The identity service against the real RabbitMQ and PostgreSQL: the sign-up slice over RPC,
codes read from the notifier's private channel, an injected clock, concurrency, and a plain pika
subscriber receiving `signup_verified` (issue 2) and `account_activated` (issue 19)."""
import json
import time
import uuid

import eventlet
import pika
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

import consignations_shared.rpc  # noqa: F401
from consignations_shared.clock import FrozenClock
from consignations_shared.errors import Conflict, Gone, ValidationFailed
from consignations_shared.events import COMMANDS_EXCHANGE, EVENTS_EXCHANGE
from consignations_shared.testing import use_clock
from identity_service.service import IdentityService


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


@pytest.fixture
def codes(spy):
    return {
        "sms": spy(COMMANDS_EXCHANGE, "notifier.send_signup_sms_code"),
        "email": spy(COMMANDS_EXCHANGE, "notifier.send_signup_email_code"),
    }


def captcha_answer(identity, captcha_id):
    engine = create_engine(identity.config["DATABASE_URL"])
    with engine.connect() as connection:
        answer = connection.execute(text("SELECT answer FROM captcha_challenges WHERE id = :id"),
                                    {"id": captcha_id}).scalar_one()
    engine.dispose()
    return answer


def start(identity, rpc, email="direction@acme.example.com"):
    challenge = rpc.identity.new_captcha()
    return rpc.identity.start_company_signup({
        "company_name": "ACME SAS", "email": email, "mobile": "+33 7 81 23 45 67",
        "password": "Consign-2026!", "accept_cgu": True, "captcha_id": challenge["captcha_id"],
        "captcha_answer": captcha_answer(identity, challenge["captcha_id"]),
    })


def last_code(watcher, count):
    bodies = watcher.wait_for(count)
    assert len(bodies) >= count
    return bodies[count - 1]["payload"]["code"]


def test_signup_slice_publishes_signup_verified_to_a_plain_pika_subscriber(identity, rpc, codes, amqp_uri):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare(EVENTS_EXCHANGE, exchange_type="topic", durable=True)
    queue = channel.queue_declare(f"cdc-referentiel-{uuid.uuid4().hex[:6]}", exclusive=True).method.queue
    channel.queue_bind(queue, EVENTS_EXCHANGE, routing_key="identity.signup_verified")
    channel.queue_bind(queue, EVENTS_EXCHANGE, routing_key="identity.account_activated")
    try:
        token = start(identity, rpc)["signup_token"]
        assert rpc.identity.verify_signup_sms_code(token, last_code(codes["sms"], 1))["step"] == "email_code"
        assert rpc.identity.verify_signup_email_code(token, last_code(codes["email"], 1))["step"] == "verified"
        deadline, received = time.monotonic() + 10, {}
        while len(received) < 2 and time.monotonic() < deadline:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                connection.sleep(0.1)
            else:
                received[json.loads(body)["type"]] = json.loads(body)
        envelope = received.get("signup_verified")
        assert envelope is not None, "signup_verified never reached the pika subscriber"
        assert envelope["type"] == "signup_verified" and envelope["source"] == "identity"
        # NO-7 for the company's administrator (issue 19): announced with the sign-up.
        activated = received.get("account_activated")
        assert activated is not None, "account_activated never reached the pika subscriber"
        assert activated["payload"]["person_id"] == envelope["payload"]["person_id"]
        assert activated["payload"]["profile"] == "ENTREPRISE"
        assert "code" not in json.dumps(activated["payload"]) and "password" not in json.dumps(activated)
        assert set(envelope) == {"event_id", "type", "version", "occurred_at", "source", "correlation_id", "payload"}
        assert envelope["payload"]["email"] == "direction@acme.example.com"
        assert "code" not in json.dumps(envelope["payload"]) and "password" not in json.dumps(envelope)
    finally:
        connection.close()


def test_expired_code_with_the_service_clock(identity, rpc, codes):
    clock = FrozenClock()
    use_clock(identity, clock)
    token = start(identity, rpc)["signup_token"]
    code = last_code(codes["sms"], 1)
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(Gone) as refused:
        rpc.identity.verify_signup_sms_code(token, code)
    assert "expiré" in refused.value.message
    clock.advance(seconds=30)
    rpc.identity.resend_signup_sms_code(token)
    assert rpc.identity.verify_signup_sms_code(token, last_code(codes["sms"], 2))["step"] == "email_code"


def test_two_concurrent_verifications_of_one_code_exactly_one_succeeds(identity, rpc, codes, amqp_uri):
    token = start(identity, rpc)["signup_token"]
    code = last_code(codes["sms"], 1)

    def verify():
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as client:
            try:
                return client.identity.verify_signup_sms_code(token, code)["step"]
            except (Conflict, Gone, ValidationFailed) as exc:
                return type(exc).__name__

    outcomes = sorted(eventlet.GreenPool().imap(lambda _: verify(), range(2)))
    assert outcomes.count("email_code") == 1, outcomes
    assert len(codes["email"].wait_for(2, timeout=2)) == 1  # one e-mail code, not two
