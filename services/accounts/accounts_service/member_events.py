"""accounts.member_changed: the whole state of a membership, published with every change of the
member or of its account, in the same transaction (issue 15, event-carried state). Identity and
demandes keep it as read models; `members_snapshot` pages through the same records to rebuild them.

Every use case's changes go through the session, so the rule lives in one place: a `before_flush`
hook on the session (`track`) finds the members whose published fields changed (or that are new),
and the members of every account whose kind, status or name changed; each gets the next number of
the global change sequence as its `revision` and one event in the outbox. A change that touches
nothing published (the welcome page seen, a mobile number) publishes nothing. Members and accounts
are therefore changed through their ORM objects only: a Core UPDATE would bypass the hook.

Why one global sequence rather than a counter per member: `members_snapshot` pages by revision, and
a page must never skip a change committed late. The sequence's row is taken by UPDATE and stays
locked until the change commits, so changes commit in the order of their numbers: once a reader
has seen number n, every change numbered below n is committed and visible. Membership changes are
rare and short, so serialising them on that row costs nothing noticeable; should two transactions
ever deadlock on it (PostgreSQL picks a victim), the victim answers 503 or its event is retried
like any database failure (db.database_unavailable)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, attributes

from consignations_shared.contracts.payloads.accounts import MemberChanged
from consignations_shared.errors import ValidationFailed
from consignations_shared.outbox import OutboxWriter

from .context import display_name
from .models import AccountMember, ClientAccount, MemberChangeSequence

PUBLISHED_MEMBER_FIELDS = ("account_id", "profile", "status", "can_submit", "first_name", "last_name", "email")
PUBLISHED_ACCOUNT_FIELDS = ("kind", "status", "company_name")
MAX_PAGE = 1000
OUTBOX_KEY = "member_events_outbox"


def track(session: Session, outbox: OutboxWriter) -> None:
    """Publish member_changed for every change of a membership made through this session."""
    first = OUTBOX_KEY not in session.info
    session.info[OUTBOX_KEY] = outbox
    if first:
        event.listen(session, "before_flush", _before_flush)


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    state = attributes.instance_state(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _before_flush(session: Session, flush_context, instances) -> None:
    outbox: OutboxWriter = session.info[OUTBOX_KEY]
    members: dict[str, AccountMember] = {}
    accounts: dict[str, ClientAccount] = {}
    changed_accounts: list[ClientAccount] = []
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, ClientAccount):
            accounts[obj.id] = obj
            if obj not in session.new and _changed(obj, PUBLISHED_ACCOUNT_FIELDS):
                changed_accounts.append(obj)
        elif isinstance(obj, AccountMember) and (obj in session.new or _changed(obj, PUBLISHED_MEMBER_FIELDS)):
            members[obj.person_id] = obj
    with session.no_autoflush:
        for account in changed_accounts:
            for member in session.execute(
                    select(AccountMember).where(AccountMember.account_id == account.id)).scalars():
                members.setdefault(member.person_id, member)
        for person_id in sorted(members):
            member = members[person_id]
            account = accounts.get(member.account_id) or session.get(ClientAccount, member.account_id)
            member.revision = next_revision(session)
            outbox.publish(session, member_changed(member, account))


def next_revision(session: Session) -> int:
    """The next number of the global change sequence (its row stays locked until commit)."""
    bumped = session.execute(
        update(MemberChangeSequence).where(MemberChangeSequence.id == 1)
        .values(value=MemberChangeSequence.value + 1).execution_options(synchronize_session=False))
    if bumped.rowcount == 0:  # a database created from the models (unit tests), not by the migration
        session.execute(MemberChangeSequence.__table__.insert().values(id=1, value=1))
        return 1
    return session.execute(select(MemberChangeSequence.value).where(MemberChangeSequence.id == 1)).scalar_one()


def member_changed(member: AccountMember, account: ClientAccount) -> MemberChanged:
    return MemberChanged(
        account_id=member.account_id, person_id=member.person_id, revision=member.revision,
        account_kind=account.kind, account_status=account.status, company_name=account.company_name,
        profile=member.profile, status=member.status, can_submit=bool(member.can_submit),
        first_name=member.first_name, last_name=member.last_name, display_name=display_name(member),
        email=member.email,
    )


def members_snapshot(session: Session, after_revision: Any = 0, limit: Any = 500) -> dict[str, Any]:
    """The current state of every membership whose revision is above `after_revision`, in
    increasing revision order, at most `limit` (1..1000) of them: the same records as the
    member_changed events, for a read model rebuilt from scratch (consignations_shared.read_models).
    Deleted members are included (a read model must learn that they are deleted)."""
    if isinstance(after_revision, bool) or not isinstance(after_revision, int) or after_revision < 0:
        raise ValidationFailed(None, {"after_revision": "Valeur attendue : un entier positif ou nul."})
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(None, {"limit": f"Valeur attendue : un entier de 1 à {MAX_PAGE}."})
    rows = session.execute(
        select(AccountMember, ClientAccount).join(ClientAccount, ClientAccount.id == AccountMember.account_id)
        .where(AccountMember.revision > after_revision).order_by(AccountMember.revision).limit(limit)).all()
    session.commit()
    items = [member_changed(member, account).payload() for member, account in rows]
    return {"items": items, "next_after_revision": items[-1]["revision"] if items else after_revision}
