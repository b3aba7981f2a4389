"""Rate limits counted in the database that owns the data (issue 18), so they hold whatever
the number of gateway workers and service replicas.

A rule spends one unit of a key (a client address, an account, a person) per action; the units
spent over the rule's window are summed from a few time slots (a sliding window in `SLOTS`
steps). Beyond the limit the action is refused with `TooManyRequests` (429 through the gateway)
carrying the seconds after which it would be accepted (`Retry-After`). A refused action spends
nothing, so waiting is always enough. The count is written in the caller's transaction: it is
committed with the action it allowed, and an action that fails spends nothing either.

Each service that limits something declares the table in its own metadata
(`rate_counter_table(Base.metadata)`) and creates it in a migration.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .clock import as_utc
from .errors import TooManyRequests

SLOTS = 6
TABLE = "rate_counters"


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` actions per `window` for one key of `bucket`; `message` is the French
    sentence of the refusal."""

    bucket: str
    limit: int
    window: timedelta
    message: str

    def __post_init__(self):
        if self.limit < 1 or self.window <= timedelta(0):
            raise ValueError("a rate limit needs a positive limit and window")

    def with_limit(self, limit: int | str | None) -> "RateLimit":
        """The same rule with the limit of a setting (None or empty: unchanged)."""
        if limit in (None, ""):
            return self
        return RateLimit(self.bucket, int(limit), self.window, self.message)


def rate_counter_table(metadata: MetaData) -> Table:
    return Table(
        TABLE, metadata,
        Column("bucket", String(60), primary_key=True),
        Column("key", String(128), primary_key=True),
        Column("slot_start", DateTime(timezone=True), primary_key=True),
        Column("hits", Integer, nullable=False),
    )


def _slot_start(now: datetime, rule: RateLimit) -> datetime:
    seconds = rule.window.total_seconds() / SLOTS
    return datetime.fromtimestamp(now.timestamp() // seconds * seconds, tz=now.tzinfo)


def retry_after(slots: list[tuple[datetime, int]], rule: RateLimit, now: datetime) -> int:
    """Seconds until enough of the oldest slots leave the window for one more action (≥ 1).
    `slots` are (slot start, units) in the window, this refused action included."""
    excess = sum(hits for _, hits in slots) - rule.limit
    freed = 0
    for start, hits in sorted(slots):
        freed += hits
        if freed >= excess:
            return max(1, math.ceil((as_utc(start) + rule.window - now).total_seconds()))
    return max(1, math.ceil(rule.window.total_seconds()))


def spend(session: Session, table: Table, rule: RateLimit, key: str | None, now: datetime) -> None:
    """Count one action of `key` under `rule`, or raise TooManyRequests (nothing counted).
    A missing key (no client address known) is not limited by this rule."""
    if not key:
        return
    key = str(key)[:128]
    slot = _slot_start(now, rule)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # An upsert: two workers counting the same key at once queue on the row, none is lost.
    session.execute(insert(table).values(bucket=rule.bucket, key=key, slot_start=slot, hits=1)
                    .on_conflict_do_update(index_elements=[table.c.bucket, table.c.key, table.c.slot_start],
                                           set_={"hits": table.c.hits + 1}))
    rows = session.execute(
        select(table.c.slot_start, table.c.hits)
        .where(table.c.bucket == rule.bucket, table.c.key == key, table.c.slot_start > now - rule.window)
    ).all()
    slots = [(as_utc(start), hits) for start, hits in rows]
    if sum(hits for _, hits in slots) <= rule.limit:
        session.execute(delete(table).where(table.c.bucket == rule.bucket,
                                            table.c.slot_start <= now - rule.window))
        return
    # Refused: give the unit back, whether the caller then commits or rolls back.
    give_back(session, table, rule, key, now)
    raise TooManyRequests(rule.message, retry_after=retry_after(slots, rule, now))


def give_back(session: Session, table: Table, rule: RateLimit, key: str | None, now: datetime) -> None:
    """Undo one `spend` of the same moment (an action refused by a later rule spends nothing)."""
    if not key:
        return
    session.execute(update(table).where(table.c.bucket == rule.bucket, table.c.key == str(key)[:128],
                                        table.c.slot_start == _slot_start(now, rule))
                    .values(hits=table.c.hits - 1))
