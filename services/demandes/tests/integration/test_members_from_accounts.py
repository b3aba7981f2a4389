"""Accounts' changes reach demandes' read model and the acting person identity resolves, through
the real broker and PostgreSQL (issue 15): a withdrawn submit right, a renamed colleague and a
deleted member, each awaited by a bounded poll."""
import time
import uuid

import pytest
from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from accounts_service.service import AccountsService
from consignations_shared.contracts.acting import ActingPerson
from consignations_shared.db import get_engine
from consignations_shared.errors import Forbidden, Unauthenticated
from consignations_shared.events import COMMANDS_EXCHANGE, new_envelope
from demandes_service.models import Member
from demandes_service.service import DemandesService
from identity_service.service import IdentityService

from .accounts_stub import stub_documents, wait_until_ready

PASSWORD = "Nouveau-Mdp-42"


WITHIN = 1.0  # issue 15: a withdrawn right or a deleted member takes effect within a second


def eventually(predicate, timeout=10.0):
    """The predicate's value once true, polled (bounded); its last value otherwise."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.05)
        value = predicate()
    return value


@pytest.fixture
def system(start_service, postgres_database, rpc):
    start_service(IdentityService)
    start_service(AccountsService)
    url = postgres_database("demandes")
    start_service(stub_documents(), metadata=MetaData())
    start_service(DemandesService, database_url=url)
    assert wait_until_ready(rpc)["status"] == "ready"
    return get_engine(url)


def test_changes_of_members_reach_demandes_and_the_acting_person(system, rpc, amqp_uri, spy):
    from kombu import Connection, Producer

    from consignations_shared.events import EVENTS_EXCHANGE

    invitations = spy(COMMANDS_EXCHANGE, "notifier.send_invitation")
    admin = {"id": str(uuid.uuid4()), "email": "direction@acme.example.com", "profile": "ENTREPRISE", "is_staff": False}
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(new_envelope("signup_verified", {
            "signup_id": str(uuid.uuid4()), "person_id": admin["id"], "profile": "ENTREPRISE",
            "company_name": "ACME SAS", "email": admin["email"], "mobile": "+33612345678",
            "verified_at": "2026-11-23T06:00:00+00:00"}, source="identity").to_dict(),
            exchange=EVENTS_EXCHANGE, routing_key="identity.signup_verified", serializer="json", delivery_mode=2)
    assert eventually(lambda: rpc.accounts.account_of_person(admin["id"]))
    invited = rpc.accounts.invite_member(admin, {"last_name": "Martin", "first_name": "Paul",
                                                 "email": "paul@acme.example.com", "profile": "UTILISATEUR"})
    [command] = invitations.wait_for(1)
    rpc.identity.accept_invitation(command["payload"]["link_token"], command["payload"]["code"], PASSWORD, True)
    token = rpc.identity.login("paul@acme.example.com", PASSWORD)["session_token"]

    def member():
        with Session(system) as session:
            return session.get(Member, invited["person_id"])

    def acting():
        return ActingPerson.from_wire(rpc.identity.resolve_session(token)["person"])

    assert eventually(lambda: member() is not None and member().status == "active")
    assert eventually(lambda: acting().membership is not None)
    paul = acting()
    assert paul.membership.profile == "UTILISATEUR" and paul.membership.can_submit is True
    assert rpc.demandes.create_draft(paul.to_wire(), "SAISIE_IMMO_D")["owner_name"] == "Paul Martin"

    rpc.accounts.set_submit_right(admin, invited["person_id"], False)  # withdrawn right: within 1 s
    assert eventually(lambda: acting().membership.can_submit is False, timeout=WITHIN)
    assert eventually(lambda: member().can_submit is False, timeout=WITHIN)

    rpc.accounts.update_member(admin, invited["person_id"], {"last_name": "Durand"})  # renamed colleague
    assert eventually(lambda: member().last_name == "Durand")
    board = rpc.demandes.board(acting().to_wire(), {"tab": "DRAFTS"})
    assert [i["owner_name"] for i in board["items"]] == ["Paul Durand"]

    stale = acting().to_wire()
    rpc.accounts.delete_member(admin, invited["person_id"])  # deleted member: within 1 s
    assert eventually(lambda: member().status == "deleted", timeout=WITHIN)
    with pytest.raises(Unauthenticated):  # identity revoked the sessions at once
        rpc.identity.resolve_session(token)
    with pytest.raises(Forbidden):  # and a membership sent after the deletion gives no access
        rpc.demandes.create_draft({**stale, "membership": None}, "SAISIE_IMMO_D")

    # what a fresh instance would rebuild from is what the events left in the read model
    snapshot = rpc.accounts.members_snapshot(0, 500)["items"]
    with Session(system) as session:
        held = {m.person_id: (m.revision, m.status, m.can_submit, m.last_name)
                for m in session.query(Member).filter(Member.account_id == snapshot[0]["account_id"])}
    assert held == {r["person_id"]: (r["revision"], r["status"], r["can_submit"], r["last_name"]) for r in snapshot}
