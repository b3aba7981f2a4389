"""Demandes' read model of the people of the client accounts (accounts.member_changed, issue 15):
owners' and colleagues' names on the board and the detail, the people a request may be reassigned
to, the owner shown in the summary. Fed by the accounts service's events, rebuilt from its
`members_snapshot` by a new instance before it says it is ready (consignations_shared.read_models);
no read or write path of demandes calls the accounts service any more.

The acting person's own account, profile and rights are not read here: they come with the call
(ActingPerson.membership, resolved by identity from its own read model)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.contracts.payloads.accounts import MemberChanged
from consignations_shared.events import Envelope
from consignations_shared.idempotency import first_delivery
from consignations_shared.read_models import ReadModel, apply_newer

from .models import Member

CONSUMER = "demandes.on_member_changed"
FIELDS = ("person_id", "revision", "account_id", "account_kind", "account_status", "company_name", "profile",
          "status", "can_submit", "first_name", "last_name", "display_name", "email")


def apply(session: Session, change: MemberChanged) -> bool:
    """Keep the record if it is newer than the one held (True when it was)."""
    return apply_newer(session, Member.__table__, {name: getattr(change, name) for name in FIELDS})


MODEL = ReadModel(name="members", source="accounts", snapshot_method="members_snapshot",
                  message=MemberChanged, apply=apply)


def on_member_changed(session: Session, envelope: Envelope, clock: Clock) -> None:
    if first_delivery(session, CONSUMER, envelope.event_id, clock.now()):
        apply(session, MemberChanged.read(envelope))
    session.commit()


def person_view(member: Member) -> dict[str, Any]:
    """A person as the board, the detail and the summary show them: names and profile, never
    contact details to colleagues (the e-mail is for the summary of the owner's own request)."""
    return {"person_id": member.person_id, "account_id": member.account_id, "first_name": member.first_name,
            "last_name": member.last_name, "display_name": member.display_name, "profile": member.profile,
            "status": member.status, "can_submit": member.can_submit, "email": member.email,
            "company_name": member.company_name}


def people_of_account(session: Session, account_id: str) -> dict[str, dict]:
    """{person_id: person} of one client account, deleted people included (a request keeps its
    owner's name)."""
    rows = session.execute(select(Member).where(Member.account_id == account_id)
                           .order_by(Member.last_name, Member.first_name, Member.person_id)).scalars()
    return {m.person_id: person_view(m) for m in rows}


def person(session: Session, person_id: str | None) -> dict | None:
    member = session.get(Member, person_id) if person_id else None
    return person_view(member) if member is not None else None


def company_name_of(session: Session, account_id: str) -> str | None:
    return session.execute(select(Member.company_name).where(Member.account_id == account_id)
                          .order_by(Member.revision.desc()).limit(1)).scalar()
