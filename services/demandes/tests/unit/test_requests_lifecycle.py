"""Submission (DM-5), complement (DO-5), duplicate / delete / reassign (DM-8), the board (DM-7),
visibility (DM-9) and the documents' rights, with the accounts and documents services faked."""
from datetime import timedelta

import pytest

from consignations_shared.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from consignations_shared.testing import outbox_bodies
from demandes_service.domain import catalogue
from demandes_service import board, document_rights, drafts, ownership, pdfs, submission
from demandes_service.models import Message, MessageRead, Request, RequestTransition
from demandes_service.transitions import GESTIONNAIRE, Actor, change_state

IBAN = "FR76 3000 6000 0112 3456 7890 189"
SAISIE = {"company_name": "ACME SAS", "legal_form": "SAS", "account_holder": "ACME SAS", "iban": IBAN,
          "bic": "BNPAFRPPXXX", "transfer_label": "Saisie 2024"}
ARS = {"last_name": "Dupont", "first_name": "Éloïse", "birth_date": "14/09/2003", "address": "1 rue de la Paix",
       "postal_code": "75002", "city": "Paris", "country": "FR", "tax_residence": "true",
       "account_holder": "MME ELOISE DUPONT", "iban": IBAN, "bic": "BNPAFRPPXXX"}


@pytest.fixture
def people(accounts):
    return {
        "admin": accounts.add("admin", "acme", "ADMINISTRATEUR", first_name="Anne", last_name="Admin"),
        "alice": accounts.add("alice", "acme", "UTILISATEUR", first_name="Alice", last_name="Martin"),
        "bob": accounts.add("bob", "acme", "UTILISATEUR", first_name="Bob", last_name="Durand"),
        "carol": accounts.add("carol", "acme", "CONSULTATION"),
        "other_admin": accounts.add("other_admin", "globex", "ADMINISTRATEUR"),
        "other_user": accounts.add("other_user", "globex", "UTILISATEUR"),
        "eloise": accounts.add("eloise", "perso-eloise", "PARTICULIER", kind="PARTICULIER",
                               first_name="Éloïse", last_name="Dupont"),
    }


def ready_draft(ctx, documents, person, code="SAISIE_IMMO_D", values=None):
    """A draft with step 1 complete and its required documents attached."""
    draft = drafts.create_draft(ctx, person, code)
    drafts.save_step(ctx, person, draft["id"], values or (SAISIE if code == "SAISIE_IMMO_D" else ARS), True)
    if code == "SAISIE_IMMO_D":
        documents.attach(draft["id"], "RIB")
    else:
        documents.attach(draft["id"], "IDENTITY", page="recto_verso")
        documents.attach(draft["id"], "RIB")
        documents.attach(draft["id"], "BIRTH_CERTIFICATE")
    return draft


def events(ctx, type_):
    return outbox_bodies(ctx.session, f"demandes.{type_}")


# --- submission --------------------------------------------------------------------------------

def test_submission_numbers_records_history_and_reports_the_event(ctx, documents, people, clock):
    draft = ready_draft(ctx, documents, people["alice"])
    done = submission.submit(ctx, people["alice"], draft["id"])
    assert done["state"] == "SUBMITTED" and done["state_label"] == "Envoyé" and done["tab"] == "TRANSMITTED"
    assert done["number"] == "102510000000001" and done["step"] == 4  # October 2025, first of the month
    history = ctx.session.query(RequestTransition).filter_by(request_id=draft["id"]).all()
    assert [(h.from_state, h.to_state, h.by_person_id, h.by_role) for h in history] == [
        ("DRAFT", "SUBMITTED", "alice", "CLIENT")]
    [submitted] = events(ctx, "demande_submitted")
    assert submitted["payload"]["number"] == done["number"] and submitted["payload"]["owner_person_id"] == "alice"
    assert submitted["payload"]["procedure_label"].startswith("Déconsigner")
    [changed] = events(ctx, "demande_state_changed")
    assert (changed["payload"]["from_state"], changed["payload"]["to_state"]) == ("DRAFT", "SUBMITTED")
    second = submission.submit(ctx, people["bob"], ready_draft(ctx, documents, people["bob"])["id"])
    assert second["number"] == "102510000000002"


def test_missing_or_unvalidated_documents_block_submission(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    drafts.save_step(ctx, people["alice"], draft["id"], SAISIE, True)
    with pytest.raises(ValidationFailed) as missing:
        submission.submit(ctx, people["alice"], draft["id"])
    assert "Relevé d'identité bancaire" in missing.value.fields["documents"]
    documents.attach(draft["id"], "RIB", status="pending")
    with pytest.raises(ValidationFailed) as pending:
        submission.submit(ctx, people["alice"], draft["id"])
    assert "Valider" in pending.value.fields["documents"]
    assert ctx.session.get(Request, draft["id"]).state == "DRAFT" and not events(ctx, "demande_submitted")


def test_incomplete_fields_block_submission(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    drafts.save_step(ctx, people["alice"], draft["id"], {"company_name": "ACME"})
    documents.attach(draft["id"], "RIB")
    with pytest.raises(ValidationFailed) as refused:
        submission.submit(ctx, people["alice"], draft["id"])
    assert "iban" in refused.value.fields and ctx.session.get(Request, draft["id"]).number is None


def test_identity_document_needs_both_sides(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["eloise"], "ARS_D")
    drafts.save_step(ctx, people["eloise"], draft["id"], ARS, True)
    documents.attach(draft["id"], "RIB")
    documents.attach(draft["id"], "BIRTH_CERTIFICATE")
    documents.attach(draft["id"], "IDENTITY", page="recto")
    with pytest.raises(ValidationFailed):
        submission.submit(ctx, people["eloise"], draft["id"])
    documents.attach(draft["id"], "IDENTITY", page="verso")
    assert submission.submit(ctx, people["eloise"], draft["id"])["state"] == "SUBMITTED"


def test_the_same_idempotency_key_gives_the_same_request_and_number(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    first = submission.submit(ctx, people["alice"], draft["id"], "key-123")
    again = submission.submit(ctx, people["alice"], draft["id"], "key-123")
    assert again["number"] == first["number"] and len(events(ctx, "demande_submitted")) == 1
    other = ready_draft(ctx, documents, people["alice"])
    with pytest.raises(Conflict):
        submission.submit(ctx, people["alice"], other["id"], "key-123")
    with pytest.raises(ValidationFailed):
        submission.submit(ctx, people["alice"], other["id"], "bad key with spaces")


def test_a_second_submission_without_key_is_refused(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    first = submission.submit(ctx, people["alice"], draft["id"])
    with pytest.raises(Conflict) as refused:
        submission.submit(ctx, people["alice"], draft["id"])
    assert first["number"] in refused.value.message


def test_submission_of_another_accounts_draft_is_unknown(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    for stranger in ("other_admin", "other_user", "bob", "eloise"):
        with pytest.raises(NotFound):
            submission.submit(ctx, people[stranger], draft["id"])
    assert ctx.session.get(Request, draft["id"]).state == "DRAFT"


def test_withdrawn_submit_right_prepares_but_does_not_submit(ctx, documents, people, accounts):
    accounts.change("alice", can_submit=False)
    draft = ready_draft(ctx, documents, people["alice"])
    with pytest.raises(Forbidden) as refused:
        submission.submit(ctx, people["alice"], draft["id"])
    assert "droit de soumettre" in refused.value.message
    assert submission.submit(ctx, people["admin"], draft["id"])["state"] == "SUBMITTED"  # the admin can


def test_consultation_cannot_submit(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    with pytest.raises(Forbidden):
        submission.submit(ctx, people["carol"], draft["id"])


def test_ars_is_made_once_only(ctx, documents, people):
    first = ready_draft(ctx, documents, people["eloise"], "ARS_D")
    second = ready_draft(ctx, documents, people["eloise"], "ARS_D")  # two drafts are allowed
    submission.submit(ctx, people["eloise"], first["id"])
    with pytest.raises(Conflict) as refused:
        submission.submit(ctx, people["eloise"], second["id"])
    assert refused.value.code == "already_requested"
    with pytest.raises(Conflict):
        drafts.create_draft(ctx, people["eloise"], "ARS_D")
    assert ctx.session.get(Request, second["id"]).state == "DRAFT"


def test_ars_may_be_asked_again_once_the_first_is_rejected(ctx, documents, people):
    first = ready_draft(ctx, documents, people["eloise"], "ARS_D")
    submission.submit(ctx, people["eloise"], first["id"])
    request = ctx.session.get(Request, first["id"])
    change_state(ctx, request, "REJECTED", Actor(GESTIONNAIRE, "agent", "Agent"), reason="Pièces illisibles")
    ctx.session.commit()
    second = ready_draft(ctx, documents, people["eloise"], "ARS_D")
    assert submission.submit(ctx, people["eloise"], second["id"])["state"] == "SUBMITTED"


# --- lifecycle ------------------------------------------------------------------------------------

def test_illegal_transition_is_refused_and_not_recorded(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    request = ctx.session.get(Request, draft["id"])
    with pytest.raises(Conflict) as refused:
        change_state(ctx, request, "VALIDATED", Actor(GESTIONNAIRE, "agent", "Agent"))
    assert "Demande enregistrée" in refused.value.message and request.state == "DRAFT"
    assert not ctx.session.query(RequestTransition).count()


def test_complement_goes_back_to_submitted_once_flagged_documents_are_replaced(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    submission.submit(ctx, people["alice"], draft["id"])
    request = ctx.session.get(Request, draft["id"])
    change_state(ctx, request, "AWAITING_COMPLEMENT", Actor(GESTIONNAIRE, "agent", "Agent"), reason="RIB illisible")
    ctx.session.commit()
    rib = documents.by_owner[draft["id"]][0]
    rib["review"] = {"status": "non_conforme", "reason": "Illisible"}
    with pytest.raises(ValidationFailed) as refused:
        submission.complete(ctx, people["alice"], draft["id"])
    assert "non conformes" in refused.value.message
    rib["replaced_by_document_id"], rib["status"] = "new", "replaced"
    documents.attach(draft["id"], "RIB")
    done = submission.complete(ctx, people["alice"], draft["id"])
    assert done["state"] == "SUBMITTED"
    history = [(h.from_state, h.to_state, h.reason) for h in
               ctx.session.query(RequestTransition).filter_by(request_id=draft["id"]).order_by(RequestTransition.id)]
    assert history[-1] == ("AWAITING_COMPLEMENT", "SUBMITTED", submission.COMPLEMENT_SENT)
    with pytest.raises(Conflict):
        submission.complete(ctx, people["alice"], draft["id"])


# --- duplicate, delete, reassign ----------------------------------------------------------------

def test_duplicate_of_a_draft_keeps_everything(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "AM_EXPERTISE_JUD_C")
    drafts.save_step(ctx, people["alice"], draft["id"], {"jurisdiction": "TJ Strasbourg", "amount": "1500"})
    copy = drafts.duplicate(ctx, people["alice"], draft["id"])
    assert copy["values"]["jurisdiction"] == "TJ Strasbourg" and copy["values"]["amount"] == "1500.00"
    assert copy["duplicated_from_id"] == draft["id"] and copy["state"] == "DRAFT" and copy["id"] != draft["id"]


def test_duplicate_of_a_transmitted_request_keeps_holder_data_and_resets_the_amount(ctx, documents, people):
    values = {"jurisdiction": "TJ Strasbourg", "department": "67", "case_number": "23/01234",
              "beneficiary_role": "EXPERT", "plaintiff": "A", "defendant": "B", "expert_name": "Dr X",
              "amount": "1500", "account_holder": "ACME SAS", "iban": IBAN, "bic": "BNPAFRPPXXX"}
    draft = drafts.create_draft(ctx, people["alice"], "AM_EXPERTISE_JUD_D")
    drafts.save_step(ctx, people["alice"], draft["id"], values)
    ctx.session.get(Request, draft["id"]).state = "SUBMITTED"
    ctx.session.commit()
    copy = drafts.duplicate(ctx, people["alice"], draft["id"])
    kept = {name: value for name, value in copy["values"].items() if value is not None}
    assert kept == {"account_holder": "ACME SAS", "iban": IBAN.replace(" ", ""), "bic": "BNPAFRPPXXX"}
    assert copy["amount"] == "Non renseigné"


def test_rejected_requests_are_not_duplicated_and_transmitted_ones_not_deleted(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    submission.submit(ctx, people["alice"], draft["id"])
    with pytest.raises(Conflict):
        drafts.delete(ctx, people["alice"], draft["id"])
    request = ctx.session.get(Request, draft["id"])
    change_state(ctx, request, "REJECTED", Actor(GESTIONNAIRE, "agent", "Agent"), reason="Hors délai")
    ctx.session.commit()
    with pytest.raises(Conflict):
        drafts.duplicate(ctx, people["alice"], draft["id"])
    assert drafts.delete(ctx, people["alice"], draft["id"])["status"] == "deleted"
    with pytest.raises(NotFound):
        board.detail(ctx, people["alice"], draft["id"])
    assert events(ctx, "demande_deleted")[0]["payload"]["demande_id"] == draft["id"]


def test_consultation_cannot_duplicate_delete_or_reassign(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    for action in (lambda: drafts.duplicate(ctx, people["carol"], draft["id"]),
                   lambda: drafts.delete(ctx, people["carol"], draft["id"]),
                   lambda: ownership.reassign(ctx, people["carol"], draft["id"], "bob")):
        with pytest.raises(Forbidden):
            action()


def test_reassign_within_the_account_only(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    with pytest.raises(NotFound):
        ownership.reassign(ctx, people["alice"], draft["id"], "other_user")  # another account
    with pytest.raises(Conflict):
        ownership.reassign(ctx, people["alice"], draft["id"], "carol")  # Consultation cannot act
    assert [c["person_id"] for c in ownership.candidates(ctx, people["alice"], draft["id"])] == ["admin", "bob"]
    moved = ownership.reassign(ctx, people["admin"], draft["id"], "bob")
    assert moved["owner_person_id"] == "bob" and moved["owner_name"] == "Bob Durand"
    [event] = events(ctx, "demande_reassigned")
    assert (event["payload"]["owner_person_id"], event["payload"]["previous_owner_person_id"],
            event["payload"]["reassigned_by_person_id"]) == ("bob", "alice", "admin")
    with pytest.raises(NotFound):  # no longer Alice's
        drafts.save_step(ctx, people["alice"], draft["id"], {"company_name": "X"})


def test_particuliers_do_not_reassign(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["eloise"], "ARS_D")
    with pytest.raises(Conflict):
        ownership.reassign(ctx, people["eloise"], draft["id"], "alice")


# --- the documents a submission checks (drafts.checked_documents) -----------------------------------

def test_a_submission_the_read_model_accepts_makes_no_call_to_the_documents_service(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    documents.documents_of_owner = None  # a call would fail: the read model answered
    assert drafts.confirm_documents(ctx, people["alice"], draft["id"])["step"] == 3
    assert submission.submit(ctx, people["alice"], draft["id"])["state"] == "SUBMITTED"


def test_a_document_the_read_model_has_not_seen_yet_is_found_by_asking_the_documents_service(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    drafts.save_step(ctx, people["alice"], draft["id"], SAISIE, True)
    session, documents.session = documents.session, None  # attached, its event not consumed yet
    documents.attach(draft["id"], "RIB")
    documents.session = session
    assert drafts.confirm_documents(ctx, people["alice"], draft["id"])["step"] == 3
    submitted = submission.submit(ctx, people["alice"], draft["id"])
    assert submitted["state"] == "SUBMITTED"
    [asked] = outbox_bodies(ctx.session, "documents.render_summary")
    assert [d["file_name"] for d in asked["payload"]["snapshot"]["documents"]] == ["rib.pdf"]  # the owner's answer


def test_a_missing_document_is_refused_when_the_documents_service_confirms_it(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    drafts.save_step(ctx, people["alice"], draft["id"], SAISIE, True)
    asked = []
    documents.documents_of_owner = lambda service, owner: asked.append(owner) or []
    with pytest.raises(ValidationFailed) as refused:
        drafts.confirm_documents(ctx, people["alice"], draft["id"])
    assert refused.value.fields == {"documents": "Il manque des justificatifs obligatoires : Relevé d'identité bancaire (RIB)."}
    assert asked == [draft["id"]]


# --- wizard steps ---------------------------------------------------------------------------------

def test_step_2_needs_the_documents_and_steps_can_go_back(ctx, documents, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    with pytest.raises(Conflict):
        drafts.confirm_documents(ctx, people["alice"], draft["id"])  # step 1 not done
    drafts.save_step(ctx, people["alice"], draft["id"], SAISIE, True)
    with pytest.raises(ValidationFailed):
        drafts.confirm_documents(ctx, people["alice"], draft["id"])
    documents.attach(draft["id"], "RIB")
    assert drafts.confirm_documents(ctx, people["alice"], draft["id"])["step"] == 3
    assert drafts.go_to_step(ctx, people["alice"], draft["id"], 1)["step"] == 1
    with pytest.raises(Conflict):
        drafts.go_to_step(ctx, people["alice"], draft["id"], 3)
    with pytest.raises(ValidationFailed):
        drafts.go_to_step(ctx, people["alice"], draft["id"], "2")


def test_the_view_carries_the_live_recap(ctx, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    saved = drafts.save_step(ctx, people["alice"], draft["id"], {"company_name": "ACME", "legal_form": "SAS",
                                                                  "iban": IBAN})
    lines = {line["name"]: line["value"] for section in saved["recap"] for line in section["lines"]}
    assert lines["legal_form"] == "SAS - Société par actions simplifiée"
    assert lines["iban"] == "FR76 3000 6000 0112 3456 7890 189" and lines["bic"] == "Non renseigné"
    assert saved["amount"] == "Total"


# --- board and visibility -----------------------------------------------------------------------

def test_board_visibility_by_profile(ctx, documents, people, clock):
    alice_draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    bob_draft = drafts.create_draft(ctx, people["bob"], "SAISIE_IMMO_D")
    validated = ready_draft(ctx, documents, people["bob"])
    submission.submit(ctx, people["bob"], validated["id"])
    change_state(ctx, ctx.session.get(Request, validated["id"]), "VALIDATED", Actor(GESTIONNAIRE, "a", "A"))
    ctx.session.commit()
    drafts.create_draft(ctx, people["other_user"], "SAISIE_IMMO_D")

    def ids(person, tab):
        return {item["id"] for item in board.board(ctx, people[person], {"tab": tab})["items"]}

    assert ids("admin", "DRAFTS") == {alice_draft["id"], bob_draft["id"]}
    assert ids("alice", "DRAFTS") == {alice_draft["id"]}
    assert ids("carol", "DRAFTS") == set() and ids("carol", "VALIDATED") == {validated["id"]}
    assert ids("other_admin", "VALIDATED") == set()
    with pytest.raises(NotFound):
        board.detail(ctx, people["carol"], alice_draft["id"])
    with pytest.raises(NotFound):
        board.detail(ctx, people["alice"], bob_draft["id"])
    carol_view = board.board(ctx, people["carol"], {"tab": "VALIDATED"})
    assert [t["code"] for t in carol_view["tabs"]] == ["VALIDATED", "REJECTED"]
    assert carol_view["items"][0]["actions"] == ["detail", "summary"]  # read-only, no proof yet


def test_an_administrator_without_a_name_yet_owns_requests_under_a_label(ctx, accounts, people):
    """« Mon suivi »'s owner column: the company's opener has no name before the wizard's 2nd step."""
    opener = accounts.add("opener", "acme", "ADMINISTRATEUR", named=False)
    draft = drafts.create_draft(ctx, opener, "SAISIE_IMMO_D")
    assert draft["owner_name"] == "Administrateur du compte"
    seen = board.board(ctx, people["admin"], {"tab": "DRAFTS"})["items"]
    assert [i["owner_name"] for i in seen if i["id"] == draft["id"]] == ["Administrateur du compte"]


def test_board_columns_sort_filters_and_pages(ctx, documents, people, clock):
    amounts = ["1500", "20", "300"]
    made = []
    for amount in amounts:
        draft = drafts.create_draft(ctx, people["alice"], "AM_EXPERTISE_JUD_C")
        drafts.save_step(ctx, people["alice"], draft["id"], {"amount": amount})
        made.append(draft["id"])
        clock.advance(timedelta(minutes=1))
    drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    page = board.board(ctx, people["alice"], {"tab": "DRAFTS", "sort": "amount", "order": "asc", "per_page": "2",
                                               "procedure_code": "AM_EXPERTISE_JUD_C"})
    assert [i["amount"] for i in page["items"]] == ["20,00\u00a0€", "300,00\u00a0€"]
    assert page["total"] == 3 and page["pages"] == 2 and page["date_label"] == "Date d'enregistrement"
    assert page["states"] == [{"code": "DRAFT", "label": "Demande enregistrée"}]
    item = page["items"][0]
    assert item["owner_name"] == "Alice Martin" and item["state_label"] == "Demande enregistrée"
    assert item["sens"] == "C" and item["unread_messages"] == 0
    assert item["actions"] == ["detail", "resume", "duplicate", "delete", "reassign"]
    second = board.board(ctx, people["alice"], {"tab": "DRAFTS", "sort": "amount", "order": "asc",
                                                 "per_page": "2", "page": "2", "procedure_code": "AM_EXPERTISE_JUD_C"})
    assert [i["amount"] for i in second["items"]] == ["1\u202f500,00\u00a0€"]
    newest_first = board.board(ctx, people["alice"], {"tab": "DRAFTS"})["items"]
    assert newest_first[0]["amount"] == "Total"
    drafts_tab = next(t for t in board.board(ctx, people["alice"], {})["tabs"] if t["code"] == "DRAFTS")
    assert drafts_tab["count"] == 4


@pytest.mark.parametrize("query,field", [
    ({"tab": "ALL"}, "tab"), ({"sort": "owner"}, "sort"), ({"order": "up"}, "order"), ({"page": "0"}, "page"),
    ({"page": "99999999999999999999"}, "page"), ({"page": "2147483648"}, "page"),  # issue 18: no overflow
    ({"per_page": "1000"}, "per_page"), ({"number": "10a"}, "number"), ({"procedure_code": "NOPE"}, "procedure_code"),
    ({"state": "VALIDATED"}, "state"), ({"date_from": "32/01/2025"}, "date_from"),
    ({"date_from": "2025-02-01", "date_to": "2025-01-01"}, "date_to"), ({"unknown": "x"}, "unknown"),
])
def test_bad_board_queries_are_refused_in_french(ctx, people, query, field):
    with pytest.raises(ValidationFailed) as refused:
        board.board(ctx, people["alice"], query)
    assert field in refused.value.fields


def test_unread_counts_per_request_and_in_total(ctx, documents, people, clock):
    draft = ready_draft(ctx, documents, people["alice"])
    submission.submit(ctx, people["alice"], draft["id"])
    for n in range(2):
        ctx.session.add(Message(id=f"m{n}", request_id=draft["id"], author_role="GESTIONNAIRE", subject="S",
                                body="Bonjour", attachments=[], posted_at=clock.now()))
    ctx.session.add(Message(id="reply", request_id=draft["id"], author_role="CLIENT", subject="S", body="Merci",
                            attachments=[], posted_at=clock.now()))
    ctx.session.add(MessageRead(message_id="m0", person_id="alice", read_at=clock.now()))
    ctx.session.commit()
    view = board.board(ctx, people["alice"], {"tab": "TRANSMITTED"})
    assert view["items"][0]["unread_messages"] == 1 and view["unread_total"] == 1
    assert board.board(ctx, people["admin"], {"tab": "TRANSMITTED"})["items"][0]["unread_messages"] == 2


# --- PDFs and documents' rights -------------------------------------------------------------------

def outbox_commands(ctx, name):
    from consignations_shared.events import command_routing_key

    return [body["payload"] for body in outbox_bodies(ctx.session, command_routing_key("documents", name))]


def with_summary_wait(seconds, call):
    saved, pdfs.SUMMARY_WAIT = pdfs.SUMMARY_WAIT, seconds
    try:
        return call()
    finally:
        pdfs.SUMMARY_WAIT = saved


def summary_generated(ctx, request_id, version, document_id="summary-1"):
    """What the documents service's summary_generated event gives the read model."""
    from demandes_service import request_documents

    request_documents.apply_states(ctx.session, [{
        "id": document_id, "lineage_id": document_id, "version": 1, "revision": 1,
        "owner": {"service": "demandes", "id": request_id}, "kind": "SUMMARY", "kind_label": "Récapitulatif",
        "status": "attached", "file_name": "recapitulatif.pdf", "content_type": "application/pdf", "size": 10,
        "sha256": "0" * 64, "uploaded_at": "2025-10-15T09:00:00+00:00", "uploaded_by": "alice", "generated": True,
        "source_version": version, "download_path": f"/api/documents/{document_id}/content"}])
    ctx.session.commit()


def test_summary_only_once_transmitted_with_a_full_snapshot(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    with pytest.raises(Conflict):
        pdfs.summary_document(ctx, people["alice"], draft["id"])
    submission.submit(ctx, people["alice"], draft["id"])
    [command] = outbox_commands(ctx, "render_summary")  # written with the submission (DO-7)
    snapshot = command["snapshot"]
    assert command["person"]["id"] == "alice" and snapshot["state"] == "SUBMITTED"
    stored = ctx.session.get(Request, draft["id"])
    assert snapshot["version"] == stored.version  # the transmitted version
    assert documents.rendered == []  # nothing rendered on the request path
    with pytest.raises(ServiceUnavailable) as racing:  # not rendered yet: a bounded wait, then 503
        with_summary_wait(0, lambda: pdfs.summary_document(ctx, people["admin"], draft["id"]))
    assert racing.value.message == pdfs.SUMMARY_BEING_PREPARED
    summary_generated(ctx, draft["id"], snapshot["version"])
    assert pdfs.summary_document(ctx, people["admin"], draft["id"])["id"] == "summary-1"
    assert snapshot["number"].startswith("1025") and snapshot["amount"] == "TOTAL"
    assert snapshot["owner"]["name"] == "Alice Martin" and snapshot["owner"]["company_name"] == "ACME SAS"
    iban = next(f for f in snapshot["fields"] if f["kind"] == "iban")
    assert iban["value"] == IBAN.replace(" ", "")  # masked by the documents service when rendered
    assert snapshot["documents"][0]["label"] == "Rib"
    with pytest.raises(Conflict):
        pdfs.proof_document(ctx, people["alice"], draft["id"])
    with pytest.raises(NotFound):
        pdfs.summary_document(ctx, people["other_admin"], draft["id"])


def test_a_summary_download_comes_with_the_read_grant_of_that_document_only(ctx, documents, people):
    from consignations_shared import grants

    key = b"demandes-unit-key"
    draft = ready_draft(ctx, documents, people["alice"])
    with pytest.raises(Conflict):
        pdfs.summary_download(ctx, key, people["alice"], draft["id"])  # a draft has no summary
    submission.submit(ctx, people["alice"], draft["id"])
    [command] = outbox_commands(ctx, "render_summary")
    summary_generated(ctx, draft["id"], command["snapshot"]["version"])
    download = pdfs.summary_download(ctx, key, people["admin"], draft["id"])
    assert download["document"] == pdfs.summary_document(ctx, people["admin"], draft["id"])
    grants.verify(key, download["grant"], owner_service="demandes", owner_id=draft["id"], person_id="admin",
                  action="read", document_id="summary-1", now=ctx.clock.now())
    with pytest.raises(grants.InvalidGrant):  # not a grant to write, nor for another document
        grants.verify(key, download["grant"], owner_service="demandes", owner_id=draft["id"], person_id="admin",
                      action="read", document_id="other", now=ctx.clock.now())
    with pytest.raises(NotFound):  # nothing signed for whoever may not read the request
        pdfs.summary_download(ctx, key, people["other_admin"], draft["id"])
    with pytest.raises(Conflict):
        pdfs.proof_download(ctx, key, people["alice"], draft["id"])  # validated requests only


def test_document_rights_follow_the_request(ctx, documents, people):
    draft = ready_draft(ctx, documents, people["alice"])
    staff = {"id": "agent", "is_staff": True}
    assert document_rights.authorize_document(ctx, draft["id"], people["alice"], "write")
    assert document_rights.authorize_document(ctx, draft["id"], people["admin"], "read")
    with pytest.raises(Forbidden):
        document_rights.authorize_document(ctx, draft["id"], people["carol"], "write")
    with pytest.raises(NotFound):
        document_rights.authorize_document(ctx, draft["id"], people["other_admin"], "read")
    with pytest.raises(NotFound):
        document_rights.authorize_document(ctx, draft["id"], staff, "read")  # drafts are the client's
    with pytest.raises(Forbidden):
        document_rights.authorize_document(ctx, draft["id"], people["alice"], "review")
    submission.submit(ctx, people["alice"], draft["id"])
    with pytest.raises(Forbidden):
        document_rights.authorize_document(ctx, draft["id"], people["alice"], "write")
    assert document_rights.authorize_document(ctx, draft["id"], staff, "review")
    assert document_rights.authorize_document(ctx, draft["id"], staff, "write")  # message attachments


# --- every procedure of the catalogue can be filed -------------------------------------------------

def sample_values(procedure):
    """Complete, valid values for any procedure, from its field definitions."""
    samples = {"text": "Exemple", "date": "2010-05-04", "iban": IBAN, "bic": "BNPAFRPPXXX", "amount": "1500,00",
               "boolean": "true", "country": "FR", "legal_form": "SAS"}
    values = {}
    for field in procedure.fields:
        if field.type == "choice":
            values[field.name] = field.params["choices"][0]["value"]
        elif field.name in ("last_name", "first_name", "child_last_name", "child_first_name",
                            "representative_last_name", "representative_first_name"):
            values[field.name] = "Dupont" if "last" in field.name else "Eloise"
        else:
            values[field.name] = samples[field.type]
    for rule in procedure.eligibility:
        if rule["rule"] == "holder_matches_applicant":
            values[rule["holder_field"]] = "Eloise Dupont"
        if rule["rule"] == "younger_than_at":
            values[rule["field"]], values[rule["at_field"]] = "2015-01-01", "2025-06-01"
    return values


@pytest.mark.parametrize("code", sorted(catalogue.PROCEDURES))
def test_every_procedure_can_be_filed_and_submitted(ctx, documents, people, code):
    procedure = catalogue.procedure(code)
    person = people["eloise"] if procedure.audience == "PARTICULIER" else people["alice"]
    draft = drafts.create_draft(ctx, person, code)
    saved = drafts.save_step(ctx, person, draft["id"], sample_values(procedure), True)
    assert saved["step"] == 2, saved
    for spec in procedure.required_documents:
        documents.attach(draft["id"], spec.kind, page="recto_verso" if spec.kind == "IDENTITY" else None)
    assert drafts.confirm_documents(ctx, person, draft["id"])["step"] == 3
    done = submission.submit(ctx, person, draft["id"])
    assert done["state"] == "SUBMITTED" and len(done["number"]) == 15
    assert done["amount"] == ("1\u202f500,00\u00a0€" if procedure.has_amount else "Total")
