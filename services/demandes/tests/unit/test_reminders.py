from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from demandes_service.domain import lifecycle as lc
from demandes_service.domain import messaging as m
from demandes_service.domain.reminders import REMINDER_SUBJECTS, check_delays, due_reminder

ENTERED = datetime(2025, 10, 1, 9, 30, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)

STATES = [
    (lc.AWAITING_COMPLEMENT, m.COMPLEMENT_REMINDER_1, m.COMPLEMENT_REMINDER_2),
    (lc.AWAITING_FUNDS, m.FUNDS_REMINDER_1, m.FUNDS_REMINDER_2),
]


def due(state, posted, waited, **delays):
    return due_reminder(state, ENTERED, posted, ENTERED + waited, **delays)


@pytest.mark.parametrize("state, first, second", STATES)
def test_first_reminder_exactly_at_15_days(state, first, second):
    assert due(state, [], timedelta(0)) is None
    assert due(state, [], 15 * DAY - SECOND) is None
    assert due(state, [], 15 * DAY) == first
    assert due(state, [], 20 * DAY) == first


@pytest.mark.parametrize("state, first, second", STATES)
def test_second_reminder_exactly_at_30_days_once_the_first_was_posted(state, first, second):
    assert due(state, [first], 15 * DAY) is None
    assert due(state, [first], 30 * DAY - SECOND) is None
    assert due(state, [first], 30 * DAY) == second
    assert due(state, (first,), 90 * DAY) == second


@pytest.mark.parametrize("state, first, second", STATES)
def test_no_second_without_the_first(state, first, second):
    # Late (the job was stopped): the 1st is due, not the 2nd.
    assert due(state, [], 45 * DAY) == first
    assert due(state, [m.FREE], 45 * DAY) == first


@pytest.mark.parametrize("state, first, second", STATES)
def test_never_twice(state, first, second):
    assert due(state, [first, second], 365 * DAY) is None
    assert due(state, [first, first, second], 31 * DAY) is None


@pytest.mark.parametrize("state, first, second", STATES)
def test_never_backwards_after_a_second_posted_by_hand(state, first, second):
    assert due(state, [second], 20 * DAY) is None
    assert due(state, [second], 40 * DAY) is None


def test_reminders_of_the_other_state_do_not_count():
    complement_done = [m.COMPLEMENT_REMINDER_1, m.COMPLEMENT_REMINDER_2]
    assert due(lc.AWAITING_FUNDS, complement_done, 15 * DAY) == m.FUNDS_REMINDER_1
    assert due(lc.AWAITING_COMPLEMENT, [m.FUNDS_REMINDER_1], 30 * DAY) == m.COMPLEMENT_REMINDER_1


@pytest.mark.parametrize("state", [lc.DRAFT, lc.SUBMITTED, lc.VALIDATED, lc.REJECTED, "ARCHIVED"])
def test_no_reminder_in_other_states(state):
    assert due(state, [], 400 * DAY) is None


def test_every_awaiting_state_has_its_two_reminders():
    assert REMINDER_SUBJECTS == {
        lc.AWAITING_COMPLEMENT: (m.COMPLEMENT_REMINDER_1, m.COMPLEMENT_REMINDER_2),
        lc.AWAITING_FUNDS: (m.FUNDS_REMINDER_1, m.FUNDS_REMINDER_2),
    }


@pytest.mark.parametrize("state, first, second", STATES)
def test_custom_delays(state, first, second):
    delays = {"first_after_days": 7, "second_after_days": 10}
    assert due(state, [], 7 * DAY - SECOND, **delays) is None
    assert due(state, [], 7 * DAY, **delays) == first
    assert due(state, [first], 10 * DAY - SECOND, **delays) is None
    assert due(state, [first], 10 * DAY, **delays) == second
    delays = {"first_after_days": 1, "second_after_days": 2}
    assert due(state, [], DAY - SECOND, **delays) is None
    assert due(state, [], DAY, **delays) == first


def test_clock_before_entering_the_state():
    assert due(lc.AWAITING_COMPLEMENT, [], -DAY) is None


def test_delays_are_exact_durations_across_daylight_saving_time():
    paris = ZoneInfo("Europe/Paris")
    entered = datetime(2025, 3, 20, 10, 0, tzinfo=paris)  # clocks go forward on 30 March
    # 15 days of 24 h later is 11:00 in Paris, not 10:00.
    assert due_reminder(lc.AWAITING_COMPLEMENT, entered, [], datetime(2025, 4, 4, 10, 59, 59, tzinfo=paris)) is None
    assert due_reminder(lc.AWAITING_COMPLEMENT, entered, [],
                        datetime(2025, 4, 4, 11, 0, tzinfo=paris)) == m.COMPLEMENT_REMINDER_1


def test_mixed_time_zones():
    paris = ZoneInfo("Europe/Paris")
    entered = datetime(2025, 10, 1, 11, 30, tzinfo=paris)  # = ENTERED (UTC+2)
    assert due_reminder(lc.AWAITING_FUNDS, entered, [], ENTERED + 15 * DAY - SECOND) is None
    assert due_reminder(lc.AWAITING_FUNDS, entered, [], ENTERED + 15 * DAY) == m.FUNDS_REMINDER_1


def test_pure_and_deterministic():
    posted = [m.COMPLEMENT_REMINDER_1]
    results = {due(lc.AWAITING_COMPLEMENT, posted, 30 * DAY) for _ in range(3)}
    assert results == {m.COMPLEMENT_REMINDER_2}
    assert posted == [m.COMPLEMENT_REMINDER_1]
    # a one-shot iterator is accepted too
    assert due(lc.AWAITING_COMPLEMENT, iter(posted), 30 * DAY) == m.COMPLEMENT_REMINDER_2


@pytest.mark.parametrize("first, second", [
    (0, 30), (-1, 30), (15, 0), (15, 15), (30, 15), (15.5, 30), (15, "30"), (True, 30), (None, 30),
])
def test_bad_delays(first, second):
    with pytest.raises(ValueError):
        check_delays(first, second)
    with pytest.raises(ValueError):
        due(lc.AWAITING_COMPLEMENT, [], 40 * DAY, first_after_days=first, second_after_days=second)


def test_good_delays():
    assert check_delays(15, 30) is None
    assert check_delays(1, 2) is None


def test_naive_datetimes_are_refused():
    naive = datetime(2025, 10, 1, 9, 30)
    with pytest.raises(ValueError):
        due_reminder(lc.AWAITING_COMPLEMENT, naive, [], ENTERED + 20 * DAY)
    with pytest.raises(ValueError):
        due_reminder(lc.AWAITING_COMPLEMENT, ENTERED, [], naive + 20 * DAY)


def test_a_late_first_reminder_delays_the_second_by_the_gap_between_the_delays():
    from datetime import datetime, timedelta, timezone

    from demandes_service.domain.lifecycle import AWAITING_COMPLEMENT
    from demandes_service.domain.messaging import COMPLEMENT_REMINDER_1, COMPLEMENT_REMINDER_2
    from demandes_service.domain.reminders import due_reminder

    entered = datetime(2026, 1, 1, tzinfo=timezone.utc)
    first_posted = entered + timedelta(days=31)  # the job did not run for a month
    assert due_reminder(AWAITING_COMPLEMENT, entered, [COMPLEMENT_REMINDER_1], first_posted + timedelta(hours=1),
                        first_posted_at=first_posted) is None
    assert due_reminder(AWAITING_COMPLEMENT, entered, [COMPLEMENT_REMINDER_1], first_posted + timedelta(days=15),
                        first_posted_at=first_posted) == COMPLEMENT_REMINDER_2


@pytest.mark.parametrize("first, second, problem", [
    (0, 30, "first_after_days must be > 0, not 0"),
    (15.5, 30, "first_after_days must be a whole number of days, not 15.5"),
    (15, -1, "second_after_days must be > 0, not -1"),
    (15, "30", "second_after_days must be a whole number of days, not '30'"),
    (15, 15, "second_after_days (15) must be greater than first_after_days (15)"),
])
def test_a_bad_delay_is_named(first, second, problem):
    with pytest.raises(ValueError) as err:
        check_delays(first, second)
    assert str(err.value) == problem


def test_a_naive_datetime_is_named():
    naive = datetime(2025, 10, 1, 9, 30)
    with pytest.raises(ValueError, match=r"^entered_at must be a timezone-aware datetime$"):
        due_reminder(lc.AWAITING_COMPLEMENT, naive, [], ENTERED + 20 * DAY)
    with pytest.raises(ValueError, match=r"^now must be a timezone-aware datetime$"):
        due_reminder(lc.AWAITING_COMPLEMENT, ENTERED, [], naive + 20 * DAY)
