"""What the demandes use cases need, and who is acting (DM-9).

The acting person is the identity the gateway resolved from the session; their client account and
profile come from the accounts service (`my_profile`), never from ids sent by the client."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.errors import Forbidden, NotFound
from consignations_shared.outbox import OutboxWriter

from .domain.lifecycle import PARIS
from .models import Request

NO_ACCOUNT = "Aucun compte client n'est associé à votre accès."
READ_ONLY = "Votre profil « Consultation » ne permet pas de créer ni de modifier une demande."
UNKNOWN_REQUEST = "Cette demande est introuvable."


class AccountsPort(Protocol):
    def my_profile(self, person: dict) -> dict: ...


@dataclass
class DemandesContext:
    session: Session
    outbox: OutboxWriter
    clock: Clock
    accounts: AccountsPort | None = None

    def today(self) -> date:
        """Today in France (bounds the dates marked ``max: today``)."""
        return self.clock.now().astimezone(PARIS).date()


@dataclass(frozen=True)
class Acting:
    person_id: str
    account_id: str
    account_kind: str  # ENTREPRISE | PARTICULIER
    profile: str  # ADMINISTRATEUR | UTILISATEUR | CONSULTATION | PARTICULIER

    @property
    def is_admin(self) -> bool:
        return self.profile == "ADMINISTRATEUR"

    @property
    def read_only(self) -> bool:
        return self.profile == "CONSULTATION"

    def require_can_act(self) -> "Acting":
        if self.read_only:
            raise Forbidden(READ_ONLY)
        return self


def acting(ctx: DemandesContext, person: Any) -> Acting:
    """The acting client and their account, as the accounts service knows them (it refuses
    strangers, deleted people and accounts still being opened with its own French messages)."""
    person_id = person.get("id") if isinstance(person, dict) else None
    if not person_id or person.get("is_staff"):
        raise Forbidden(NO_ACCOUNT)
    profile = ctx.accounts.my_profile(person)
    if str(profile.get("person_id")) != str(person_id) or not profile.get("account_id"):
        raise Forbidden(NO_ACCOUNT)
    return Acting(person_id=str(person_id), account_id=str(profile["account_id"]),
                  account_kind=profile.get("account_kind"), profile=profile.get("profile"))


def request_to_act_on(ctx: DemandesContext, who: Acting, request_id: Any) -> Request:
    """A request the acting person may change (DM-9): their own, or any of their account for an
    administrator. Any other id is simply unknown (no IDOR); Consultation never acts."""
    who.require_can_act()
    request = ctx.session.get(Request, str(request_id)) if isinstance(request_id, str) and request_id else None
    if request is None or request.account_id != who.account_id:
        raise NotFound(UNKNOWN_REQUEST)
    if not who.is_admin and request.owner_person_id != who.person_id:
        raise NotFound(UNKNOWN_REQUEST)
    return request
