import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared import grants
from consignations_shared.clock import FrozenClock
from consignations_shared.errors import Forbidden
from consignations_shared.outbox import OutboxWriter
from consignations_shared.plumbing import outbox, plumbing_metadata
from documents_service import documents
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
    """Stand-in for the rule of accounts/demandes document_grant: the owner id names its person;
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


GRANT_KEY = b"unit-test-grant-key"


class AsGateway:
    """The use cases called as the gateway calls them: first the owner's grant (the `rules`
    stand-in decides, consignations_shared.grants signs), then the documents call with it."""

    def __init__(self, ctx, rules):
        self.ctx, self.rules = ctx, rules

    def grant(self, owner_service, owner_id, person, action, document_id=None):
        rule = self.rules(owner_service)
        return grants.grant_for(GRANT_KEY, self.ctx.clock.now(), owner_service=owner_service, owner_id=owner_id,
                                person=person, action=action, document_id=document_id,
                                rule=lambda: rule(owner_id, person, action))["grant"]

    def grant_on(self, document_id, person, action):
        owner = documents.document_owner(self.ctx, document_id)
        return self.grant(owner["service"], owner["id"], person, action, document_id)

    def upload(self, metadata, person, stream, length):
        token = self.grant(metadata.get("owner_service"), metadata.get("owner_id"), person, "write")
        return documents.upload(self.ctx, metadata, person, stream, length, token)

    def replace(self, document_id, metadata, person, stream, length):
        return documents.replace(self.ctx, document_id, metadata, person, stream, length,
                                 self.grant_on(document_id, person, "write"))

    def list_documents(self, owner_service, owner_id, person, include_history=False):
        return documents.list_documents(self.ctx, owner_service, owner_id, person, include_history,
                                        self.grant(owner_service, owner_id, person, "read"))

    def get_document(self, document_id, person):
        return documents.get_document(self.ctx, document_id, person, self.grant_on(document_id, person, "read"))

    def open_content(self, document_id, person):
        return documents.open_content(self.ctx, document_id, person, self.grant_on(document_id, person, "read"))

    def attach(self, document_id, person):
        return documents.attach(self.ctx, document_id, person, self.grant_on(document_id, person, "write"))

    def delete(self, document_id, person):
        return documents.delete(self.ctx, document_id, person, self.grant_on(document_id, person, "write"))

    def review(self, document_id, person, status, reason=None):
        if not person.get("is_staff"):  # the documents service's own rule comes first
            return documents.review(self.ctx, document_id, person, status, reason, None)
        return documents.review(self.ctx, document_id, person, status, reason,
                                self.grant_on(document_id, person, "review"))


@pytest.fixture
def gw(ctx, rules):
    return AsGateway(ctx, rules)


@pytest.fixture
def ctx(clock, tmp_path, signing):
    engine = create_engine(f"sqlite:///{tmp_path / 'documents.db'}")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    material, signer = signing
    with Session(engine, expire_on_commit=False) as session:
        yield DocumentsContext(
            session=session, outbox=OutboxWriter("documents", clock=clock), clock=clock,
            storage=LocalStorage(tmp_path / "store"), workers=InlineRunner(), grant_key=GRANT_KEY,
            work_dir=tmp_path / "work", signing=material, signer=signer, locks=KeyedLocks())
    engine.dispose()


@pytest.fixture
def events(ctx):
    """events(type) -> payloads of the outbox events of that type, oldest first."""
    def payloads(event_type):
        rows = ctx.session.execute(select(outbox.c.body).order_by(outbox.c.id)).all()
        return [row.body["payload"] for row in rows if row.body["type"] == event_type]
    return payloads

