"""The event log (issue 20): every integration event, also kept in a RabbitMQ stream.

The stream `consignations.events.log` is bound to the events exchange with `#`: each event the
services publish (every version of every type, never a private command) is appended to it, in
the order the broker received them, and kept for the retention below whoever reads it. Any AMQP
0-9-1 client replays it from an offset: `first`, a timestamp, or an offset it stored
(`x-stream-offset`; docs/events.md has the recipe and a consumer written with pika alone).

Retention, by age and by size (the older segments go first, whichever limit is reached):

    EVENT_LOG_MAX_AGE        400D   a system that joins next year still finds this year
    EVENT_LOG_MAX_BYTES      20 GB  (about 10 million events of 2 KB)
    EVENT_LOG_SEGMENT_BYTES  100 MB the unit retention removes

A stream's arguments cannot change once it is declared: to change them on a running broker,
apply a policy (`rabbitmqctl set_policy ... '{"max-age": "800D"}' --apply-to queues`), which
takes precedence, and set the variables to match.

    python -m consignations_shared.event_log status    # size, first and last offsets and times
    python -m consignations_shared.event_log declare   # done by consignations_shared.topology
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from typing import Any, Mapping

from kombu import Connection, Queue

from .outbox import events_exchange

EVENT_LOG_QUEUE = "consignations.events.log"
ALL_EVENTS = "#"
DEFAULT_MAX_AGE = "400D"
DEFAULT_MAX_BYTES = 20_000_000_000
DEFAULT_SEGMENT_BYTES = 100_000_000
_AGE = re.compile(r"[1-9][0-9]*[YMDhms]")


@dataclass(frozen=True)
class Retention:
    max_age: str = DEFAULT_MAX_AGE  # RabbitMQ's form: a number and Y, M, D, h, m or s
    max_bytes: int = DEFAULT_MAX_BYTES
    segment_bytes: int = DEFAULT_SEGMENT_BYTES

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Retention":
        age = env.get("EVENT_LOG_MAX_AGE") or DEFAULT_MAX_AGE
        if not _AGE.fullmatch(age):
            raise ValueError(f"EVENT_LOG_MAX_AGE: a number and one of Y, M, D, h, m, s (e.g. 400D), not {age!r}")
        sizes = {}
        for key, default in (("EVENT_LOG_MAX_BYTES", DEFAULT_MAX_BYTES), ("EVENT_LOG_SEGMENT_BYTES", DEFAULT_SEGMENT_BYTES)):
            raw = env.get(key) or str(default)
            if not raw.isdigit() or int(raw) <= 0:
                raise ValueError(f"{key}: a positive number of bytes, not {raw!r}")
            sizes[key] = int(raw)
        if sizes["EVENT_LOG_SEGMENT_BYTES"] > sizes["EVENT_LOG_MAX_BYTES"]:
            raise ValueError("EVENT_LOG_SEGMENT_BYTES is larger than EVENT_LOG_MAX_BYTES: nothing could be kept")
        return cls(age, sizes["EVENT_LOG_MAX_BYTES"], sizes["EVENT_LOG_SEGMENT_BYTES"])

    def arguments(self) -> dict[str, Any]:
        return {"x-queue-type": "stream", "x-max-age": self.max_age, "x-max-length-bytes": self.max_bytes,
                "x-stream-max-segment-size-bytes": self.segment_bytes}


def queue(retention: Retention) -> Queue:
    return Queue(EVENT_LOG_QUEUE, exchange=events_exchange, routing_key=ALL_EVENTS, durable=True,
                 queue_arguments=retention.arguments())


def declare(channel, retention: Retention) -> None:
    """The events exchange, the stream and its binding (idempotent with the same retention)."""
    events_exchange(channel).declare()
    queue(retention)(channel).declare()


# --- status -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    offset: int
    event_id: str | None
    type: str | None
    occurred_at: str | None


def _read(channel, offset: Any, *, until_idle: float, first_only: bool = False) -> list[Entry]:
    """Entries from `offset` (x-stream-offset) until nothing arrives for `until_idle` s, or only the
    first. A stream refuses the requeue pika sends for messages pending at cancel: the first is
    read with a prefetch of one and not acknowledged, so that nothing else is sent."""
    entries: list[Entry] = []
    channel.basic_qos(prefetch_count=1 if first_only else 100)
    for method, properties, body in channel.consume(EVENT_LOG_QUEUE, arguments={"x-stream-offset": offset},
                                                    inactivity_timeout=until_idle):
        if method is None:
            break
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = {}
        entries.append(Entry(int((properties.headers or {})["x-stream-offset"]), envelope.get("event_id"),
                             envelope.get("type"), envelope.get("occurred_at")))
        if first_only:
            break
        channel.basic_ack(method.delivery_tag)
    channel.cancel()
    return entries


def status(amqp_uri: str, until_idle: float = 1.0) -> dict[str, Any]:
    """What the log holds now: its first and last entries (offset, event, when it occurred) and
    the count between them (offsets are consecutive; retention removes the oldest segments)."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        connection.channel().queue_declare(EVENT_LOG_QUEUE, passive=True)
        first = _read(connection.channel(), "first", until_idle=until_idle, first_only=True)
        last = _read(connection.channel(), "last", until_idle=until_idle)  # the last chunk, to its end
    finally:
        connection.close()
    if not first or not last:
        return {"queue": EVENT_LOG_QUEUE, "events": 0, "first": None, "last": None}
    return {"queue": EVENT_LOG_QUEUE, "events": last[-1].offset - first[0].offset + 1,
            "first": first[0].__dict__, "last": last[-1].__dict__}


def _describe(report: dict[str, Any], retention: Retention) -> str:
    lines = [f"{report['queue']}: {report['events']} events"]
    for which in ("first", "last"):
        entry = report[which]
        if entry:
            lines.append(f"  {which}: offset {entry['offset']}, {entry['type']} {entry['event_id']}, "
                         f"occurred at {entry['occurred_at']}")
    lines.append(f"  retention (this environment's settings): {retention.max_age}, {_bytes(retention.max_bytes)}, "
                 f"segments of {_bytes(retention.segment_bytes)}")
    return "\n".join(lines)


def _bytes(count: int) -> str:
    return f"{count:,} bytes".replace(",", " ")


def main(argv: list[str] | None = None) -> int:
    from .config import load_settings

    parser = argparse.ArgumentParser(prog="python -m consignations_shared.event_log",
                                     description="The stream of integration events: declare it, or show what it holds.")
    parser.add_argument("action", choices=["status", "declare"])
    parser.add_argument("--json", action="store_true", help="status as JSON")
    args = parser.parse_args(argv)
    settings = load_settings("event_log")
    try:
        retention = Retention.from_env(settings.env)
    except ValueError as exc:
        print(f"event_log: {exc}", file=sys.stderr)
        return 2
    if args.action == "declare":
        with Connection(settings.amqp_uri, connect_timeout=5) as connection:
            declare(connection.default_channel, retention)
        print(f"declared {EVENT_LOG_QUEUE} <- {events_exchange.name} [{ALL_EVENTS}] {retention.arguments()}")
        return 0
    report = status(settings.amqp_uri)
    print(json.dumps(report, ensure_ascii=False) if args.json else _describe(report, retention))
    return 0


if __name__ == "__main__":
    sys.exit(main())
