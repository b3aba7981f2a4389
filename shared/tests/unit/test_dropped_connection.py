"""A message settled on a connection the broker has just dropped (a broker restart) must not stop
the service: nameko lets the socket's own errors escape from an ack, and raised from an RPC
reply's handler they killed the whole container (seen in the fault suite, issue 10)."""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from consignations_shared.consumer import MessageConsumer
from consignations_shared.rpc import TimedRpcProxy, rpc


class DroppedMessage:
    """A message whose connection still looks open but whose socket is gone."""

    def __init__(self, correlation_id="call-1", error=BrokenPipeError(32, "Broken pipe")):
        self.channel = SimpleNamespace(connection=object())
        self.properties = {"correlation_id": correlation_id}
        self.delivery_info = {"routing_key": "rpc.reply-demandes-1"}
        self.error = error
        self.settled = []

    def ack(self):
        self.settled.append("ack")
        raise self.error

    def requeue(self):
        self.settled.append("requeue")
        raise self.error


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset"),
                                   OSError(9, "Bad file descriptor")])
def test_a_reply_arriving_as_the_connection_drops_is_still_delivered(error, caplog):
    listener = TimedRpcProxy("accounts").rpc_reply_listener
    waiting = listener.get_reply_event("call-1")
    message = DroppedMessage(error=error)
    with caplog.at_level(logging.WARNING):
        listener.handle_message({"result": {"ok": True}, "error": None}, message)
    assert message.settled == ["ack"]
    assert waiting.wait() == {"result": {"ok": True}, "error": None}
    assert "the broker delivers it again" in caplog.text


def test_rpc_and_event_entrypoints_settle_without_raising():
    @rpc
    def method(self):  # pragma: no cover - only its entrypoint is used
        return None

    rpc_entrypoint = next(iter(method.nameko_entrypoints))
    for queue_consumer in (rpc_entrypoint.rpc_consumer.queue_consumer, MessageConsumer.queue_consumer):
        message = DroppedMessage()
        queue_consumer.ack_message(message)
        queue_consumer.requeue_message(message)
        assert message.settled == ["ack", "requeue"]
