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

    def add(self, person_id, account_id, profile, kind="ENTREPRISE", first_name=None, last_name=None, named=True):
        """`named=False`: an administrator who opened the account and has given no name yet."""
        self.members[person_id] = {"person_id": person_id, "account_id": account_id, "profile": profile,
                                   "account_kind": kind, "status": "active", "can_submit": True,
                                   "first_name": (first_name or person_id.capitalize()) if named else None,
                                   "last_name": (last_name or "Martin") if named else None,
                                   "display_name": None if named else "Administrateur du compte",
                                   "company_name": "ACME SAS"}
        return {"id": person_id, "email": f"{person_id}@example.com",
                "profile": "PARTICULIER" if kind == "PARTICULIER" else "ENTREPRISE", "is_staff": False}

    def my_profile(self, person):
        from consignations_shared.errors import Forbidden

        if person["id"] not in self.members:
            raise Forbidden("Aucun compte client n'est associé à votre accès.")
        return dict(self.members[person["id"]])

    def my_profile_and_colleagues(self, person):
        me = self.my_profile(person)
        return {"me": me, "people": self.directories([me["account_id"]])[me["account_id"]]["people"]}

    def directories(self, account_ids):
        found = {}
        for member in self.members.values():
            if member["account_id"] in account_ids:
                entry = found.setdefault(member["account_id"], {
                    "account_id": member["account_id"], "kind": member["account_kind"],
                    "company_name": member["company_name"], "status": "active", "people": []})
                entry["people"].append({k: member[k] for k in (
                    "person_id", "first_name", "last_name", "display_name", "profile", "status", "can_submit")})
        return found


class FakeDocuments:
    """Stands in for the documents service: the documents of each request, as documents_of_owner
    answers them, and the generated PDFs asked for. `publish()` does what its events do: the
    read model of the requests' documents gets their current state (attach publishes)."""

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
def accounts():
    return FakeAccounts()


@pytest.fixture
def documents(session):
    return FakeDocuments(session)


@pytest.fixture
def ctx(session, clock, accounts, documents):
    from consignations_shared.outbox import OutboxWriter
    from demandes_service.context import DemandesContext

    return DemandesContext(session=session, outbox=OutboxWriter("demandes", clock=clock), clock=clock,
                           accounts=accounts, documents=documents)
