"""Client accounts born from identity events (no nameko here):
- `signup_verified` (ID-4): a company's draft account and its first administrator (AC-1);
- `account_activated` (ID-5, ID-10): a private person's account (AC-8), or an invited
  person's membership becoming active.
Each handler runs once per event (idempotent consumer)."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.contracts.payloads.accounts import AccountCreated, MemberActivated
from consignations_shared.contracts.payloads.identity import AccountActivated, SignupVerified
from consignations_shared.events import Envelope
from consignations_shared.idempotency import first_delivery
from consignations_shared.outbox import OutboxWriter

from .context import display_name
from .models import AccountMember, ClientAccount

CONSUMER = "accounts.on_signup_verified"
ACTIVATION_CONSUMER = "accounts.on_account_activated"
INVITED_PROFILES = ("ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION")


def _account_created(outbox: OutboxWriter | None, session: Session, account: ClientAccount, person_id: str) -> None:
    if outbox is not None:
        outbox.publish(session, AccountCreated(
            account_id=account.id, kind=account.kind, company_name=account.company_name,
            administrator_person_id=person_id, notification_email=account.notification_email,
        ))


def open_draft_account(session: Session, envelope: Envelope, clock: Clock, outbox: OutboxWriter | None = None) -> str | None:
    """Create the draft account and its first administrator, once per event.

    Returns the account id, or None when the event was already handled.
    """
    now = clock.now()
    if not first_delivery(session, CONSUMER, envelope.event_id, now):
        return None
    signup = SignupVerified.read(envelope)
    existing = session.execute(
        select(ClientAccount.id).where(ClientAccount.signup_id == signup.signup_id)
    ).scalar_one_or_none()
    if existing is not None:  # same sign-up announced by another event id (replayed outbox row)
        session.commit()
        return existing
    account = ClientAccount(
        id=str(uuid.uuid4()), kind=signup.profile, company_name=signup.company_name,
        notification_email=signup.email, status="draft", created_at=now,
        signup_id=signup.signup_id, wizard_step=1,
    )
    session.add(account)
    session.flush()  # the account row first: members reference it
    session.add(AccountMember(
        person_id=signup.person_id, account_id=account.id, profile="ADMINISTRATEUR",
        email=signup.email, mobile=signup.mobile, created_at=now, status="active",
        can_submit=True,
    ))
    _account_created(outbox, session, account, signup.person_id)
    session.commit()
    return account.id


def on_account_activated(session: Session, envelope: Envelope, clock: Clock, outbox: OutboxWriter) -> None:
    now = clock.now()
    if not first_delivery(session, ACTIVATION_CONSUMER, envelope.event_id, now):
        return
    activated = AccountActivated.read(envelope)
    member = session.get(AccountMember, activated.person_id)
    if activated.profile == "PARTICULIER" and member is None:
        account = ClientAccount(
            id=str(uuid.uuid4()), kind="PARTICULIER", company_name=None,
            notification_email=activated.email, status="active", created_at=now, wizard_step=4,
            finalised_at=now,
        )
        session.add(account)
        session.flush()
        session.add(AccountMember(
            person_id=activated.person_id, account_id=account.id, profile="PARTICULIER",
            email=activated.email, mobile=activated.mobile, last_name=activated.last_name,
            first_name=activated.first_name, created_at=now, status="active", can_submit=True,
        ))
        _account_created(outbox, session, account, activated.person_id)
    elif activated.profile in INVITED_PROFILES and member is not None and member.status == "invited":
        member.status = "active"
        outbox.publish(session, MemberActivated(
            account_id=member.account_id, person_id=member.person_id, profile=member.profile,
            activated_at=now.isoformat(),
        ))
    session.commit()


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


def directories(session: Session, account_ids: Any) -> dict[str, dict]:
    """For the other services (never exposed by the gateway): each account's kind and name and
    its people (names, profiles, statuses), e.g. the owners' names of the « Mon suivi » board or
    the people a request may be reassigned to. Unknown ids are left out."""
    ids = sorted({str(i) for i in account_ids if i}) if isinstance(account_ids, (list, tuple)) else []
    if not ids:
        return {}
    found: dict[str, dict] = {}
    for account in session.execute(select(ClientAccount).where(ClientAccount.id.in_(ids))).scalars():
        found[account.id] = {"account_id": account.id, "kind": account.kind,
                             "company_name": account.company_name, "status": account.status, "people": []}
    for member in session.execute(
        select(AccountMember).where(AccountMember.account_id.in_(list(found)))
        .order_by(AccountMember.last_name, AccountMember.first_name)
    ).scalars():
        found[member.account_id]["people"].append({
            "person_id": member.person_id, "civility": member.civility, "last_name": member.last_name,
            "first_name": member.first_name, "display_name": display_name(member), "profile": member.profile,
            "status": member.status, "can_submit": member.can_submit,
        })
    return found
