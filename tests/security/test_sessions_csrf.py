"""CSRF, session fixation and revocation (issue 10)."""
from __future__ import annotations

import requests

from e2e_helpers import Browser, wait_email, wait_for
from security_helpers import code_in

SESSION_COOKIE, CSRF_COOKIE = "consignations_session", "consignations_csrf"


def _fresh(world, role) -> Browser:
    person = world.people[role]
    return Browser(world.system, person.email, person.password)


def test_cookie_attributes(world):
    reply = requests.post(world.system.url("/api/login"), json={"email": world.people["utilisateur"].email,
                                                               "password": world.people["utilisateur"].password})
    cookies = reply.headers.get("Set-Cookie", "")
    session_part = next(c for c in reply.raw.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE))
    csrf_part = next(c for c in reply.raw.headers.getlist("Set-Cookie") if c.startswith(CSRF_COOKIE))
    assert "HttpOnly" in session_part and "SameSite=Lax" in session_part and "Path=/" in session_part, cookies
    assert "HttpOnly" not in csrf_part and "SameSite=Strict" in csrf_part, cookies
    assert reply.json()["csrf_token"] != reply.cookies[SESSION_COOKIE]
    assert "session_token" not in reply.json()  # a cookie session never shows its token to scripts


def test_changes_without_the_csrf_token_are_refused(world):
    browser = _fresh(world, "administrateur")
    csrf = browser.http.headers.pop("X-CSRF-Token")
    other = _fresh(world, "administrateur_2").http.headers["X-CSRF-Token"]
    attempts = {
        "none": {},
        "empty": {"X-CSRF-Token": ""},
        "wrong": {"X-CSRF-Token": "x" * len(csrf)},
        "another session's": {"X-CSRF-Token": other},
        "the session cookie itself": {"X-CSRF-Token": browser.http.cookies[SESSION_COOKIE]},
    }
    for label, headers in attempts.items():
        for method, path, kwargs in (("patch", "/api/me/profile", {"json": {"function": "Pirate"}}),
                                     ("post", "/api/demandes", {"json": {"procedure_code": "SAISIE_IMMO_D"}}),
                                     ("post", "/api/logout", {}),
                                     # a cross-site form cannot set JSON nor headers: text/plain, no token
                                     ("post", "/api/account/users", {"data": '{"email": "x"}',
                                                                     "headers": {"Content-Type": "text/plain"}})):
            kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), **headers}}
            reply = getattr(browser, method)(path, **kwargs)
            assert reply.status_code == 403 and reply.json()["error"]["code"] == "csrf_failed", (label, path, reply.text)
    assert browser.get("/api/me/profile").json()["function"] != "Pirate"
    assert browser.get("/api/session").status_code == 200  # the refused logout did not log out
    assert browser.patch("/api/me/profile", json={"function": "Comptable"}, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_bearer_sessions_need_no_csrf_token_and_cookies_do_not_count_as_bearer(world):
    person = world.people["utilisateur"]
    token = requests.post(world.system.url("/api/login"), json={"email": person.email, "password": person.password,
                                                               "session": "bearer"}).json()["session_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.patch(world.system.url("/api/me/profile"), json={"function": "API"}, headers=bearer).status_code == 200
    # The bearer token in the cookie (a cookie is sent by browsers cross-site): CSRF applies.
    reply = requests.patch(world.system.url("/api/me/profile"), json={"function": "Pirate"},
                           cookies={SESSION_COOKIE: token})
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "csrf_failed"
    for header in ("Bearer", "Bearer ", "Basic " + token, "bearer " + token, "Bearer " + token[:-1] + "x"):
        reply = requests.get(world.system.url("/api/session"), headers={"Authorization": header})
        assert reply.status_code == 401, (header, reply.text)


def test_session_fixation_a_planted_cookie_never_becomes_a_session(world):
    person = world.people["utilisateur"]
    planted = "fixation-" + "a" * 40
    http = requests.Session()
    http.cookies.set(SESSION_COOKIE, planted)
    assert http.get(world.system.url("/api/session")).status_code == 401
    logged = http.post(world.system.url("/api/login"), json={"email": person.email, "password": person.password})
    assert logged.status_code == 200
    issued = logged.cookies[SESSION_COOKIE]
    assert issued != planted
    assert requests.get(world.system.url("/api/session"), cookies={SESSION_COOKIE: planted}).status_code == 401
    assert requests.get(world.system.url("/api/session"), cookies={SESSION_COOKIE: issued}).status_code == 200
    # Logging in again while logged in opens a new session: the old token is not reused.
    again = http.post(world.system.url("/api/login"), json={"email": person.email, "password": person.password})
    assert again.cookies[SESSION_COOKIE] not in (issued, planted)


def test_logout_revokes_the_session_at_once(world):
    browser = _fresh(world, "consultation")
    token = browser.http.cookies[SESSION_COOKIE]
    assert browser.post("/api/logout").status_code == 204
    for auth in ({"cookies": {SESSION_COOKIE: token}}, {"headers": {"Authorization": f"Bearer {token}"}}):
        assert requests.get(world.system.url("/api/session"), **auth).status_code == 401
        assert requests.get(world.system.url("/api/demandes"), **auth).status_code == 401


def test_password_change_revokes_the_other_sessions_and_keeps_this_one(world):
    person = world.people["utilisateur_sans_depot"]
    this, other = _fresh(world, "utilisateur_sans_depot"), _fresh(world, "utilisateur_sans_depot")
    new_password = "Change-2026!x"
    assert this.post("/api/me/password/code", json={"password": new_password}).status_code == 202
    code = code_in(wait_email(world.system, person.email, "Code confidentiel pour changer votre mot de passe"))
    changed = this.post("/api/me/password", json={"password": new_password, "code": code})
    assert changed.status_code == 200, changed.text
    assert this.get("/api/session").status_code == 200
    assert other.get("/api/session").status_code == 401
    # The suite's own session was another one; a gateway worker may have it cached: every one
    # drops it on identity's sessions_revoked, within a second (issue 15).
    assert wait_for(lambda: person.get("/api/session").status_code == 401, timeout=1.0)
    person.login(person.email, new_password)
    person.password = new_password
    # The code was used: using it again does nothing.
    again = this.post("/api/me/password", json={"password": "Encore-2026!x", "code": code})
    used = "Ce code confidentiel a déjà été utilisé. Demandez un nouveau code confidentiel."
    assert again.status_code == 410, again.text
    assert again.json()["error"] == {"code": "gone", "message": used, "fields": {"code": used}}
