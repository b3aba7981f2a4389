"""The revocation listener of a gateway process against the real broker (issue 15): it turns
the cache on once consuming, applies identity's events within a second, and starts from an
empty cache after losing its connection."""
import socket
import time
import uuid

import pytest
from kombu import Connection, Producer

from consignations_shared.contracts.payloads.identity import SessionsRevoked
from consignations_shared.events import EVENTS_EXCHANGE, new_envelope
from consignations_shared.outbox import events_exchange
from gateway_service.session_cache import PERSON_ACCESS_CHANGED, SESSIONS_REVOKED, RevocationListener, SessionCache


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def publish(amqp_uri, routing_key, payload):
    source, type_ = routing_key.split(".")
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        events_exchange(channel).declare()
        Producer(channel).publish(new_envelope(type_, payload, source=source).to_dict(), exchange=EVENTS_EXCHANGE,
                                  routing_key=routing_key, serializer="json")


def resolved_by(sessions):
    return lambda token: sessions[token]


@pytest.fixture
def listening(amqp_uri):
    cache = SessionCache(ttl=30, max_entries=100)
    listener = RevocationListener(amqp_uri, cache, heartbeat=2)
    assert not cache.live
    listener.start()
    assert wait_for(lambda: cache.live), "the listener never connected"
    yield cache, listener
    listener.stop()


def test_revocations_reach_the_cache_within_a_second(listening, amqp_uri):
    cache, _ = listening
    sessions = {f"t{i}": {"session_id": f"s{i}", "csrf_hash": "h", "person": {"id": person}}
                for i, person in enumerate(("anne", "anne", "bob", "carl", "zoe"))}
    for token in sessions:
        cache.resolve(token, resolved_by(sessions))
    assert len(cache) == 5
    publish(amqp_uri, SESSIONS_REVOKED, SessionsRevoked(person_id="anne", session_ids=["s0"], reason="logout").payload())
    assert wait_for(lambda: len(cache) == 3, timeout=1)
    publish(amqp_uri, PERSON_ACCESS_CHANGED, {"person_id": "bob"})
    assert wait_for(lambda: len(cache) == 2, timeout=1)
    publish(amqp_uri, "identity.unrelated_happened", {"person_id": "carl"})  # not bound: never received
    publish(amqp_uri, PERSON_ACCESS_CHANGED, {"person_id": str(uuid.uuid4())})
    publish(amqp_uri, PERSON_ACCESS_CHANGED, {"person_id": "zoe"})  # the last one: the others were handled
    assert wait_for(lambda: len(cache) == 1, timeout=1)
    assert cache.resolve("t3", lambda token: pytest.fail("carl should still be cached"))


def test_a_lost_connection_empties_the_cache_and_it_comes_back(listening):
    cache, listener = listening
    sessions = {"t": {"session_id": "s", "csrf_hash": "h", "person": {"id": "anne"}}}
    cache.resolve("t", resolved_by(sessions))
    assert len(cache) == 1
    listener._connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)  # the broker vanished
    assert wait_for(lambda: listener.connections == 2), "never reconnected"
    assert cache.live and len(cache) == 0
