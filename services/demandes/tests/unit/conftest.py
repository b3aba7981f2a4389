import pytest
from sqlalchemy.orm import Session

from consignations_shared.plumbing import plumbing_metadata
from consignations_shared.read_models import read_model_metadata
from demandes_service.models import Base


@pytest.fixture
def engine(tmp_path):
    from consignations_shared.db import dispose_engine, get_engine

    url = f"sqlite:///{tmp_path}/demandes.db"  # the service's own SQLite set-up (BEGIN IMMEDIATE)
    engine = get_engine(url)
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    read_model_metadata.create_all(engine)
    yield engine
    dispose_engine(url)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


def identity_profile(kind, profile):
    """Identity's profile of a person: how they came (a sign-up) or what they were invited as."""
    if kind == "PARTICULIER":
        return "PARTICULIER"
    return "ENTREPRISE" if profile == "ADMINISTRATEUR" else profile


class AccountsReadModel:
    """The accounts service as demandes knows it (unit tier: no broker): each person added or
    changed is an accounts.member_changed applied to demandes' read model (members.py), and the
    person dict returned is the acting person the gateway sends (ActingPerson with its membership,
    as identity resolves it). `change` updates both, as the events would."""

    def __init__(self, session):
        self.session = session  # the use cases' own (SQLite: one transaction at a time per process)
        self.revision = 0
        self.records = {}  # person id -> last MemberChanged fields
        self.people = {}  # person id -> acting person (the dict handed to the use cases)

    def add(self, person_id, account_id, profile, kind="ENTREPRISE", first_name=None, last_name=None, named=True):
        """`named=False`: an administrator who opened the account and has given no name yet."""
        self.records[person_id] = {
            "account_id": account_id, "person_id": person_id, "account_kind": kind, "account_status": "active",
            "company_name": "ACME SAS" if kind == "ENTREPRISE" else None, "profile": profile, "status": "active",
            "can_submit": True, "first_name": (first_name or person_id.capitalize()) if named else None,
            "last_name": (last_name or "Martin") if named else None,
            "display_name": None if named else "Administrateur du compte", "email": f"{person_id}@example.com"}
        self.people[person_id] = {"id": person_id, "email": f"{person_id}@example.com",
                                  "profile": identity_profile(kind, profile),
                                  "is_staff": False}
        return self._publish(person_id)

    def change(self, person_id, **fields):
        """A later member_changed (names, submit right, profile, deletion...)."""
        self.records[person_id].update(fields)
        return self._publish(person_id)

    def _publish(self, person_id):
        from consignations_shared.contracts.acting import Membership
        from consignations_shared.contracts.payloads.accounts import MemberChanged
        from demandes_service import members

        self.revision += 1
        record = MemberChanged(**self.records[person_id], revision=self.revision)
        members.apply(self.session, record)
        self.session.commit()
        person = self.people[person_id]
        person["membership"] = None if record.status == "deleted" else Membership(
            account_id=record.account_id, account_kind=record.account_kind, profile=record.profile,
            can_submit=record.can_submit, account_status=record.account_status).model_dump()
        return person


class FakeDocuments:
    """Stands in for the documents service: the documents of each request, as documents_of_owner
    answers them, and the generated PDFs asked for. `publish()` does what its events do: the
    read model of the requests' documents gets their current state (attach publishes)."""

    stands_for = "documents"
    test_helpers = ("publish", "attach")

    def __init__(self, session=None):
        self.by_owner = {}
        self.rendered = []
        self.session = session
        self.revision = 0

    def publish(self):
        from demandes_service import request_documents

        self.revision += 1
        states = [{"lineage_id": d["id"], "version": 1, "content_type": "application/pdf", "size": 1, "sha256": "0",
                   "uploaded_at": f"2025-10-15T09:00:{n:02d}+00:00", "uploaded_by": "someone", **d,
                   "owner": {"service": "demandes", "id": owner_id}, "revision": self.revision}
                  for owner_id, documents in self.by_owner.items() for n, d in enumerate(documents)]
        gone = {d["id"] for d in states}
        from demandes_service.models import RequestDocument

        for row in self.session.query(RequestDocument).all():
            if row.document_id not in gone:
                states.append({**row.state, "status": "deleted", "revision": self.revision})
        request_documents.apply_states(self.session, states)
        self.session.commit()

    def attach(self, request_id, kind, page=None, status="attached", review=None, **extra):
        review = review or {"status": "pending", "reason": None}  # as the documents service answers
        document = {"id": f"doc-{len(self.by_owner.get(request_id, [])) + 1}-{request_id[:8]}", "kind": kind,
                    "kind_label": kind.capitalize(), "page": page, "status": status, "review": review,
                    "generated": False, "replaced_by_document_id": None, "file_name": f"{kind.lower()}.pdf",
                    **extra}
        self.by_owner.setdefault(request_id, []).append(document)
        if self.session is not None:
            self.publish()
        return document

    def documents_of_owner(self, owner_service, owner_id):
        assert owner_service == "demandes"
        return [dict(d) for d in self.by_owner.get(owner_id, [])]

    def render_summary(self, snapshot, person):
        self.rendered.append(("summary", snapshot))
        return {"id": "summary-" + snapshot["demande_id"], "kind": "SUMMARY", "version": snapshot["version"]}

    def issue_payment_proof(self, snapshot, person):
        self.rendered.append(("proof", snapshot))
        return {"id": "proof-" + snapshot["demande_id"], "kind": "PAYMENT_PROOF"}


@pytest.fixture
def clock():
    from datetime import datetime, timezone

    from consignations_shared.clock import FrozenClock

    return FrozenClock(datetime(2025, 10, 15, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def accounts(session):
    return AccountsReadModel(session)


@pytest.fixture
def documents(session):
    return FakeDocuments(session)


@pytest.fixture
def ctx(session, clock, accounts, documents):
    from consignations_shared.outbox import OutboxWriter
    from demandes_service.context import DemandesContext

    return DemandesContext(session=session, outbox=OutboxWriter("demandes", clock=clock), clock=clock,
                           documents=documents)
