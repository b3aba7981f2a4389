"""Account enumeration (issue 10): sign-up, login, forgotten password and activation resend answer
an address that has an account exactly as one that has none — same status, same body.

That both cost the same is not timed here (issue 21: no wall-clock assertion in tests): the
mechanism — exactly one argon2 verification on every login path, against the dummy hash for
an unknown address — is tested in services/identity/tests/unit/test_identity_flows.py, and the
timing itself is measured by the benchmarks (bench/all.py, row « login refused: known / unknown
address »)."""
from __future__ import annotations

import random

import requests

from e2e_helpers import solved_captcha
from security_helpers import new_email

TRIES = 5


def _compare(label, known_call, unknown_call, normalise=lambda body: body, tries=TRIES):
    known, unknown = [], []
    for _ in range(tries):  # interleaved, as an attacker would
        known.append(known_call())
        unknown.append(unknown_call())
    for a, b in zip(known, unknown):
        assert a.status_code == b.status_code, (label, a.status_code, a.text, b.status_code, b.text)
        assert normalise(a.json()) == normalise(b.json()), (label, a.text, b.text)
    return known[0]


def test_login_unknown_address_wrong_password_same_answer(world):
    system, known = world.system, world.people["administrateur_2"]
    url = system.url("/api/login")
    first = _compare("login",
                     lambda: requests.post(url, json={"email": known.email, "password": "Wrong-2026!"}),
                     lambda: requests.post(url, json={"email": new_email("personne"), "password": "Wrong-2026!"}),
                     tries=4)  # 8 failures for the known address, below the lockout (10)
    assert first.status_code == 401 and first.json()["error"]["code"] == "invalid_credentials"
    known.login(known.email, known.password)  # the right password still works (no lock), and resets the count


def test_forgotten_password_same_answer(world):
    system, known = world.system, world.people["consultation"]
    url = system.url("/api/password/forgotten")
    first = _compare("password/forgotten",
                     lambda: requests.post(url, json={"email": known.email}),
                     lambda: requests.post(url, json={"email": new_email("personne")}))
    assert first.status_code == 202


def test_activation_resend_same_answer(world):
    system, known = world.system, world.people["particulier"]
    url = system.url("/api/activation/resend")
    first = _compare("activation/resend",
                     lambda: requests.post(url, json={"email": known.email}),
                     lambda: requests.post(url, json={"email": new_email("personne")}), tries=3)
    assert first.status_code == 202


def _mobile():
    return "0614" + "".join(random.choice("0123456789") for _ in range(6))


def test_company_signup_same_answer(world):
    system, known = world.system, world.people["administrateur"]

    def signup(email):
        def call():
            http = requests.Session()
            return http.post(system.url("/api/signup/entreprise"), json={
                "company_name": "ENUM SAS", "email": email, "mobile": _mobile(), "password": "Consign-2026!",
                "accept_cgu": True, **solved_captcha(system, http)})
        return call

    def shape(body):  # the opaque token and the masked (random) mobile differ from one try to the next
        return {k: v for k, v in body.items() if k not in ("signup_token", "mobile_masked")}, sorted(body)

    first = _compare("signup/entreprise", signup(known.email), signup(new_email("libre")), normalise=lambda b: shape(
        {**b, "email": "<address>"}), tries=3)
    assert first.status_code == 201


def test_particulier_signup_same_answer(world):
    system, known = world.system, world.people["particulier"]

    def signup(email):
        def call():
            http = requests.Session()
            return http.post(system.url("/api/signup/particulier"), json={
                "last_name": "Durand", "first_name": "Léa", "mobile": "06 12 34 56 78", "email": email,
                "password": "Consign-2026!", "accept_cgu": True, "accept_conditions_particulieres": True,
                **solved_captcha(system, http)})
        return call

    first = _compare("signup/particulier", signup(known.email), signup(new_email("libre")), tries=3)
    assert first.status_code == 202
