"""SQL and HTML injection in the free texts shown in a PDF, an e-mail or the portal (issue 10):
stored as typed (parameterised queries: nothing is executed, the tables are intact), shown as
text (escaped in every HTML page and e-mail, literal in PDFs)."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from e2e_helpers import plain_text, wait_email
from security_helpers import attached_rib, draft, staff_message, upload

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
SQL = "'; DROP TABLE requests;--"
PAYLOAD = f"Virement {SCRIPT} {IMG} {SQL}"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
NAME = "O'Brien d'Artagnan"  # the quotes a name may hold (letters, spaces, hyphens, apostrophes)


def assert_escaped(html: str, where: str):
    assert SCRIPT not in html and IMG not in html, f"{where}: raw markup in the page"
    assert ESCAPED_SCRIPT in html, f"{where}: the text is not shown"


def html_part(message) -> str:
    part = message.get_body(("html",))
    return part.get_content() if part is not None else ""


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture(scope="module")
def case(world):
    """A request of the Administrateur with the payload as the transfer label, transmitted."""
    admin, agent = world.people["administrateur"], world.people["gestionnaire"]
    demande_id = draft(admin, transfer_label=PAYLOAD)
    rib = attached_rib(admin, demande_id)
    assert admin.post(f"/api/demandes/{demande_id}/justificatifs/confirm").status_code == 200
    sent = admin.post(f"/api/demandes/{demande_id}/submit")
    assert sent.status_code == 200, sent.text
    return {"admin": admin, "agent": agent, "id": demande_id, "number": sent.json()["number"], "rib": rib}


def test_the_text_is_stored_as_typed_and_the_tables_are_intact(case):
    admin = case["admin"]
    assert admin.get(f"/api/demandes/{case['id']}").json()["values"]["transfer_label"] == PAYLOAD
    board = admin.get("/api/demandes", params={"tab": "TRANSMITTED", "number": "' OR '1'='1"})
    assert board.status_code in (200, 422) and (board.status_code == 422 or board.json()["items"] == [])
    assert admin.get("/api/demandes", params={"tab": "TRANSMITTED"}).json()["total"] >= 1
    queue = case["agent"].get("/api/backoffice/demandes", params={"client_name": "%' OR 1=1 --"})
    assert queue.status_code == 200 and queue.json()["items"] == []
    assert case["agent"].get("/api/backoffice/demandes", params={"number": case["number"]}).json()["total"] == 1


def test_portal_pages_escape_the_request_values(case):
    assert_escaped(case["admin"].get(f"/demandes/{case['id']}").text, "client's detail page")
    assert_escaped(case["agent"].get(f"/gestion/demandes/{case['id']}").text, "gestionnaire's detail page")


def test_the_summary_pdf_shows_the_text_literally(case):
    summary = case["admin"].get(f"/api/demandes/{case['id']}/summary.pdf")
    assert summary.status_code == 200 and summary.content.startswith(b"%PDF"), summary.status_code
    text = " ".join(pdf_text(summary.content).split())
    assert "<script>alert(1)</script>" in text and "DROP TABLE" in text, text[:500]
    assert b"/JavaScript" not in summary.content and b"/JS " not in summary.content


def test_messages_are_escaped_on_both_sides(case):
    agent, admin = case["agent"], case["admin"]
    staff_message(agent, case["id"], body=PAYLOAD)
    assert_escaped(admin.get(f"/demandes/{case['id']}").text, "client's thread")
    replied = admin.post(f"/api/demandes/{case['id']}/messages", json={"body": PAYLOAD})
    assert replied.status_code == 201, replied.text
    assert replied.json()["body"] == PAYLOAD
    assert_escaped(agent.get(f"/gestion/demandes/{case['id']}").text, "gestionnaire's thread")


def test_review_and_rejection_reasons_are_escaped_in_e_mails_and_pages(world, case):
    agent, admin = case["agent"], case["admin"]
    reviewed = agent.post(f"/api/documents/{case['rib']}/review", json={"status": "non_conforme", "reason": PAYLOAD})
    assert reviewed.status_code == 200, reviewed.text
    asked = agent.post(f"/api/backoffice/demandes/{case['id']}/complement", json={})
    assert asked.status_code == 200, asked.text
    mail = wait_email(world.system, admin.email, f"Demande n° {case['number']} : documents à compléter")
    assert PAYLOAD in plain_text(mail)
    assert_escaped(html_part(mail), "complement e-mail")
    rejected = agent.post(f"/api/backoffice/demandes/{case['id']}/reject", json={"reason": PAYLOAD})
    assert rejected.status_code == 200, rejected.text
    mail = wait_email(world.system, admin.email, f"Demande rejetée – demande n° {case['number']}")
    assert PAYLOAD in plain_text(mail)
    assert_escaped(html_part(mail), "rejection e-mail")
    assert_escaped(admin.get(f"/demandes/{case['id']}").text, "rejected request page")


def test_names_and_profile_texts(world):
    admin = world.people["administrateur_2"]
    email = f"injection-{__import__('uuid').uuid4().hex[:8]}@securite.example.com"
    refused = admin.post("/api/account/users", json={"last_name": SCRIPT, "first_name": "Paul", "email": email,
                                                     "profile": "CONSULTATION"})
    assert refused.status_code == 422  # markup is not a name
    invited = admin.post("/api/account/users", json={"last_name": NAME, "first_name": "Paul", "email": email,
                                                     "profile": "CONSULTATION"})
    assert invited.status_code == 201, invited.text
    people = admin.get("/api/account/users").json()
    assert NAME in [p["last_name"] for p in people]
    page = admin.get("/utilisateurs").text
    assert "O&#39;Brien d&#39;Artagnan" in page or "O&#x27;Brien d&#x27;Artagnan" in page, "name not shown"
    mail = wait_email(world.system, email, "Invitation à rejoindre")
    assert "O'Brien" in plain_text(mail)
    function = admin.patch("/api/me/profile", json={"function": PAYLOAD})
    if function.status_code == 200:
        assert admin.get("/api/me/profile").json()["function"] == PAYLOAD
        assert_escaped(admin.get("/mon-compte").text, "profile page")
    else:
        assert function.status_code == 422, function.text
    upload_ = upload(admin, world.people["administrateur_2"].get("/api/me/profile").json()["account_id"],
                     name=f"{SCRIPT}.pdf", owner_service="accounts", kind="KBIS",
                     document_date=__import__("datetime").date.today().isoformat())
    assert upload_.status_code == 201, upload_.text
    assert "<" not in upload_.json()["file_name"] or SCRIPT not in admin.get("/fiche-client").text
