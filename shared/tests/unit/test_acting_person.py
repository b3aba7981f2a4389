"""The acting person every service validates on entry (issue 15: contracts are code)."""
import pytest

from consignations_shared.contracts.acting import ActingPerson, NO_ACCOUNT
from consignations_shared.errors import Forbidden, Unauthenticated

MEMBER = {"account_id": "acc-1", "account_kind": "ENTREPRISE", "profile": "UTILISATEUR", "can_submit": False}
CLIENT = {"id": "p-1", "email": "elodie@acme.example", "first_name": "Élodie", "last_name": "Dupont",
          "profile": "ENTREPRISE", "is_staff": False, "session_id": "s-1", "membership": MEMBER}


def test_a_client_round_trips_with_its_membership():
    person = ActingPerson.from_wire(CLIENT)
    assert person.person_id == "p-1"
    assert person.client_membership().profile == "UTILISATEUR"
    assert person.client_membership().can_submit is False
    assert ActingPerson.from_wire(person.to_wire()) == person


def test_what_the_gateway_never_sends_is_ignored_not_trusted():
    person = ActingPerson.from_wire({**CLIENT, "is_admin": True, "account_id": "someone-else"})
    assert not hasattr(person, "is_admin")
    assert person.client_membership().account_id == "acc-1"


@pytest.mark.parametrize("wire", [
    None, "p-1", ["p-1"], {}, {"id": ""}, {"id": "x" * 65}, {"id": "a/b"}, {"id": 12},
    {"id": "p-1", "is_staff": "true"}, {"id": "p-1", "is_staff": 1},
    {"id": "p-1", "profile": "ROOT"},
    {"id": "p-1", "membership": {"account_id": "acc-1"}},
    {"id": "p-1", "membership": {**MEMBER, "profile": "GESTIONNAIRE"}},
    {"id": "p-1", "membership": {**MEMBER, "can_submit": "no"}},
    {"id": "p-1", "membership": {**MEMBER, "role": "ADMINISTRATEUR"}},
    {"id": "p-1", "email": "e" * 321},
    {"id": "g-1", "is_staff": True, "membership": MEMBER},
], ids=repr)
def test_malformed_acting_persons_are_refused(wire):
    with pytest.raises(Unauthenticated):
        ActingPerson.from_wire(wire)


def test_staff_and_people_without_an_account_act_in_no_client_account():
    for wire in ({"id": "g-1", "is_staff": True, "profile": "GESTIONNAIRE"}, {"id": "p-2", "profile": "PARTICULIER"}):
        with pytest.raises(Forbidden) as refused:
            ActingPerson.from_wire(wire).client_membership()
        assert refused.value.message == NO_ACCOUNT


def test_only_staff_pass_require_staff():
    assert ActingPerson.from_wire({"id": "g-1", "is_staff": True}).require_staff().is_staff
    with pytest.raises(Forbidden):
        ActingPerson.from_wire(CLIENT).require_staff()
