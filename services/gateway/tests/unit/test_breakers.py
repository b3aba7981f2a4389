"""Failing fast (issue 15): the circuit breaker of each service the gateway calls, with an
injected clock, and the pool's use of it and of the short timeout of read requests; the
documents service's internal HTTP calls go through the same breaker as its RPCs."""
import io
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pybreaker
import pytest
import requests
from nameko.exceptions import RpcTimeout

from consignations_shared.errors import NotFound, ServiceUnavailable
from consignations_shared.testing import refusing_port
from gateway_service import documents_client, rpc_client
from gateway_service.breakers import Breakers, DependencyFailure, ServiceBreaker
from gateway_service.metrics import exposition

DOWN = "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants."


class Clock:
    def __init__(self):
        self.now = 50.0

    def __call__(self):
        return self.now


class Service:
    """What a breaker guards: answers, refuses or gets no answer as told, counting the calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, outcome="ok"):
        self.calls += 1
        if outcome == "down":
            raise DependencyFailure(DOWN)
        if outcome == "refused":
            raise NotFound("Demande introuvable.")
        return outcome


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def breaker(clock):
    return ServiceBreaker(f"svc{uuid.uuid4().hex[:6]}", failures=3, reset_timeout=5, clock=clock)


def fail(breaker, service, times):
    for _ in range(times):
        with pytest.raises(ServiceUnavailable):
            breaker.call(service, "down")


def test_three_failures_in_a_row_open_it_and_calls_then_fail_at_once(breaker):
    service = Service()
    fail(breaker, service, 2)
    assert breaker.state == "closed"
    fail(breaker, service, 1)
    assert breaker.state == "open" and service.calls == 3
    with pytest.raises(ServiceUnavailable) as refused:
        breaker.call(service)
    assert refused.value.message == DOWN and refused.value.status == 503
    assert service.calls == 3  # never reached the service


def test_business_refusals_are_answers_and_reset_the_count(breaker):
    service = Service()
    fail(breaker, service, 2)
    for _ in range(5):
        with pytest.raises(NotFound):
            breaker.call(service, "refused")
    fail(breaker, service, 2)
    assert breaker.state == "closed"
    assert breaker.call(service) == "ok"
    fail(breaker, service, 2)
    assert breaker.state == "closed"


def test_after_the_reset_timeout_one_trial_goes_and_its_success_closes_it(breaker, clock):
    service = Service()
    fail(breaker, service, 3)
    clock.now += 4.9
    with pytest.raises(ServiceUnavailable):
        breaker.call(service)
    clock.now += 0.2
    others = []

    def trial_call():
        # While the trial runs, other calls still fail at once.
        with pytest.raises(ServiceUnavailable):
            breaker.call(service)
        others.append(breaker.state)
        return "back"

    assert breaker.call(trial_call) == "back"
    assert others == ["half-open"]
    assert breaker.state == "closed"
    assert breaker.call(service) == "ok"


def test_a_failed_trial_opens_it_for_another_reset_timeout(breaker, clock):
    service = Service()
    fail(breaker, service, 3)
    clock.now += 5
    fail(breaker, service, 1)
    assert breaker.state == "open" and service.calls == 4
    clock.now += 4
    with pytest.raises(ServiceUnavailable):
        breaker.call(service)
    assert service.calls == 4
    clock.now += 1
    assert breaker.call(service) == "ok" and breaker.state == "closed"


def test_a_refusal_as_trial_closes_it(breaker, clock):
    service = Service()
    fail(breaker, service, 3)
    clock.now += 5
    with pytest.raises(NotFound):
        breaker.call(service, "refused")
    assert breaker.state == "closed"


def test_late_outcomes_of_calls_admitted_before_it_opened_change_nothing(breaker, clock):
    service = Service()
    early = [breaker.admit() for _ in range(2)]  # two slow calls on their way
    fail(breaker, service, 3)
    breaker.record(early[0], None)  # one answers late
    assert breaker.state == "open"
    breaker.record(early[1], DependencyFailure(DOWN))
    clock.now += 5
    assert breaker.call(service) == "ok" and breaker.state == "closed"


def test_pybreakers_own_state_control_is_obeyed(breaker, clock):
    breaker.breaker.open()
    with pytest.raises(ServiceUnavailable):
        breaker.call(Service())
    breaker.breaker.close()
    assert breaker.call(Service()) == "ok"
    assert isinstance(breaker.breaker, pybreaker.CircuitBreaker)


def test_calls_are_not_serialised_by_the_breaker(breaker):
    """pybreaker's call() holds a lock for the whole call: ours does not."""
    inside, release = threading.Event(), threading.Event()
    results = []

    def slow():
        inside.set()
        release.wait(5)
        return "slow"

    worker = threading.Thread(target=lambda: results.append(breaker.call(slow)))
    worker.start()
    assert inside.wait(5)
    assert breaker.call(Service()) == "ok"  # not blocked behind the slow call
    release.set()
    worker.join(5)
    assert results == ["slow"]


# --- in the RPC pool -------------------------------------------------------------------------

class FakeClient:
    """A pooled client whose services answer as the test says, recording each call's timeout."""
    down: set = set()
    calls: list = []

    def __init__(self, amqp_uri, timeout):
        pass

    def call(self, service, method, correlation_id, args, kwargs, timeout=None):
        FakeClient.calls.append((service, timeout))
        if service in FakeClient.down:
            raise RpcTimeout(timeout)
        if method == "missing":
            raise NotFound("Demande introuvable.")
        return "ok"

    def close(self):
        pass


@pytest.fixture
def pool(monkeypatch, clock):
    monkeypatch.setattr(rpc_client, "_Client", FakeClient)
    FakeClient.down, FakeClient.calls = set(), []
    return rpc_client.RpcClientPool("amqp://unused", timeout=10, size=2, read_timeout=1.5,
                                    breakers=Breakers(3, 5, clock=clock))


def test_the_pool_opens_the_breaker_of_the_silent_service_only(pool, clock):
    accounts, demandes = f"accounts{uuid.uuid4().hex[:6]}", f"demandes{uuid.uuid4().hex[:6]}"
    FakeClient.down = {accounts}
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            pool.call(accounts, "fiche")
    with pytest.raises(NotFound):
        pool.call(demandes, "missing")
    reached = len(FakeClient.calls)
    with pytest.raises(ServiceUnavailable) as refused:
        pool.call(accounts, "fiche")
    assert refused.value.message == DOWN
    assert len(FakeClient.calls) == reached  # answered without a call
    assert pool.call(demandes, "board") == "ok"
    assert pool.breakers.states() == {accounts: "open", demandes: "closed"}
    text = exposition().decode()
    assert f'consignations_gateway_breaker_state{{service="{accounts}"}} 2.0' in text
    assert f'consignations_gateway_breaker_state{{service="{demandes}"}} 0.0' in text
    FakeClient.down = set()
    clock.now += 5
    assert pool.call(accounts, "fiche") == "ok"
    assert pool.breakers.states()[accounts] == "closed"


def test_a_busy_pool_is_not_held_against_the_service(pool):
    service = f"svc{uuid.uuid4().hex[:6]}"
    pool.timeout = pool.read_timeout = 0.01
    for _ in range(2):
        pool._slots.acquire()  # every slot lent to calls that have not come back
    for _ in range(4):
        with pytest.raises(ServiceUnavailable):
            pool.call(service, "board")
    assert pool.breakers[service].state == "closed" and FakeClient.calls == []


def test_read_requests_wait_the_short_timeout_and_changes_the_long_one(pool):
    from flask import Flask

    from gateway_service import breakers

    app = Flask(__name__)
    breakers.install(app)

    @app.route("/x", methods=["GET", "POST"])
    def x():
        return pool.call("demandes", "board")

    client = app.test_client()
    client.get("/x")
    client.head("/x")
    client.post("/x")
    assert FakeClient.calls == [("demandes", 1.5), ("demandes", 1.5), ("demandes", 10)]


# --- the documents service's internal HTTP calls ---------------------------------------------

UNAVAILABLE = documents_client.UNAVAILABLE
PERSON = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}


@pytest.fixture
def documents_http():
    """A stand-in of the documents service's internal HTTP API: 404 in French for /missing, the
    bytes for any other download, and the paths it was asked."""
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            missing = "/missing/" in self.path
            body = (json.dumps({"error": {"code": "not_found", "message": "Document introuvable."}}).encode()
                    if missing else b"%PDF-1.4")
            self.send_response(404 if missing else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()
    thread.join(5)


def documents(url, breakers):
    return documents_client.DocumentsClient(url, "token", "/unused", timeout=5, breakers=breakers)


def download(client, document_id="doc-1"):
    response = client.download(document_id, PERSON)
    response.close()
    return response.status_code


def test_refused_connections_open_the_documents_breaker_the_rpcs_share(pool, clock):
    with refusing_port() as port:
        client = documents(f"http://127.0.0.1:{port}", pool.breakers)
        for _ in range(3):
            with pytest.raises(ServiceUnavailable) as refused:
                download(client)
            assert refused.value.message == UNAVAILABLE  # no answer: counted
        assert pool.breakers["documents"].state == "open"
        with pytest.raises(ServiceUnavailable) as at_once:
            client.upload({"kind": "RIB"}, PERSON, io.BytesIO(b"%PDF"), 4)
        assert at_once.value.message == DOWN
        with pytest.raises(ServiceUnavailable) as rpc_too:
            pool.call("documents", "document_owner", "doc-1")
        assert rpc_too.value.message == DOWN and FakeClient.calls == []


def test_an_open_documents_breaker_calls_nothing_and_closes_when_documents_answers_again(
        documents_http, clock):
    url, asked = documents_http
    breakers = Breakers(3, 5, clock=clock)
    with refusing_port() as port:
        down = documents(f"http://127.0.0.1:{port}", breakers)
        for _ in range(3):
            with pytest.raises(ServiceUnavailable):
                download(down)
    client = documents(url, breakers)  # the same process, documents back at its address
    with pytest.raises(ServiceUnavailable) as at_once:
        download(client)
    assert at_once.value.message == DOWN and asked == []  # answered without a call
    clock.now += 5
    assert download(client) == 200  # the trial call
    assert breakers["documents"].state == "closed" and asked == ["/internal/documents/doc-1/content"]


def test_an_answered_refusal_is_not_a_failure_and_a_timeout_is(documents_http, clock, monkeypatch):
    url, asked = documents_http
    breakers = Breakers(3, 5, clock=clock)
    client = documents(url, breakers)
    for _ in range(5):
        with pytest.raises(NotFound) as refused:
            download(client, "missing")
        assert refused.value.message == "Document introuvable."
    assert breakers["documents"].state == "closed" and len(asked) == 5

    def timed_out(*args, **kwargs):
        raise requests.ReadTimeout("no answer in time")

    monkeypatch.setattr(client._session(), "request", timed_out)
    for _ in range(2):
        with pytest.raises(ServiceUnavailable):
            download(client)
    assert breakers["documents"].state == "closed"
    with pytest.raises(ServiceUnavailable):
        download(client)
    assert breakers["documents"].state == "open"


def test_each_process_judges_by_its_own_calls(clock, monkeypatch):
    from gateway_service import breakers as module

    breakers = Breakers(1, 5, clock=clock)
    with pytest.raises(ServiceUnavailable):
        breakers["documents"].call(Service(), "down")
    assert breakers.states() == {"documents": "open"}
    monkeypatch.setattr(module.os, "getpid", lambda: -1)  # a gunicorn worker forked after the app was made
    assert breakers["documents"].state == "closed" and breakers.states() == {"documents": "closed"}


def test_the_app_gives_the_documents_client_the_breakers_of_its_rpc_pool():
    from gateway_service.api import documents as documents_api
    from gateway_service.app import create_app
    from gateway_service.settings import GatewaySettings

    app = create_app(GatewaySettings.from_env({}), configure_logs=False)
    with app.app_context():
        assert documents_api.client().breakers is app.extensions["rpc"].breakers is not None
