"""A background command (consume_background_command) takes at most its own number of messages at
a time, so a backlog waiting on a resource of its own never takes the workers that the service's
RPCs need (issue 15: documents' summary renders and its RPCs)."""
import json

import eventlet
from eventlet.event import Event
from kombu import Connection, Producer
from sqlalchemy import MetaData

from consignations_shared.consumer import consume_background_command
from consignations_shared.events import COMMANDS_EXCHANGE, command_routing_key, new_envelope
from consignations_shared.rpc import rpc as rpc_entrypoint

started: list[str] = []
release = Event()


class BackgroundService:
    name = "bgwork"

    @consume_background_command("crunch", lambda settings: 1)
    def crunch(self, envelope):
        started.append(envelope.payload["n"])
        release.wait()  # a renderer's wait: holds this worker until the test lets it go

    @rpc_entrypoint
    def started(self):
        return list(started)


def send(amqp_uri, n):
    body = new_envelope("crunch", {"n": n}, source="test", command=True).to_dict()
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(body), exchange=COMMANDS_EXCHANGE, routing_key=command_routing_key("bgwork", "crunch"),
            content_type="application/json", content_encoding="utf-8", delivery_mode=2)


def wait_for(predicate, timeout=15.0):
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        eventlet.sleep(0.05)
    return predicate()


def test_a_backlog_of_background_commands_leaves_the_workers_to_rpc(start_service, rpc, amqp_uri):
    start_service(BackgroundService, env={"BGWORK_MAX_WORKERS": "3"}, metadata=MetaData())
    for n in range(5):
        send(amqp_uri, n)
    try:
        assert wait_for(lambda: len(started) == 1)
        # Three workers in all: nameko's own queue consumer would have handed three commands to
        # them, all waiting, and these calls would wait behind them until their timeout.
        calls = [rpc.bgwork.started.call_async() for _ in range(3)]
        assert [call.result() for call in calls] == [[0]] * 3
    finally:
        release.send()
    assert wait_for(lambda: len(started) == 5)
    assert sorted(started) == [0, 1, 2, 3, 4]
