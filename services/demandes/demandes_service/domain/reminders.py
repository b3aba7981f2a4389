"""Automatic reminders of a request waiting for the client (issue 7): which reminder message
(MS-1 subject) is due now, if any.

A request awaiting complement gets « … compléments clients – 1ère relance » once it has waited
``first_after_days`` days, then « … – 2e relance » once it has waited ``second_after_days`` days
(both counted from when it entered the state) and only after the 1st was posted; a request
awaiting funds gets the two funds reminders the same way. A reminder is never posted twice, and
never goes backwards: once a 2nd reminder was posted (by hand, say), no 1st follows it.

Pure and deterministic: the clock and the reminders already posted since the request entered its
state are given; posting the message is the caller's job.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from demandes_service.domain.lifecycle import AWAITING_COMPLEMENT, AWAITING_FUNDS
from demandes_service.domain.messaging import (
    COMPLEMENT_REMINDER_1,
    COMPLEMENT_REMINDER_2,
    FUNDS_REMINDER_1,
    FUNDS_REMINDER_2,
)

DEFAULT_FIRST_AFTER_DAYS = 15
DEFAULT_SECOND_AFTER_DAYS = 30

# State -> (1st reminder, 2nd reminder). Other states get no reminder.
REMINDER_SUBJECTS = {
    AWAITING_COMPLEMENT: (COMPLEMENT_REMINDER_1, COMPLEMENT_REMINDER_2),
    AWAITING_FUNDS: (FUNDS_REMINDER_1, FUNDS_REMINDER_2),
}


def check_delays(first_after_days: int, second_after_days: int) -> None:
    """ValueError unless both delays are whole numbers of days, > 0, and the 2nd is later than
    the 1st (a configuration mistake, not a person's input)."""
    for name, value in (("first_after_days", first_after_days), ("second_after_days", second_after_days)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a whole number of days, not {value!r}")
        if value <= 0:
            raise ValueError(f"{name} must be > 0, not {value}")
    if second_after_days <= first_after_days:
        raise ValueError(
            f"second_after_days ({second_after_days}) must be greater than first_after_days ({first_after_days})"
        )


def due_reminder(
    state: str,
    entered_at: datetime,
    posted: Iterable[str],
    now: datetime,
    *,
    first_after_days: int = DEFAULT_FIRST_AFTER_DAYS,
    second_after_days: int = DEFAULT_SECOND_AFTER_DAYS,
    first_posted_at: datetime | None = None,
) -> str | None:
    """The subject code of the reminder to post now, or None.

    ``entered_at``: when the request entered ``state``; ``posted``: subject codes of the messages
    posted on the request since then (other subjects are ignored); ``now``: the clock. Both
    datetimes must be timezone-aware. Delays are exact durations (N × 24 h, in UTC), so a daylight
    saving change neither advances nor delays a reminder by an hour. ``first_posted_at``: when
    the 1st reminder was posted; the 2nd then also waits the gap between the two delays after it,
    so a late run never sends both reminders back to back.
    """
    check_delays(first_after_days, second_after_days)
    for name, moment in (("entered_at", entered_at), ("now", now)):
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")
    if state not in REMINDER_SUBJECTS:
        return None
    first, second = REMINDER_SUBJECTS[state]
    done = set(posted)
    if second in done:
        return None
    waited = now.astimezone(timezone.utc) - entered_at.astimezone(timezone.utc)
    if first not in done:
        return first if waited >= timedelta(days=first_after_days) else None
    if waited < timedelta(days=second_after_days):
        return None
    if first_posted_at is not None and now - first_posted_at < timedelta(days=second_after_days - first_after_days):
        return None
    return second
