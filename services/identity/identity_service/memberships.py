"""Identity's read model of the accounts service's memberships (accounts.member_changed, issue 15):
who is in which client account, with which profile and rights, so that a resolved session carries
the whole acting person (ActingPerson with its `membership`) and no service asks accounts for it;
and the names accounts holds (`names_of`: the wizard's step 2, « Mon profil », an administrator's
edit all change the member, so member_changed carries them).

After a change is applied, identity publishes identity.person_access_changed {person_id} in the
same transaction: gateways drop the sessions they resolved for that person."""
from __future__ import annotations

from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.contracts.acting import Membership as MembershipWire
from consignations_shared.contracts.payloads.accounts import MemberChanged
from consignations_shared.contracts.payloads.identity import PersonAccessChanged
from consignations_shared.events import Envelope
from consignations_shared.idempotency import first_delivery
from consignations_shared.outbox import OutboxWriter
from consignations_shared.read_models import ReadModel, apply_newer

from .models import Membership, Person

CONSUMER = "identity.on_member_changed"


def apply(session: Session, change: MemberChanged) -> bool:
    """Keep the record if it is newer than the one held (True when it was)."""
    return apply_newer(session, Membership.__table__, {
        "person_id": change.person_id, "revision": change.revision, "account_id": change.account_id,
        "account_kind": change.account_kind, "account_status": change.account_status,
        "profile": change.profile, "status": change.status, "can_submit": change.can_submit,
        "first_name": change.first_name, "last_name": change.last_name, "company_name": change.company_name,
    })


MODEL = ReadModel(name="memberships", source="accounts", snapshot_method="members_snapshot",
                  message=MemberChanged, apply=apply)


def on_member_changed(session: Session, envelope: Envelope, clock: Clock, outbox: OutboxWriter) -> None:
    if not first_delivery(session, CONSUMER, envelope.event_id, clock.now()):
        return
    change = MemberChanged.read(envelope)
    if apply(session, change):
        outbox.publish(session, PersonAccessChanged(person_id=change.person_id))
    session.commit()


def names_of(session: Session, person: Person) -> tuple[str | None, str | None]:
    """(first_name, last_name) of a person: the ones the accounts service holds when it has some
    (this read model), else the ones given to identity (the sign-up, the invitation; a company's
    creator before the wizard's step 2, a gestionnaire: in no client account)."""
    row = None if person.is_staff else session.get(Membership, person.id)
    if row is not None and (row.first_name or row.last_name):
        return row.first_name, row.last_name
    return person.first_name, person.last_name


def membership_of(session: Session, person_id: str) -> MembershipWire | None:
    """The person's membership as the acting person carries it (None when they are in no client
    account, or their access in it was deleted)."""
    row = session.get(Membership, person_id)
    if row is None or row.status == "deleted":
        return None
    return MembershipWire(account_id=row.account_id, account_kind=row.account_kind, profile=row.profile,
                          can_submit=row.can_submit, account_status=row.account_status,
                          company_name=row.company_name)
