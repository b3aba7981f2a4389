"""Opening a client account when a sign-up is verified (ID-4 → AC-1). No nameko here."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.events import Envelope
from consignations_shared.idempotency import first_delivery

from .models import AccountMember, ClientAccount

CONSUMER = "accounts.on_signup_verified"


def open_draft_account(session: Session, envelope: Envelope, clock: Clock) -> str | None:
    """Create the draft account and its first administrator, once per event.

    Returns the account id, or None when the event was already handled.
    """
    now = clock.now()
    if not first_delivery(session, CONSUMER, envelope.event_id, now):
        return None
    payload = envelope.payload
    existing = session.execute(
        select(ClientAccount.id).where(ClientAccount.signup_id == payload["signup_id"])
    ).scalar_one_or_none()
    if existing is not None:  # same sign-up announced by another event id (replayed outbox row)
        session.commit()
        return existing
    account = ClientAccount(
        id=str(uuid.uuid4()), kind=payload["profile"], company_name=payload.get("company_name"),
        notification_email=payload["email"], status="draft", created_at=now,
        signup_id=payload["signup_id"],
    )
    session.add(account)
    session.flush()  # the account row first: members reference it
    session.add(AccountMember(
        person_id=payload["person_id"], account_id=account.id, profile="ADMINISTRATEUR",
        email=payload["email"], mobile=payload.get("mobile"), created_at=now,
    ))
    session.commit()
    return account.id


def account_of_person(session: Session, person_id: str) -> dict | None:
    row = session.execute(
        select(ClientAccount, AccountMember)
        .join(AccountMember, AccountMember.account_id == ClientAccount.id)
        .where(AccountMember.person_id == person_id)
    ).first()
    if row is None:
        return None
    account, member = row
    return {
        "account_id": account.id, "kind": account.kind, "company_name": account.company_name,
        "status": account.status, "profile": member.profile, "email": member.email,
    }
