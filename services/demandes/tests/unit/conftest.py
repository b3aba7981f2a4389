import pytest
from sqlalchemy.orm import Session

from consignations_shared.plumbing import plumbing_metadata
from demandes_service.models import Base


@pytest.fixture
def engine(tmp_path):
    from consignations_shared.db import dispose_engine, get_engine

    url = f"sqlite:///{tmp_path}/demandes.db"  # the service's own SQLite set-up (BEGIN IMMEDIATE)
    engine = get_engine(url)
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    yield engine
    dispose_engine(url)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


class FakeAccounts:
    """Stands in for the accounts service's `my_profile` (unit tier: no broker)."""

    def __init__(self):
        self.members = {}  # person id -> my_profile answer

    def add(self, person_id, account_id, profile, kind="ENTREPRISE"):
        self.members[person_id] = {"person_id": person_id, "account_id": account_id, "profile": profile,
                                   "account_kind": kind, "status": "active", "can_submit": True}
        return {"id": person_id, "email": f"{person_id}@example.com",
                "profile": "PARTICULIER" if kind == "PARTICULIER" else "ENTREPRISE", "is_staff": False}

    def my_profile(self, person):
        from consignations_shared.errors import Forbidden

        if person["id"] not in self.members:
            raise Forbidden("Aucun compte client n'est associé à votre accès.")
        return dict(self.members[person["id"]])


@pytest.fixture
def clock():
    from datetime import datetime, timezone

    from consignations_shared.clock import FrozenClock

    return FrozenClock(datetime(2025, 10, 15, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def accounts():
    return FakeAccounts()


@pytest.fixture
def ctx(session, clock, accounts):
    from consignations_shared.outbox import OutboxWriter
    from demandes_service.context import DemandesContext

    return DemandesContext(session=session, outbox=OutboxWriter("demandes", clock=clock), clock=clock,
                           accounts=accounts)
