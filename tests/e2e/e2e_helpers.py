"""Reading the development outbox as a person reads their mail, and the steps several end-to-end
modules share (sign-ups, a transmitted request, a gestionnaire)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import create_engine, text

from documents_service import samples


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def submit_right_in_effect(browser, allowed: bool, timeout: float = 15.0) -> None:
    """Wait until the person's session carries the submit right an administrator just set: it
    reaches identity's read model and the gateway's session caches by events (issue 15: within
    a second in normal operation, longer on a machine loaded by the parallel suites). Three reads
    in a row agree, whichever gateway worker answers each."""
    def seen() -> bool:
        reply = browser.get("/api/session")
        return (reply.status_code == 200
                and (reply.json()["person"].get("membership") or {}).get("can_submit") is allowed)

    assert wait_for(lambda: all(seen() for _ in range(3)), timeout), \
        f"the session of {browser.email} does not say can_submit={allowed}"


def sms_to(system, mobile):
    folder = system.outbox / "sms"
    if not folder.exists():
        return []
    messages = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)]
    return [m for m in messages if m["to"] == mobile]


def emails_to(system, address, subject_contains=""):
    folder = system.outbox / "email"
    if not folder.exists():
        return []
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address and subject_contains in message["Subject"]:
            found.append(message)
    return found


def wait_email(system, address, subject_contains, count=1):
    mails = wait_for(lambda: len(emails_to(system, address, subject_contains)) >= count)
    assert mails, f"no e-mail « {subject_contains} » to {address}"
    return emails_to(system, address, subject_contains)[-1]


def plain_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_token(message, path: str) -> str:
    match = re.search(r"(https?://\S+" + re.escape(path) + r"\?token=\S+)", plain_text(message))
    assert match, f"no {path} link in the e-mail"
    return parse_qs(urlsplit(match.group(1)).query)["token"][0]


def rows(url, sql, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


def scalar(url, sql, **params):
    found = rows(url, sql, **params)
    return found[0][0] if found else None


def solved_captcha(system, session):
    """A captcha as a person gets it (a real PNG), solved with the answer the service stored."""
    reply = session.post(system.url("/api/captcha"))
    assert reply.status_code == 201, reply.text
    captcha = reply.json()
    assert captcha["image"].startswith("data:image/png;base64,")
    image = session.get(system.url(captcha["image_url"]))
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    answer = scalar(system.database_urls["identity"], "SELECT answer FROM captcha_challenges WHERE id = :id",
                    id=captcha["captcha_id"])
    return {"captcha_id": captcha["captcha_id"], "captcha_answer": answer}


class Browser:
    """A person using the portal: a cookie session and the CSRF header on every change."""

    def __init__(self, system, email=None, password=None):
        import requests

        self.system = system
        self.http = requests.Session()
        self.email = email
        if email and password:
            self.login(email, password)

    def login(self, email, password):
        reply = self.http.post(self.system.url("/api/login"), json={"email": email, "password": password})
        assert reply.status_code == 200, reply.text
        self.person = reply.json()["person"]
        self.http.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
        return self

    def get(self, path, **kwargs):
        return self.http.get(self.system.url(path), **kwargs)

    def post(self, path, **kwargs):
        return self.http.post(self.system.url(path), **kwargs)

    def put(self, path, **kwargs):
        return self.http.put(self.system.url(path), **kwargs)

    def patch(self, path, **kwargs):
        return self.http.patch(self.system.url(path), **kwargs)

    def delete(self, path, **kwargs):
        return self.http.delete(self.system.url(path), **kwargs)


def sign_up_company(system, email, password="Consign-2026!", company="ACME SAS"):
    """Authentication 1/3 to 3/3 through the gateway, codes read from the outbox."""
    import random

    import requests

    mobile = "0612" + "".join(random.choice("0123456789") for _ in range(6))  # one per sign-up
    http = requests.Session()
    started = http.post(system.url("/api/signup/entreprise"), json={
        "company_name": company, "email": email, "mobile": mobile, "password": password,
        "accept_cgu": True, **solved_captcha(system, http)})
    assert started.status_code == 201, started.text
    token = started.json()["signup_token"]
    e164 = "+33" + mobile[1:]
    code = wait_for(lambda: sms_to(system, e164) and sms_to(system, e164)[-1]["text"][-6:])
    assert code, "no SMS code"
    assert http.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": code}).status_code == 200
    mail = wait_email(system, email, "Votre code confidentiel")
    email_code = re.search(r"^\s+([A-Z0-9]{6})\s*$", plain_text(mail), re.M).group(1)
    done = http.post(system.url("/api/signup/email-code"), json={"signup_token": token, "code": email_code})
    assert done.status_code == 200, done.text
    return password


def wait_account(browser):
    """The account opens when identity's signup_verified/account_activated reaches accounts; the
    person acts in it once accounts' member_changed has reached identity too (the session's
    membership, which every service reads): both, or a first request may find no account."""
    ready = wait_for(lambda: browser.get("/api/me/profile").status_code == 200)
    assert ready, browser.get("/api/me/profile").text

    def member() -> bool:
        reply = browser.get("/api/session")
        return reply.status_code == 200 and bool(reply.json()["person"].get("membership"))

    assert wait_for(lambda: all(member() for _ in range(3))), browser.get("/api/session").text
    return browser


def accept_invitation(system, email, password="Invite-2026!"):
    import requests

    mail = wait_email(system, email, "Invitation à rejoindre")
    token = link_token(mail, "/invitation")
    code = re.search(r"^\s+([A-Z0-9]{10})\s*$", plain_text(mail), re.M).group(1)
    accepted = requests.post(system.url("/api/invitation/accept"), json={
        "token": token, "code": code, "password": password, "accept_cgu": True})
    assert accepted.status_code == 200, accepted.text
    return password


def sign_up_particulier(system, email, password="Consign-2026!", last_name="Dupont", first_name="Élodie"):
    """A private person signed up and activated through the gateway (the activation link read
    from the outbox), logged in once the accounts service has opened their account."""
    import requests

    http = requests.Session()
    started = http.post(system.url("/api/signup/particulier"), json={
        "last_name": last_name, "first_name": first_name, "mobile": "06 12 34 56 78", "email": email,
        "password": password, "accept_cgu": True, "accept_conditions_particulieres": True,
        **solved_captcha(system, http)})
    assert started.status_code == 202, started.text
    token = link_token(wait_email(system, email, "Activation de compte"), "/activation")
    assert http.post(system.url("/api/activation"), json={"token": token}).status_code == 200
    return wait_account(Browser(system, email, password))


# --- requests and the back office (a company's administrator files, a gestionnaire answers) ----

SAISIE = {"legal_form": "SAS", "iban": "FR7630006000011234567890189", "bic": "BNPAFRPPXXX",
          "transfer_label": "Saisie 23/01234"}


def new_agent(system, password="Gestion-2026!"):
    """A gestionnaire created by the operator command (BO-4), password chosen from the invitation."""
    email = f"agent-{uuid.uuid4().hex[:8]}@caissedesdepots.example.com"
    created = subprocess.run([sys.executable, "-m", "identity_service", "create-staff", "--email", email,
                              "--first-name", "Anne", "--last-name", "Martin"],
                             env=system.env, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    return Browser(system, email, accept_invitation(system, email, password))


def upload_rib(browser, demande_id, version=1, kind="RIB", file_name="rib.pdf"):
    """A PDF uploaded and attached to the request (a RIB unless said otherwise): its id."""
    uploaded = browser.post("/api/documents", files={"file": (file_name, samples.pdf(version), "application/pdf")},
                            data={"owner_service": "demandes", "owner_id": demande_id, "kind": kind})
    assert uploaded.status_code == 201, uploaded.text
    attached = browser.post(f"/api/documents/{uploaded.json()['id']}/attach")
    assert attached.status_code == 200, attached.text
    return uploaded.json()["id"]


def draft(browser, procedure_code="SAISIE_IMMO_D", values=None):
    """A complete draft: a « saisie immobilière » of the browser's company unless said otherwise."""
    created = browser.post("/api/demandes", json={"procedure_code": procedure_code})
    assert created.status_code == 201, created.text
    demande_id = created.json()["id"]
    if values is None:
        values = {**SAISIE, "company_name": browser.company_name, "account_holder": browser.company_name}
    saved = browser.put(f"/api/demandes/{demande_id}/informations", json={"values": values, "complete": True})
    assert saved.status_code == 200, saved.text
    return demande_id


def submitted(browser, procedure_code="SAISIE_IMMO_D", values=None, kind="RIB", file_name="rib.pdf"):
    """A request transmitted with its one document — by default a « saisie immobilière » (débiteur
    saisi) with its RIB: (id, number, document id)."""
    demande_id = draft(browser, procedure_code, values)
    document = upload_rib(browser, demande_id, kind=kind, file_name=file_name)
    confirmed = browser.post(f"/api/demandes/{demande_id}/justificatifs/confirm")
    assert confirmed.status_code == 200, confirmed.text
    sent = browser.post(f"/api/demandes/{demande_id}/submit")
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "SUBMITTED"
    return demande_id, sent.json()["number"], document


def gateway_ready(url, listening=True):
    """The gateway answers ready and, if asked, every live worker consumes session revocations
    (the gauge is the lowest among its workers)."""
    import requests

    try:
        if requests.get(url + "/health/ready", timeout=2).status_code != 200:
            return False
        text = requests.get(url + "/metrics", timeout=5).text
    except requests.RequestException:
        return False
    return not listening or any(line.split()[:2] == ["consignations_gateway_session_listener_connected", "1.0"]
                                for line in text.splitlines())


def start_gateway(system, name, **env):
    """Another gateway instance: the Procfile's command (gunicorn master and its workers) with the
    system's environment on a port of its own, plus `env`. Returns (process, base URL)."""
    import subprocess
    from pathlib import Path

    from consignations_shared.testing import listening_socket

    listener = listening_socket()  # gunicorn serves on it (fd://): a port nobody else can take
    environment = {**system.env, "GATEWAY_BIND": f"fd://{listener.fileno()}", **env}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)  # its own, made by deploy/gunicorn.conf.py
    log = open(system.logs / f"{name}.log", "ab")
    process = subprocess.Popen(system.commands["gateway"], env=environment, stdout=log, stderr=subprocess.STDOUT,
                               cwd=Path(__file__).resolve().parents[2], pass_fds=[listener.fileno()])
    host, port = listener.getsockname()[:2]
    listener.close()  # the gunicorn master holds it now
    url = f"http://{host}:{port}"
    if not wait_for(lambda: gateway_ready(url), timeout=60):
        stop_process(process)
        raise AssertionError(f"{name} not ready (see {system.logs / (name + '.log')})")
    return process, url


def stop_process(process):
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
