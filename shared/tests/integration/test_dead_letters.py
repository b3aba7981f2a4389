"""The dead-letter tool (python -m consignations_shared.dead_letters) against the real RabbitMQ:
list without consuming, replay all or one event back to the original queue, attempts reset."""
import io
import json
import re
import os
import subprocess
import sys
import uuid

import pytest
from kombu import Connection, Exchange, Producer, Queue

from consignations_shared import dead_letters
from consignations_shared.consumer import ATTEMPT_HEADER, ERROR_HEADER, QueueSpec
from consignations_shared.events import EVENTS_EXCHANGE, new_envelope

events = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)


@pytest.fixture
def spec(amqp_uri):
    spec = QueueSpec(name=f"dltest.on_thing_{uuid.uuid4().hex[:8]}", exchange=events,
                     routing_key="dltest.thing_happened", retry_delays=(0.2, 0.4))
    with Connection(amqp_uri) as connection:
        spec.declare(connection.default_channel)
    return spec


def park(amqp_uri, spec, error="RuntimeError: provider down", attempt=3):
    """A message as the consumer leaves it in the DLQ after its last attempt."""
    envelope = new_envelope("thing_happened", {"n": 1}, source="dltest").to_dict()
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(envelope), exchange="", routing_key=spec.dlq_name,
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            message_id=envelope["event_id"],
            headers={ATTEMPT_HEADER: attempt, ERROR_HEADER: error,
                     "x-original-exchange": EVENTS_EXCHANGE,
                     "x-original-routing-key": "dltest.thing_happened"})
    return envelope


def drain(amqp_uri, name):
    found = []
    with Connection(amqp_uri) as connection:
        queue = Queue(name, durable=True)(connection.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            found.append((json.loads(message.body), dict(message.headers or {}), message.properties))
    return found


def depth(amqp_uri, name):
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue=name, passive=True).message_count


def run_cli(amqp_uri, *args):
    env = {**os.environ, "AMQP_URI": amqp_uri}
    return subprocess.run([sys.executable, "-m", "consignations_shared.dead_letters", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_list_shows_each_parked_message_without_consuming_it(amqp_uri, spec):
    first = park(amqp_uri, spec, error="TransientDeliveryError: SMS provider answered 503")
    second = park(amqp_uri, spec, error="KeyError: 'number'", attempt=4)

    [queue] = dead_letters.list_dead_letters([(amqp_uri, spec.dlq_name)])
    assert (queue.name, queue.count, queue.main_queue) == (spec.dlq_name, 2, spec.name)
    assert [(m.event_type, m.event_id, m.attempt, m.error) for m in queue.messages] == [
        ("thing_happened", first["event_id"], 3, "TransientDeliveryError: SMS provider answered 503"),
        ("thing_happened", second["event_id"], 4, "KeyError: 'number'"),
    ]
    assert depth(amqp_uri, spec.dlq_name) == 2  # nothing removed
    # and the same through the command line, by the main queue's name
    result = run_cli(amqp_uri, "list", "--queue", spec.name)
    assert result.returncode == 0, result.stderr
    assert f"{spec.dlq_name}: 2 message(s)" in result.stdout
    assert (f"type=thing_happened event_id={first['event_id']} x-attempt=3 "
            "x-error=TransientDeliveryError: SMS provider answered 503") in result.stdout
    assert f"event_id={second['event_id']} x-attempt=4" in result.stdout
    assert depth(amqp_uri, spec.dlq_name) == 2
    assert [body["event_id"] for body, _, _ in drain(amqp_uri, spec.dlq_name)] == [
        first["event_id"], second["event_id"]]  # order kept


def test_replay_one_event_then_the_rest_back_to_the_original_queue(amqp_uri, spec):
    first = park(amqp_uri, spec)
    second = park(amqp_uri, spec)

    out = io.StringIO()
    assert dead_letters.main(["--amqp-uri", amqp_uri, "replay", spec.dlq_name,
                              "--event-id", second["event_id"]], out=out) == 0
    assert f"replayed 1 message(s) from {spec.dlq_name} to {spec.name}" in out.getvalue()
    assert depth(amqp_uri, spec.dlq_name) == 1
    [(body, headers, properties)] = drain(amqp_uri, spec.name)
    assert body == second
    assert ATTEMPT_HEADER not in headers and ERROR_HEADER not in headers  # a full retry budget again
    assert headers["x-replay-count"] == 1
    assert headers["x-original-routing-key"] == "dltest.thing_happened"
    assert properties["delivery_mode"] == 2 and properties["message_id"] == second["event_id"]

    # an unknown event id moves nothing and says so
    assert dead_letters.main(["--amqp-uri", amqp_uri, "replay", spec.dlq_name,
                              "--event-id", str(uuid.uuid4())], out=io.StringIO()) == 1
    assert depth(amqp_uri, spec.dlq_name) == 1

    result = run_cli(amqp_uri, "replay", spec.dlq_name)
    assert result.returncode == 0, result.stderr
    assert "replayed 1 message(s)" in result.stdout
    assert depth(amqp_uri, spec.dlq_name) == 0
    assert [body for body, _, _ in drain(amqp_uri, spec.name)] == [first]


def test_replay_refuses_what_is_not_a_dead_letter_queue(amqp_uri, spec):
    assert dead_letters.main(["--amqp-uri", amqp_uri, "replay", spec.name], out=io.StringIO()) == 1
    assert dead_letters.main(["--amqp-uri", amqp_uri, "replay", "nothing-here.dlq"], out=io.StringIO()) == 1


def test_list_covers_every_subscription_of_the_services(amqp_uri, service_env):
    from consignations_shared.topology import declare

    declare(["notifier"], service_env)  # the session's retry delays: queues may exist already
    spec = next(s for s in _notifier_specs(service_env) if s.name == "notifier.send_signup_sms_code")
    before = dead_letters.inspect_queue(amqp_uri, spec.dlq_name).count  # other tests share the vhost
    letter = park(amqp_uri, spec, error="TransientDeliveryError: down")

    result = run_cli(amqp_uri, "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"notifier.send_signup_sms_code.dlq: {before + 1} message(s)" in lines
    assert (f"  - type=thing_happened event_id={letter['event_id']} x-attempt=3 "
            "x-error=TransientDeliveryError: down") in lines
    for spec_ in _notifier_specs(service_env):  # every subscription of the notifier...
        assert any(line.startswith(f"{spec_.dlq_name}: ") for line in lines), spec_.dlq_name
    assert any(line.startswith("accounts.on_signup_verified.dlq: ") for line in lines)  # ...and the others'
    assert re.fullmatch(r"\d+ dead-lettered message\(s\) in \d+ queue\(s\)", lines[-1])


def _notifier_specs(env):
    from consignations_shared.config import load_settings
    from consignations_shared.topology import SERVICE_CLASSES, load_service_class, queue_specs

    return queue_specs(load_service_class(SERVICE_CLASSES["notifier"]),
                       load_settings("notifier", env).event_retry_delays)
