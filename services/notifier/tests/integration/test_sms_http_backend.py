"""HttpSmsBackend against a real HTTP server on 127.0.0.1 (NO-A): the JSON and the header the
provider receives, and how each answer maps onto accepted / permanent / transient."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifier_service.delivery import (
    HttpSmsBackend, PermanentDeliveryError, SmsMessage, TransientDeliveryError, build_sms_backend,
)

TOKEN = "s3cr3t-token"
SMS = SmsMessage(to="+33612345678", text="Votre code confidentiel CDC est : 123456",
                 notification_id="3f0c2b4e-8a51-4b0e-9d3c-5d1f2a6b7c80")


class FakeProvider:
    """A provider answering each POST with the next queued status (default 202)."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                provider.requests.append({
                    "path": self.path, "headers": dict(self.headers.items()),
                    "body": self.rfile.read(length),
                })
                status = provider.statuses.pop(0) if provider.statuses else 202
                payload = json.dumps({"status": status, "detail": "numéro invalide" if status == 400 else ""},
                                     ensure_ascii=False)
                data = payload.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    fake = FakeProvider()
    yield fake
    fake.close()


def test_accepted_sms_posts_the_documented_json_with_the_bearer_token(provider):
    backend = build_sms_backend({"NOTIFIER_SMS_BACKEND": "http", "SMS_HTTP_URL": provider.url,
                                 "SMS_HTTP_TOKEN": TOKEN, "SMS_HTTP_TIMEOUT": "5"})
    backend.send(SMS)
    [request] = provider.requests
    assert request["path"] == "/v1/sms"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"].decode("utf-8")) == {
        "to": "+33612345678", "text": "Votre code confidentiel CDC est : 123456",
        "reference": "3f0c2b4e-8a51-4b0e-9d3c-5d1f2a6b7c80",
    }


@pytest.mark.parametrize("status", [200, 201, 204])
def test_any_2xx_is_accepted(provider, status):
    provider.statuses = [status]
    HttpSmsBackend(provider.url, TOKEN, 5).send(SMS)
    assert len(provider.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_4xx_is_permanent(provider, status):
    provider.statuses = [status]
    with pytest.raises(PermanentDeliveryError, match=str(status)) as caught:
        HttpSmsBackend(provider.url, TOKEN, 5).send(SMS)
    if status == 400:
        assert "numéro invalide" in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("status", [503, 500, 502, 408, 429, 302])
def test_5xx_408_429_and_the_unexpected_are_transient(provider, status):
    provider.statuses = [status]
    with pytest.raises(TransientDeliveryError, match=str(status)):
        HttpSmsBackend(provider.url, TOKEN, 5).send(SMS)


def test_closed_port_is_transient():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed as soon as we leave: nobody listens there
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        HttpSmsBackend(f"http://127.0.0.1:{port}/v1/sms", TOKEN, 2).send(SMS)


def test_a_provider_that_does_not_answer_in_time_is_transient():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1/sms"
        with pytest.raises(TransientDeliveryError, match="timed out"):
            HttpSmsBackend(url, TOKEN, 0.5).send(SMS)


def test_an_invalid_number_is_permanent_before_any_request(provider):
    with pytest.raises(PermanentDeliveryError, match="E.164"):
        HttpSmsBackend(provider.url, TOKEN, 5).send(SmsMessage(to="0612345678", text="x", notification_id="n-1"))
    assert provider.requests == []
