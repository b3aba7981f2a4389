"""What the demandes use cases need, and who is acting (DM-9).

The acting person is the identity the gateway resolved from the session, validated on entry as an
ActingPerson: their client account, profile and submit right are its `membership` (identity's read
model of the accounts service's events), never ids sent by the client nor a call to accounts. Names
of people come from demandes' own read model of those events (members.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.contracts.acting import ActingPerson
from consignations_shared.errors import Conflict, Forbidden, NotFound
from consignations_shared.outbox import OutboxWriter

from . import members
from .domain.lifecycle import DRAFT, PARIS, REJECTED, VALIDATED
from .models import Request

NO_ACCOUNT = "Aucun compte client n'est associé à votre accès."
ACCOUNT_PENDING = "Votre compte client est en cours de création. Veuillez réessayer dans quelques instants."
READ_ONLY = "Votre profil « Consultation » ne permet pas de créer ni de modifier une demande."
UNKNOWN_REQUEST = "Cette demande est introuvable."


class DocumentsPort(Protocol):
    def documents_of_owner(self, owner_service: str, owner_id: str) -> list[dict]: ...

    def render_summary(self, snapshot: dict, person: dict) -> dict: ...

    def issue_payment_proof(self, snapshot: dict, person: dict) -> dict: ...


@dataclass
class DemandesContext:
    session: Session
    outbox: OutboxWriter
    clock: Clock
    documents: DocumentsPort | None = None

    def today(self) -> date:
        """Today in France (bounds the dates marked ``max: today``)."""
        return self.clock.now().astimezone(PARIS).date()


CLIENT, GESTIONNAIRE, SYSTEM = "CLIENT", "GESTIONNAIRE", "SYSTEM"


@dataclass(frozen=True)
class Actor:
    """Who changes a request or writes in its thread, as histories and events record it."""
    role: str  # CLIENT | GESTIONNAIRE | SYSTEM
    person_id: str | None
    name: str


@dataclass(frozen=True)
class Acting:
    person_id: str
    account_id: str
    account_kind: str  # ENTREPRISE | PARTICULIER
    profile: str  # ADMINISTRATEUR | UTILISATEUR | CONSULTATION | PARTICULIER
    can_submit: bool = True  # AC-7: an Utilisateur whose right was withdrawn prepares only
    name: str = ""
    email: str | None = None
    company_name: str | None = None

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
    """The acting client and their account, from the acting person's membership (gestionnaires and
    people in no account are refused, and a sign-up whose account is still being opened is told
    so, with the accounts service's own French messages)."""
    who = ActingPerson.from_wire(person)
    if who.is_staff:
        raise Forbidden(NO_ACCOUNT)
    if who.membership is None:
        if who.profile in ("ENTREPRISE", "PARTICULIER"):
            # Signed up a moment ago: the account is opened by accounts, and its member_changed has
            # not reached identity yet (AC-1, AC-8).
            raise Conflict(ACCOUNT_PENDING, None, "account_pending")
        raise Forbidden(NO_ACCOUNT)
    membership = who.membership
    known = members.person(ctx.session, who.id)
    if known is not None and known["account_id"] != membership.account_id:
        known = None
    name = full_name(known) or full_name({"first_name": who.first_name, "last_name": who.last_name})
    return Acting(person_id=who.id, account_id=membership.account_id, account_kind=membership.account_kind,
                  profile=membership.profile, can_submit=membership.can_submit, name=name,
                  email=(known or {}).get("email") or who.email,
                  company_name=known["company_name"] if known is not None
                  else members.company_name_of(ctx.session, membership.account_id))


def acting_with_colleagues(ctx: DemandesContext, person: Any) -> tuple[Acting, dict[str, dict]]:
    """`acting` and {person_id: person} of the same account (the board shows each request's
    owner), from the read model."""
    who = acting(ctx, person)
    return who, members.people_of_account(ctx.session, who.account_id)


def full_name(person: dict | None) -> str:
    """« Élodie Dupont » from a person's first and last names; without names, what the accounts
    service publishes instead (`display_name`, e.g. « Administrateur du compte »); empty when unknown."""
    if not isinstance(person, dict):
        return ""
    named = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
    return named or person.get("display_name") or ""


def visible_to(who: Acting, request: Request) -> bool:
    """DM-9: an administrator sees every request of the account, an Utilisateur and a particulier
    their own, Consultation the validated and rejected ones of the account."""
    if request.account_id != who.account_id or request.deleted_at is not None:
        return False
    if who.is_admin:
        return True
    if who.read_only:
        return request.state in (VALIDATED, REJECTED)
    return request.owner_person_id == who.person_id


def request_to_read(ctx: DemandesContext, who: Acting, request_id: Any) -> Request:
    """A request the acting person may see; any other id is simply unknown (no IDOR)."""
    request = load_request(ctx, request_id)
    if request is None or not visible_to(who, request):
        raise NotFound(UNKNOWN_REQUEST)
    return request


def load_request(ctx: DemandesContext, request_id: Any, *, lock: bool = False) -> Request | None:
    """The request as the database has it now. With `lock`, its row stays locked until the
    transaction ends (PostgreSQL; SQLite transactions already hold the write lock)."""
    if not isinstance(request_id, str) or not request_id or len(request_id) > 36:
        return None
    query = select(Request).where(Request.id == request_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return ctx.session.execute(query).scalar_one_or_none()


def request_to_act_on(ctx: DemandesContext, who: Acting, request_id: Any, *, lock: bool = False) -> Request:
    """A request the acting person may change (DM-9): their own, or any of their account for an
    administrator. Any other id is simply unknown (no IDOR); Consultation never acts."""
    who.require_can_act()  # Consultation changes nothing, whatever the request (no oracle either)
    request = load_request(ctx, request_id, lock=lock)
    if request is None or request.account_id != who.account_id or request.deleted_at is not None:
        raise NotFound(UNKNOWN_REQUEST)
    if not who.is_admin and request.owner_person_id != who.person_id:
        raise NotFound(UNKNOWN_REQUEST)
    return request


# --- gestionnaires (back office) ----------------------------------------------------------------

STAFF_ONLY = "Cette action est réservée aux gestionnaires du service des consignations."


def staff_actor(person: Any) -> Actor:
    """The gestionnaire acting (the gateway's staff session), as recorded in histories."""
    if not isinstance(person, dict) or not person.get("id") or person.get("is_staff") is not True:
        raise Forbidden(STAFF_ONLY)
    return Actor(role=GESTIONNAIRE, person_id=str(person["id"]),
                 name=full_name(person) or str(person.get("email") or person["id"]))


def transmitted_request(ctx: DemandesContext, request_id: Any, *, lock: bool = False) -> Request:
    """Any transmitted request (gestionnaires see every account's); drafts are the client's."""
    request = load_request(ctx, request_id, lock=lock)
    if request is None or request.deleted_at is not None or request.state == DRAFT:
        raise NotFound(UNKNOWN_REQUEST)
    return request
