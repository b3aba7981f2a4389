"""Read models: a service's local copy of what it needs from another service's data, fed by that
service's events (event-carried state, issue 15) instead of a synchronous call on every read.

A read model is a table keyed by the owner's id with a `revision` column. Its rules:

- applying a record is idempotent and order-free: a row is inserted, or replaced only by a record
  of a HIGHER revision (`apply_newer`); a late, redelivered or replayed older record changes
  nothing. The owner numbers its records from one global sequence, so "highest wins" also holds
  across a snapshot and the live events read at the same time;
- a service whose read model has never been built (a new instance, a new database) rebuilds it
  from the owner's snapshot RPC at start, page after page (`rebuild`), while its consumer already
  applies live events; its /health/ready answers not ready until that is done (HealthEndpoints
  reads the `read_models` dependency). The end of a rebuild is recorded in `read_model_builds`,
  so the next start skips it. An operator may run it again at any time (`rebuild_command`): the
  rules above make it harmless beside a running instance.

The snapshot RPC of the owner takes `(after_revision, limit)` and answers
`{"items": [payload, ...], "next_after_revision": n}`: the records whose revision is greater than
`after_revision`, in increasing revision order, at most `limit` of them. A page shorter than
`limit` is the last one.

An owner whose snapshot pages otherwise gives the model a `read_page` adapter instead of a
`message` (documents: pages by document id, each record with its own per-document revision,
demandes_service/request_documents.py); the rules above still hold as long as `apply` keeps the
highest revision of each record.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from .config import settings_of
from .contracts.messages import Message
from .db import make_sessionmaker

log = logging.getLogger(__name__)

SNAPSHOT_PAGE_SIZE = 500
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0)  # seconds between attempts while the owner does not answer

read_model_metadata = MetaData()

# One row per read model whose rebuild from the owner's snapshot went to its end.
read_model_builds = Table(
    "read_model_builds",
    read_model_metadata,
    Column("name", String(100), primary_key=True),
    Column("built_at", DateTime(timezone=True), nullable=False),
    Column("records", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
)


def create_read_model_tables() -> None:
    """In the migration that adds a service's first read model."""
    from alembic import op

    read_model_builds.create(op.get_bind(), checkfirst=True)


def apply_newer(session: Session, table: Table, values: dict[str, Any], *, key: str = "person_id",
                revision: str = "revision") -> bool:
    """Insert the row, or replace it when `values` carries a higher revision; in one statement
    (INSERT ... ON CONFLICT DO UPDATE ... WHERE), so two deliveries racing need no lock.
    True when the row was written, False when the stored revision was already as high."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the services run on PostgreSQL or SQLite only
        raise RuntimeError(f"no upsert for {dialect}")
    statement = insert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: statement.excluded[name] for name in values if name != key},
        where=table.c[revision] < statement.excluded[revision],
    )
    return session.execute(statement).rowcount > 0


def is_built(session: Session, name: str) -> bool:
    return session.execute(select(read_model_builds.c.name).where(read_model_builds.c.name == name)).first() is not None


def mark_built(session: Session, name: str, records: int, now: datetime) -> None:
    session.execute(read_model_builds.delete().where(read_model_builds.c.name == name))
    session.execute(read_model_builds.insert().values(name=name, built_at=now, records=records))


SnapshotCall = Callable[..., dict]
# (records as `apply` takes them, the cursor of the next page or None after the last page)
Page = tuple[list, Any]


@dataclass(frozen=True)
class ReadModel:
    """One read model of a service: its name, the owner's snapshot RPC, and how one record is
    applied (`apply(session, record) -> bool`, True when it changed the row; it does not commit).

    The owner's snapshot follows the shared protocol (module docstring) with `message` as its
    record type; or `read_page(snapshot, cursor, limit) -> (records, next_cursor)` calls and reads
    one page of a snapshot that pages otherwise (`cursor` is None for the first page, and the
    next page's cursor is None after the last page; a cursor that comes back unchanged stops the
    rebuild)."""

    name: str
    source: str  # the owning service
    snapshot_method: str  # its RPC: (after_revision, limit) -> {"items", "next_after_revision"}
    apply: Callable[[Session, Any], bool]
    message: type[Message] | None = None
    read_page: Callable[[SnapshotCall, Any, int], Page] | None = None

    def page(self, snapshot: SnapshotCall, cursor: Any, limit: int) -> Page:
        if self.read_page is not None:
            return self.read_page(snapshot, cursor, limit)
        after = cursor or 0
        page = snapshot(after_revision=after, limit=limit)
        items = [self.message.read(item) for item in page.get("items") or []]
        if len(items) < limit:
            return items, None
        next_after = int(page["next_after_revision"])
        if next_after <= after:  # a snapshot that does not move forward would never end
            raise RuntimeError(f"{self.source}.{self.snapshot_method} did not move past revision {after}")
        return items, next_after


def rebuild(session_factory: Callable[[], Session], model: ReadModel, snapshot: SnapshotCall, *,
            page_size: int = SNAPSHOT_PAGE_SIZE, now: Callable[[], datetime] | None = None) -> int:
    """Page through the owner's snapshot and apply every record (one transaction per page); the
    last page also records that the model is built. Returns the number of records read."""
    cursor, count = None, 0
    while True:
        records, next_cursor = model.page(snapshot, cursor, page_size)
        last = next_cursor is None
        with session_factory() as session:
            for record in records:
                model.apply(session, record)
            count += len(records)
            if last:
                mark_built(session, model.name, count, (now or _utc_now)())
            session.commit()
        if last:
            return count
        if next_cursor == cursor:  # a snapshot that never moves on would never end
            raise RuntimeError(f"{model.source}.{model.snapshot_method} did not move past {cursor!r}")
        cursor = next_cursor


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ReadModelsStatus:
    """What /health/ready asks: the read models still being rebuilt."""

    def __init__(self, names: list[str]):
        self._pending = list(names)

    def pending(self) -> list[str]:
        return list(self._pending)

    @property
    def ready(self) -> bool:
        return not self._pending

    def done(self, name: str) -> None:
        if name in self._pending:
            self._pending.remove(name)


def snapshot_caller(amqp_uri: str, timeout: float, model: ReadModel):
    """A standalone RPC call to the owner's snapshot method (outside any nameko worker)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from . import rpc  # noqa: F401  (domain errors cross RPC as themselves)

    def call(**kwargs) -> dict:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=timeout) as proxy:
            return getattr(getattr(proxy, model.source), model.snapshot_method)(**kwargs)

    return call


class ReadModels(DependencyProvider):
    """Declared on a service as `read_models = ReadModels(MODEL, ...)`: at start, every model
    never built is rebuilt from its owner's snapshot (retrying until the owner answers: services
    start in any order, NF-2); the dependency is the ReadModelsStatus HealthEndpoints reads."""

    def __init__(self, *models: ReadModel):
        self.models = models

    def setup(self):
        self.settings = settings_of(self.container)
        self.status = ReadModelsStatus([m.name for m in self.models])
        self._thread = None

    def start(self):
        self._thread = self.container.spawn_managed_thread(self._build_all, identifier="read_models")

    def stop(self):
        if self._thread is not None:
            self._thread.kill()

    kill = stop

    def _build_all(self):
        sessions = make_sessionmaker(self.settings.database_url)
        for model in self.models:
            call = snapshot_caller(self.settings.amqp_uri, self.settings.rpc_timeout, model)
            attempt = 0
            while True:
                try:
                    with sessions() as session:
                        built = is_built(session, model.name)
                    if not built:
                        records = rebuild(sessions, model, call)
                        log.info("read model %s rebuilt from %s.%s: %s records", model.name, model.source,
                                 model.snapshot_method, records)
                    break
                except Exception as exc:
                    delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                    attempt += 1
                    log.warning("read model %s not rebuilt yet (%s: %s), trying again in %ss", model.name,
                                type(exc).__name__, exc, delay)
                    eventlet.sleep(delay)  # back-off between attempts against the owner
            self.status.done(model.name)

    def get_dependency(self, worker_ctx):
        return self.status


def rebuild_command(service: str, *models: ReadModel):
    """An operator command (`python -m <service>_service rebuild-read-models`): rebuild every
    read model from its owner's snapshot now, whether or not it was built before."""

    def command(settings, argv: list[str]) -> int:
        if argv:
            print(f"usage: python -m {service}_service rebuild-read-models", flush=True)
            return 2
        sessions = make_sessionmaker(settings.database_url)
        for model in models:
            records = rebuild(sessions, model, snapshot_caller(settings.amqp_uri, settings.rpc_timeout, model))
            print(f"{model.name}: {records} records from {model.source}.{model.snapshot_method}", flush=True)
        return 0

    return command
