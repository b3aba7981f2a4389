"""What an outside probe still got through, and HTTP answers that were not quite right (issue 18).

Two setups, both through the gateway:
- the limits that need time to pass (codes across resends, per-address budgets of captchas and
  SMS) run against the identity service in this process, its clock replaced by a frozen one, and
  the gateway's Flask app with its real RPC client pool (no sleeps; the per-address limits at
  their defaults, the client address set by X-Forwarded-For behind one trusted proxy);
- the rest runs against the whole system (the e2e processes, `world`).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, text

from consignations_shared.clock import FrozenClock
from consignations_shared.events import COMMANDS_EXCHANGE
from consignations_shared.testing import AMQP_BASE, MessageSpy, rabbitmqctl, use_clock
from documents_service import samples
from e2e_helpers import Browser, emails_to, link_token, wait_email, wait_for
from security_helpers import company, draft, invite, new_email, submitted, upload

PASSWORD = "Consign-2026!"
STRUCTURE = {"structure_type": "AUTRES", "service": "Direction financière", "address": "12 rue de la Paix",
             "postal_code": "75002", "commune": "Paris", "country": "FR", "siret": "73282932000074"}


# --- the gateway and identity in this process, with a frozen clock -----------------------------

class Portal:
    """The gateway's test client in front of a real identity service whose clock we hold."""

    def __init__(self, client, identity, clock, sms, emails):
        self.client, self.identity, self.clock, self.sms, self.emails = client, identity, clock, sms, emails
        self._engine = create_engine(identity.config["DATABASE_URL"])

    def post(self, path, address="198.51.100.20", **kwargs):
        return self.client.post(path, headers={"X-Forwarded-For": address}, **kwargs)

    def captcha(self, address="198.51.100.20") -> dict:
        reply = self.post("/api/captcha", address)
        assert reply.status_code == 201, reply.get_data(as_text=True)
        captcha_id = reply.get_json()["captcha_id"]
        with self._engine.connect() as connection:
            answer = connection.execute(text("SELECT answer FROM captcha_challenges WHERE id = :id"),
                                        {"id": captcha_id}).scalar_one()
        return {"captcha_id": captcha_id, "captcha_answer": answer}

    def sign_up(self, address="198.51.100.20", email=None, mobile=None):
        form = {"company_name": "LIMITES SAS", "email": email or new_email("limites"),
                "mobile": mobile or "0612" + str(uuid.uuid4().int)[:6], "password": PASSWORD,
                "accept_cgu": True, **self.captcha(address)}
        return self.post("/api/signup/entreprise", address, json=form)

    def started(self, **kwargs) -> str:
        reply = self.sign_up(**kwargs)
        assert reply.status_code == 201, reply.get_data(as_text=True)
        return reply.get_json()["signup_token"]

    def close(self):
        self._engine.dispose()


@pytest.fixture(scope="module")
def private_broker():
    """A virtual host of its own: the whole system of this session has an identity service on
    the suite's vhost, which must not compete for this one's RPC queue."""
    vhost = f"test-{uuid.uuid4().hex[:12]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield AMQP_BASE + vhost
    try:
        rabbitmqctl("delete_vhost", vhost)
    except subprocess.SubprocessError:
        pass


@pytest.fixture
def service_env(private_broker, tmp_path):
    """start_service's environment, on the private virtual host."""
    return {**os.environ, "AMQP_URI": private_broker, "CONSIGNATIONS_VAR_DIR": str(tmp_path / "var"),
            "EVENT_RETRY_DELAYS": "0.2,0.4", "RPC_TIMEOUT": "5"}


def _spy(amqp_uri: str, routing_key: str) -> MessageSpy:
    from kombu import Connection, Exchange

    exchange = Exchange(COMMANDS_EXCHANGE, type="direct", durable=True)
    with Connection(amqp_uri) as connection:
        exchange(connection.default_channel).declare()
    return MessageSpy(amqp_uri, exchange, routing_key)


@pytest.fixture
def portal(start_service, service_env):
    from gateway_service.app import create_app
    from gateway_service.settings import GatewaySettings
    from identity_service.service import IdentityService

    identity = start_service(IdentityService)
    clock = FrozenClock(datetime.now(timezone.utc))
    use_clock(identity, clock)
    sms = _spy(service_env["AMQP_URI"], "notifier.send_signup_sms_code")
    emails = _spy(service_env["AMQP_URI"], "notifier.send_signup_email_code")
    app = create_app(GatewaySettings.from_env({**service_env, "GATEWAY_TRUSTED_PROXIES": "1"}), configure_logs=False)
    running = Portal(app.test_client(), identity, clock, sms, emails)
    yield running
    running.close()
    sms.close()
    emails.close()
    app.extensions["rpc"].close()
    app.extensions["readiness_rpc"].close()


def _payloads(spy: MessageSpy, predicate, count: int) -> list[dict]:
    """The first `count` payloads the spy caught that match `predicate` (bounded wait)."""
    def matching():
        spy.wait_for(len(spy.messages) + 1, timeout=0.5)
        found = [body["payload"] for body, _ in spy.messages if predicate(body["payload"])]
        return found[:count] if len(found) >= count else None
    found = wait_for(matching, timeout=20)
    assert found, "the code was not sent"
    return found


def _too_many(reply) -> int:
    """A French 429 in the GW-3 shape with its Retry-After (seconds)."""
    assert reply.status_code == 429, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert error["code"] == "too_many_requests" and "Veuillez réessayer" in error["message"]
    return int(reply.headers["Retry-After"])


def test_captchas_are_limited_per_client_address(portal):
    """Finding 6: 60 captchas in 0.7 s each made an image and a row; 30 per 10 minutes now."""
    for _ in range(30):
        assert portal.post("/api/captcha").status_code == 201
    retry_after = _too_many(portal.post("/api/captcha"))
    assert 1 <= retry_after <= 600
    assert portal.post("/api/captcha", "203.0.113.5").status_code == 201  # another address
    portal.clock.advance(seconds=retry_after)
    assert portal.post("/api/captcha").status_code == 201


def test_sign_up_sms_are_limited_per_client_address(portal):
    """Finding 6: one address sent sign-up SMS to 8 numbers in 5 s; 6 per hour now, resends included."""
    tokens = [portal.started(address="198.51.100.30") for _ in range(5)]
    portal.clock.advance(seconds=30)
    assert portal.post("/api/signup/sms-code/resend", "198.51.100.30", json={"signup_token": tokens[0]}).status_code == 202
    retry_after = _too_many(portal.sign_up(address="198.51.100.30"))
    assert "SMS" in portal.sign_up(address="198.51.100.30").get_json()["error"]["message"]
    assert portal.sign_up(address="198.51.100.31").status_code == 201
    portal.clock.advance(seconds=retry_after)
    assert portal.sign_up(address="198.51.100.30").status_code == 201


def _sms_code(portal, mobile_e164: str, count: int) -> str:
    return _payloads(portal.sms, lambda payload: payload["mobile"] == mobile_e164, count)[count - 1]["code"]


def test_new_codes_bring_no_new_guesses(portal):
    """Finding 5: a sign-up could ask a new code every 30 s without end, 5 guesses each; now 5 new
    codes at most, and 10 wrong codes across all the codes of the flow."""
    mobile = "0781" + str(uuid.uuid4().int)[:6]
    e164 = "+33" + mobile[1:]
    token = portal.started(address="198.51.100.40", mobile=mobile)
    for resend in range(5):
        portal.clock.advance(seconds=30)
        reply = portal.post("/api/signup/sms-code/resend", "198.51.100.41", json={"signup_token": token})
        assert reply.status_code == 202, reply.get_data(as_text=True)
    portal.clock.advance(seconds=30)
    assert "nouveau code" in portal.post("/api/signup/sms-code/resend", "198.51.100.41",
                                         json={"signup_token": token}).get_json()["error"]["message"]
    _too_many(portal.post("/api/signup/sms-code/resend", "198.51.100.41", json={"signup_token": token}))

    guesser = portal.started(address="198.51.100.42")
    answers = []
    for round_ in range(2):
        for guess in range(5):
            reply = portal.post("/api/signup/sms-code", json={"signup_token": guesser, "code": f"{round_}{guess}0000"})
            error = reply.get_json()["error"]
            answers.append((reply.status_code, error["code"], error["fields"]["code"]))
        portal.clock.advance(seconds=30)
        assert portal.post("/api/signup/sms-code/resend", "198.51.100.43", json={"signup_token": guesser}).status_code == 202
    # each code: four wrong guesses told how many are left, the fifth burns it (NF-1)
    burnt = "Trop d'essais erronés : ce code confidentiel n'est plus valable. Demandez un nouveau code confidentiel."
    one_code = [(422, "validation_failed", f"Le code confidentiel est incorrect. Il vous reste {left} "
                 f"{'essai' if left == 1 else 'essais'}.") for left in (4, 3, 2, 1)] + [(410, "gone", burnt)]
    assert answers == one_code * 2
    # A fresh code, but the flow's guesses are spent: even a right code is refused now.
    reply = portal.post("/api/signup/sms-code", json={"signup_token": guesser, "code": "123456"})
    exhausted = "Trop d'essais erronés de code confidentiel pour cette démarche. Veuillez réessayer plus tard."
    assert reply.get_json()["error"]["message"] == exhausted
    assert reply.get_json()["error"]["fields"] == {"code": exhausted}
    _too_many(reply)


def test_a_single_field_error_summarises_its_message(portal):
    """HTTP details: the wrong code's sentence is in `fields`, `message` summarises."""
    token = portal.started(address="198.51.100.50")
    reply = portal.post("/api/signup/sms-code", json={"signup_token": token, "code": "000000"})
    if reply.status_code == 200:  # one chance in a million: the guess was right
        return
    error = reply.get_json()["error"]
    assert reply.status_code == 422 and error["message"] == "Un champ est invalide."
    assert error["fields"]["code"].startswith("Le code confidentiel est incorrect.")


def test_two_pending_sign_ups_of_one_address_end_in_french_not_a_500(portal):
    """Finding 8: both past the SMS step, the second e-mail code was a 500 (unique constraint)."""
    email = new_email("double")
    flows = []
    for n in range(2):
        mobile = f"061{n + 3}" + str(uuid.uuid4().int)[:6]
        token = portal.started(address=f"198.51.100.6{n}", email=email, mobile=mobile)
        code = _sms_code(portal, "+33" + mobile[1:], 1)
        assert portal.post("/api/signup/sms-code", json={"signup_token": token, "code": code}).status_code == 200
        flows.append(token)
    codes = [payload["code"] for payload in _payloads(portal.emails, lambda payload: payload["email"] == email, 2)]
    first = portal.post("/api/signup/email-code", json={"signup_token": flows[0], "code": codes[0]})
    assert first.status_code == 200 and first.get_json()["step"] == "verified"
    second = portal.post("/api/signup/email-code", json={"signup_token": flows[1], "code": codes[1]})
    assert second.status_code == 409, second.get_data(as_text=True)
    assert "existe déjà" in second.get_json()["error"]["message"]


# --- the whole system ----------------------------------------------------------------------------

@pytest.mark.parametrize("evil", [
    "/%09/evil.example/x", "/\t/evil.example/x", "/\n/evil.example", "/\r/evil.example", "\t//evil.example",
    "/%2F/evil.example", "/%5Cevil.example", "/\\evil.example", "//evil.example", "https://evil.example",
])
def test_login_returns_only_to_a_path_of_the_portal(world, evil):
    """Finding 1: a browser drops TAB, CR and LF inside URLs: « /<TAB>/evil.example/x » led to
    //evil.example/x after a real login."""
    page = requests.get(world.system.url("/connexion"), params={"suite": evil}, timeout=30)
    assert page.status_code == 200
    assert 'data-suite="/espace"' in page.text, evil


def test_an_invitation_tells_nothing_about_existing_accounts(world):
    """Finding 2: `409 email_taken` told any company administrator whether an address had an
    account anywhere (another tenant's user, a particulier, a gestionnaire)."""
    system, admin = world.system, world.people["administrateur_2"]
    taken = {"another tenant": world.victim.email, "particulier": world.people["particulier"].email,
             "gestionnaire": world.people["gestionnaire"].email}
    fresh = new_email("neuf")
    before = {email: len(emails_to(system, email, "Invitation à rejoindre")) for email in taken.values()}
    answers = {}
    for label, email in {**taken, "fresh": fresh}.items():
        reply = admin.post("/api/account/users", json={"last_name": "Sonde", "first_name": "Paul",
                                                       "email": email, "profile": "CONSULTATION"})
        assert reply.status_code == 201, (label, reply.text)
        answers[label] = reply.json()
    shapes = {label: (frozenset(answer), answer["status"], answer["profile"]) for label, answer in answers.items()}
    assert len(set(shapes.values())) == 1, shapes
    wait_email(system, fresh, "Invitation à rejoindre")  # the real one went out...
    for email in taken.values():  # ...and nobody else was invited (a gestionnaire had their own once)
        assert len(emails_to(system, email, "Invitation à rejoindre")) == before[email], email


def test_invitations_are_limited_per_administrator(world):
    """Finding 2: probing addresses costs the administrator's budget (20 per hour)."""
    admin = company(world.system, "quota")
    for n in range(20):
        reply = admin.post("/api/account/users", json={"last_name": "Quota", "first_name": "Paul",
                                                       "email": new_email(f"quota{n}"), "profile": "CONSULTATION"})
        assert reply.status_code == 201, reply.text
    refused = admin.post("/api/account/users", json={"last_name": "Quota", "first_name": "Paul",
                                                     "email": new_email("quota-21"), "profile": "CONSULTATION"})
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) >= 1
    assert "invitations" in refused.json()["error"]["message"]


@pytest.fixture(scope="module")
def own_draft(world):
    browser = world.people["utilisateur"]
    return browser, draft(browser)


@pytest.mark.parametrize("kind", samples.ACTIVE_PDF_KINDS)
def test_pdf_active_content_is_refused(own_draft, kind):
    """Finding 3: XFA forms, GoToR to a network share, URI, SubmitForm, ImportData, RichMedia,
    embedded files and every other action but GoTo."""
    browser, demande_id = own_draft
    reply = upload(browser, demande_id, samples.pdf_with(kind), name=f"{kind}.pdf")
    assert reply.status_code == 422, (kind, reply.text)
    assert reply.json()["error"]["code"] == "file_pdf_active_content"
    assert "contenu actif" in reply.json()["error"]["fields"]["file"]


@pytest.mark.parametrize("kind", samples.PASSIVE_PDF_KINDS)
def test_what_a_scanned_document_needs_is_accepted(own_draft, kind):
    browser, demande_id = own_draft
    assert upload(browser, demande_id, samples.pdf_with(kind), name=f"{kind}.pdf").status_code == 201


def test_a_client_cannot_change_a_gestionnaires_attachment(world):
    """Finding 4: `replace` and `attach` on a document the back office joined to a message
    succeeded for the client; only its uploader's side may change a document."""
    client, agent = world.people["administrateur"], world.people["gestionnaire"]
    demande_id, _ = submitted(client)
    joined = agent.post("/api/documents", files={"file": ("modele.pdf", samples.pdf(), "application/pdf")},
                        data={"owner_service": "demandes", "owner_id": demande_id, "kind": "OTHER"})
    assert joined.status_code == 201, joined.text
    pending = agent.post("/api/documents", files={"file": ("projet.pdf", samples.pdf(), "application/pdf")},
                         data={"owner_service": "demandes", "owner_id": demande_id, "kind": "OTHER"})
    document_id = joined.json()["id"]
    assert agent.post(f"/api/documents/{document_id}/attach").status_code == 200
    posted = agent.post(f"/api/backoffice/demandes/{demande_id}/messages", json={
        "subject_code": "FREE", "free_subject": "Modèle", "body": "Voici le modèle.", "attachments": [document_id]})
    assert posted.status_code == 201, posted.text
    before = client.get(f"/api/documents/{document_id}").json()
    answers = [
        client.post(f"/api/documents/{document_id}/replace", files={"file": ("x.pdf", samples.pdf(), "application/pdf")}),
        client.post(f"/api/documents/{pending.json()['id']}/attach"),
        client.post(f"/api/documents/{pending.json()['id']}/replace",
                    files={"file": ("y.pdf", samples.pdf(), "application/pdf")}),
        client.delete(f"/api/documents/{pending.json()['id']}"),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert "service des consignations" in answer.json()["error"]["message"]
    after = client.get(f"/api/documents/{document_id}").json()
    assert after["file_name"] == before["file_name"] == "modele.pdf"
    assert after["sha256"] == before["sha256"] and after["replaced_by_document_id"] is None


@pytest.mark.parametrize("path", ["/api/demandes?page=99999999999999999999", "/api/demandes?page=2147483648",
                                  "/api/demandes?per_page=99999999999999999999"])
def test_huge_page_numbers_are_refused_in_french(world, path):
    """Finding 8: an integer overflow was a 500."""
    reply = world.people["administrateur"].get(path)
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "validation_failed"), reply.text
    assert list(reply.json()["error"]["fields"]) == [path.split("?")[1].split("=")[0]], reply.text


def test_huge_page_numbers_of_the_back_office_queue(world):
    reply = world.people["gestionnaire"].get("/api/backoffice/demandes?page=99999999999999999999")
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "validation_failed"), reply.text
    assert list(reply.json()["error"]["fields"]) == ["page"], reply.text


@pytest.fixture(scope="module")
def private_company(world):
    """A company through the wizard's steps 1 and 2 (identity document), with a Kbis, an
    Utilisateur and a Consultation."""
    admin = company(world.system, "prive")
    account_id = admin.get("/api/me/profile").json()["account_id"]
    assert admin.put("/api/account/wizard/structure", json={**STRUCTURE, "next": True}).status_code == 200
    documents = {}
    for kind, extra in (("IDENTITY", {"page": "recto_verso"}),
                        ("KBIS", {"document_date": datetime.now(timezone.utc).date().isoformat()})):
        uploaded = upload(admin, account_id, samples.pdf(text=kind), name=f"{kind.lower()}.pdf",
                          owner_service="accounts", kind=kind, **extra)
        assert uploaded.status_code == 201, uploaded.text
        assert admin.post(f"/api/documents/{uploaded.json()['id']}/attach").status_code == 200
        documents[kind] = uploaded.json()["id"]
    step2 = admin.put("/api/account/wizard/administrator", json={
        "civility": "MADAME", "last_name": "Dupont", "first_name": "Claire", "function": "Directrice",
        "mobile": "06 12 34 56 78", "next": True})
    assert step2.status_code == 200, step2.text
    people = invite(admin, {"prive_utilisateur": "UTILISATEUR", "prive_consultation": "CONSULTATION"})
    return admin, account_id, documents, people


@pytest.mark.parametrize("role", ["prive_utilisateur", "prive_consultation"])
def test_identity_document_and_kbis_are_for_administrators_only(private_company, role):
    """Finding 9: Utilisateur and Consultation listed and downloaded them through
    /api/documents?owner_service=accounts while the portal shows them to administrators only."""
    admin, account_id, documents, people = private_company
    person = people[role]
    listed = person.get("/api/documents", params={"owner_service": "accounts", "owner_id": account_id})
    assert listed.status_code == 403, listed.text
    for document_id in documents.values():
        for path in (f"/api/documents/{document_id}", f"/api/documents/{document_id}/content"):
            reply = person.get(path)
            assert reply.status_code == 403, (path, reply.text)
            assert "administrateurs" in reply.json()["error"]["message"]
    mine = admin.get("/api/documents", params={"owner_service": "accounts", "owner_id": account_id})
    assert {d["kind"] for d in mine.json()} == {"IDENTITY", "KBIS"}
    assert admin.get(f"/api/documents/{documents['KBIS']}/content").status_code == 200


def test_the_creators_session_shows_the_administrator_and_the_names_of_step_2(private_company):
    """HTTP details: GET /api/session said « ENTREPRISE » with null names after step 2."""
    admin = private_company[0]
    assert wait_for(lambda: admin.get("/api/session").json()["person"]["first_name"] == "Claire")
    person = admin.get("/api/session").json()["person"]
    assert (person["profile"], person["first_name"], person["last_name"]) == ("ADMINISTRATEUR", "Claire", "Dupont")


def test_the_invitation_expiry_has_its_time_zone(world):
    """HTTP details: `expires_at` of GET /api/invitation had no time zone."""
    email = new_email("fuseau")
    assert world.people["administrateur_2"].post("/api/account/users", json={
        "last_name": "Fuseau", "first_name": "Paul", "email": email, "profile": "CONSULTATION"}).status_code == 201
    token = link_token(wait_email(world.system, email, "Invitation à rejoindre"), "/invitation")
    details = requests.get(world.system.url("/api/invitation"), params={"token": token}, timeout=30).json()
    assert datetime.fromisoformat(details["expires_at"]).utcoffset() is not None, details


@pytest.mark.parametrize("path,kwargs", [
    ("/api/login", {"data": "email=a&password=b", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
    ("/api/login", {"data": "{pas du json", "headers": {"Content-Type": "application/json"}}),
    ("/api/signup/sms-code", {"data": "[" * 100_000, "headers": {"Content-Type": "application/json"}}),
])
def test_a_body_that_is_not_json_is_a_400(world, path, kwargs):
    """HTTP details: it was a 422 validation_failed; 422 is kept for well-formed bodies."""
    reply = requests.post(world.system.url(path), timeout=30, **kwargs)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "malformed_body" and reply.json()["error"]["message"]


def test_a_multipart_body_without_boundary_is_a_400(own_draft):
    browser, demande_id = own_draft
    reply = browser.post("/api/documents", data=b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nA\r\n--x--",
                         headers={"Content-Type": "multipart/form-data"})
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "malformed_body"


def test_an_announced_oversized_body_is_refused_at_once(world):
    """Finding 7: a declared Content-Length of 1 GB was drained before the 413. Now the answer
    comes before any byte of the body is sent (bounded wait: the socket's timeout)."""
    parts = urlsplit(world.system.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(b"POST /api/login HTTP/1.1\r\nHost: portail\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 1073741824\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].decode()
    assert re.match(r"HTTP/1\.[01] 413 ", status_line), answer[:300]
