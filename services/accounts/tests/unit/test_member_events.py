"""accounts.member_changed with every change of a membership or of its account, and the snapshot
that pages through the same records (issue 15)."""
import pytest

from accounts_service import member_events, members, opening, wizard
from accounts_service.models import AccountMember
from consignations_shared.contracts.payloads.accounts import MemberChanged
from consignations_shared.errors import ValidationFailed
from consignations_shared.events import new_envelope

from .test_accounts import company, finalised_company, invite


def changes(events, person_id=None):
    payloads = [e["payload"] for e in events("accounts.member_changed")]
    for payload in payloads:
        MemberChanged.model_validate(payload)  # what producers write is the declared type
    return [p for p in payloads if person_id is None or p["person_id"] == person_id]


def test_every_change_of_a_member_publishes_its_whole_state_with_a_growing_revision(ctx, events):
    admin = company(ctx)
    [opened] = changes(events, "admin-1")
    assert opened["status"] == "active" and opened["account_status"] == "draft"
    assert opened["profile"] == "ADMINISTRATEUR" and opened["display_name"] == "Administrateur du compte"
    admin = finalised_company_of(ctx, admin)
    latest = changes(events, "admin-1")[-1]
    assert latest["account_status"] == "active" and latest["first_name"] == "Claire"
    user = invite(ctx, admin, "UTILISATEUR", "user@acme.example.com", activate_now=False)
    assert changes(events, user["id"])[-1]["status"] == "invited"
    opening.on_account_activated(ctx.session, new_envelope("account_activated", {
        "person_id": user["id"], "profile": "UTILISATEUR", "email": "user@acme.example.com",
        "activated_at": "2026-01-15T09:00:00+00:00"}, source="identity"), ctx.clock, ctx.outbox)
    assert changes(events, user["id"])[-1]["status"] == "active"
    members.update_member(ctx, admin, user["id"], {"first_name": "Paulo"})
    assert changes(events, user["id"])[-1]["first_name"] == "Paulo"
    members.set_submit_right(ctx, admin, user["id"], False)
    assert changes(events, user["id"])[-1]["can_submit"] is False
    members.delete_member(ctx, admin, user["id"])
    assert changes(events, user["id"])[-1]["status"] == "deleted"
    revisions = [p["revision"] for p in changes(events)]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    assert ctx.session.get(AccountMember, user["id"]).revision == changes(events, user["id"])[-1]["revision"]


def finalised_company_of(ctx, admin):
    account_id = ctx.session.get(AccountMember, admin["id"]).account_id
    from .test_accounts import ADMIN_INFO, STRUCTURE

    wizard.save_structure(ctx, admin, STRUCTURE, complete=True)
    ctx.documents.attach(account_id, "IDENTITY")
    wizard.save_administrator(ctx, admin, ADMIN_INFO, complete=True)
    ctx.documents.attach(account_id, "KBIS")
    wizard.save_documents(ctx, admin, {"administrator_on_kbis": True}, complete=True)
    wizard.finalise(ctx, admin)
    return admin


def test_a_change_of_the_account_publishes_every_member_and_a_silent_change_nothing(ctx, events):
    admin = finalised_company(ctx)
    user = invite(ctx, admin, "CONSULTATION", "c@acme.example.com")
    before = len(changes(events))
    members.welcome_seen(ctx, admin)  # nothing another service reads
    members.update_fiche(ctx, admin, {"phone": "01 23 45 67 89"})
    assert len(changes(events)) == before
    members.update_fiche(ctx, admin, {"company_name": "ACME Holding"})
    renamed = changes(events)[before:]
    assert {p["person_id"] for p in renamed} == {admin["id"], user["id"]}
    assert {p["company_name"] for p in renamed} == {"ACME Holding"}


def test_the_snapshot_pages_through_the_latest_state_of_everyone(ctx, events):
    admin = finalised_company(ctx)
    people = [invite(ctx, admin, "UTILISATEUR", f"u{n}@acme.example.com") for n in range(3)]
    members.set_submit_right(ctx, admin, people[0]["id"], False)
    company(ctx, email="other@globex.example.com", person_id="other-admin")
    latest = {p["person_id"]: p for p in changes(events)}
    seen, after, pages = [], 0, 0
    while True:
        page = member_events.members_snapshot(ctx.session, after, 2)
        seen.extend(page["items"])
        pages += 1
        if len(page["items"]) < 2:
            break
        after = page["next_after_revision"]
    assert pages == 3
    assert {p["person_id"]: p for p in seen} == latest and len(seen) == len(latest) == 5
    assert [p["revision"] for p in seen] == sorted(p["revision"] for p in seen)
    assert member_events.members_snapshot(ctx.session, max(p["revision"] for p in seen), 10)["items"] == []


@pytest.mark.parametrize("after,limit", [(-1, 10), ("0", 10), (0, 0), (0, 1001), (True, 10)])
def test_the_snapshot_refuses_bad_paging(ctx, after, limit):
    with pytest.raises(ValidationFailed):
        member_events.members_snapshot(ctx.session, after, limit)
