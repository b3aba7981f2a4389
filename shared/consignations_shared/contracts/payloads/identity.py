"""Events of the identity service."""
from __future__ import annotations

from ..messages import Message, event


@event("identity", "person_access_changed")
class PersonAccessChanged(Message):
    """What a person may do changed (their membership of a client account as identity's read
    model of accounts.member_changed now has it: profile, submit right, account, deletion):
    gateways drop the sessions they resolved for that person and resolve them again."""
    person_id: str
