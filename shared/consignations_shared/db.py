"""Database engines and sessions (SQLAlchemy 2) for the service that owns the data.

PostgreSQL in production (psycopg2, made cooperative under eventlet, see boot.py);
a SQLite file as the embedded default.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


SQLITE_GATE_TIMEOUT = 30.0  # seconds, as SQLite's own busy timeout
PING_AFTER_IDLE = 1.0  # seconds a pooled PostgreSQL connection may rest before it is pinged at checkout


class SQLiteBusy(RuntimeError):
    """A transaction of this process waited 30 s for another one of the same process."""


class Base(DeclarativeBase):
    """Not used directly: each service declares its own base (one metadata per service)."""


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _new_engine(url: str) -> Engine:
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # pysqlite's own implicit BEGIN is replaced by the explicit one below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        # One transaction at a time per process, queued here cooperatively: under eventlet,
        # SQLite's own busy wait is a blocking C call that would freeze the whole hub, and with
        # it the green thread that holds the lock (a stall until the busy timeout). Other
        # processes (an operator command) still meet SQLite's busy timeout.
        gate = threading.Semaphore(1)

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn):
            if not gate.acquire(timeout=SQLITE_GATE_TIMEOUT):
                raise SQLiteBusy("database is locked: another transaction of this process did not end")
            try:
                # Take the write lock at BEGIN: concurrent writers queue instead of failing later
                # with "database is locked" on upgrade from a read lock.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                gate.release()
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(conn):
            gate.release()

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800)
    _ping_rested_connections(engine)
    return engine


def _ping_rested_connections(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, but only for a connection that rested in the pool for more
    than PING_AFTER_IDLE: one used a moment ago is alive, and a ping on every checkout was a round
    trip and ~0.25 ms of CPU per transaction, several per request (bench/all.py). A connection
    that dies in use anyway (PostgreSQL restarted under load) fails its call, which callers turn
    into a 503 or a retried message (database_unavailable), and SQLAlchemy then replaces every
    connection of the pool older than the failure."""
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_rested(dbapi_connection, record, _proxy):
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at <= PING_AFTER_IDLE:
            return  # new, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)  # SELECT 1 outside any transaction
        except Exception as exc:
            # The pool discards this connection and checks out another (a new one if need be).
            raise DisconnectionError(f"pooled connection lost while idle: {exc}") from exc


def get_engine(url: str) -> Engine:
    """One engine (one pool) per URL and process, shared by the session and outbox providers."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _new_engine(url)
        return engine


def dispose_engine(url: str) -> None:
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def make_sessionmaker(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False, autobegin=True)


def database_unavailable(exc: BaseException) -> bool:
    """The service's database failed, not the work asked of it: the connection was cut (a
    PostgreSQL restart, ``pg_terminate_backend``) or refused, the transaction was chosen as a
    deadlock or serialization victim, no connection was free in time, SQLite stayed locked.
    The same work succeeds once the database is back: callers get a 503 (rpc.py) and consumed
    messages are retried without using up their attempts (consumer.py)."""
    import sqlite3

    from sqlalchemy import exc as sa

    if isinstance(exc, (SQLiteBusy, sa.TimeoutError)):
        return True
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.OperationalError):
        if isinstance(exc.orig, sqlite3.Error):  # SQLite says OperationalError for a missing table too
            return "locked" in str(exc.orig) or "busy" in str(exc.orig)
        return True  # PostgreSQL: connection, admin shutdown, deadlock, serialization, lock timeout
    return False
