"""Number of a transmitted request (SPEC DM-5): ``10`` + YYMM of submission + a 9-digit sequence,
without gaps nor duplicates even when requests are submitted at the same moment.

`allocate` runs inside the submission's own transaction: it locks the month's counter row
(``SELECT ... FOR UPDATE``) until that transaction ends, so concurrent submissions queue one
behind the other; if the submission rolls back, the counter's update rolls back with it and the
number is given to the next submission (no gap)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .domain import lifecycle
from .models import RequestNumber

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _ensure_month_row(session: Session, yymm: str) -> None:
    """Creates the month's counter at 0 unless it exists: ``INSERT ... ON CONFLICT DO NOTHING``,
    so two first submissions of a month never fail on the primary key (the loser waits for the
    winner's row, then both lock it in turn)."""
    insert = _INSERT.get(session.get_bind().dialect.name)
    if insert is None:  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise RuntimeError(f"unsupported database {session.get_bind().dialect.name}")
    session.execute(insert(RequestNumber).values(yymm=yymm, last_sequence=0)
                    .on_conflict_do_nothing(index_elements=["yymm"]))


def allocate(session: Session, now: datetime) -> str:
    """The next request number of `now`'s month (French time), in the caller's transaction."""
    month = lifecycle.yymm(now)
    _ensure_month_row(session, month)
    last = session.execute(
        select(RequestNumber.last_sequence).where(RequestNumber.yymm == month).with_for_update()
    ).scalar_one()
    number = lifecycle.format_number(month, last + 1)  # NumberingExhausted past 999 999 999
    session.execute(update(RequestNumber).where(RequestNumber.yymm == month)
                    .values(last_sequence=last + 1).execution_options(synchronize_session=False))
    return number
