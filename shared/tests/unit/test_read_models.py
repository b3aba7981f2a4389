"""Read model rules without a broker (consignations_shared.read_models): the highest revision
wins, a rebuild pages through the owner's snapshot and is recorded, readiness waits for it."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, select
from sqlalchemy.orm import sessionmaker

from consignations_shared.contracts.payloads.accounts import MemberChanged
from consignations_shared.db import dispose_engine, get_engine
from consignations_shared.health import HealthEndpoints
from consignations_shared.read_models import (
    ReadModel, ReadModelsStatus, apply_newer, is_built, read_model_metadata, rebuild,
)

metadata = MetaData()
people = Table("people_model", metadata, Column("person_id", String(36), primary_key=True),
               Column("revision", Integer, nullable=False), Column("profile", String(20)),
               Column("can_submit", Boolean))


def apply(session, change):
    return apply_newer(session, people, {"person_id": change.person_id, "revision": change.revision,
                                         "profile": change.profile, "can_submit": change.can_submit})


MODEL = ReadModel(name="people_model", source="accounts", snapshot_method="members_snapshot",
                  message=MemberChanged, apply=apply)


@pytest.fixture
def sessions(tmp_path):
    url = f"sqlite:///{tmp_path}/model.db"  # the services' own SQLite set-up (BEGIN IMMEDIATE)
    engine = get_engine(url)
    metadata.create_all(engine)
    read_model_metadata.create_all(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    dispose_engine(url)


def record(person_id, revision, **overrides):
    return MemberChanged(**{"account_id": "acc", "person_id": person_id, "revision": revision,
                            "account_kind": "ENTREPRISE", "account_status": "active", "profile": "UTILISATEUR",
                            "status": "active", "can_submit": True, **overrides}).payload()


def rows(sessions):
    with sessions() as session:
        return {r.person_id: (r.revision, r.can_submit) for r in session.execute(select(people))}


def test_a_record_replaces_only_an_older_revision(sessions):
    with sessions() as session:
        assert apply(session, MemberChanged.read(record("p1", 2, can_submit=False))) is True
        assert apply(session, MemberChanged.read(record("p1", 1))) is False  # late
        assert apply(session, MemberChanged.read(record("p1", 2))) is False  # replayed
        session.commit()
    assert rows(sessions) == {"p1": (2, False)}
    with sessions() as session:
        assert apply(session, MemberChanged.read(record("p1", 3))) is True
        session.commit()
    assert rows(sessions) == {"p1": (3, True)}


class Snapshot:
    """The owner's snapshot RPC over a fixed set of records, as accounts pages them."""

    def __init__(self, records):
        self.records = sorted(records, key=lambda r: r["revision"])
        self.calls = []

    def __call__(self, after_revision, limit):
        self.calls.append((after_revision, limit))
        items = [r for r in self.records if r["revision"] > after_revision][:limit]
        return {"items": items, "next_after_revision": items[-1]["revision"] if items else after_revision}


def test_a_rebuild_pages_through_the_snapshot_keeps_newer_live_records_and_is_recorded(sessions):
    # p3 changed while the pages were read: it comes twice, the newer state last
    snapshot = Snapshot([record(f"p{n}", n) for n in range(1, 6)] + [record("p3", 9, can_submit=False)])
    with sessions() as session:  # a live event applied while the rebuild starts: newer than the snapshot's
        apply(session, MemberChanged.read(record("p1", 20, can_submit=False)))
        assert is_built(session, MODEL.name) is False
        session.commit()
    assert rebuild(sessions, MODEL, snapshot, page_size=2,
                   now=lambda: datetime(2026, 1, 1, tzinfo=timezone.utc)) == 6
    assert snapshot.calls == [(0, 2), (2, 2), (4, 2), (9, 2)]
    assert rows(sessions) == {"p1": (20, False), "p2": (2, True), "p3": (9, False), "p4": (4, True),
                              "p5": (5, True)}
    with sessions() as session:
        assert is_built(session, MODEL.name) is True


def test_a_snapshot_that_does_not_move_forward_stops_the_rebuild(sessions):
    stuck = lambda after_revision, limit: {"items": [record("p1", 1)], "next_after_revision": 0}  # noqa: E731
    with pytest.raises(RuntimeError):
        rebuild(sessions, MODEL, stuck, page_size=1)
    with sessions() as session:
        assert is_built(session, MODEL.name) is False


class ById:
    """An owner whose snapshot pages by record id (like documents.documents_snapshot): the model
    reads it through its `read_page` adapter."""

    def __init__(self, records):
        self.records = sorted(records, key=lambda r: r["person_id"])
        self.calls = []

    def __call__(self, owner, after, limit):
        self.calls.append((owner, after, limit))
        rows = [r for r in self.records if after is None or r["person_id"] > after][:limit]
        return {"rows": rows, "next": rows[-1]["person_id"] if len(rows) == limit else None}


def read_by_id(snapshot, cursor, limit):
    page = snapshot(owner="svc", after=cursor, limit=limit)
    return [MemberChanged.read(r) for r in page["rows"]], page["next"]


BY_ID = ReadModel(name="people_by_id", source="owner", snapshot_method="snapshot_by_id", apply=apply,
                  read_page=read_by_id)


def test_a_snapshot_that_pages_otherwise_is_read_through_the_model_adapter(sessions):
    snapshot = ById([record(f"p{n}", 10 - n) for n in range(1, 6)])
    with sessions() as session:  # newer than the snapshot's: kept
        apply(session, MemberChanged.read(record("p2", 20, can_submit=False)))
        session.commit()
    assert rebuild(sessions, BY_ID, snapshot, page_size=2) == 5
    assert snapshot.calls == [("svc", None, 2), ("svc", "p2", 2), ("svc", "p4", 2)]
    assert rows(sessions) == {"p1": (9, True), "p2": (20, False), "p3": (7, True), "p4": (6, True),
                              "p5": (5, True)}
    with sessions() as session:
        assert is_built(session, BY_ID.name) is True and is_built(session, MODEL.name) is False
    assert rebuild(sessions, BY_ID, snapshot, page_size=2) == 5  # again: the same revisions change nothing
    assert rows(sessions)["p2"] == (20, False)


def test_an_adapter_whose_cursor_does_not_move_forward_stops_the_rebuild(sessions):
    stuck = ReadModel(name="stuck", source="owner", snapshot_method="snapshot_by_id", apply=apply,
                      read_page=lambda snapshot, cursor, limit: ([MemberChanged.read(record("p1", 1))], "p1"))
    with pytest.raises(RuntimeError):
        rebuild(sessions, stuck, None, page_size=1)
    with sessions() as session:
        assert is_built(session, "stuck") is False


class Service(HealthEndpoints):
    name = "svc"

    def __init__(self, read_models=None):
        self.db, self.read_models = None, read_models


def test_readiness_waits_for_every_read_model(monkeypatch):
    import consignations_shared.health as health

    monkeypatch.setattr(health, "check_database", lambda session: (True, "ok"))
    monkeypatch.setattr(health, "check_broker", lambda uri, timeout=2.0: (True, "ok"))
    monkeypatch.setattr(Service, "health_settings", type("S", (), {"amqp_uri": "amqp://"})())
    status = ReadModelsStatus(["memberships", "members"])
    report = Service(status)._readiness()
    assert report["status"] == "not_ready" and report["checks"]["read_models"] == "rebuilding: memberships, members"
    status.done("memberships")
    status.done("members")
    assert Service(status)._readiness()["status"] == "ready"
    assert "read_models" not in Service()._readiness()["checks"]  # a service without read models


def test_the_operator_command_rebuilds_even_a_model_already_built(sessions, monkeypatch, capsys):
    import consignations_shared.read_models as read_models

    snapshot = Snapshot([record("p1", 4, can_submit=False)])
    monkeypatch.setattr(read_models, "snapshot_caller", lambda amqp_uri, timeout, model: snapshot)
    url = str(sessions.kw["bind"].url)
    with sessions() as session:
        read_models.mark_built(session, MODEL.name, 0, datetime(2026, 1, 1, tzinfo=timezone.utc))
        session.commit()
    settings = type("Settings", (), {"database_url": url, "amqp_uri": "amqp://", "rpc_timeout": 1.0})()
    command = read_models.rebuild_command("svc", MODEL)
    assert command(settings, ["unexpected"]) == 2
    assert command(settings, []) == 0
    assert rows(sessions) == {"p1": (4, False)}
    assert "people_model: 1 records from accounts.members_snapshot" in capsys.readouterr().out
