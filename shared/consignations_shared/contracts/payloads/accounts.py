"""Events of the accounts service."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from ..messages import Email, Id, Instant, Message, event


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


Profile = Literal["ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION", "PARTICULIER"]
InvitedProfile = Literal["ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION"]


@event("accounts", "account_created")
class AccountCreated(Message):
    """A client account was opened: a company's draft after its sign-up (AC-1), or a private
    person's account after activation (AC-8)."""
    account_id: Id
    kind: Literal["ENTREPRISE", "PARTICULIER"]
    company_name: str | None
    administrator_person_id: Id
    notification_email: Email


@event("accounts", "account_finalised")
class AccountFinalised(Message):
    """The company wizard was validated (« Valider »): the account is active (AC-1)."""
    account_id: Id
    company_name: str | None
    siret: str | None
    country: str | None
    administrator_person_id: Id
    finalised_at: Instant


@event("accounts", "account_updated")
class AccountUpdated(Message):
    """The fiche client changed (AC-3); only the changed fields are given."""
    partial = True

    account_id: Id
    company_name: str | None = None
    service: str | None = None
    address: str | None = None
    address_complement: str | None = None
    postal_code: str | None = None
    commune: str | None = None
    phone: str | None = None
    contact_email: str | None = None


@event("accounts", "person_invited")
class MemberInvited(Message):
    """An administrator added a person to the account (AC-5); identity e-mails the invitation."""
    account_id: Id
    person_id: Id
    profile: InvitedProfile
    email: Email
    first_name: str | None
    last_name: str | None
    invited_by: Id


@event("accounts", "person_activated")
class MemberActivated(Message):
    """An invited person set their password: their membership is active."""
    account_id: Id
    person_id: Id
    profile: str
    activated_at: Instant


@event("accounts", "person_updated")
class MemberUpdated(Message):
    """A person's details changed (AC-4, AC-5); only the changed fields (last_name, first_name,
    function, landline, mobile) are given."""
    partial = True
    consumers = ("The notifier records the names and mobile given.",)

    account_id: Id | None = None
    person_id: Id
    last_name: str | None = None
    first_name: str | None = None
    function: str | None = None
    landline: str | None = None
    mobile: str | None = None
    email: str | None = None  # never changed by accounts today; a consumer records it when given


@event("accounts", "person_deleted")
class MemberDeleted(Message):
    """A person's access was deleted (AC-5, AC-6)."""
    account_id: Id
    person_id: Id
    deleted_by: Id


@event("accounts", "deletion_requested")
class DeletionRequested(Message):
    """An Utilisateur asked for the deletion of their access (AC-6); the notifier e-mails the
    administrators (NO-13)."""
    consumers = ("The notifier e-mails each administrator (NO-13).",)

    account_id: Id | None = None
    person_id: Id
    first_name: str | None = None
    last_name: str | None = None
    administrator_person_ids: list[Id]


@event("accounts", "deletion_refused")
class DeletionRefused(Message):
    """An administrator refused a deletion request (AC-6)."""
    account_id: Id
    person_id: Id
    refused_by: Id


@event("accounts", "submit_right_changed")
class SubmitRightChanged(Message):
    """An Utilisateur's right to submit requests was withdrawn or restored (AC-7)."""
    account_id: Id
    person_id: Id
    can_submit: StrictBool
    changed_by: Id
