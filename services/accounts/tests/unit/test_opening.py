"""Opening the draft client account from signup_verified, once per event (EV-3, AC-1)."""
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from accounts_service.models import AccountMember, Base, ClientAccount
from accounts_service.opening import account_of_person, open_draft_account
from consignations_shared.clock import FrozenClock
from consignations_shared.events import new_envelope
from consignations_shared.plumbing import plumbing_metadata


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def verified(signup_id="s-1", person_id="p-1"):
    return new_envelope("signup_verified", {
        "signup_id": signup_id, "person_id": person_id, "profile": "ENTREPRISE",
        "company_name": "ACME SAS", "email": "direction@acme.example.com", "mobile": "+33612345678",
        "verified_at": "2026-01-15T09:00:00+00:00"}, source="identity")


def count(session, model):
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_draft_account_with_its_first_administrator(session):
    account_id = open_draft_account(session, verified(), FrozenClock())
    assert account_of_person(session, "p-1") == {
        "account_id": account_id, "kind": "ENTREPRISE", "company_name": "ACME SAS", "status": "draft",
        "profile": "ADMINISTRATEUR", "email": "direction@acme.example.com"}


def test_redelivered_event_opens_nothing_more(session):
    event = verified()
    assert open_draft_account(session, event, FrozenClock()) is not None
    assert open_draft_account(session, event, FrozenClock()) is None
    assert count(session, ClientAccount) == 1 and count(session, AccountMember) == 1


def test_same_signup_announced_twice_under_two_event_ids(session):
    first = open_draft_account(session, verified(), FrozenClock())
    assert open_draft_account(session, verified(), FrozenClock()) == first
    assert count(session, ClientAccount) == 1


def test_unknown_person_has_no_account(session):
    assert account_of_person(session, "nobody") is None


def test_directories_give_each_accounts_people_and_ignore_unknown_ids(session):
    from accounts_service.opening import directories

    first = open_draft_account(session, verified(), FrozenClock())
    second = open_draft_account(session, verified("s-2", "p-2"), FrozenClock())
    found = directories(session, [first, "unknown", second])
    assert set(found) == {first, second}
    assert found[first]["company_name"] == "ACME SAS" and found[first]["kind"] == "ENTREPRISE"
    [person] = found[first]["people"]
    assert person["person_id"] == "p-1" and person["profile"] == "ADMINISTRATEUR" and "email" not in person
    assert person["display_name"] == "Administrateur du compte"  # no name before the wizard's 2nd step
    assert directories(session, "not a list") == {} and directories(session, []) == {}


@pytest.mark.parametrize("activated_first", [False, True])
def test_a_company_administrators_account_activated_opens_nothing(session, activated_first):
    """identity publishes account_activated (profile ENTREPRISE) with signup_verified, for the
    notifier's NO-7 (issue 19): whichever arrives first, one draft account, its administrator
    active, and no event of accounts' own."""
    from consignations_shared.outbox import OutboxWriter
    from consignations_shared.testing import outbox_bodies
    from accounts_service.opening import on_account_activated

    clock = FrozenClock()
    activated = new_envelope("account_activated", {
        "person_id": "p-1", "profile": "ENTREPRISE", "email": "direction@acme.example.com",
        "mobile": "+33612345678", "activated_at": "2026-01-15T09:00:00+00:00"}, source="identity")
    outbox = OutboxWriter("accounts", clock=clock)
    if activated_first:
        on_account_activated(session, activated, clock, outbox)
    open_draft_account(session, verified(), clock)
    if not activated_first:
        on_account_activated(session, activated, clock, outbox)
    assert count(session, ClientAccount) == 1 and count(session, AccountMember) == 1
    assert account_of_person(session, "p-1")["status"] == "draft"
    assert session.get(AccountMember, "p-1").status == "active"
    assert outbox_bodies(session, "accounts.person_activated") == []
