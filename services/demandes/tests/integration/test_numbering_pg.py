"""Request numbers (DM-5) on PostgreSQL under concurrent submissions: each green thread takes a
number in its own session and transaction; the month's row lock makes them queue, so the numbers
are distinct and consecutive, and a rolled-back submission leaves no gap."""
from datetime import datetime, timezone

import eventlet
import pytest
from sqlalchemy.orm import Session

from consignations_shared.db import dispose_engine, get_engine
from consignations_shared.migrations import upgrade
from demandes_service import numbering
from demandes_service.models import RequestNumber

NOW = datetime(2020, 8, 14, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(postgres_database):
    url = postgres_database("demandes")
    upgrade("demandes_service.migrations", url)
    yield get_engine(url)
    dispose_engine(url)  # up to 20 connections: give them back to PostgreSQL


def test_concurrent_submissions_get_consecutive_distinct_numbers(engine):
    start = eventlet.event.Event()

    def submit():
        start.wait()
        with Session(engine) as session:
            number = numbering.allocate(session, NOW)
            eventlet.sleep(0.01)  # the rest of the submission, row lock held
            session.commit()
            return number

    threads = [eventlet.spawn(submit) for _ in range(20)]
    eventlet.sleep(0)
    start.send(True)
    numbers = [thread.wait() for thread in threads]
    assert sorted(numbers) == [f"102008{n:09d}" for n in range(1, 21)]
    with Session(engine) as session:
        assert session.get(RequestNumber, "2008").last_sequence == 20


def test_rolled_back_submissions_leave_no_gap(engine):

    def submit(fail):
        with Session(engine) as session:
            number = numbering.allocate(session, NOW)
            eventlet.sleep(0.005)
            if fail:
                session.rollback()
                return None
            session.commit()
            return number

    threads = [eventlet.spawn(submit, i % 3 == 0) for i in range(15)]
    numbers = [n for n in (thread.wait() for thread in threads) if n]
    assert sorted(numbers) == [f"102008{n:09d}" for n in range(1, 11)]
