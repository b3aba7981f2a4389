"""What the accounts use cases need, and who is acting (AC-9)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.errors import Conflict, Forbidden, NotFound
from consignations_shared.outbox import OutboxWriter

from .models import AccountMember, ClientAccount
from .throttling import DEFAULT_LIMITS, InvitationLimits

NO_ACCOUNT = "Aucun compte client n'est associé à votre accès."
ACCOUNT_PENDING = "Votre compte client est en cours de création. Veuillez réessayer dans quelques instants."
ADMIN_ONLY = "Cette action est réservée aux administrateurs du compte client."
UNKNOWN_PERSON = "Cette personne est introuvable dans votre compte client."


class IdentityPort(Protocol):
    def invite_person(self, form: dict, invited_by: str | None, company_name: str | None) -> dict: ...
    def renew_access(self, person_id: str, renewed_by: str | None) -> dict: ...
    def delete_access(self, person_id: str, deleted_by: str | None) -> dict: ...


class DocumentsPort(Protocol):
    def documents_of_owner(self, owner_service: str, owner_id: str) -> list[dict]: ...


@dataclass
class AccountsContext:
    session: Session
    outbox: OutboxWriter
    clock: Clock
    identity: IdentityPort | None = None
    documents: DocumentsPort | None = None
    limits: InvitationLimits = DEFAULT_LIMITS

    def __post_init__(self):
        from .member_events import track

        track(self.session, self.outbox)  # every change of a membership publishes member_changed


@dataclass
class Acting:
    member: AccountMember
    account: ClientAccount

    @property
    def is_admin(self) -> bool:
        return self.member.profile == "ADMINISTRATEUR"

    def require_admin(self) -> "Acting":
        if not self.is_admin:
            raise Forbidden(ADMIN_ONLY)
        return self


def acting(ctx: AccountsContext, person: Any) -> Acting:
    """The acting person's membership, from the identity the gateway resolved (never from ids
    sent by the client). Gestionnaires and strangers have none."""
    person_id = person.get("id") if isinstance(person, dict) else None
    if not person_id or person.get("is_staff"):
        raise Forbidden(NO_ACCOUNT)
    member = ctx.session.get(AccountMember, str(person_id))
    if member is None and person.get("profile") in ("ADMINISTRATEUR", "ENTREPRISE", "PARTICULIER"):
        # Signed up a moment ago: the account opens when identity's event arrives (AC-1, AC-8).
        raise Conflict(ACCOUNT_PENDING, None, "account_pending")
    if member is None or member.status == "deleted":
        raise Forbidden(NO_ACCOUNT)
    return Acting(member, ctx.session.get(ClientAccount, member.account_id))


def member_in_account(ctx: AccountsContext, who: Acting, person_id: Any) -> AccountMember:
    """A member of the acting person's own account; any other id is simply unknown (no IDOR)."""
    member = ctx.session.get(AccountMember, str(person_id)) if person_id else None
    if member is None or member.account_id != who.account.id or member.status == "deleted":
        raise NotFound(UNKNOWN_PERSON)
    return member


def administrators(ctx: AccountsContext, account_id: str, *, include_invited: bool = True) -> list[AccountMember]:
    statuses = ("active", "invited") if include_invited else ("active",)
    return list(ctx.session.execute(
        select(AccountMember).where(AccountMember.account_id == account_id,
                                    AccountMember.profile == "ADMINISTRATEUR",
                                    AccountMember.status.in_(statuses))
    ).scalars())


# How a person without a name yet is shown to the other people and services (owner of a request,
# author of a reply): the administrator who opened a company account gives a name only at the
# wizard's second step, and may file requests before.
UNNAMED = {"ADMINISTRATEUR": "Administrateur du compte", "UTILISATEUR": "Utilisateur du compte",
           "CONSULTATION": "Consultation", "PARTICULIER": "Particulier"}


def display_name(member: AccountMember) -> str:
    """« Prénom Nom », or the profile's label while the person has no name (never an e-mail:
    colleagues see names and profiles, not contact details)."""
    named = " ".join(part for part in (member.first_name, member.last_name) if part)
    return named or UNNAMED.get(member.profile, "")


def member_view(member: AccountMember) -> dict[str, Any]:
    return {
        "person_id": member.person_id, "profile": member.profile, "status": member.status,
        "email": member.email, "civility": member.civility, "last_name": member.last_name,
        "first_name": member.first_name, "display_name": display_name(member),
        "function": member.function, "mobile": member.mobile,
        "landline": member.landline, "can_submit": member.can_submit,
        "deletion_requested": member.deletion_requested_at is not None,
        "valid_until": member.valid_until.isoformat() if member.valid_until else None,
    }
