"""Documents through the gateway with every service running (issue 6): a company administrator
uploads and validates the account's documents, another company cannot read them, a gestionnaire
reviews them.
Rights come from the real accounts service (its signed grant, document_grant). Summaries and signed proofs of
requests are tested through the gateway in services/gateway/tests/integration (their owner, the
demandes service, arrives with issue 5)."""
import re
import subprocess
import sys
import uuid

import pytest
import requests

from documents_service import samples
from e2e_helpers import Browser, link_token, plain_text, sign_up_company, wait_account, wait_email


def new_email(label):
    return f"{label}-{uuid.uuid4().hex[:8]}@docs.example.com"


@pytest.fixture(scope="module")
def companies(system):
    people = {}
    for label in ("acme", "other"):
        email = new_email(label)
        browser = wait_account(Browser(system, email, sign_up_company(system, email, company=label.upper() + " SAS")))
        browser.account_id = browser.get("/api/me/profile").json()["account_id"]
        people[label] = browser
    return people


@pytest.fixture(scope="module")
def agent(system):
    email = new_email("agent")
    created = subprocess.run([sys.executable, "-m", "identity_service", "create-staff", "--email", email,
                              "--first-name", "Anne", "--last-name", "Martin"],
                             env=system.env, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    mail = wait_email(system, email, "Invitation à rejoindre l'Espace Personnel Consignations")
    code = re.search(r"^\s+([A-Z0-9]{10})\s*$", plain_text(mail), re.M).group(1)
    accepted = requests.post(system.url("/api/invitation/accept"), json={
        "token": link_token(mail, "/invitation"), "code": code, "password": "Gestion-2026!", "accept_cgu": True})
    assert accepted.status_code == 200, accepted.text
    return Browser(system, email, "Gestion-2026!")


def upload(browser, data, name, kind="IDENTITY", **fields):
    return browser.post("/api/documents", files={"file": (name, data, "application/octet-stream")}, data={
        "owner_service": "accounts", "owner_id": browser.account_id, "kind": kind, **fields})


def test_identity_document_upload_validate_download(companies):
    acme = companies["acme"]
    kinds = acme.get("/api/documents/kinds").json()
    assert {"code": "KBIS", "requires_date": True} .items() <= next(k for k in kinds if k["code"] == "KBIS").items()
    recto = upload(acme, samples.png(), "CNI recto.pdf", page="recto")  # a PNG named .pdf
    assert recto.status_code == 201, recto.text
    recto = recto.json()
    assert (recto["status"], recto["content_type"], recto["file_name"]) == ("pending", "image/png", "CNI recto.png")
    attached = acme.post(f"/api/documents/{recto['id']}/attach")
    assert attached.status_code == 200 and attached.json()["status"] == "attached"
    listed = acme.get("/api/documents", params={"owner_service": "accounts", "owner_id": acme.account_id}).json()
    assert [d["id"] for d in listed] == [recto["id"]]
    download = acme.get(f"/api/documents/{recto['id']}/content")
    assert download.status_code == 200 and download.content == samples.png()
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    too_big = upload(acme, samples.pdf_of_size(5 * 1024 * 1024 + 1), "gros.pdf", page="verso")
    assert too_big.status_code == 413
    assert too_big.json()["error"]["message"] == "Le fichier dépasse la taille maximale autorisée de 5 Mo."
    encrypted = upload(acme, samples.encrypted_pdf(), "verso.pdf", page="verso")
    assert encrypted.status_code == 422 and "mot de passe" in encrypted.json()["error"]["fields"]["file"]


def test_another_company_cannot_read_nor_add(companies):
    acme, other = companies["acme"], companies["other"]
    mine = upload(acme, samples.pdf(), "kbis.pdf", kind="KBIS",
                  document_date=__import__("datetime").date.today().isoformat()).json()
    for path in (f"/api/documents/{mine['id']}", f"/api/documents/{mine['id']}/content"):
        refused = other.get(path)
        assert refused.status_code in (403, 404), refused.text
        assert samples.pdf() not in refused.content
    listed = other.get("/api/documents", params={"owner_service": "accounts", "owner_id": acme.account_id})
    assert listed.status_code in (403, 404)
    assert upload(other, samples.pdf(), "x.pdf", kind="RIB", owner_id=acme.account_id).status_code in (403, 404)
    assert requests.get(acme.system.url(f"/api/documents/{mine['id']}/content")).status_code == 401


def test_a_gestionnaire_reviews_and_the_client_sees_the_reason(companies, agent):
    acme = companies["acme"]
    document = upload(acme, samples.pdf(), "rib.pdf", kind="RIB").json()
    acme.post(f"/api/documents/{document['id']}/attach")
    assert acme.post(f"/api/documents/{document['id']}/review", json={"status": "conforme"}).status_code == 403
    reviewed = agent.post(f"/api/documents/{document['id']}/review",
                          json={"status": "non_conforme", "reason": "RIB illisible"})
    assert reviewed.status_code == 200, reviewed.text
    seen = acme.get(f"/api/documents/{document['id']}").json()
    assert seen["review"]["status"] == "non_conforme" and seen["review"]["reason"] == "RIB illisible"
    complement = acme.post(f"/api/documents/{document['id']}/replace",
                           files={"file": ("rib2.pdf", samples.pdf(2), "application/pdf")})
    assert complement.status_code == 201, complement.text
    acme.post(f"/api/documents/{complement.json()['id']}/attach")
    versions = acme.get(f"/api/documents/{document['id']}").json()["versions"]
    assert [v["status"] for v in versions] == ["replaced", "attached"]
    assert agent.get(f"/api/documents/{document['id']}/content").status_code == 200
