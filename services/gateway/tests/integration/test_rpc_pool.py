"""The gateway's pooled RPC clients against the real broker: reuse, timeouts, unknown services,
and expiry of requests nobody took (NF-2)."""
import time

import eventlet
import pytest
from kombu import Connection
from nameko.containers import ServiceContainer

from consignations_shared.config import load_settings
from consignations_shared.errors import NotFound, ServiceUnavailable
from consignations_shared.providers import Correlation
from consignations_shared.rpc import rpc
from gateway_service.rpc_client import RpcClientPool

CALLS = []


class EchoService:
    name = "echo"
    correlation = Correlation()

    @rpc
    def echo(self, value):
        CALLS.append(value)
        return {"value": value, "correlation_id": self.correlation}

    @rpc
    def missing(self):
        raise NotFound("Demande introuvable.")

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)
        return "late"


def rpc_queue_depth(amqp_uri, service):
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(f"rpc-{service}", passive=True).message_count


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def echo(service_env):
    container = ServiceContainer(EchoService, load_settings("echo", service_env).nameko_config())
    container.start()
    yield container
    container.stop()


def test_clients_are_reused_and_errors_mapped(echo, amqp_uri):
    pool = RpcClientPool(amqp_uri, timeout=2, size=2)
    try:
        first = pool.call("echo", "echo", 1, correlation_id="corr-00000001")
        assert first == {"value": 1, "correlation_id": "corr-00000001"}
        client = pool._idle.queue[-1]
        pool.call("echo", "echo", 2, correlation_id="corr-00000002")
        assert pool._idle.queue == [client]  # the same connected client, no new connection
        with pytest.raises(NotFound) as refused:
            pool.call("echo", "missing")
        assert refused.value.message == "Demande introuvable."
        assert pool._idle.queue == [client]
    finally:
        pool.close()


def test_unknown_service_and_timeout_are_503(echo, amqp_uri):
    pool = RpcClientPool(amqp_uri, timeout=1, size=2)
    try:
        with pytest.raises(ServiceUnavailable):
            pool.call("nobody", "anything")
        with pytest.raises(ServiceUnavailable):
            pool.call("echo", "slow", 3)
        assert pool.call("echo", "echo", "still fine")["value"] == "still fine"
    finally:
        pool.close()


def test_request_to_a_stopped_service_expires_instead_of_running_later(echo, amqp_uri, service_env):
    pool = RpcClientPool(amqp_uri, timeout=1, size=1)
    try:
        echo.stop()  # its queue stays (durable): the request waits there
        with pytest.raises(ServiceUnavailable):
            pool.call("echo", "echo", "given up")
        # the broker drops the expired request from the service's queue (the queue is empty
        # with no consumer on it): only then does the service come back
        assert wait_for(lambda: rpc_queue_depth(amqp_uri, "echo") == 0)
        restarted = ServiceContainer(EchoService, load_settings("echo", service_env).nameko_config())
        restarted.start()
        try:
            assert pool.call("echo", "echo", "after")["value"] == "after"
            assert "given up" not in CALLS
        finally:
            restarted.stop()
    finally:
        pool.close()
