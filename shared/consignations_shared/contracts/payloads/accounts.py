"""Events of the accounts service."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from ..messages import Message, event


@event("accounts", "member_changed")
class MemberChanged(Message):
    """The whole current state of one person's membership of a client account, published with
    every change of it (invitation, activation, names, profile, submit right, deletion, the
    account's status or name): consumers keep it as a read model, replacing older revisions.

    `revision` grows with every change of the member or of its account, so a consumer keeps the
    highest it has seen and ignores a late or redelivered older one."""
    account_id: str
    person_id: str
    revision: int = Field(ge=1)
    account_kind: Literal["ENTREPRISE", "PARTICULIER"]
    account_status: str
    company_name: str | None = None
    profile: Literal["ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION", "PARTICULIER"]
    status: Literal["invited", "active", "deleted"]
    can_submit: StrictBool
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None  # what to show without names (« Administrateur du compte »)
    email: str | None = None
