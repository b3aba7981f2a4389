"""One-time codes and links (issue 10): brute force stops after the allowed attempts (even the
right code is then refused), and a code or link used by several requests at once works once."""
from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor

import requests

from e2e_helpers import link_token, plain_text, sms_to, solved_captcha, wait_email, wait_for
from security_helpers import code_in, new_email

PASSWORD = "Consign-2026!"
TRIES = 8  # requests racing for the same code


def _start_company_signup(system):
    mobile = "0613" + "".join(random.choice("0123456789") for _ in range(6))
    email = new_email("otp")
    http = requests.Session()
    started = http.post(system.url("/api/signup/entreprise"), json={
        "company_name": "OTP SAS", "email": email, "mobile": mobile, "password": PASSWORD,
        "accept_cgu": True, **solved_captcha(system, http)})
    assert started.status_code == 201, started.text
    e164 = "+33" + mobile[1:]
    code = wait_for(lambda: sms_to(system, e164) and sms_to(system, e164)[-1]["text"][-6:])
    assert code, "no SMS code"
    return http, started.json()["signup_token"], code, email


def _race(call, tries=TRIES):
    with ThreadPoolExecutor(max_workers=tries) as pool:
        return list(pool.map(lambda _: call(), range(tries)))


def _wrong(code: str, alphabet="0123456789") -> str:
    return "".join(alphabet[(alphabet.index(c) + 1) % len(alphabet)] if c in alphabet else c for c in code)


def test_sms_code_brute_force_stops_after_five_attempts(system):
    http, token, code, _ = _start_company_signup(system)
    wrong_codes = [c for c in (f"{n:06d}" for n in range(6)) if c != code][:5]
    answers = [http.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": c})
               for c in wrong_codes]
    assert all(a.status_code in (409, 410, 422) for a in answers), [a.status_code for a in answers]
    right = http.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": code})
    assert right.status_code in (409, 410, 422, 429), right.text  # too late: the code is burnt
    assert right.json()["error"]["message"]


def test_email_code_brute_force_stops_after_the_allowed_attempts(system):
    http, token, code, email = _start_company_signup(system)
    assert http.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": code}).status_code == 200
    email_code = code_in(wait_email(system, email, "Votre code confidentiel"))
    statuses = [http.post(system.url("/api/signup/email-code"),
                          json={"signup_token": token, "code": _wrong(email_code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")})
                .status_code for _ in range(5)]
    assert all(s in (409, 410, 422) for s in statuses), statuses
    right = http.post(system.url("/api/signup/email-code"), json={"signup_token": token, "code": email_code})
    assert right.status_code in (409, 410, 422, 429), right.text


def test_the_sms_code_works_once_under_concurrent_use(system):
    http, token, code, _ = _start_company_signup(system)
    answers = _race(lambda: requests.post(system.url("/api/signup/sms-code"),
                                          json={"signup_token": token, "code": code}, timeout=30))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1, statuses
    assert all(s < 500 for s in statuses), statuses


def test_a_password_reset_link_and_code_work_once_under_concurrent_use(world):
    system = world.system
    person = world.people["particulier"]
    assert requests.post(system.url("/api/password/forgotten"), json={"email": person.email}).status_code == 202
    mail = wait_email(system, person.email, "mot de passe")
    token, code = link_token(mail, "/mot-de-passe/reinitialisation"), code_in(mail)
    new_password = "Racing-2026!x"
    answers = _race(lambda: requests.post(system.url("/api/password/reset"), json={
        "token": token, "email": person.email, "password": new_password, "code": code}, timeout=30))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1 and all(s in (200, 409, 410, 422) for s in statuses), statuses
    # Every session was revoked by the reset (refused by every gateway worker within a second,
    # issue 15): the role logs in again with the new password.
    assert wait_for(lambda: person.get("/api/session").status_code == 401, timeout=1.0)
    person.login(person.email, new_password)
    person.password = new_password


def test_password_reset_code_brute_force_is_refused(world):
    system = world.system
    person = world.people["utilisateur"]
    requests.post(system.url("/api/password/forgotten"), json={"email": person.email})
    mail = wait_email(system, person.email, "mot de passe")
    token, code = link_token(mail, "/mot-de-passe/reinitialisation"), code_in(mail)
    wrong = _wrong(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    statuses = [requests.post(system.url("/api/password/reset"), json={
        "token": token, "email": person.email, "password": "Brute-2026!x", "code": wrong}).status_code
        for _ in range(6)]
    assert all(s in (410, 422, 429) for s in statuses), statuses
    late = requests.post(system.url("/api/password/reset"), json={
        "token": token, "email": person.email, "password": "Brute-2026!x", "code": code})
    assert late.status_code in (410, 422, 429), late.text
    assert person.get("/api/session").status_code == 200  # nothing was reset: the session lives


def test_an_invitation_works_once_under_concurrent_use(world):
    system, admin = world.system, world.people["administrateur_2"]
    email = new_email("course")
    invited = admin.post("/api/account/users", json={"last_name": "Course", "first_name": "Paul",
                                                     "email": email, "profile": "CONSULTATION"})
    assert invited.status_code == 201, invited.text
    mail = wait_email(system, email, "Invitation à rejoindre")
    token = link_token(mail, "/invitation")
    code = re.search(r"^\s+([A-Z0-9]{10})\s*$", plain_text(mail), re.M).group(1)
    answers = _race(lambda: requests.post(system.url("/api/invitation/accept"), json={
        "token": token, "code": code, "password": "Invite-2026!", "accept_cgu": True}, timeout=30))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1 and all(s in (200, 409, 410) for s in statuses), statuses


def test_an_activation_link_works_once_under_concurrent_use(system):
    email = new_email("activation")
    http = requests.Session()
    started = http.post(system.url("/api/signup/particulier"), json={
        "last_name": "Durand", "first_name": "Léa", "mobile": "06 12 34 56 78", "email": email,
        "password": PASSWORD, "accept_cgu": True, "accept_conditions_particulieres": True,
        **solved_captcha(system, http)})
    assert started.status_code == 202, started.text
    token = link_token(wait_email(system, email, "Activation de compte"), "/activation")
    answers = _race(lambda: requests.post(system.url("/api/activation"), json={"token": token}, timeout=30))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1 and all(s in (200, 409, 410) for s in statuses), statuses
