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

# NF-1: a code is invalidated after 5 wrong attempts; each wrong one before says how many are left
# (identity_service.domain.codes), the 5th and everything after it, the right code included,
# says the code is no longer valid.
BURNT = ("Trop d'essais erronés : ce code confidentiel n'est plus valable. "
         "Demandez un nouveau code confidentiel.")
USED = "Ce code confidentiel a déjà été utilisé. Demandez un nouveau code confidentiel."
JUST_USED = "Ce code confidentiel vient d'être utilisé. Demandez un nouveau code confidentiel."
LINK_USED = ("Ce lien n'est plus valable : il a expiré, a déjà été utilisé ou a été remplacé par un "
             "lien plus récent.")
# The refusals of the requests that lost a race for a code or a link: the code already used (read
# after the winner's commit, or its compare-and-set lost), or the link already used.
CODE_TAKEN = {(410, "gone", USED), (410, "gone", JUST_USED)}
LINK_TAKEN = {(410, "link_invalid", LINK_USED)}


def wrong_code(left: int) -> tuple:
    noun = "essai" if left == 1 else "essais"
    return (422, "validation_failed", "Un champ est invalide.",
            {"code": f"Le code confidentiel est incorrect. Il vous reste {left} {noun}."})


BURNT_ANSWER = (410, "gone", BURNT, {"code": BURNT})
FIVE_WRONG = [wrong_code(4), wrong_code(3), wrong_code(2), wrong_code(1), BURNT_ANSWER]


def answer(reply) -> tuple:
    """(status, error code, message, fields) of a refusal, GW-3."""
    error = reply.json()["error"]
    return reply.status_code, error["code"], error["message"], error.get("fields") or {}


def losers(replies) -> list[tuple]:
    """The refusals of a race, each as (status, error code, message), the winner left out."""
    return [answer(r)[:3] for r in replies if r.status_code != 200]


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
    answers = [answer(http.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": c}))
               for c in wrong_codes]
    assert answers == FIVE_WRONG
    right = http.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": code})
    assert answer(right) == BURNT_ANSWER  # too late: the code is burnt


def test_email_code_brute_force_stops_after_the_allowed_attempts(system):
    http, token, code, email = _start_company_signup(system)
    assert http.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": code}).status_code == 200
    email_code = code_in(wait_email(system, email, "Votre code confidentiel"))
    answers = [answer(http.post(system.url("/api/signup/email-code"), json={
        "signup_token": token, "code": _wrong(email_code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}))
        for _ in range(5)]
    assert answers == FIVE_WRONG
    right = http.post(system.url("/api/signup/email-code"), json={"signup_token": token, "code": email_code})
    assert answer(right) == BURNT_ANSWER


def test_the_sms_code_works_once_under_concurrent_use(system):
    http, token, code, _ = _start_company_signup(system)
    answers = _race(lambda: requests.post(system.url("/api/signup/sms-code"),
                                          json={"signup_token": token, "code": code}, timeout=30))
    assert [a.status_code for a in answers].count(200) == 1, [a.text for a in answers]
    # the sign-up row is locked while its code is checked: the others find the step done
    assert set(losers(answers)) <= {(409, "conflict", "Votre numéro de téléphone mobile est déjà vérifié."),
                                    *CODE_TAKEN}, losers(answers)


def test_a_password_reset_link_and_code_work_once_under_concurrent_use(world):
    system = world.system
    person = world.people["particulier"]
    assert requests.post(system.url("/api/password/forgotten"), json={"email": person.email}).status_code == 202
    mail = wait_email(system, person.email, "mot de passe")
    token, code = link_token(mail, "/mot-de-passe/reinitialisation"), code_in(mail)
    new_password = "Racing-2026!x"
    answers = _race(lambda: requests.post(system.url("/api/password/reset"), json={
        "token": token, "email": person.email, "password": new_password, "code": code}, timeout=30))
    assert [a.status_code for a in answers].count(200) == 1, [a.text for a in answers]
    assert set(losers(answers)) <= CODE_TAKEN | LINK_TAKEN, losers(answers)
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
    answers = [answer(requests.post(system.url("/api/password/reset"), json={
        "token": token, "email": person.email, "password": "Brute-2026!x", "code": wrong}))
        for _ in range(6)]
    assert answers == FIVE_WRONG + [BURNT_ANSWER]
    late = requests.post(system.url("/api/password/reset"), json={
        "token": token, "email": person.email, "password": "Brute-2026!x", "code": code})
    assert answer(late) == BURNT_ANSWER
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
    assert [a.status_code for a in answers].count(200) == 1, [a.text for a in answers]
    assert set(losers(answers)) <= CODE_TAKEN | LINK_TAKEN, losers(answers)


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
    assert [a.status_code for a in answers].count(200) == 1, [a.text for a in answers]
    assert set(losers(answers)) <= LINK_TAKEN, losers(answers)
