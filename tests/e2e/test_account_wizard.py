"""Issue 4 acceptance: a new company goes from sign-up to a finalised account with a second
administrator, a Utilisateur and a Consultation entirely through the gateway (documents
uploaded through /api/documents); a particulier account likewise. E-mails come from the outbox."""
import uuid
from datetime import date, timedelta

import requests

from documents_service import samples
from e2e_helpers import Browser, accept_invitation, link_token, sign_up_company, solved_captcha, wait_account, wait_email

STRUCTURE = {"structure_type": "AUTRES", "service": "Direction financière", "address": "12 rue de la Paix",
             "postal_code": "75002", "commune": "Paris", "country": "FR", "siret": "73282932000074"}


def new_email(label):
    return f"{label}-{uuid.uuid4().hex[:8]}@acme.example.com"


def upload(browser, account_id, kind, data, name, **fields):
    reply = browser.post("/api/documents", files={"file": (name, data, "application/octet-stream")},
                         data={"owner_service": "accounts", "owner_id": account_id, "kind": kind, **fields})
    assert reply.status_code == 201, reply.text
    attached = browser.post(f"/api/documents/{reply.json()['id']}/attach")
    assert attached.status_code == 200, attached.text
    return reply.json()


def test_company_from_sign_up_to_finalised_account(system):
    email = new_email("direction")
    admin = wait_account(Browser(system, email, sign_up_company(system, email)))
    account_id = admin.get("/api/me/profile").json()["account_id"]

    assert admin.put("/api/account/wizard/structure", json={**STRUCTURE, "next": True}).json()["wizard_step"] == 2
    missing_id = admin.put("/api/account/wizard/administrator", json={
        "civility": "MADAME", "last_name": "Dupont", "first_name": "Claire", "function": "Directrice",
        "mobile": "06 12 34 56 78", "next": True})
    assert missing_id.status_code == 422
    assert missing_id.json()["error"]["fields"] == {"identity_document": "Veuillez télécharger votre pièce d'identité."}
    upload(admin, account_id, "IDENTITY", samples.pdf(text="Carte nationale d'identité"), "cni.pdf", page="recto_verso")
    step2 = admin.put("/api/account/wizard/administrator", json={
        "civility": "MADAME", "last_name": "Dupont", "first_name": "Claire", "function": "Directrice",
        "mobile": "06 12 34 56 78", "next": True})
    assert step2.status_code == 200 and step2.json()["wizard_step"] == 3, step2.text

    old_kbis = admin.post("/api/documents", files={"file": ("kbis.pdf", samples.pdf(text="Kbis"), "application/pdf")},
                          data={"owner_service": "accounts", "owner_id": account_id, "kind": "KBIS",
                                "document_date": (date.today() - timedelta(days=120)).isoformat()})
    assert old_kbis.status_code == 422 and "document_date" in old_kbis.json()["error"]["fields"]
    upload(admin, account_id, "KBIS", samples.pdf(text="Extrait Kbis"), "kbis.pdf",
           document_date=(date.today() - timedelta(days=20)).isoformat())
    no_delegation = admin.put("/api/account/wizard/documents", json={"administrator_on_kbis": False, "next": True})
    assert no_delegation.status_code == 422 and set(no_delegation.json()["error"]["fields"]) == {"delegation"}
    upload(admin, account_id, "DELEGATION_SIGNATURE", samples.pdf(text="Délégation"), "delegation.pdf")
    assert admin.put("/api/account/wizard/documents", json={"administrator_on_kbis": False, "next": True}).json()["wizard_step"] == 4

    people = {}
    for label, profile, first_name in (("admin2", "ADMINISTRATEUR", "Bruno"), ("user", "UTILISATEUR", "Chloé"),
                                       ("consult", "CONSULTATION", "Denis")):
        address = new_email(label)
        invited = admin.post("/api/account/users", json={"last_name": "Martin", "first_name": first_name,
                                                         "email": address, "profile": profile})
        assert invited.status_code == 201, invited.text
        people[label] = wait_account(Browser(system, address, accept_invitation(system, address)))
    assert admin.get("/api/account/welcome").json()["show"] is False  # not before « Valider »
    final = admin.post("/api/account/wizard/finalise")
    assert final.status_code == 200 and final.json()["finalised"] is True
    locked = admin.put("/api/account/wizard/structure", json={**STRUCTURE, "next": True})
    assert locked.status_code == 409

    for browser in (admin, *people.values()):  # AC-2: once per person
        welcome = browser.get("/api/account/welcome").json()
        assert welcome["show"] is True
        assert {p["code"] for p in welcome["procedures"]} >= {"SAISIE_IMMO_D", "JEUX_VIDEO_C"}
        assert "ARS_D" not in {p["code"] for p in welcome["procedures"]}
        assert browser.post("/api/account/welcome/seen").status_code == 200
        assert browser.get("/api/account/welcome").json()["show"] is False
    users = {u["email"]: u for u in admin.get("/api/account/users").json()}
    assert {u["profile"] for u in users.values()} == {"ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION"}
    assert all(u["status"] == "active" for u in users.values())
    assert people["admin2"].get("/api/account/fiche").json()["siren"] == "732829320"
    assert people["user"].get("/api/account/fiche").status_code == 403


def test_particulier_account_with_its_identity_document(system):
    email = f"particulier-{uuid.uuid4().hex[:8]}@example.com"
    http = requests.Session()
    http.post(system.url("/api/signup/particulier"), json={
        "last_name": "Dupont", "first_name": "Élodie", "mobile": "06 12 34 56 78", "email": email,
        "password": "Consign-2026!", "accept_cgu": True, "accept_conditions_particulieres": True,
        **solved_captcha(system, http)})
    token = link_token(wait_email(system, email, "Activation de compte"), "/activation")
    assert http.post(system.url("/api/activation"), json={"token": token}).status_code == 200
    wait_email(system, email, "Votre compte est validé")
    person = wait_account(Browser(system, email, "Consign-2026!"))
    profile = person.get("/api/me/profile").json()
    assert profile["account_kind"] == "PARTICULIER" and profile["first_name"] == "Élodie"
    document = upload(person, profile["account_id"], "IDENTITY", samples.png(), "cni.png", page="recto")
    listed = person.get("/api/documents", params={"owner_service": "accounts", "owner_id": profile["account_id"]}).json()
    assert [d["id"] for d in listed] == [document["id"]]
    assert person.get("/api/account/users").status_code == 403  # no users in a particulier account
