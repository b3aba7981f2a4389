"""Number of a transmitted request (SPEC DM-5): ``10`` + YYMM of submission + a 9-digit sequence,
without gaps nor duplicates even when requests are submitted at the same moment.

`allocate` runs inside the submission's own transaction: one statement takes the next sequence
(``INSERT ... ON CONFLICT DO UPDATE SET last_sequence = last_sequence + 1 RETURNING``), which
creates the month's counter or locks its row until that transaction ends, so concurrent
submissions queue one behind the other; if the submission rolls back, the counter's update rolls
back with it and the number is given to the next submission (no gap)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .domain import lifecycle
from .models import RequestNumber

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def allocate(session: Session, now: datetime) -> str:
    """The next request number of `now`'s month (French time), in the caller's transaction."""
    month = lifecycle.yymm(now)
    insert = _INSERT.get(session.get_bind().dialect.name)
    if insert is None:  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise RuntimeError(f"unsupported database {session.get_bind().dialect.name}")
    statement = insert(RequestNumber).values(yymm=month, last_sequence=1)
    statement = statement.on_conflict_do_update(
        index_elements=["yymm"], set_={"last_sequence": RequestNumber.last_sequence + 1},
    ).returning(RequestNumber.last_sequence)
    sequence = session.execute(statement).scalar_one()
    return lifecycle.format_number(month, sequence)  # NumberingExhausted past 999 999 999
