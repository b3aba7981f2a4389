"""Identity through the gateway with every service running (issue 3): private-person sign-up
and activation, cookie and bearer sessions with CSRF, password change and reset, invitations
of gestionnaires, lock-out and enumeration answers. Links and codes come from the outbox."""
import re
import subprocess
import sys
import uuid

import requests

from e2e_helpers import link_token, plain_text, solved_captcha, wait_email

PASSWORD = "Consign-2026!"


def signup_and_activate(system, email):
    session = requests.Session()
    answer = session.post(system.url("/api/signup/particulier"), json={
        "last_name": "Dupont", "first_name": "Élodie", "mobile": "06 12 34 56 78", "email": email,
        "password": PASSWORD, "accept_cgu": True, "accept_conditions_particulieres": True,
        **solved_captcha(system, session)})
    assert answer.status_code == 202, answer.text
    mail = wait_email(system, email, "Activation de compte – Espace Personnel Consignations")
    token = link_token(mail, "/activation")
    page = session.get(system.url("/activation"), params={"token": token})  # where the link leads
    assert page.status_code == 200 and 'data-api="/api/activation"' in page.text
    activated = session.post(system.url("/api/activation"), json={"token": token})
    assert activated.status_code == 200 and activated.json()["message"] == "Votre compte est validé."
    again = session.post(system.url("/api/activation"), json={"token": token})
    assert again.status_code == 410
    wait_email(system, email, "Votre compte est validé")
    return email


def new_email(label):
    return f"{label}-{uuid.uuid4().hex[:8]}@example.com"


def test_particulier_cookie_session_with_csrf_and_password_change(system):
    email = signup_and_activate(system, new_email("elodie"))
    browser = requests.Session()
    logged = browser.post(system.url("/api/login"), json={"email": email.upper(), "password": PASSWORD})
    assert logged.status_code == 200, logged.text
    cookie = next(c for c in browser.cookies if c.name == "consignations_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and "session_token" not in logged.json()
    csrf = logged.json()["csrf_token"]
    assert browser.get(system.url("/api/session")).json()["person"]["email"] == email

    no_csrf = browser.post(system.url("/api/me/password/code"), json={})
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "csrf_failed"
    asked = browser.post(system.url("/api/me/password/code"), json={"password": "Nouveau-Mdp-42"},
                         headers={"X-CSRF-Token": csrf})
    assert asked.status_code == 202, asked.text
    code_mail = wait_email(system, email, "Code confidentiel pour changer votre mot de passe")
    code = re.search(r"^\s+([A-Z0-9]{6})\s*$", plain_text(code_mail), re.M).group(1)
    other_device = requests.post(system.url("/api/login"), json={"email": email, "password": PASSWORD,
                                                                 "session": "bearer"}).json()["session_token"]
    changed = browser.post(system.url("/api/me/password"), json={"password": "Nouveau-Mdp-42", "code": code},
                           headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200, changed.text
    assert browser.get(system.url("/api/session")).status_code == 200  # this session stays
    revoked = requests.get(system.url("/api/session"), headers={"Authorization": f"Bearer {other_device}"})
    assert revoked.status_code == 401
    wait_email(system, email, "Votre mot de passe a été modifié")

    assert browser.post(system.url("/api/logout"), headers={"X-CSRF-Token": csrf}).status_code == 204
    assert browser.get(system.url("/api/session")).status_code == 401


def test_forgotten_password_through_the_gateway(system):
    email = signup_and_activate(system, new_email("oubli"))
    bearer = requests.post(system.url("/api/login"), json={"email": email, "password": PASSWORD,
                                                           "session": "bearer"}).json()["session_token"]
    known = requests.post(system.url("/api/password/forgotten"), json={"email": email})
    unknown = requests.post(system.url("/api/password/forgotten"), json={"email": new_email("inconnu")})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json()) == (202, known.json())
    mail = wait_email(system, email, "Réinitialisation de votre mot de passe")
    token = link_token(mail, "/mot-de-passe/reinitialisation")
    code = re.search(r"^\s+([A-Z0-9]{6})\s*$", plain_text(mail), re.M).group(1)
    weak = requests.post(system.url("/api/password/reset"), json={"token": token, "email": email, "password": "abc", "code": code})
    assert weak.status_code == 422 and "password" in weak.json()["error"]["fields"]
    done = requests.post(system.url("/api/password/reset"), json={"token": token, "email": email,
                                                                  "password": "Autre-Mdp-2027", "code": code})
    assert done.status_code == 200, done.text
    assert requests.get(system.url("/api/session"), headers={"Authorization": f"Bearer {bearer}"}).status_code == 401
    assert requests.post(system.url("/api/login"), json={"email": email, "password": "Autre-Mdp-2027"}).status_code == 200
    assert requests.post(system.url("/api/login"), json={"email": email, "password": PASSWORD}).status_code == 401
    wait_email(system, email, "Votre mot de passe a été modifié")


def test_gestionnaire_created_by_the_operator_command_sets_a_password(system):
    email = new_email("agent")
    created = subprocess.run(
        [sys.executable, "-m", "identity_service", "create-staff", "--email", email,
         "--first-name", "Anne", "--last-name", "Martin"], env=system.env, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    mail = wait_email(system, email, "Invitation à rejoindre l'Espace Personnel Consignations")
    token = link_token(mail, "/invitation")
    details = requests.get(system.url("/api/invitation"), params={"token": token}).json()
    assert details["profile"] == "GESTIONNAIRE" and details["first_name"] == "Anne"
    code = re.search(r"^\s+([A-Z0-9]{10})\s*$", plain_text(mail), re.M).group(1)
    accepted = requests.post(system.url("/api/invitation/accept"), json={
        "token": token, "code": code, "password": "Gestion-2026!", "accept_cgu": True})
    assert accepted.status_code == 200, accepted.text
    person = requests.post(system.url("/api/login"), json={"email": email, "password": "Gestion-2026!"}).json()["person"]
    assert person["is_staff"] is True and person["profile"] == "GESTIONNAIRE"
    audit = subprocess.run([sys.executable, "-m", "identity_service", "audit", "--email", email],
                           env=system.env, capture_output=True, text=True)
    assert '"kind": "login_succeeded"' in audit.stdout and '"kind": "staff_created"' in audit.stdout


def test_lock_out_and_unknown_addresses_get_the_same_answer(system):
    email = signup_and_activate(system, new_email("verrou"))
    unknown = requests.post(system.url("/api/login"), json={"email": new_email("personne"), "password": PASSWORD})
    for _ in range(10):
        wrong = requests.post(system.url("/api/login"), json={"email": email, "password": "Mauvais-1"})
        assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json()) == (401, unknown.json())
    locked = requests.post(system.url("/api/login"), json={"email": email, "password": PASSWORD})
    assert (locked.status_code, locked.json()) == (401, unknown.json())
    assert unknown.json()["error"]["message"] == "Adresse courriel ou mot de passe incorrect."


def test_signup_answers_do_not_reveal_existing_addresses(system):
    email = signup_and_activate(system, new_email("existe"))
    session = requests.Session()
    form = {"last_name": "Durand", "first_name": "Jean", "mobile": "07 81 23 45 67", "password": "Autre-Mdp-99",
            "accept_cgu": True, "accept_conditions_particulieres": True}
    taken = session.post(system.url("/api/signup/particulier"), json={**form, "email": email, **solved_captcha(system, session)})
    fresh = session.post(system.url("/api/signup/particulier"), json={**form, "email": new_email("libre"), **solved_captcha(system, session)})
    assert (taken.status_code, taken.json()) == (fresh.status_code, fresh.json())
    wait_email(system, email, "Tentative de création de compte")
