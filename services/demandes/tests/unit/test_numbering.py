"""Request numbers (DM-5) on SQLite: consecutive per month, a new sequence each month (French
time), formatted by lifecycle.format_number, and given back when the submission rolls back."""
from datetime import datetime, timezone

import pytest
from sqlalchemy.orm import Session

from demandes_service import numbering
from demandes_service.domain import lifecycle
from demandes_service.models import RequestNumber

AUG = datetime(2020, 8, 14, 10, 0, tzinfo=timezone.utc)


def test_numbers_follow_each_other_within_a_month(session):
    numbers = [numbering.allocate(session, AUG) for _ in range(3)]
    session.commit()
    assert numbers == ["102008000000001", "102008000000002", "102008000000003"]
    assert all(lifecycle.is_number(n) for n in numbers)
    assert session.get(RequestNumber, "2008").last_sequence == 3


def test_each_month_has_its_own_sequence_in_french_time(session):
    assert numbering.allocate(session, AUG) == "102008000000001"
    # 31 August 22:30 UTC is 1 September 00:30 in Paris
    assert numbering.allocate(session, datetime(2020, 8, 31, 22, 30, tzinfo=timezone.utc)) == "102009000000001"
    assert numbering.allocate(session, datetime(2020, 8, 31, 21, 30, tzinfo=timezone.utc)) == "102008000000002"
    assert numbering.allocate(session, datetime(2021, 1, 2, tzinfo=timezone.utc)) == "102101000000001"
    session.commit()


def test_a_rolled_back_submission_gives_its_number_back(engine):
    with Session(engine) as first:
        assert numbering.allocate(first, AUG) == "102008000000001"
        first.commit()
    with Session(engine) as failed:
        assert numbering.allocate(failed, AUG) == "102008000000002"
        failed.rollback()
    with Session(engine) as next_one:
        assert numbering.allocate(next_one, AUG) == "102008000000002"
        next_one.commit()


def test_the_sequence_continues_from_the_stored_counter(session):
    session.add(RequestNumber(yymm="2008", last_sequence=1028))
    session.commit()
    assert numbering.allocate(session, AUG) == "102008000001029"


def test_an_exhausted_sequence_is_an_alarm_and_the_counter_does_not_move(session):
    session.add(RequestNumber(yymm="2008", last_sequence=lifecycle.SEQUENCE_MAX))
    session.commit()
    with pytest.raises(lifecycle.NumberingExhausted):
        numbering.allocate(session, AUG)
    session.rollback()
    assert session.get(RequestNumber, "2008").last_sequence == lifecycle.SEQUENCE_MAX


def test_a_naive_moment_is_refused(session):
    with pytest.raises(ValueError):
        numbering.allocate(session, datetime(2020, 8, 14))
