"""The people and resources the security suite aims at, built once through the gateway as real
users would (codes and links read from the development outbox), and how to call an operation of
the OpenAPI document as one of them."""
from __future__ import annotations

import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
import yaml

from documents_service import samples
from e2e_helpers import (
    Browser, accept_invitation, plain_text, sign_up_company, sign_up_particulier, submit_right_in_effect,
    wait_account,
)

ROLES = ("anonymous", "particulier", "administrateur", "administrateur_2", "utilisateur",
         "utilisateur_sans_depot", "consultation", "gestionnaire")
# The profile each role's session has in the accounts (x-access of the OpenAPI document).
PROFILE = {"particulier": "PARTICULIER", "administrateur": "ADMINISTRATEUR", "administrateur_2": "ADMINISTRATEUR",
           "utilisateur": "UTILISATEUR", "utilisateur_sans_depot": "UTILISATEUR", "consultation": "CONSULTATION",
           "gestionnaire": "GESTIONNAIRE"}
SAISIE = {"legal_form": "SAS", "iban": "FR7630006000011234567890189", "bic": "BNPAFRPPXXX",
          "transfer_label": "Saisie 23/01234"}
STAFF_PASSWORD = "Gestion-2026!"


def new_email(label: str, domain: str = "securite.example.com") -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@{domain}"


def openapi_operations(system) -> list[tuple[str, str, dict]]:
    """Every (path, method, operation) of the document the gateway serves."""
    document = yaml.safe_load(requests.get(system.url("/api/openapi.yaml"), timeout=10).text)
    return [(path, method, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in ("get", "put", "post", "patch", "delete")]


def create_gestionnaire(system, label="agent") -> Browser:
    email = new_email(label, "caissedesdepots.example.com")
    created = subprocess.run([sys.executable, "-m", "identity_service", "create-staff", "--email", email,
                              "--first-name", "Anne", "--last-name", "Martin"],
                             env=system.env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    agent = Browser(system, email, accept_invitation(system, email, STAFF_PASSWORD))
    agent.password, agent.person_id = STAFF_PASSWORD, agent.person["id"]
    return agent


def company(system, label: str, company_name: str | None = None) -> Browser:
    email = new_email(label)
    name = company_name or f"{label.upper()} {uuid.uuid4().hex[:5].upper()} SAS"
    admin = wait_account(Browser(system, email, sign_up_company(system, email, company=name)))
    admin.password = "Consign-2026!"
    admin.company_name = name
    admin.person_id = admin.person["id"]
    return admin


def invite(admin: Browser, profiles: dict[str, str]) -> dict[str, Browser]:
    """Invite every person first (the e-mails go out together), then accept each invitation."""
    emails = {}
    for label, profile in profiles.items():
        email = new_email(label)
        invited = admin.post("/api/account/users", json={"last_name": "Martin", "first_name": "Paul",
                                                         "email": email, "profile": profile})
        assert invited.status_code == 201, invited.text
        emails[label] = (email, invited.json()["person_id"])
    people = {}
    for label, (email, person_id) in emails.items():
        browser = wait_account(Browser(admin.system, email, accept_invitation(admin.system, email)))
        browser.person_id, browser.password = person_id, "Invite-2026!"
        people[label] = browser
    return people


def draft(browser: Browser, procedure="SAISIE_IMMO_D", **values) -> str:
    created = browser.post("/api/demandes", json={"procedure_code": procedure})
    assert created.status_code == 201, created.text
    demande_id = created.json()["id"]
    name = getattr(browser, "company_name", "ACME SAS")
    saved = browser.put(f"/api/demandes/{demande_id}/informations", json={
        "values": {**SAISIE, "company_name": name, "account_holder": name, **values}, "complete": True})
    assert saved.status_code == 200, saved.text
    return demande_id


def upload(browser: Browser, owner_id: str, data: bytes = None, name="rib.pdf", kind="RIB",
           owner_service="demandes", content_type="application/pdf", **fields):
    return browser.post("/api/documents", files={"file": (name, data if data is not None else samples.pdf(),
                                                          content_type)},
                        data={"owner_service": owner_service, "owner_id": owner_id, "kind": kind, **fields})


def attached_rib(browser: Browser, demande_id: str) -> str:
    uploaded = upload(browser, demande_id)
    assert uploaded.status_code == 201, uploaded.text
    attached = browser.post(f"/api/documents/{uploaded.json()['id']}/attach")
    assert attached.status_code == 200, attached.text
    return uploaded.json()["id"]


def submitted(browser: Browser, **values) -> tuple[str, str]:
    """A « saisie immobilière » transmitted with its RIB: (request id, RIB document id)."""
    demande_id = draft(browser, **values)
    rib = attached_rib(browser, demande_id)
    confirmed = browser.post(f"/api/demandes/{demande_id}/justificatifs/confirm")
    assert confirmed.status_code == 200, confirmed.text
    sent = browser.post(f"/api/demandes/{demande_id}/submit")
    assert sent.status_code == 200, sent.text
    return demande_id, rib


def staff_message(agent: Browser, demande_id: str, body="Merci de compléter votre dossier.") -> str:
    posted = agent.post(f"/api/backoffice/demandes/{demande_id}/messages",
                        json={"subject_code": "FREE", "free_subject": "Votre dossier", "body": body})
    assert posted.status_code == 201, posted.text
    return posted.json()["id"]


def bearer(system, email: str, password: str) -> str:
    logged = requests.post(system.url("/api/login"), json={"email": email, "password": password, "session": "bearer"},
                           timeout=30)
    assert logged.status_code == 200, logged.text
    return logged.json()["session_token"]


def code_in(mail, length=6) -> str:
    return re.search(r"^\s+([A-Z0-9]{%d})\s*$" % length, plain_text(mail), re.M).group(1)


@dataclass
class World:
    """The eight roles of the matrix (one company with two Administrateurs, an Utilisateur, an
    Utilisateur whose right to submit was withdrawn and a Consultation; a particulier; a
    gestionnaire; nobody) and, in another company (« victim »), a draft with a document, a
    transmitted request with a gestionnaire's message: what every role aims at."""
    system: Any
    people: dict[str, Browser]
    victim: Browser
    targets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, system) -> "World":
        agent = create_gestionnaire(system)
        acme = company(system, "acme")
        people = {"administrateur": acme, **invite(acme, {
            "administrateur_2": "ADMINISTRATEUR", "utilisateur": "UTILISATEUR",
            "utilisateur_sans_depot": "UTILISATEUR", "consultation": "CONSULTATION"})}
        withdrawn = acme.put(f"/api/account/users/{people['utilisateur_sans_depot'].person_id}/submit-right",
                             json={"allowed": False})
        assert withdrawn.status_code == 200, withdrawn.text
        submit_right_in_effect(people["utilisateur_sans_depot"], False)
        for browser in people.values():
            browser.company_name = acme.company_name
        people["particulier"] = sign_up_particulier(system, new_email("particulier"))
        people["particulier"].person_id = people["particulier"].person["id"]
        people["particulier"].password = "Consign-2026!"
        people["gestionnaire"] = agent
        people["anonymous"] = Browser(system)

        victim = company(system, "victim")
        victim_draft = draft(victim)
        victim_document = upload(victim, victim_draft)
        assert victim_document.status_code == 201, victim_document.text
        victim_submitted, victim_rib = submitted(victim)
        message = staff_message(agent, victim_submitted)
        targets = {
            "demande_id": victim_draft, "document_id": victim_document.json()["id"], "message_id": message,
            "person_id": victim.person_id, "submitted_id": victim_submitted, "submitted_document_id": victim_rib,
            "account_id": victim.get("/api/me/profile").json()["account_id"],
        }
        return cls(system=system, people=people, victim=victim, targets=targets)

    def person(self, role: str) -> dict:
        """The person dict the gateway resolves for this role's session (what it sends over RPC)."""
        return self.people[role].get("/api/session").json()["person"]


def _resolved(value, document):
    """The value with its local `$ref`s replaced by what they point at."""
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str) and value["$ref"].startswith("#/"):
            target = document
            for part in value["$ref"][2:].split("/"):
                target = target[part]
            return _resolved(target, document)
        return {key: _resolved(item, document) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, document) for item in value]
    return value


def operations():
    """Read at collection from the source the gateway merges (the test below checks that it is
    the document the running gateway serves); path-level parameters go into each operation."""
    from gateway_service.app import openapi_document

    document = openapi_document()
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                operation = _resolved(operation, document)
                operation["parameters"] = _resolved(item.get("parameters", []), document) + operation.get(
                    "parameters", [])
                operations.append((path, method, operation))
    return operations
