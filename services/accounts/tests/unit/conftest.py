import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from accounts_service.context import AccountsContext
from accounts_service.models import Base
from consignations_shared.clock import FrozenClock
from consignations_shared.outbox import OutboxWriter
from consignations_shared.plumbing import plumbing_metadata
from consignations_shared.testing import outbox_bodies


class FakeIdentity:
    """Stands in for the identity service's RPCs (unit tier: no broker); held to the identity
    interface by tests/contracts."""

    stands_for = "identity"

    def __init__(self):
        self.invited, self.deleted, self.renewed = [], [], []

    def invite_person(self, form, invited_by=None, company_name=None):
        self.invited.append((form, invited_by, company_name))
        return {"person_id": str(uuid.uuid4()), "email": form["email"], "profile": form["profile"]}

    def delete_access(self, person_id, deleted_by=None):
        self.deleted.append((person_id, deleted_by))
        return {"person_id": person_id, "status": "deleted"}

    def renew_access(self, person_id, renewed_by=None):
        self.renewed.append((person_id, renewed_by))
        return {"id": person_id, "valid_until": "2028-07-15T09:00:00+00:00"}


class FakeDocuments:
    """Stands in for the documents service's RPCs; `attach` arranges what documents_of_owner
    answers."""

    stands_for = "documents"
    test_helpers = ("attach",)

    def __init__(self):
        self.by_owner = {}

    def attach(self, account_id, kind, status="attached"):
        self.by_owner.setdefault(account_id, []).append({"kind": kind, "status": status})

    def documents_of_owner(self, owner_service, owner_id):
        assert owner_service == "accounts"
        return list(self.by_owner.get(owner_id, []))


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def ctx(clock):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield AccountsContext(session=session, outbox=OutboxWriter("accounts", clock=clock), clock=clock,
                              identity=FakeIdentity(), documents=FakeDocuments())


@pytest.fixture
def events(ctx):
    """events(routing_key) -> bodies of the outbox messages with that routing key, oldest first."""
    return lambda routing_key: outbox_bodies(ctx.session, routing_key)
