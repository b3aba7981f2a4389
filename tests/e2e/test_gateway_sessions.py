"""The session at the gateway (issue 15): two gateway instances (two gunicorn masters with two
workers each, the same broker) cache resolved sessions, and a session revoked through one of
them (logout, password change) is refused by every worker of both within a second."""
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from e2e_helpers import gateway_ready, plain_text, sign_up_particulier, start_gateway, stop_process, wait_email, wait_for
from test_scale_out import counter

WORKERS = 2  # the system's gateway has GATEWAY_WORKERS=2 too
CACHE = "consignations_gateway_session_cache_total"


@pytest.fixture(scope="module")
def gateways(system):
    """The system's gateway and a second instance (two workers each, the same broker)."""
    assert wait_for(lambda: gateway_ready(system.base_url), timeout=30), "a worker does not listen to revocations"
    second, url = start_gateway(system, "gateway-2", GATEWAY_WORKERS=str(WORKERS))
    try:
        yield [system.base_url, url]
    finally:
        stop_process(second)


def status(url, token):
    # A new connection each time: the requests spread over the gateway's workers.
    return requests.get(url + "/api/session", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code


def cached_everywhere(urls, token):
    """Use the token on every gateway until each of its workers has resolved it once (one miss
    per worker; the later requests are answered from the caches)."""
    for url in urls:
        before = counter(url + "/metrics", CACHE, outcome="miss")
        with ThreadPoolExecutor(max_workers=4) as pool:
            def spread():
                return list(pool.map(lambda _: status(url, token), range(8)))

            assert wait_for(lambda: all(s == 200 for s in spread())
                            and counter(url + "/metrics", CACHE, outcome="miss") - before >= WORKERS, timeout=30), \
                f"{url}: the token was not resolved by each worker"
        assert counter(url + "/metrics", CACHE, outcome="hit") > 0


def refused_everywhere(urls, token, tries=6):
    return all(status(url, token) == 401 for url in urls for _ in range(tries))


def bearer(system_url, email, password):
    reply = requests.post(system_url + "/api/login", json={"email": email, "password": password, "session": "bearer"})
    assert reply.status_code == 200, reply.text
    return reply.json()["session_token"]


def test_logout_on_one_gateway_is_refused_by_every_worker_of_both_within_a_second(system, gateways):
    email = f"deux-passerelles-{uuid.uuid4().hex[:8]}@example.com"
    sign_up_particulier(system, email)
    token, kept = bearer(gateways[0], email, "Consign-2026!"), bearer(gateways[1], email, "Consign-2026!")
    cached_everywhere(gateways, token)
    cached_everywhere(gateways, kept)

    logout = requests.post(gateways[1] + "/api/logout", headers={"Authorization": f"Bearer {token}"})
    assert logout.status_code == 204
    assert wait_for(lambda: refused_everywhere(gateways, token), timeout=1.0), \
        [status(url, token) for url in gateways for _ in range(4)]
    assert refused_everywhere(gateways, token, tries=10)  # and it stays refused
    assert all(status(url, kept) == 200 for url in gateways for _ in range(4))  # the other session lives on


def test_password_change_on_one_gateway_revokes_the_other_sessions_everywhere_within_a_second(system, gateways):
    email = f"mdp-passerelles-{uuid.uuid4().hex[:8]}@example.com"
    browser = sign_up_particulier(system, email)  # a cookie session on the first gateway
    other = bearer(gateways[1], email, "Consign-2026!")
    cached_everywhere(gateways, other)

    new_password = "Deux-Passerelles-42"
    assert browser.post("/api/me/password/code", json={"password": new_password}).status_code == 202
    mail = wait_email(system, email, "Code confidentiel pour changer votre mot de passe")
    code = re.search(r"^\s+([A-Z0-9]{6})\s*$", plain_text(mail), re.M).group(1)
    changed = browser.post("/api/me/password", json={"password": new_password, "code": code})
    assert changed.status_code == 200, changed.text

    assert wait_for(lambda: refused_everywhere(gateways, other), timeout=1.0), \
        [status(url, other) for url in gateways for _ in range(4)]
    assert refused_everywhere(gateways, other, tries=10)
    assert browser.get("/api/session").status_code == 200  # the session that changed it stays
