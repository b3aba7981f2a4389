"""Demandes' read model of accounts.member_changed (issue 15): owners' and colleagues' names,
reassignment candidates and the acting person's rights without any call to accounts."""
import pytest

from consignations_shared.contracts.payloads.accounts import MemberChanged
from consignations_shared.errors import Conflict, Forbidden, NotFound
from consignations_shared.events import new_envelope
from demandes_service import board, drafts, members, ownership
from demandes_service.models import Member


@pytest.fixture
def people(accounts):
    return {
        "admin": accounts.add("admin", "acme", "ADMINISTRATEUR", first_name="Anne", last_name="Admin"),
        "alice": accounts.add("alice", "acme", "UTILISATEUR", first_name="Alice", last_name="Martin"),
        "bob": accounts.add("bob", "acme", "UTILISATEUR", first_name="Bob", last_name="Durand"),
    }


def owner_names(ctx, person):
    return [item["owner_name"] for item in board.board(ctx, person, {"tab": "DRAFTS"})["items"]]


def test_a_renamed_colleague_shows_with_the_new_name_and_a_late_event_changes_nothing(ctx, accounts, people, clock):
    drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    assert owner_names(ctx, people["admin"]) == ["Alice Martin"]
    renamed = accounts.change("alice", last_name="Durand-Martin")
    assert owner_names(ctx, people["admin"]) == ["Alice Durand-Martin"]
    late = new_envelope("member_changed", MemberChanged(**{
        **accounts.records["alice"], "last_name": "Ancien", "revision": 1}).payload(), source="accounts")
    members.on_member_changed(ctx.session, late, clock)
    members.on_member_changed(ctx.session, late, clock)  # redelivered: handled once
    assert owner_names(ctx, people["admin"]) == ["Alice Durand-Martin"]
    assert drafts.create_draft(ctx, renamed, "SAISIE_IMMO_D")["owner_name"] == "Alice Durand-Martin"


def test_an_event_reaches_the_read_model_once(ctx, people, clock):
    record = MemberChanged(account_id="acme", person_id="carl", revision=50, account_kind="ENTREPRISE",
                           account_status="active", profile="UTILISATEUR", status="active", can_submit=True,
                           first_name="Carl", last_name="Petit")
    members.on_member_changed(ctx.session, new_envelope("member_changed", record.payload(), source="accounts"), clock)
    assert ctx.session.get(Member, "carl").last_name == "Petit"
    assert set(members.people_of_account(ctx.session, "acme")) == {"admin", "alice", "bob", "carl"}


def test_a_deleted_member_is_no_candidate_and_keeps_no_access(ctx, accounts, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    assert [c["person_id"] for c in ownership.candidates(ctx, people["admin"], draft["id"])] == ["admin", "bob"]
    gone = accounts.change("bob", status="deleted")
    assert [c["person_id"] for c in ownership.candidates(ctx, people["admin"], draft["id"])] == ["admin"]
    with pytest.raises(NotFound):
        ownership.reassign(ctx, people["admin"], draft["id"], "bob")
    with pytest.raises(Forbidden) as refused:
        drafts.create_draft(ctx, gone, "SAISIE_IMMO_D")
    assert refused.value.message == "Aucun compte client n'est associé à votre accès."


def test_rights_come_with_the_acting_person_not_from_the_read_model(ctx, accounts, people):
    """The membership sent with the call decides (identity resolves it): a read model lagging
    behind gives no right back."""
    consultation = dict(people["alice"], membership={**people["alice"]["membership"], "profile": "CONSULTATION"})
    with pytest.raises(Forbidden) as refused:
        drafts.create_draft(ctx, consultation, "SAISIE_IMMO_D")
    assert "Consultation" in refused.value.message
    withdrawn = accounts.change("alice", can_submit=False)
    assert withdrawn["membership"]["can_submit"] is False


def test_an_account_being_opened_is_pending_not_forbidden(ctx):
    with pytest.raises(Conflict) as pending:
        board.board(ctx, {"id": "newcomer", "profile": "PARTICULIER", "is_staff": False}, {})
    assert pending.value.code == "account_pending"
