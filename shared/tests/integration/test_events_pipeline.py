"""Outbox relay, idempotent consumer, retries and dead-letter queue, external pika subscriber
(SPEC EV-1..EV-4), against the real RabbitMQ and PostgreSQL."""
import json
import time
import uuid

import pika
import pytest
from kombu import Connection, Exchange, Producer, Queue
from sqlalchemy import select

from consignations_shared.consumer import ATTEMPT_HEADER, ERROR_HEADER
from consignations_shared.db import get_engine
from consignations_shared.events import COMMANDS_EXCHANGE, EVENTS_EXCHANGE, new_envelope
from consignations_shared.plumbing import outbox
from consignations_shared.testing import Settled

from plumbing_services import Base, PublisherService, SubscriberService  # noqa: E402

events = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)


def publish_raw(amqp_uri, body, routing_key="testpub.thing_happened", content_type="application/json"):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.default_channel)
        producer.publish(body, exchange=EVENTS_EXCHANGE, routing_key=routing_key,
                         content_type=content_type, content_encoding="utf-8", delivery_mode=2)


def queue_messages(amqp_uri, name):
    """Drain a queue: list of (body, headers)."""
    found = []
    with Connection(amqp_uri) as connection:
        queue = Queue(name, durable=True)(connection.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            found.append((json.loads(message.body), message.headers))
    return found


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def publisher(start_service):
    return start_service(PublisherService, metadata=Base.metadata)


@pytest.fixture
def subscriber(start_service):
    return start_service(SubscriberService, metadata=Base.metadata)


def test_event_is_published_only_when_its_transaction_commits(publisher, rpc, spy):
    watcher = spy(EVENTS_EXCHANGE, "testpub.#")
    rpc.testpub.record("rolled back", commit=False)
    committed = rpc.testpub.record("committed")
    marker = rpc.testpub.record("marker")
    # The relay publishes in outbox order: had the rolled-back event been written, it would come
    # before these two, so the marker's arrival closes the check without waiting on a clock.
    bodies = watcher.wait_for(2)
    assert [b["payload"]["note"] for b in bodies] == ["committed", "marker"]
    assert bodies == [committed, marker]
    _, message = watcher.messages[0]
    assert message.properties["delivery_mode"] == 2
    assert message.properties["message_id"] == committed["event_id"]


def test_private_command_is_scrubbed_from_the_outbox_once_published(publisher, rpc, spy):
    watcher = spy(COMMANDS_EXCHANGE, "testsub.use_secret")
    rpc.testpub.send_secret("123456")
    [body] = watcher.wait_for(1)
    assert body["payload"] == {"code": "123456"}
    url = publisher.config["DATABASE_URL"]

    def stored_bodies():
        with get_engine(url).connect() as connection:
            rows = connection.execute(select(outbox.c.body, outbox.c.published_at)).all()
        return rows if rows and all(r.published_at for r in rows) else None

    rows = wait_until(stored_bodies)
    assert "123456" not in json.dumps([r.body for r in rows])


def test_duplicate_delivery_runs_the_effect_once(subscriber, amqp_uri, rpc):
    settled = Settled("testsub", "testsub.on_thing")
    envelope = new_envelope("thing_happened", {"note": "once"}, source="testpub").to_dict()
    publish_raw(amqp_uri, json.dumps(envelope))
    publish_raw(amqp_uri, json.dumps(envelope))
    other = new_envelope("thing_happened", {"note": "marker"}, source="testpub").to_dict()
    publish_raw(amqp_uri, json.dumps(other))
    assert settled.wait(3) >= 3  # all three deliveries handled, whatever their order
    assert sorted(e["note"] for e in rpc.testsub.effects()) == ["marker", "once"]


def test_poison_event_is_retried_then_dead_lettered(subscriber, amqp_uri, rpc):
    poison = new_envelope("thing_happened", {"note": "poison"}, source="testpub").to_dict()
    publish_raw(amqp_uri, json.dumps(poison))
    dead = wait_until(lambda: queue_messages(amqp_uri, "testsub.on_thing.dlq"), timeout=15)
    assert len(dead) == 1
    body, headers = dead[0]
    assert body == poison
    assert headers[ATTEMPT_HEADER] == 3  # EVENT_RETRY_DELAYS=0.2,0.4: three attempts in all
    assert "this event always fails" in headers[ERROR_HEADER]
    # The subscriber keeps working after it.
    publish_raw(amqp_uri, json.dumps(new_envelope("thing_happened", {"note": "ok"}, source="testpub").to_dict()))
    assert wait_until(lambda: rpc.testsub.effect_count() == 1)
    assert queue_messages(amqp_uri, "testsub.on_thing") == []


def test_message_that_is_not_an_envelope_goes_straight_to_the_dlq(subscriber, amqp_uri):
    publish_raw(amqp_uri, json.dumps({"hello": "world"}))
    publish_raw(amqp_uri, b"\xff not json", content_type="application/json")
    dead = wait_until(lambda: len(queue_messages_peek(amqp_uri, "testsub.on_thing.dlq")) >= 2)
    assert dead
    headers = [h for _, h in queue_messages_raw(amqp_uri, "testsub.on_thing.dlq")]
    assert any("invalid envelope" in h[ERROR_HEADER] for h in headers)
    assert any("undecodable" in h[ERROR_HEADER] for h in headers)


def queue_messages_raw(amqp_uri, name):
    found = []
    with Connection(amqp_uri) as connection:
        queue = Queue(name, durable=True)(connection.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            found.append((message.body, message.headers))
    return found


def queue_messages_peek(amqp_uri, name):
    with Connection(amqp_uri) as connection:
        _, count, _ = Queue(name, durable=True)(connection.default_channel).queue_declare(passive=True)
    return [None] * count


def test_plain_pika_consumer_receives_events_with_their_envelope(publisher, rpc, amqp_uri):
    """Another CDC system binds its own queue to our exchange, as docs/asyncapi.yaml says."""
    parameters = pika.URLParameters(amqp_uri)
    connection = pika.BlockingConnection(parameters)
    try:
        channel = connection.channel()
        channel.exchange_declare(EVENTS_EXCHANGE, exchange_type="topic", durable=True, passive=True)
        queue = channel.queue_declare(f"other-system-{uuid.uuid4().hex[:6]}", exclusive=True).method.queue
        channel.queue_bind(queue, EVENTS_EXCHANGE, routing_key="testpub.thing_happened")
        sent = rpc.testpub.record("for pika")
        deadline = time.monotonic() + 10
        received = None
        while received is None and time.monotonic() < deadline:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                connection.sleep(0.1)
                continue
            received = (properties, json.loads(body))
        assert received is not None
        properties, envelope = received
        assert envelope == sent
        assert properties.content_type == "application/json"
        assert properties.delivery_mode == 2
    finally:
        connection.close()
