"""Back-office decisions (BO-1, BO-2) and message threads (MS-1..MS-6), reminders included, with
the accounts and documents services faked."""
from datetime import timedelta

import pytest

from consignations_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from consignations_shared.testing import outbox_bodies
from demandes_service import backoffice, board, drafts, pdfs, submission, threads
from demandes_service.domain import messaging, personal_data
from demandes_service.models import Message, Request, RequestTransition

IBAN = "FR76 3000 6000 0112 3456 7890 189"
SAISIE = {"company_name": "ACME SAS", "legal_form": "SAS", "account_holder": "ACME SAS", "iban": IBAN,
          "bic": "BNPAFRPPXXX"}
AGENT = {"id": "agent-1", "is_staff": True, "first_name": "Gaston", "last_name": "Lagaffe",
         "email": "gaston@cdc.example"}


@pytest.fixture
def people(accounts):
    return {
        "admin": accounts.add("admin", "acme", "ADMINISTRATEUR", first_name="Anne", last_name="Admin"),
        "alice": accounts.add("alice", "acme", "UTILISATEUR", first_name="Alice", last_name="Martin"),
        "carol": accounts.add("carol", "acme", "CONSULTATION"),
        "other_admin": accounts.add("other_admin", "globex", "ADMINISTRATEUR"),
    }


@pytest.fixture
def submitted(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    drafts.save_step(ctx, people["alice"], draft["id"], SAISIE, True)
    documents.attach(draft["id"], "RIB")
    return submission.submit(ctx, people["alice"], draft["id"])


def consignation(ctx, documents, person):
    draft = drafts.create_draft(ctx, person, "AM_EXPERTISE_JUD_C")
    drafts.save_step(ctx, person, draft["id"], {
        "department": "67", "jurisdiction": "TJ Strasbourg", "case_number": "23/01234", "decision_date": "01/02/2025",
        "plaintiff": "A", "defendant": "B", "consigning_party": "A", "expert_name": "Dr X", "amount": "1500"}, True)
    documents.attach(draft["id"], "OTHER")
    return submission.submit(ctx, person, draft["id"])


def review(documents, request_id, status, reason=None):
    for document in documents.by_owner[request_id]:
        document["review"] = {"status": status, "reason": reason}


# --- BO-1 ------------------------------------------------------------------------------------------

def test_only_gestionnaires_see_the_queue_and_the_detail(ctx, people, submitted):
    for person in (people["alice"], people["admin"], {"id": "x", "is_staff": "yes"}, None):
        with pytest.raises(Forbidden):
            backoffice.queue(ctx, person, {})
    with pytest.raises(Forbidden):
        backoffice.detail(ctx, people["admin"], submitted["id"])


def test_queue_filters_sorts_and_excludes_drafts(ctx, documents, people, submitted, clock):
    drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    clock.advance(timedelta(minutes=5))
    other = consignation(ctx, documents, people["other_admin"])
    everything = backoffice.queue(ctx, AGENT, {})
    assert {i["id"] for i in everything["items"]} == {submitted["id"], other["id"]}
    assert everything["items"][0]["id"] == submitted["id"]  # oldest first
    assert backoffice.queue(ctx, AGENT, {"client_name": "acme"})["items"][0]["client_name"] == "ACME SAS"
    assert [i["id"] for i in backoffice.queue(ctx, AGENT, {"number": submitted["number"]})["items"]] == [submitted["id"]]
    assert [i["sens"] for i in backoffice.queue(ctx, AGENT, {"sens": "C"})["items"]] == ["C"]
    assert backoffice.queue(ctx, AGENT, {"state": "VALIDATED"})["total"] == 0
    assert backoffice.queue(ctx, AGENT, {"client_name": "100%_"})["total"] == 0  # LIKE characters escaped
    with pytest.raises(ValidationFailed) as refused:
        backoffice.queue(ctx, AGENT, {"state": "DRAFT", "sort": "owner", "colour": "red"})
    assert set(refused.value.fields) == {"state", "sort", "colour"}


def test_detail_shows_documents_history_and_possible_decisions(ctx, people, submitted, clock):
    seen = backoffice.detail(ctx, AGENT, submitted["id"])
    assert seen["documents"][0]["kind"] == "RIB" and seen["client_name"] == "ACME SAS"
    assert seen["history"][0]["by"] == "Alice Martin" and seen["owner_name"] == "Alice Martin"
    assert seen["decisions"] == ["AWAITING_COMPLEMENT", "REJECTED", "VALIDATED"]  # D: no funds
    assert seen["can_review"] is True
    threads.staff_post(ctx, AGENT, submitted["id"], messaging.FREE, "Question", "Bonjour")
    threads.client_thread(ctx, people["alice"], submitted["id"])
    clock.advance(timedelta(minutes=1))
    threads.reply(ctx, people["alice"], submitted["id"], "Merci")
    messages = backoffice.detail(ctx, AGENT, submitted["id"])["messages"]
    assert [(m["author"], m["read"]) for m in messages] == [("Gaston Lagaffe", True), ("Alice Martin", False)]
    assert backoffice.queue(ctx, AGENT, {})["items"][0]["unread_messages"] == 1  # seeing the detail is not reading


def test_drafts_are_invisible_to_the_back_office(ctx, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    with pytest.raises(NotFound):
        backoffice.validate(ctx, AGENT, draft["id"])
    with pytest.raises(NotFound):
        backoffice.detail(ctx, AGENT, draft["id"])


# --- BO-2 ------------------------------------------------------------------------------------------

def test_complement_needs_a_flagged_document_and_lists_it_in_the_event(ctx, documents, people, submitted):
    with pytest.raises(ValidationFailed):
        backoffice.request_complement(ctx, AGENT, submitted["id"])
    review(documents, submitted["id"], "non_conforme", "RIB illisible")
    done = backoffice.request_complement(ctx, AGENT, submitted["id"], "Merci de renvoyer le RIB")
    assert backoffice.detail(ctx, AGENT, submitted["id"])["decisions"] == ["REJECTED"]
    assert done["state"] == "AWAITING_COMPLEMENT" and done["state_label"] == "En attente complément"
    changed = outbox_bodies(ctx.session, "demandes.demande_state_changed")[-1]["payload"]
    assert changed["to_state"] == "AWAITING_COMPLEMENT" and changed["changed_by_person_id"] == "agent-1"
    assert changed["non_conforming_documents"][0]["reason"] == "RIB illisible"
    last = ctx.session.query(RequestTransition).order_by(RequestTransition.id.desc()).first()
    assert (last.by_role, last.by_name, last.reason) == ("GESTIONNAIRE", "Gaston Lagaffe", "Merci de renvoyer le RIB")


def asked_proofs(ctx) -> list[dict]:
    return [b["payload"] for b in outbox_bodies(ctx.session, "demandes." + pdfs.PROOF_COMMAND)]


def test_validation_needs_every_document_conforme_then_asks_for_the_proof(ctx, documents, people, submitted):
    with pytest.raises(ValidationFailed) as unreviewed:
        backoffice.validate(ctx, AGENT, submitted["id"])
    assert "Rib" in unreviewed.value.message
    review(documents, submitted["id"], "non_conforme", "Flou")
    with pytest.raises(ValidationFailed):
        backoffice.validate(ctx, AGENT, submitted["id"])
    assert asked_proofs(ctx) == []  # refused validations ask for nothing
    review(documents, submitted["id"], "conforme")
    done = backoffice.validate(ctx, AGENT, submitted["id"])
    # Validated at once; the proof is asked for in the same transaction, not rendered in the call.
    assert done["state"] == "VALIDATED" and done["proof_document_id"] is None
    assert done["state_label"] == "Demande validée"
    assert [kind for kind, _ in documents.rendered] == []
    (asked,) = asked_proofs(ctx)
    assert asked == {"demande_id": submitted["id"], "person": AGENT}
    with pytest.raises(Conflict):  # validated is final
        backoffice.validate(ctx, AGENT, submitted["id"])

    pdfs.issue_asked_proof(ctx, asked)  # what the command's consumer does
    kind, snapshot = documents.rendered[-1]
    assert kind == "proof" and snapshot["state"] == "VALIDATED"
    assert ctx.session.get(Request, submitted["id"]).proof_document_id == "proof-" + submitted["id"]
    row = board.board(ctx, people["alice"], {"tab": "VALIDATED"})["items"][0]
    assert row["state_label"] == "Justificatif de déconsignation disponible"
    assert row["actions"] == ["detail", "duplicate", "summary", "proof"]
    pdfs.issue_asked_proof(ctx, asked)  # delivered again: nothing more is issued
    assert [kind for kind, _ in documents.rendered] == ["proof"]


def test_a_proof_the_documents_service_cannot_issue_yet_is_asked_again(ctx, documents, people, submitted,
                                                                       monkeypatch):
    review(documents, submitted["id"], "conforme")
    backoffice.validate(ctx, AGENT, submitted["id"])
    (asked,) = asked_proofs(ctx)

    def down(snapshot, person):
        raise ConnectionError("documents service unavailable")

    monkeypatch.setattr(documents, "issue_payment_proof", down)
    with pytest.raises(ConnectionError):  # the consumer retries the command with back-off
        pdfs.issue_asked_proof(ctx, asked)
    assert ctx.session.get(Request, submitted["id"]).proof_document_id is None
    assert board.detail(ctx, people["alice"], submitted["id"])["state_label"] == "Demande validée"
    monkeypatch.undo()
    # The client who asks for it meanwhile gets it issued (the same one the command would issue).
    assert pdfs.proof_document(ctx, people["alice"], submitted["id"])["kind"] == "PAYMENT_PROOF"
    assert ctx.session.get(Request, submitted["id"]).proof_document_id == "proof-" + submitted["id"]
    pdfs.issue_asked_proof(ctx, asked)
    assert [kind for kind, _ in documents.rendered] == ["proof"]


def test_reject_needs_a_reason(ctx, people, submitted):
    with pytest.raises(ValidationFailed):
        backoffice.reject(ctx, AGENT, submitted["id"], "  ")
    done = backoffice.reject(ctx, AGENT, submitted["id"], "Demande hors délai")
    assert done["state"] == "REJECTED"
    assert outbox_bodies(ctx.session, "demandes.demande_state_changed")[-1]["payload"]["reason"] == "Demande hors délai"


def test_funds_only_for_consignations(ctx, documents, people, submitted):
    with pytest.raises(Conflict):
        backoffice.await_funds(ctx, AGENT, submitted["id"])
    deposit = consignation(ctx, documents, people["alice"])
    assert backoffice.await_funds(ctx, AGENT, deposit["id"])["state"] == "AWAITING_FUNDS"
    assert backoffice.funds_received(ctx, AGENT, deposit["id"])["state"] == "SUBMITTED"


def test_clients_cannot_decide(ctx, people, submitted):
    with pytest.raises(Forbidden):
        backoffice.validate(ctx, people["admin"], submitted["id"])
    with pytest.raises(Forbidden):
        backoffice.reject(ctx, people["alice"], submitted["id"], "non")


# --- threads ---------------------------------------------------------------------------------------

def test_the_gestionnaire_opens_the_client_replies_and_unread_counts_follow(ctx, people, submitted, clock):
    with pytest.raises(Conflict):  # the client can only reply
        threads.reply(ctx, people["alice"], submitted["id"], "Bonjour")
    posted = threads.staff_post(ctx, AGENT, submitted["id"], messaging.FREE, "Votre RIB", "Pouvez-vous confirmer ?")
    event = outbox_bodies(ctx.session, "demandes.message_posted")[-1]["payload"]
    assert event["author_role"] == "GESTIONNAIRE" and event["owner_person_id"] == "alice" and "body" not in event
    assert board.board(ctx, people["alice"], {"tab": "TRANSMITTED"})["items"][0]["unread_messages"] == 1
    thread = threads.client_thread(ctx, people["alice"], submitted["id"])
    assert thread["can_reply"] and thread["messages"][0]["author"] == threads.BACK_OFFICE
    assert thread["messages"][0]["read"] is False  # as it was when opened; now marked read
    assert threads.unread_total(ctx, people["alice"]) == {"unread": 0}
    assert outbox_bodies(ctx.session, "demandes.message_read")[-1]["payload"]["message_id"] == posted["id"]
    threads.mark_unread(ctx, people["alice"], posted["id"])
    assert threads.unread_total(ctx, people["alice"]) == {"unread": 1}
    clock.advance(timedelta(minutes=3))
    answer = threads.reply(ctx, people["alice"], submitted["id"], "Oui, c'est le bon compte.")
    assert answer["in_reply_to"] == posted["id"] and answer["subject"] == "RE : Votre RIB"
    queue = backoffice.queue(ctx, AGENT, {})["items"][0]
    assert queue["unread_messages"] == 1
    staff_view = threads.staff_thread(ctx, AGENT, submitted["id"])
    assert [m["author"] for m in staff_view] == ["Gaston Lagaffe", "Alice Martin"]
    assert backoffice.queue(ctx, AGENT, {})["items"][0]["unread_messages"] == 0


def test_a_reply_with_personal_data_is_neither_stored_nor_forwarded(ctx, people, submitted):
    threads.staff_post(ctx, AGENT, submitted["id"], messaging.COMPLEMENT_REMINDER_1, None,
                       messaging.default_body(messaging.COMPLEMENT_REMINDER_1, submitted["number"]))
    before = ctx.session.query(Message).count()
    with pytest.raises(ValidationFailed) as refused:
        threads.reply(ctx, people["alice"], submitted["id"], f"Voici mon IBAN : {IBAN}")
    assert refused.value.message == personal_data.PERSONAL_DATA_WARNING and refused.value.code == "personal_data"
    assert ctx.session.query(Message).count() == before
    assert threads.reply(ctx, people["alice"], submitted["id"], f"Ma demande {submitted['number']} de 1 500 €")


def test_consultation_reads_but_does_not_reply_and_strangers_see_nothing(ctx, people, submitted):
    threads.staff_post(ctx, AGENT, submitted["id"], messaging.FREE, "Info", "Bonjour")
    with pytest.raises(Forbidden):
        threads.reply(ctx, people["carol"], submitted["id"], "Merci")
    with pytest.raises(NotFound):  # Consultation sees validated and rejected requests only
        threads.client_thread(ctx, people["carol"], submitted["id"])
    with pytest.raises(NotFound):
        threads.client_thread(ctx, people["other_admin"], submitted["id"])
    message_id = ctx.session.query(Message).first().id
    with pytest.raises(NotFound):
        threads.mark_unread(ctx, people["other_admin"], message_id)


def test_bad_messages_are_refused(ctx, people, submitted, documents):
    with pytest.raises(ValidationFailed):
        threads.staff_post(ctx, AGENT, submitted["id"], "URGENT", None, "Bonjour")
    with pytest.raises(ValidationFailed):
        threads.staff_post(ctx, AGENT, submitted["id"], messaging.FREE, "", "Bonjour")
    with pytest.raises(ValidationFailed):  # not a document of this request
        threads.staff_post(ctx, AGENT, submitted["id"], messaging.FREE, "PJ", "Voir PJ", ["someone-else"])
    rib_id = documents.by_owner[submitted["id"]][0]["id"]
    assert threads.staff_post(ctx, AGENT, submitted["id"], messaging.FREE, "PJ", "Voir PJ", [rib_id])["attachments"] == [rib_id]
    with pytest.raises(Forbidden):
        threads.staff_post(ctx, people["admin"], submitted["id"], messaging.FREE, "Moi", "Je suis client")



def test_attachments_carry_their_file_names_both_ways(ctx, people, submitted, documents, clock):
    """MS-6: the gestionnaire joins a document, the client replies with a file of their own; both
    threads name the files (read from the documents service) with their download address."""
    rib = documents.by_owner[submitted["id"]][0]
    sent = threads.staff_post(ctx, AGENT, submitted["id"], messaging.FREE, "PJ", "Voir PJ", [rib["id"]])
    assert sent["attachment_files"] == [{"id": rib["id"], "file_name": "rib.pdf", "kind_label": "Rib",
                                         "download_path": f"/api/documents/{rib['id']}/content"}]
    mine = documents.attach(submitted["id"], "OTHER", file_name="attestation-banque.pdf")
    clock.advance(timedelta(minutes=1))
    answer = threads.reply(ctx, people["alice"], submitted["id"], "Voici l'attestation.", None, [mine["id"]])
    assert [f["file_name"] for f in answer["attachment_files"]] == ["attestation-banque.pdf"]
    seen = threads.client_thread(ctx, people["alice"], submitted["id"])
    assert seen["can_attach"] and seen["max_attachments"] == threads.MAX_ATTACHMENTS
    client_side = seen["messages"]
    staff_side = threads.staff_thread(ctx, AGENT, submitted["id"])
    for messages in (client_side, staff_side):
        assert [[f["file_name"] for f in m["attachment_files"]] for m in messages] == [
            ["rib.pdf"], ["attestation-banque.pdf"]]
    rib["status"] = "replaced"  # a newer version since: the id stays, the name is no longer known
    documents.by_owner[submitted["id"]].remove(rib)
    documents.publish()  # its events reach the read model
    assert threads.staff_thread(ctx, AGENT, submitted["id"])[0]["attachment_files"][0]["file_name"] is None
    with pytest.raises(ValidationFailed):  # five at most
        threads.reply(ctx, people["alice"], submitted["id"], "Trop", None, [mine["id"]] * 6)


# --- reminders -------------------------------------------------------------------------------------

def test_reminders_are_posted_once_each_at_their_time(ctx, documents, people, submitted, clock):
    review(documents, submitted["id"], "non_conforme", "Illisible")
    backoffice.request_complement(ctx, AGENT, submitted["id"])

    def run():
        return threads.post_due_reminders(ctx, first_after_days=15, second_after_days=30)

    clock.advance(timedelta(days=14, hours=23))
    assert run() == []
    clock.advance(timedelta(hours=1))
    assert [p["subject_code"] for p in run()] == [messaging.COMPLEMENT_REMINDER_1]
    assert run() == []  # never twice
    clock.advance(timedelta(days=15))
    assert [p["subject_code"] for p in run()] == [messaging.COMPLEMENT_REMINDER_2]
    clock.advance(timedelta(days=30))
    assert run() == []
    subjects = [m.subject for m in ctx.session.query(Message).order_by(Message.posted_at)]
    assert subjects == [messaging.SUBJECT_LABELS[messaging.COMPLEMENT_REMINDER_1],
                        messaging.SUBJECT_LABELS[messaging.COMPLEMENT_REMINDER_2]]
    assert outbox_bodies(ctx.session, "demandes.message_posted")[-1]["payload"]["author_role"] == "SYSTEM"
