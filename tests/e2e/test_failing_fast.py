"""Failing fast (issue 15): with the accounts process frozen (`kill -STOP`), a page that needs it
answers the French GW-3 503 within 2 s (short timeout of reads, then each gateway worker's
breaker is open), and once it runs again (`kill -CONT`) the page answers 200 by itself.

The system's gateway waits RPC_TIMEOUT for reads too (conftest: a loaded CI machine must not turn
slow reads into 503s); this test uses a gateway of its own with the default read timeout."""
import os
import signal
import uuid

import pytest
import requests

from e2e_helpers import sign_up_particulier, start_gateway, stop_process, wait_for
from test_scale_out import counter

DOWN = "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants."
PAGE = "/api/me/profile"  # answered by the accounts service


@pytest.fixture
def gateway(system):
    env = {"RPC_READ_TIMEOUT": "1.5", "GATEWAY_BREAKER_FAILURES": "3", "GATEWAY_BREAKER_RESET": "5"}
    process, url = start_gateway(system, "gateway-defaults", **env)
    yield url
    stop_process(process)


def test_a_frozen_service_answers_503_within_two_seconds_and_200_once_back(system, gateway):
    browser = sign_up_particulier(system, f"gel-{uuid.uuid4().hex[:8]}@example.com")

    def page(timeout):
        # A new connection each time: the requests spread over the gateway's workers.
        return requests.get(gateway + PAGE, cookies=browser.http.cookies, timeout=timeout)

    assert page(10).status_code == 200
    accounts = system.processes["accounts"]
    os.kill(accounts.pid, signal.SIGSTOP)
    try:
        def answered_503_within_two_seconds():
            try:
                reply = page(timeout=2)
            except requests.Timeout:
                return False
            return reply.status_code == 503 and reply.json()["error"]["message"] == DOWN

        # The first calls wait the read timeout; after three, each worker's breaker is open.
        assert wait_for(lambda: all(answered_503_within_two_seconds() for _ in range(6)), timeout=30)
        assert counter(gateway + "/metrics", "consignations_gateway_breaker_state", service="accounts") == 2
        assert all(answered_503_within_two_seconds() for _ in range(10))
    finally:
        os.kill(accounts.pid, signal.SIGCONT)

    assert wait_for(lambda: all(page(10).status_code == 200 for _ in range(6)), timeout=30), page(10).text
    # Each worker's breaker closes on its own first call after the reset timeout: keep asking until
    # every worker has had one (which worker answers is gunicorn's choice).
    assert wait_for(lambda: page(10).status_code == 200 and counter(
        gateway + "/metrics", "consignations_gateway_breaker_state", service="accounts") == 0, timeout=30)
