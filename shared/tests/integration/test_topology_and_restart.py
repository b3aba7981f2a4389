"""Queues declared at deploy time keep events published before any consumer ran, and persistent
events survive a broker restart (SPEC EV-3, NF-2)."""
import json
import subprocess
import time

import pytest
from kombu import Connection

from consignations_shared.config import load_settings
from consignations_shared.topology import queue_specs

from plumbing_services import Base, PublisherService, SubscriberService  # noqa: E402


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def declare_subscriber_queues(amqp_uri, service_env):
    settings = load_settings("testsub", service_env)
    specs = queue_specs(SubscriberService, settings.event_retry_delays)
    assert [s.name for s in specs] == ["testsub.on_thing"]
    with Connection(amqp_uri) as connection:
        for spec in specs:
            spec.declare(connection.default_channel)
            # Other tests of this session may have left events in this queue.
            spec.queue()(connection.default_channel).purge()


def messages_waiting(amqp_uri, queue="testsub.on_thing") -> int:
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue=queue, passive=True).message_count


def test_event_published_before_the_first_consumer_ever_started_is_kept(start_service, amqp_uri, service_env, rpc):
    declare_subscriber_queues(amqp_uri, service_env)  # the deploy step, before any service runs
    start_service(PublisherService, metadata=Base.metadata)
    rpc.testpub.record("early bird")
    # The claim holds only if the event is in the queue before any consumer exists: wait for it
    # there (the relay publishes it), then start the first consumer.
    assert wait_until(lambda: messages_waiting(amqp_uri) == 1)
    start_service(SubscriberService, metadata=Base.metadata)
    assert wait_until(lambda: [e["note"] for e in rpc.testsub.effects()] == ["early bird"])


def broker_answers(amqp_uri) -> bool:
    try:
        with Connection(amqp_uri, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


@pytest.mark.broker_restart
def test_events_survive_a_broker_restart_and_services_reconnect(start_service, amqp_uri, service_env):
    from nameko.standalone.rpc import ClusterRpcProxy

    declare_subscriber_queues(amqp_uri, service_env)
    start_service(PublisherService, metadata=Base.metadata)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as rpc:
        rpc.testpub.record("before restart")
    assert wait_until(lambda: messages_waiting(amqp_uri) == 1)  # in the durable queue, nobody consuming it

    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, timeout=120)
    subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, timeout=120)
    assert wait_until(lambda: broker_answers(amqp_uri), timeout=60)

    subscriber = start_service(SubscriberService, metadata=Base.metadata)
    # The publisher service was running through the restart: it reconnects by itself.
    deadline = time.monotonic() + 60
    while True:
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=5) as rpc:
                rpc.testpub.record("after restart")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)

    def notes():
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=5) as rpc:
            return sorted(e["note"] for e in rpc.testsub.effects())

    assert wait_until(lambda: notes() == ["after restart", "before restart"], timeout=30), notes()
    assert subscriber is not None
