"""Failing fast (issue 15): the circuit breaker of each service the gateway calls, with an
injected clock, and the pool's use of it and of the short timeout of read requests."""
import threading
import uuid

import pybreaker
import pytest
from nameko.exceptions import RpcTimeout

from consignations_shared.errors import NotFound, ServiceUnavailable
from gateway_service import rpc_client
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
