"""Identity's read model of accounts.member_changed, and the acting person a session resolves to
(ActingPerson with its membership, issue 15)."""
import pytest

from consignations_shared.contracts.acting import ActingPerson
from consignations_shared.contracts.payloads.accounts import MemberChanged
from consignations_shared.errors import Unauthenticated
from consignations_shared.events import new_envelope
from identity_service import access, invitations, login, memberships, sessions
from identity_service.models import Membership, Person

from .test_identity_flows import PASSWORD, activated_person

ACCOUNT = "acc-1"


def member_changed(person_id, revision, **overrides):
    fields = {"account_id": ACCOUNT, "person_id": person_id, "revision": revision, "account_kind": "PARTICULIER",
              "account_status": "active", "company_name": None, "profile": "PARTICULIER", "status": "active",
              "can_submit": True, "first_name": "Élodie", "last_name": "Dupont", **overrides}
    return new_envelope("member_changed", MemberChanged(**fields).payload(), source="accounts")


def deliver(ctx, envelope):
    memberships.on_member_changed(ctx.session, envelope, ctx.clock, ctx.outbox)


def resolved(ctx, email=None):
    opened = login.login(ctx, email or "elodie.dupont@example.com", PASSWORD)
    person = sessions.resolve(ctx, opened["session_token"])["person"]
    assert ActingPerson.from_wire(person).session_id == opened["session_id"]
    return person


def test_the_highest_revision_wins_and_each_change_announces_the_persons_access(ctx, sent):
    deliver(ctx, member_changed("p1", 5, can_submit=False))
    late = member_changed("p1", 3, can_submit=True)
    deliver(ctx, late)  # older: ignored
    assert ctx.session.get(Membership, "p1").can_submit is False
    again = member_changed("p1", 7, profile="PARTICULIER", first_name="Élo")
    deliver(ctx, again)
    deliver(ctx, again)  # redelivered: handled once
    assert ctx.session.get(Membership, "p1").revision == 7
    assert [e["payload"] for e in sent("identity.person_access_changed")] == [{"person_id": "p1"}] * 2


def test_a_session_carries_the_membership_validated_as_the_acting_person(ctx, sent):
    person = activated_person(ctx, sent)
    assert resolved(ctx)["membership"] is None  # the account is being opened
    deliver(ctx, member_changed(person.id, 1, first_name="Élodie", last_name="Dupont-Martin"))
    wire = resolved(ctx)
    acting = ActingPerson.from_wire(wire)
    assert acting.membership.account_id == ACCOUNT and acting.membership.profile == "PARTICULIER"
    assert acting.membership.can_submit is True and acting.last_name == "Dupont-Martin"
    assert wire["valid_until"] and wire["profile"] == "PARTICULIER" and wire["is_staff"] is False
    deliver(ctx, member_changed(person.id, 2, status="deleted"))
    assert ctx.session.get(Membership, person.id).status == "deleted"
    assert memberships.membership_of(ctx.session, person.id) is None


def test_names_corrected_in_accounts_reach_the_invitation_and_the_activation(ctx, sent, clock):
    from .test_identity_flows import NEW_PASSWORD, invite

    created = invite(ctx)  # as Paul Martin
    token = sent("notifier.send_invitation")[-1]["payload"]["link_token"]
    assert memberships.names_of(ctx.session, ctx.session.get(Person, created["person_id"])) == ("Paul", "Martin")
    # the administrator corrects the names in accounts: member_changed carries them
    deliver(ctx, member_changed(created["person_id"], 1, profile="UTILISATEUR", status="invited",
                                account_kind="ENTREPRISE", first_name="Pauline", last_name="Martin-Roy"))
    details = invitations.invitation_details(ctx, token)
    assert (details["first_name"], details["last_name"]) == ("Pauline", "Martin-Roy")
    clock.advance(seconds=31)  # a new code may be asked 30 s after the last one
    invitations.resend(ctx, token)
    resent = sent("notifier.send_invitation")[-1]["payload"]
    assert (resent["first_name"], resent["last_name"]) == ("Pauline", "Martin-Roy")
    invitations.accept(ctx, resent["link_token"], resent["code"], NEW_PASSWORD, True)
    activated = sent("identity.account_activated")[-1]["payload"]
    assert (activated["first_name"], activated["last_name"]) == ("Pauline", "Martin-Roy")
    person = login.login(ctx, "collegue@acme.example.com", NEW_PASSWORD)["person"]
    assert (person["first_name"], person["last_name"]) == ("Pauline", "Martin-Roy")


def test_a_deleted_member_keeps_no_membership_and_loses_their_sessions(ctx, sent):
    person = activated_person(ctx, sent)
    deliver(ctx, member_changed(person.id, 1))
    opened = login.login(ctx, "elodie.dupont@example.com", PASSWORD)
    access.delete_access(ctx, person.id, None)
    deliver(ctx, member_changed(person.id, 2, status="deleted"))
    with pytest.raises(Unauthenticated):
        sessions.resolve(ctx, opened["session_token"])


def test_a_gestionnaire_has_no_membership(ctx, sent):
    person = activated_person(ctx, sent)
    person.profile = "GESTIONNAIRE"
    ctx.session.commit()
    deliver(ctx, member_changed(person.id, 1))  # whatever accounts says, staff is in no client account
    wire = resolved(ctx)
    assert wire["is_staff"] is True and wire["membership"] is None
