"""Login against the real identity service (PostgreSQL, RabbitMQ, real argon2 parameters):
comparable timing for known and unknown addresses (NF-1), lock-out then unlock with the
service clock, and concurrent logins that do not stall the service."""
import statistics
import time

import pytest
from sqlalchemy import create_engine, text

from consignations_shared.clock import FrozenClock
from consignations_shared.errors import Unauthenticated
from consignations_shared.events import COMMANDS_EXCHANGE
from consignations_shared.testing import use_clock
from identity_service.service import IdentityService

PASSWORD = "Consign-2026!"


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


def activated(identity, rpc, spy, email):
    watcher = spy(COMMANDS_EXCHANGE, "notifier.send_activation_link")
    challenge = rpc.identity.new_captcha()
    engine = create_engine(identity.config["DATABASE_URL"])
    with engine.connect() as connection:
        answer = connection.execute(text("SELECT answer FROM captcha_challenges WHERE id = :id"),
                                    {"id": challenge["captcha_id"]}).scalar_one()
    engine.dispose()
    rpc.identity.start_particulier_signup({
        "last_name": "Dupont", "first_name": "Élodie", "mobile": "0612345678", "email": email,
        "password": PASSWORD, "accept_cgu": True, "accept_conditions_particulieres": True,
        "captcha_id": challenge["captcha_id"], "captcha_answer": answer})
    [command] = watcher.wait_for(1)
    rpc.identity.activate_account(command["payload"]["link_token"])


def login_duration(rpc, email, password):
    started = time.perf_counter()
    with pytest.raises(Unauthenticated):
        rpc.identity.login(email, password)
    return time.perf_counter() - started


def test_unknown_and_known_addresses_take_comparable_time(identity, rpc, spy):
    activated(identity, rpc, spy, "connue@example.com")
    for _ in range(2):  # warm up both paths (dummy hash, connections)
        login_duration(rpc, "connue@example.com", "Mauvais-1")
        login_duration(rpc, "inconnue@example.com", "Mauvais-1")
    known, unknown = [], []
    for n in range(9):  # interleaved, different addresses so no lock-out kicks in
        known.append(login_duration(rpc, "connue@example.com", f"Mauvais-{n}"))
        unknown.append(login_duration(rpc, f"inconnue-{n}@example.com", f"Mauvais-{n}"))
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    # Both run one argon2id verification with the same parameters: the medians differ by a
    # small part of it, not by a whole hash (which is what leaks an account's existence).
    assert abs(known_median - unknown_median) < 0.25 * max(known_median, unknown_median), (known, unknown)


def test_lock_out_then_unlock_after_the_delay(identity, rpc, spy):
    clock = FrozenClock()
    use_clock(identity, clock)
    activated(identity, rpc, spy, "verrou@example.com")
    for n in range(10):
        login_duration(rpc, "verrou@example.com", f"Mauvais-{n}")
    with pytest.raises(Unauthenticated):
        rpc.identity.login("verrou@example.com", PASSWORD)
    clock.advance(minutes=1)
    assert rpc.identity.login("verrou@example.com", PASSWORD)["person"]["email"] == "verrou@example.com"
