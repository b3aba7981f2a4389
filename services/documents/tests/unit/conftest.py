import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.errors import Forbidden
from consignations_shared.outbox import OutboxWriter
from consignations_shared.plumbing import outbox, plumbing_metadata
from documents_service.context import DocumentsContext
from documents_service.models import Base
from documents_service.providers import KeyedLocks
from documents_service.signing import signer_description, signing_material
from documents_service.storage import LocalStorage
from documents_service.workers import InlineRunner


class Settings(dict):
    def __init__(self, var_dir, **values):
        super().__init__(values)
        self.var_dir = var_dir


@pytest.fixture(scope="session")
def signing(tmp_path_factory):
    material = signing_material(Settings(tmp_path_factory.mktemp("var")))
    return material, signer_description(material)


class OwnerRules:
    """Stand-in for accounts/demandes authorize_document: the owner id names its person;
    gestionnaires read and review; every call is recorded."""

    def __init__(self):
        self.calls = []

    def __call__(self, service):
        def authorize(owner_id, person, action):
            self.calls.append((service, owner_id, person["id"], action))
            if person.get("is_staff") and action in ("read", "review"):
                return True
            if owner_id == f"{'acct' if service == 'accounts' else 'dem'}-of-{person['id']}" and action != "review":
                return True
            raise Forbidden("Vous n'avez pas accès à ce document.")
        return authorize


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def rules():
    return OwnerRules()


@pytest.fixture
def ctx(clock, rules, tmp_path, signing):
    engine = create_engine(f"sqlite:///{tmp_path / 'documents.db'}")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    material, signer = signing
    with Session(engine, expire_on_commit=False) as session:
        yield DocumentsContext(
            session=session, outbox=OutboxWriter("documents", clock=clock), clock=clock,
            storage=LocalStorage(tmp_path / "store"), workers=InlineRunner(), owner_rules=rules,
            work_dir=tmp_path / "work", signing=material, signer=signer, locks=KeyedLocks())
    engine.dispose()


@pytest.fixture
def events(ctx):
    """events(type) -> payloads of the outbox events of that type, oldest first."""
    def payloads(event_type):
        rows = ctx.session.execute(select(outbox.c.body).order_by(outbox.c.id)).all()
        return [row.body["payload"] for row in rows if row.body["type"] == event_type]
    return payloads

