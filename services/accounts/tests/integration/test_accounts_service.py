"""Accounts with identity against the real RabbitMQ and PostgreSQL: the draft account from
signup_verified, an invitation through identity, activation by identity's event, and AC-9
refusals by direct RPC."""
import time
import uuid

import pytest
from kombu import Connection, Producer

from accounts_service.service import AccountsService
from consignations_shared.errors import NotFound
from consignations_shared.events import COMMANDS_EXCHANGE, EVENTS_EXCHANGE, new_envelope
from identity_service.service import IdentityService


def publish(amqp_uri, source, envelope):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            envelope.to_dict(), exchange=EVENTS_EXCHANGE, routing_key=f"{source}.{envelope.type}",
            serializer="json", delivery_mode=2)


def wait_for(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except NotFound:
            value = None
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def signup(amqp_uri, person_id, email):
    publish(amqp_uri, "identity", new_envelope("signup_verified", {
        "signup_id": str(uuid.uuid4()), "person_id": person_id, "profile": "ENTREPRISE", "company_name": "ACME SAS",
        "email": email, "mobile": "+33612345678", "verified_at": "2026-11-23T06:00:00+00:00"}, source="identity"))
    return {"id": person_id, "email": email, "profile": "ENTREPRISE", "is_staff": False}


@pytest.fixture
def services(start_service):
    start_service(IdentityService)
    return start_service(AccountsService)


def test_invitation_through_identity_and_activation(services, rpc, amqp_uri, spy):
    invitations = spy(COMMANDS_EXCHANGE, "notifier.send_invitation")
    admin = signup(amqp_uri, "a1111111-1111-4111-8111-111111111111", "direction@acme.example.com")
    assert wait_for(lambda: rpc.accounts.account_of_person(admin["id"]))["status"] == "draft"
    invited = rpc.accounts.invite_member(admin, {"last_name": "Martin", "first_name": "Paul",
                                                 "email": "paul@acme.example.com", "profile": "UTILISATEUR"})
    assert invited["status"] == "invited"
    [command] = invitations.wait_for(1)
    assert command["payload"]["company_name"] == "ACME SAS" and command["payload"]["profile"] == "UTILISATEUR"
    rpc.identity.accept_invitation(command["payload"]["link_token"], command["payload"]["code"], "Nouveau-Mdp-42", True)
    person = {"id": invited["person_id"], "is_staff": False}
    assert wait_for(lambda: rpc.accounts.my_profile(person)["status"] == "active")


def test_direct_rpc_with_another_accounts_ids_is_refused(services, rpc, amqp_uri):
    first = signup(amqp_uri, "b2222222-2222-4222-8222-222222222222", "un@acme.example.com")
    second = signup(amqp_uri, "c3333333-3333-4333-8333-333333333333", "deux@acme.example.com")
    assert wait_for(lambda: rpc.accounts.account_of_person(first["id"]) and rpc.accounts.account_of_person(second["id"]))
    with pytest.raises(NotFound):
        rpc.accounts.update_member(first, second["id"], {"last_name": "Pirate"})
    with pytest.raises(NotFound):
        rpc.accounts.document_grant(first, rpc.accounts.account_of_person(second["id"])["account_id"], "read")
