"""Under eventlet, PostgreSQL queries wait on the hub: two slow queries overlap (issue 2, item 1)."""
import eventlet
from sqlalchemy import text

from consignations_shared.db import get_engine


def test_two_slow_queries_of_two_green_threads_overlap(postgres_database):
    engine = get_engine(postgres_database("green"))

    def slow_query():
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT clock_timestamp() AS started, pg_sleep(0.6), clock_timestamp() AS ended")
            ).one()

    first, second = eventlet.spawn(slow_query), eventlet.spawn(slow_query)
    a, b = first.wait(), second.wait()
    # Server-side intervals intersect only if the second query started before the first ended:
    # with a blocking driver the hub would run them one after the other.
    assert a.started < b.ended and b.started < a.ended


def _terminate(url, pid):
    import psycopg2
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    with psycopg2.connect(dbname=parts.database, user=parts.username, host=parts.host, port=parts.port) as killer:
        killer.autocommit = True
        killer.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))


def _backend_pid(engine):
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_that_rested_is_pinged_and_a_dead_one_replaced(postgres_database, monkeypatch):
    from consignations_shared import db

    url = postgres_database("rested")
    engine = get_engine(url)
    killed = _backend_pid(engine)
    _terminate(url, killed)
    monkeypatch.setattr(db, "PING_AFTER_IDLE", -1.0)  # every pooled connection counts as rested
    assert _backend_pid(engine) != killed  # the ping found it dead: another one, and no error


def test_a_connection_used_a_moment_ago_is_not_pinged_its_death_fails_one_call(postgres_database, monkeypatch):
    from sqlalchemy.exc import DBAPIError

    from consignations_shared import db

    url = postgres_database("busy")
    engine = get_engine(url)
    killed = _backend_pid(engine)
    _terminate(url, killed)
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 3600.0)  # nothing rests that long: no ping
    try:
        _backend_pid(engine)
    except DBAPIError as exc:  # the call meets the dead connection: a 503 or a retried message
        assert db.database_unavailable(exc)
    else:
        raise AssertionError("a dead connection was used without a failure: was it pinged?")
    assert _backend_pid(engine) != killed  # the pool replaced it

