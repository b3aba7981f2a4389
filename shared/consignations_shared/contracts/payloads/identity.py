"""Events of the identity service, and its private commands to the notifier (codes and links
travel only there, never in an event: EV-4)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..messages import Email, Id, Instant, Message, command, event

InvitedProfile = Literal["ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION", "GESTIONNAIRE"]
IdentityProfile = Literal["ENTREPRISE", "PARTICULIER", "ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION",
                          "GESTIONNAIRE"]


# --- events ------------------------------------------------------------------------------------

@event("identity", "signup_verified")
class SignupVerified(Message):
    """A company's sign-up passed both codes (SMS, e-mail) — ID-4."""
    consumers = ("The accounts service opens a draft client account (AC-1); other systems may too.",
                 "The notifier records the contact.")
    title = "Inscription d'une entreprise vérifiée"
    example = {
        "event_id": "6f1c3c0e-2f0a-4d7e-9a57-1f1e5d0b8c11", "type": "signup_verified", "version": 1,
        "occurred_at": "2026-11-23T06:21:20.101234+00:00", "source": "identity",
        "correlation_id": "0b6f2a4c-3c55-4a4e-9a34-6a2f4f1f7d90",
        "payload": {
            "signup_id": "2b0e1c5a-5d8a-4c8e-8d0e-1b2c3d4e5f60", "person_id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
            "profile": "ENTREPRISE", "company_name": "ACME SAS", "email": "direction@acme.example.com",
            "mobile": "+33612345678", "verified_at": "2026-11-23T06:21:20.100000+00:00",
        },
    }

    signup_id: Id
    person_id: Id = Field(description="The person's identity; also their id in accounts.")
    profile: Literal["ENTREPRISE"] = "ENTREPRISE"
    company_name: str | None = None
    email: Email = Field(description="Notification address; never modifiable.")
    mobile: str | None = Field(default=None, description="E.164, e.g. +33612345678.")
    verified_at: Instant | None = None


@event("identity", "account_activated")
class AccountActivated(Message):
    """A person can log in from now on: a private person activated their account with the
    e-mailed link (ID-5), an invited person / gestionnaire set their password (ID-10), or the
    administrator of a company passed both sign-up codes (ID-4; `profile` ENTREPRISE, published
    with `signup_verified`). The notifier sends « Votre compte est validé » (NO-7)."""
    consumers = ("The notifier sends NO-7.", "The accounts service opens a private person's account (AC-8) "
                 "or activates an invited member.")

    person_id: Id
    profile: IdentityProfile | None = None
    email: Email
    first_name: str | None = None
    last_name: str | None = None
    mobile: str | None = None
    activated_at: Instant | None = None


@event("identity", "password_reset_requested")
class PasswordResetRequested(Message):
    """Someone asked for a password reset of an existing account (ID-8). No link, no code in it."""
    person_id: Id


@event("identity", "password_changed")
class PasswordChanged(Message):
    """A password was reset (ID-8) or changed from the profile (ID-9); every other session was
    revoked. The notifier sends the security notice (NO-15)."""
    consumers = ("The notifier sends NO-15.",)

    person_id: Id
    email: Email
    reason: Literal["reset", "change"] | None = None
    changed_at: Instant | None = None


@event("identity", "login_locked")
class LoginLocked(Message):
    """An account was temporarily locked after repeated login failures (NF-1)."""
    person_id: Id
    locked_until: Instant
    lock_level: int = Field(ge=1)


@event("identity", "access_expired")
class AccessExpired(Message):
    """An access reached the end of its 18-month validity (ID-7); its sessions were revoked."""
    person_id: Id
    email: Email
    profile: str
    valid_until: Instant


@event("identity", "access_renewed")
class AccessRenewed(Message):
    """An access was given 18 more months (ID-7), even after expiry."""
    person_id: Id
    valid_until: Instant
    renewed_by: str | None


@event("identity", "person_invited")
class PersonInvited(Message):
    """A person was invited into a client account, or a gestionnaire account was created (ID-10,
    BO-4). The link and the confidential password travel only to the notifier."""
    consumers = ("The notifier records the contact.",)

    person_id: Id
    email: Email
    profile: InvitedProfile | None = None
    first_name: str | None = None
    last_name: str | None = None
    invited_by: str | None = None


@event("identity", "access_deleted")
class AccessDeleted(Message):
    """An administrator deleted a person's access (AC-5, AC-6): no more login, sessions revoked."""
    person_id: Id
    deleted_by: str | None


@event("identity", "person_access_changed")
class PersonAccessChanged(Message):
    """What a person may do changed (their membership of a client account as identity's read
    model of accounts.member_changed now has it: profile, submit right, account, deletion):
    gateways drop the sessions they resolved for that person and resolve them again."""
    consumers = ("Every gateway process drops the sessions it resolved for that person.",)

    person_id: Id


RevocationReason = Literal[
    "logout", "password_change", "password_reset", "timeout", "person_inactive",
    "access_expired", "access_deleted",
]


@event("identity", "sessions_revoked")
class SessionsRevoked(Message):
    """Open sessions of a person were revoked (logout, password change or reset, idle timeout or
    end of lifetime, inactive or deleted person, expired access), published in the transaction
    that revokes them: every gateway process drops them from its cache of resolved sessions.

    `session_ids` lists the sessions this change revoked (never empty); the gateway drops every
    cached session of `person_id` anyway."""
    consumers = ("Every gateway process drops the revoked sessions from its cache.",)

    person_id: Id
    session_ids: list[str] = Field(min_length=1)
    reason: RevocationReason


# --- private commands to the notifier (exchange consignations.commands) -------------------------

@command("identity", "notifier", "send_signup_sms_code")
class SendSignupSmsCode(Message):
    """NO-1: the sign-up's SMS code."""
    signup_id: str | None = None
    mobile: str = Field(min_length=1, description="E.164")
    code: str = Field(min_length=1)


@command("identity", "notifier", "send_signup_email_code")
class SendSignupEmailCode(Message):
    """NO-2: the sign-up's e-mail code."""
    signup_id: str | None = None
    email: Email
    company_name: str | None = None
    code: str = Field(min_length=1)


@command("identity", "notifier", "send_signup_already_registered")
class SendSignupAlreadyRegistered(Message):
    """NO-2: somebody tried to sign up with an address that already has an account (no code sent)."""
    signup_id: str | None = None
    email: Email


@command("identity", "notifier", "send_activation_link")
class SendActivationLink(Message):
    """NO-3: a private person's activation link."""
    person_id: str | None = None
    email: Email
    first_name: str | None = None
    last_name: str | None = None
    link_token: str = Field(min_length=1)
    validity_minutes: int | None = None


@command("identity", "notifier", "send_password_reset")
class SendPasswordReset(Message):
    """NO-4: the password reset link and its code."""
    person_id: str | None = None
    email: Email
    link_token: str = Field(min_length=1)
    code: str = Field(min_length=1)
    validity_minutes: int | None = None


@command("identity", "notifier", "send_password_change_code")
class SendPasswordChangeCode(Message):
    """NO-5: the code confirming a password change from the profile."""
    person_id: str | None = None
    email: Email
    code: str = Field(min_length=1)
    validity_hours: int | None = None


@command("identity", "notifier", "send_invitation")
class SendInvitation(Message):
    """NO-6: an invitation link and its confidential password."""
    person_id: str | None = None
    email: Email
    first_name: str | None = None
    last_name: str | None = None
    link_token: str = Field(min_length=1)
    code: str = Field(min_length=1)
    company_name: str | None = None
    profile: str | None = None
    validity_hours: int | None = None
