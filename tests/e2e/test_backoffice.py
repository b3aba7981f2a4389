"""Back office and messaging through the gateway with every service running (issue 7): the
acceptance loop — a client submits, a gestionnaire flags the RIB non conforme and asks for a
complement, the client replaces it and sends it back, they exchange messages (a reply with
personal data is refused), the gestionnaire validates and the client downloads the signed
payment proof; another request is rejected with a reason — then the authorisation cases. Every
e-mail is read from the outbox. One company and one gestionnaire per module (the e2e suites
share two cores)."""
import re
import uuid

import pytest

from documents_service import samples
from e2e_helpers import (
    SAISIE, Browser, accept_invitation, draft, emails_to, new_agent, plain_text, sign_up_company, submitted,
    wait_account, wait_email, wait_for,
)

RIB_LABEL = "Relevé d'identité bancaire (RIB)"
RIB_REASON = "RIB illisible : merci de transmettre un RIB récent et complet."
NEW_MESSAGE = "Nouveau message sur votre espace Consignations.fr"
WARNING_START = "Votre message n'a pas été transmis au service de gestion car il contient des données"
NOBODY = "00000000-0000-4000-8000-000000000000"


def new_email(label):
    return f"{label}-{uuid.uuid4().hex[:8]}@backoffice.example.com"


@pytest.fixture(scope="module")
def company(system):
    """A company account: its administrator (who files the requests) and a Consultation."""
    name = f"BACKOFFICE {uuid.uuid4().hex[:6].upper()} SAS"
    email = new_email("admin")
    admin = wait_account(Browser(system, email, sign_up_company(system, email, company=name)))
    admin.company_name = name
    consult_email = new_email("consult")
    invited = admin.post("/api/account/users", json={"last_name": "Roux", "first_name": "Denis",
                                                     "email": consult_email, "profile": "CONSULTATION"})
    assert invited.status_code == 201, invited.text
    consult = wait_account(Browser(system, consult_email, accept_invitation(system, consult_email)))
    return {"admin": admin, "consult": consult}


@pytest.fixture(scope="module")
def agent(system):
    """A gestionnaire created by the operator command (BO-4), password chosen from the invitation."""
    return new_agent(system)


def error(reply, status):
    assert reply.status_code == status, (reply.status_code, reply.text)
    return reply.json()["error"]


def said(refused: dict) -> str:
    """What a GW-3 error tells the person: its message and its fields' (a 422 whose fields carry
    the detail summarises its message, issue 18)."""
    return " ".join([refused["message"], *refused.get("fields", {}).values()])


def test_the_acceptance_loop(system, company, agent):
    client = company["admin"]
    demande_id, number, rib = submitted(client)

    # BO-1: the gestionnaire finds it in the queue, by number and by client name.
    by_number = agent.get("/api/backoffice/demandes", params={"number": number})
    assert by_number.status_code == 200, by_number.text
    assert [i["id"] for i in by_number.json()["items"]] == [demande_id]
    item = by_number.json()["items"][0]
    assert (item["state"], item["client_name"], item["procedure_code"]) == (
        "SUBMITTED", client.company_name, "SAISIE_IMMO_D")
    by_name = agent.get("/api/backoffice/demandes", params={"client_name": client.company_name.lower()[:16],
                                                            "sort": "number", "order": "desc"}).json()
    assert demande_id in [i["id"] for i in by_name["items"]]
    detail = agent.get(f"/api/backoffice/demandes/{demande_id}").json()
    assert [d["id"] for d in detail["documents"] if d["kind"] == "RIB"] == [rib]
    assert {"AWAITING_COMPLEMENT", "VALIDATED", "REJECTED"} <= set(detail["decisions"])
    assert detail["values"]["iban"].replace(" ", "") == SAISIE["iban"] and detail["history"][-1]["to_state"] == "SUBMITTED"

    # BO-2: a complement needs a document flagged first; then RIB non conforme → AWAITING_COMPLEMENT, NO-9.
    assert "non conforme" in said(error(agent.post(f"/api/backoffice/demandes/{demande_id}/complement"), 422))
    reviewed = agent.post(f"/api/documents/{rib}/review", json={"status": "non_conforme", "reason": RIB_REASON})
    assert reviewed.status_code == 200, reviewed.text
    asked = agent.post(f"/api/backoffice/demandes/{demande_id}/complement", json={})
    assert asked.status_code == 200, asked.text
    assert asked.json()["state"] == "AWAITING_COMPLEMENT"
    mail = plain_text(wait_email(system, client.email, f"Demande n° {number} : documents à compléter"))
    assert f"{RIB_LABEL} : {RIB_REASON}" in mail

    # DO-5: the client sees the reason, replaces the RIB and sends the complement (→ SUBMITTED).
    assert client.get(f"/api/demandes/{demande_id}").json()["state"] == "AWAITING_COMPLEMENT"
    seen = client.get("/api/documents", params={"owner_service": "demandes", "owner_id": demande_id}).json()
    assert [(d["id"], d["review"]["status"], d["review"]["reason"]) for d in seen if d["kind"] == "RIB"] == [
        (rib, "non_conforme", RIB_REASON)]
    assert RIB_LABEL in said(error(client.post(f"/api/demandes/{demande_id}/complete"), 422))
    replaced = client.post(f"/api/documents/{rib}/replace",
                           files={"file": ("rib-2026.pdf", samples.pdf(2), "application/pdf")})
    assert replaced.status_code == 201, replaced.text
    new_rib = replaced.json()["id"]
    assert client.post(f"/api/documents/{new_rib}/attach").status_code == 200
    completed = client.post(f"/api/demandes/{demande_id}/complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["state"] == "SUBMITTED"

    # MS-1, MS-3: a free message; NO-14 to the owner with the number (never the message).
    before = len(emails_to(system, client.email, NEW_MESSAGE))
    no_subject = agent.post(f"/api/backoffice/demandes/{demande_id}/messages",
                            json={"subject_code": "FREE", "body": "Bonjour"})
    assert error(no_subject, 422)["fields"]
    joined = agent.post("/api/documents", files={"file": ("modele.pdf", samples.pdf(3), "application/pdf")},
                        data={"owner_service": "demandes", "owner_id": demande_id, "kind": "OTHER"})
    assert joined.status_code == 201, joined.text
    assert agent.post(f"/api/documents/{joined.json()['id']}/attach").status_code == 200
    posted = agent.post(f"/api/backoffice/demandes/{demande_id}/messages", json={
        "subject_code": "FREE", "free_subject": "Votre nouveau RIB", "attachments": [joined.json()["id"]],
        "body": "Bonjour,\nMerci pour le nouveau RIB. Pouvez-vous confirmer le titulaire du compte ?"})
    assert posted.status_code == 201, posted.text
    question = posted.json()
    assert (question["author_role"], question["author"], question["subject"], question["attachments"]) == (
        "GESTIONNAIRE", "Anne Martin", "Votre nouveau RIB", [joined.json()["id"]])
    mail = plain_text(wait_email(system, client.email, NEW_MESSAGE, count=before + 1))
    assert number in mail and "titulaire" not in mail

    # MS-4: unread counts, then reading the thread marks it read.
    assert client.get("/api/messages/unread-count").json() == {"unread": 1}
    board = client.get("/api/demandes", params={"tab": "TRANSMITTED", "number": number}).json()
    assert [(i["id"], i["unread_messages"]) for i in board["items"]] == [(demande_id, 1)]
    thread = client.get(f"/api/demandes/{demande_id}/messages").json()
    assert thread["number"] == number and thread["can_reply"] is True
    assert [(m["id"], m["author"], m["read"]) for m in thread["messages"]] == [
        (question["id"], "Service des consignations", False)]
    assert client.get("/api/messages/unread-count").json() == {"unread": 0}
    attachment = client.get(f"/api/documents/{question['attachments'][0]}/content")  # MS-6
    assert attachment.status_code == 200 and attachment.content == samples.pdf(3)

    # MS-5: a reply with an IBAN is not forwarded (the warning is the answer); a clean one is.
    refused = error(client.post(f"/api/demandes/{demande_id}/messages",
                                json={"body": "Le compte est bien le FR76 3000 6000 0112 3456 7890 189."}), 422)
    assert refused["code"] == "personal_data" and refused["fields"]["body"].startswith(WARNING_START)
    assert len(client.get(f"/api/demandes/{demande_id}/messages").json()["messages"]) == 1
    answer = client.post(f"/api/demandes/{demande_id}/messages", json={
        "body": "Bonjour, le titulaire est bien notre société, comme indiqué sur le RIB joint à la demande."})
    assert answer.status_code == 201, answer.text
    reply = answer.json()
    assert (reply["author_role"], reply["in_reply_to"], reply["subject"]) == (
        "CLIENT", question["id"], "RE : Votre nouveau RIB")

    # MS-2: a sent reply cannot be edited.
    edited = client.patch(f"/api/messages/{reply['id']}", json={"body": "Autre chose"})
    assert error(edited, 405)["code"] == "message_not_editable"
    messages = client.get(f"/api/demandes/{demande_id}/messages").json()["messages"]
    assert [m["body"] for m in messages] == [question["body"], reply["body"]]

    # « Marquer comme non lu »: the count is back to 1.
    unread = client.post(f"/api/messages/{question['id']}/unread")
    assert unread.status_code == 200 and unread.json() == {"id": question["id"], "read": False}
    assert client.get("/api/messages/unread-count").json() == {"unread": 1}

    # BO-3: the gestionnaire sees the unread reply in the queue and reads it.
    queued = agent.get("/api/backoffice/demandes", params={"number": number}).json()["items"][0]
    assert queued["unread_messages"] == 1
    staff_thread = agent.get(f"/api/backoffice/demandes/{demande_id}/messages").json()
    assert [(m["author_role"], m["body"]) for m in staff_thread] == [
        ("GESTIONNAIRE", question["body"]), ("CLIENT", reply["body"])]
    assert agent.get("/api/backoffice/demandes", params={"number": number}).json()["items"][0]["unread_messages"] == 0

    # BO-2: the new RIB reviewed conforme, the request is validated: proof issued, NO-10.
    assert agent.post(f"/api/documents/{new_rib}/review", json={"status": "conforme"}).status_code == 200
    validated = agent.post(f"/api/backoffice/demandes/{demande_id}/validate")
    assert validated.status_code == 200, validated.text
    assert validated.json()["state"] == "VALIDATED"
    again = error(agent.post(f"/api/backoffice/demandes/{demande_id}/validate"), 409)  # validated → validated
    assert again["message"]
    wait_email(system, client.email, f"Justificatif de paiement disponible – demande n° {number}")
    history = agent.get(f"/api/backoffice/demandes/{demande_id}").json()["history"]
    assert [h["to_state"] for h in history][-3:] == ["AWAITING_COMPLEMENT", "SUBMITTED", "VALIDATED"]
    assert history[-1]["by"] == "Anne Martin"

    # DM-7, DO-8: the board says so and the client downloads the signed proof.
    def board_labels():  # the proof is issued right after the validation, out of its call
        board = client.get("/api/demandes", params={"tab": "VALIDATED", "number": number}).json()
        return [i["state_label"] for i in board["items"]]

    assert wait_for(lambda: board_labels() == ["Justificatif de déconsignation disponible"], timeout=30), board_labels()
    proof = client.get(f"/api/demandes/{demande_id}/proof.pdf")
    assert proof.status_code == 200, proof.text
    assert proof.content.startswith(b"%PDF") and b"/ByteRange" in proof.content

    # A Consultation profile reads the validated request's thread, but cannot reply.
    consult = company["consult"]
    readable = consult.get(f"/api/demandes/{demande_id}/messages")
    assert readable.status_code == 200, readable.text
    assert readable.json()["can_reply"] is False and len(readable.json()["messages"]) == 2
    assert "Consultation" in error(consult.post(f"/api/demandes/{demande_id}/messages",
                                                json={"body": "Merci"}), 403)["message"]


def test_validation_needs_every_document_reviewed(company, agent):
    demande_id, _, _ = submitted(company["admin"])
    refused = error(agent.post(f"/api/backoffice/demandes/{demande_id}/validate"), 422)
    assert refused["message"] == "Un champ est invalide." and "Contrôlez chaque document" in said(refused)


def test_another_request_is_rejected_with_a_reason(system, company, agent):
    client = company["admin"]
    demande_id, number, _ = submitted(client)
    assert error(agent.post(f"/api/backoffice/demandes/{demande_id}/reject", json={}), 422)["fields"]["reason"]
    # Waiting for funds is for consignations only: this is a déconsignation.
    assert error(agent.post(f"/api/backoffice/demandes/{demande_id}/await-funds"), 409)["message"]
    reason = "La demande a déjà été traitée sous un autre numéro."
    rejected = agent.post(f"/api/backoffice/demandes/{demande_id}/reject", json={"reason": reason})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "REJECTED"
    mail = plain_text(wait_email(system, client.email, f"Demande rejetée – demande n° {number}"))
    assert f"Motif du rejet : {reason}" in mail
    assert agent.get("/api/backoffice/demandes", params={"number": number}).json()["items"] == []  # not waiting
    assert [i["id"] for i in agent.get("/api/backoffice/demandes", params={
        "number": number, "state": "REJECTED"}).json()["items"]] == [demande_id]
    board = client.get("/api/demandes", params={"tab": "REJECTED", "number": number}).json()
    assert [i["id"] for i in board["items"]] == [demande_id]
    assert error(agent.post(f"/api/backoffice/demandes/{demande_id}/validate"), 409)["message"]


def test_authorisations(system, company, agent):
    client, consult = company["admin"], company["consult"]
    demande_id, number, _ = submitted(client)
    message = agent.post(f"/api/backoffice/demandes/{demande_id}/messages", json={
        "subject_code": "COMPLEMENT_REMINDER_1", "body": f"Relance de la demande n° {number}."}).json()
    assert message["subject"] == "Demande en attente de compléments clients – 1ère relance"

    # A client on back-office routes: 403, whatever the request.
    for method, path in (("get", "/api/backoffice/demandes"), ("get", f"/api/backoffice/demandes/{demande_id}"),
                         ("post", f"/api/backoffice/demandes/{demande_id}/validate"),
                         ("post", f"/api/backoffice/demandes/{demande_id}/reject"),
                         ("get", f"/api/backoffice/demandes/{demande_id}/messages"),
                         ("post", f"/api/backoffice/demandes/{demande_id}/messages")):
        reply = getattr(client, method)(path, json={"reason": "x", "subject_code": "FREE", "free_subject": "x",
                                                    "body": "x"})
        assert "gestionnaires" in error(reply, 403)["message"], (method, path)
    assert agent.get(f"/api/backoffice/demandes/{demande_id}").json()["state"] == "SUBMITTED"

    # A gestionnaire on client-only routes: 403.
    assert error(agent.get(f"/api/demandes/{demande_id}/messages"), 403)["message"]
    assert error(agent.post(f"/api/demandes/{demande_id}/messages", json={"body": "Bonjour"}), 403)["message"]
    assert error(agent.get("/api/messages/unread-count"), 403)["message"]
    assert error(agent.get(f"/api/demandes/{demande_id}"), 403)["message"]

    # A client of another account: the thread and its messages do not exist for them.
    email = new_email("autre")
    other = wait_account(Browser(system, email, sign_up_company(system, email, company="AUTRE SA")))
    assert error(other.get(f"/api/demandes/{demande_id}/messages"), 404)
    assert error(other.post(f"/api/demandes/{demande_id}/messages", json={"body": "Bonjour"}), 404)
    assert error(other.post(f"/api/messages/{message['id']}/unread"), 404)
    assert other.get("/api/messages/unread-count").json() == {"unread": 0}

    # A Consultation profile replying: 403 (it does not even see a transmitted request's thread).
    assert error(consult.post(f"/api/demandes/{demande_id}/messages", json={"body": "Bonjour"}), 403)
    assert error(consult.get(f"/api/demandes/{demande_id}/messages"), 404)

    # The back office does not see drafts (404), unknown ids neither.
    unsent = draft(client)
    for target in (unsent, NOBODY):
        for action in ("validate", "reject", "complement"):
            assert error(agent.post(f"/api/backoffice/demandes/{target}/{action}", json={"reason": "x"}), 404)
        assert error(agent.get(f"/api/backoffice/demandes/{target}"), 404)
    assert error(client.get(f"/api/demandes/{unsent}/messages"), 404)  # a draft has no thread
    assert client.get(f"/api/demandes/{unsent}").json()["state"] == "DRAFT"

    # Filters the service does not know are refused in French.
    bad = error(agent.get("/api/backoffice/demandes", params={"state": "DRAFT", "owner": "x"}), 422)
    assert set(bad["fields"]) == {"state", "owner"}
    assert re.fullmatch(r"10\d{13}", number)
