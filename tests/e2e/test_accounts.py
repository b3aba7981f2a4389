"""Client accounts through the gateway with every service running (issue 4): the company
wizard, users and roles (matrix of who may call what), IDOR and mass assignment refusals."""
import uuid

import pytest
import requests

import subprocess
import sys

from e2e_helpers import (
    Browser, accept_invitation, link_token, sign_up_company, solved_captcha, wait_account, wait_email,
)

STRUCTURE = {"structure_type": "AUTRES", "address": "12 rue de la Paix", "postal_code": "75002",
             "commune": "Paris", "country": "FR", "siret": "73282932000074"}


def new_email(label):
    return f"{label}-{uuid.uuid4().hex[:8]}@acme.example.com"


@pytest.fixture(scope="module")
def company(system):
    """A company account with its two administrators, an Utilisateur and a Consultation."""
    admin_email = new_email("admin")
    admin = wait_account(Browser(system, admin_email, sign_up_company(system, admin_email)))
    assert admin.get("/api/account/wizard").json()["wizard_step"] == 1
    people = {"admin": admin}
    for label, profile in (("admin2", "ADMINISTRATEUR"), ("user", "UTILISATEUR"), ("consult", "CONSULTATION")):
        email = new_email(label)
        invited = admin.post("/api/account/users", json={"last_name": "Martin", "first_name": "Paul",
                                                         "email": email, "profile": profile})
        assert invited.status_code == 201, invited.text
        people[label] = wait_account(Browser(system, email, accept_invitation(system, email)))
        people[label].person_id = invited.json()["person_id"]
    return people


def test_wizard_step_one_through_the_gateway(company):
    admin = company["admin"]
    bad = admin.put("/api/account/wizard/structure", json={**STRUCTURE, "siret": "73282932000075", "next": True})
    assert bad.status_code == 422 and "clé de contrôle" in bad.json()["error"]["fields"]["siret"]
    saved = admin.put("/api/account/wizard/structure", json={**STRUCTURE, "next": True})
    assert saved.status_code == 200 and saved.json()["wizard_step"] >= 2
    assert saved.json()["structure"]["siren"] == "732829320"
    suggestions = requests.get(admin.system.url("/api/communes"), params={"q": "7500"}).json()
    assert {"postal_code": "75002", "commune": "Paris 2e Arrondissement", "insee_code": "75102"} in suggestions


def test_a_third_administrator_is_refused(company):
    refused = company["admin"].post("/api/account/users", json={
        "last_name": "Trois", "first_name": "Trois", "email": new_email("trois"), "profile": "ADMINISTRATEUR"})
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "Un compte client ne peut pas avoir plus de 2 administrateurs."


NOBODY = "00000000-0000-4000-8000-000000000000"  # a person id that exists nowhere
ADMINS = {"admin", "admin2"}
MEMBERS = ADMINS | {"user", "consult", "particulier"}
# Every accounts route with a harmless call, and who may make it (others get 403, or 401 when
# anonymous). "Allowed" means the route answered on the merits: 200, 404 for the unknown id, 409
# or 422 for a refused change.
ROUTES = [
    ("get", "/api/account/wizard", None, ADMINS),
    ("put", "/api/account/wizard/structure", {"service": "Trésorerie"}, ADMINS),
    ("put", "/api/account/wizard/administrator", {"function": "Directrice"}, ADMINS),
    ("put", "/api/account/wizard/documents", {}, ADMINS),
    ("post", "/api/account/wizard/finalise", None, ADMINS),
    ("get", "/api/account/welcome", None, MEMBERS),
    ("get", "/api/account/fiche", None, ADMINS),
    ("patch", "/api/account/fiche", {"service": "Comptabilité"}, ADMINS),
    ("get", "/api/me/profile", None, MEMBERS),
    ("patch", "/api/me/profile", {"function": "Comptable"}, MEMBERS),
    ("get", "/api/account/users", None, ADMINS),
    ("post", "/api/account/users", {"last_name": "X", "first_name": "Y", "email": "pas-une-adresse", "profile": "UTILISATEUR"}, ADMINS),
    ("patch", f"/api/account/users/{NOBODY}", {"last_name": "Durand"}, ADMINS),
    ("delete", f"/api/account/users/{NOBODY}", None, ADMINS),
    ("post", f"/api/account/users/{NOBODY}/renew", None, ADMINS),
    ("put", f"/api/account/users/{NOBODY}/submit-right", {"allowed": False}, ADMINS),
    ("post", f"/api/account/users/{NOBODY}/deletion-request", {"accept": False}, ADMINS),
]
ROLES = ("admin", "admin2", "user", "consult", "particulier", "gestionnaire", "anonymous")


@pytest.fixture(scope="module")
def everyone(system, company):
    people = dict(company)
    email = f"particulier-{uuid.uuid4().hex[:8]}@example.com"
    http = requests.Session()
    http.post(system.url("/api/signup/particulier"), json={
        "last_name": "Dupont", "first_name": "Élodie", "mobile": "06 12 34 56 78", "email": email,
        "password": "Consign-2026!", "accept_cgu": True, "accept_conditions_particulieres": True,
        **solved_captcha(system, http)})
    token = link_token(wait_email(system, email, "Activation de compte"), "/activation")
    assert http.post(system.url("/api/activation"), json={"token": token}).status_code == 200
    people["particulier"] = wait_account(Browser(system, email, "Consign-2026!"))
    agent = f"agent-{uuid.uuid4().hex[:8]}@caissedesdepots.example.com"
    subprocess.run([sys.executable, "-m", "identity_service", "create-staff", "--email", agent,
                    "--first-name", "Anne", "--last-name", "Martin"], env=system.env, check=True, capture_output=True)
    people["gestionnaire"] = Browser(system, agent, accept_invitation(system, agent))
    people["anonymous"] = Browser(system)
    return people


@pytest.mark.parametrize("who", ROLES)
def test_role_matrix(everyone, who):
    browser = everyone[who]
    for method, path, body, allowed in ROUTES:
        reply = getattr(browser, method)(path, **({"json": body} if body is not None else {}))
        if who in allowed:
            assert reply.status_code in (200, 404, 409, 422), (who, method, path, reply.status_code, reply.text)
        else:
            expected = 401 if who == "anonymous" else 403
            assert reply.status_code == expected, (who, method, path, reply.status_code, reply.text)
    assert everyone[who].get("/api/communes", params={"q": "75001"}).status_code == 200  # public list


def test_managing_another_accounts_people_is_refused(system, company):
    other_email = new_email("autre")
    other_admin = wait_account(Browser(system, other_email, sign_up_company(system, other_email, company="AUTRE SA")))
    target = company["user"].person_id
    for reply in (other_admin.patch(f"/api/account/users/{target}", json={"last_name": "Pirate"}),
                  other_admin.delete(f"/api/account/users/{target}"),
                  other_admin.put(f"/api/account/users/{target}/submit-right", json={"allowed": False})):
        assert reply.status_code == 404, reply.text
    users = company["admin"].get("/api/account/users").json()
    assert next(u for u in users if u["person_id"] == target)["last_name"] == "Martin"


def test_mass_assignment_through_the_gateway(company):
    target = company["user"].person_id
    refused = company["admin"].patch(f"/api/account/users/{target}", json={"profile": "ADMINISTRATEUR", "last_name": "Durand"})
    assert refused.status_code == 422 and refused.json()["error"]["fields"] == {"profile": "Ce champ n'est pas modifiable."}


def test_deletion_request_reaches_the_administrators(system, company):
    consult = company["consult"]
    assert consult.post("/api/me/deletion-request").status_code == 202
    for admin in (company["admin"], company["admin2"]):  # NO-13, one e-mail per administrator
        wait_email(system, admin.email, "Demande de suppression d'accès")
    users = company["admin"].get("/api/account/users").json()
    assert next(u for u in users if u["person_id"] == consult.person_id)["deletion_requested"] is True
    refused = company["admin2"].post(f"/api/account/users/{consult.person_id}/deletion-request", json={"accept": False})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"


def test_only_administrator_cannot_delete_themself(system):
    email = new_email("seul")
    alone = wait_account(Browser(system, email, sign_up_company(system, email, company="SEUL SARL")))
    refused = alone.delete(f"/api/account/users/{alone.person['id']}")
    assert refused.status_code == 409 and "unique Administrateur" in refused.json()["error"]["message"]
