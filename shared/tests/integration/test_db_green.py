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
