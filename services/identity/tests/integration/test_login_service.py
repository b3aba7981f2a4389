"""Login against the real identity service (PostgreSQL, RabbitMQ, real argon2 parameters):
lock-out then unlock with the service clock.
That known and unknown addresses cost the same (NF-1) is tested as a mechanism in the unit tier
(one argon2 verification on every path, test_identity_flows.py) and measured by bench/all.py."""

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


def failed_login(rpc, email, password):
    with pytest.raises(Unauthenticated):
        rpc.identity.login(email, password)


def test_lock_out_then_unlock_after_the_delay(identity, rpc, spy):
    clock = FrozenClock()
    use_clock(identity, clock)
    activated(identity, rpc, spy, "verrou@example.com")
    for n in range(10):
        failed_login(rpc, "verrou@example.com", f"Mauvais-{n}")
    with pytest.raises(Unauthenticated):
        rpc.identity.login("verrou@example.com", PASSWORD)
    clock.advance(minutes=1)
    assert rpc.identity.login("verrou@example.com", PASSWORD)["person"]["email"] == "verrou@example.com"
