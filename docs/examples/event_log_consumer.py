#!/usr/bin/env python3
"""Replay and follow the Consignations event log — a complete subscriber written with pika alone.

The services append every integration event to the RabbitMQ stream `consignations.events.log`
(docs/events.md). This program reads it from where you say, keeps what it read in its own SQLite
database and, started again, resumes where it stopped:

    # everything since Tuesday 14:00 (Paris time), then follow live
    python event_log_consumer.py --amqp-uri amqp://user:pw@host:5672/consignations \\
        --db events.db --since 2026-12-01T14:00:00+01:00
    # the whole history the log keeps
    python event_log_consumer.py --db events.db --from-first
    # later, after a stop or a crash: no option, it resumes after the last event it stored
    python event_log_consumer.py --db events.db

The recipe, in the order the code below follows it:
1. A stream is read with a prefetch (basic_qos) and manual acks, the starting point given by the
   consumer argument `x-stream-offset`: "first", a timestamp, or an offset.
2. A timestamp attaches to the chunk the broker wrote just before it (second precision): the first
   events may be older than asked, so events that occurred before `--since` are skipped.
3. Each event and the offset it came from are stored in ONE transaction: a crash leaves both or
   neither. Restarting from the stored offset + 1 loses nothing and reads nothing twice.
4. Delivery is at least once (our outbox may publish an event again after a crash of its own):
   the event's `event_id` is the primary key, a second copy is ignored.
Only pika (https://pypi.org/project/pika/) and the standard library are used.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from datetime import datetime, timezone

import pika
import pika.exceptions

STREAM = "consignations.events.log"

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id    TEXT PRIMARY KEY,
    stream_offset INTEGER NOT NULL,
    source      TEXT NOT NULL,
    type        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS position (
    stream      TEXT PRIMARY KEY,
    last_offset INTEGER NOT NULL
);
"""


def open_store(path: str) -> sqlite3.Connection:
    store = sqlite3.connect(path, isolation_level=None)  # transactions opened explicitly below
    store.executescript(SCHEMA)
    return store


def stored_offset(store: sqlite3.Connection) -> int | None:
    row = store.execute("SELECT last_offset FROM position WHERE stream = ?", (STREAM,)).fetchone()
    return row[0] if row else None


def keep(store: sqlite3.Connection, offset: int, envelope: dict | None, body: bytes) -> bool:
    """Stores the event (unless already there) and the offset, in one transaction. True: new."""
    store.execute("BEGIN IMMEDIATE")
    try:
        added = False
        if envelope is not None:
            added = store.execute(
                "INSERT OR IGNORE INTO events (event_id, stream_offset, source, type, version, occurred_at, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (envelope["event_id"], offset, envelope["source"], envelope["type"], envelope["version"],
                 envelope["occurred_at"], body.decode("utf-8"))).rowcount == 1
        store.execute("INSERT INTO position (stream, last_offset) VALUES (?, ?) "
                      "ON CONFLICT (stream) DO UPDATE SET last_offset = excluded.last_offset", (STREAM, offset))
        store.execute("COMMIT")
        return added
    except BaseException:
        store.execute("ROLLBACK")
        raise


def starting_point(args, store: sqlite3.Connection):
    """x-stream-offset: after the stored offset if there is one, else what the options say."""
    last = stored_offset(store)
    if last is not None:
        return last + 1
    if args.since:
        return args.since  # pika sends a datetime as an AMQP timestamp (seconds)
    return "first" if args.from_first else "next"


def envelope_of(body: bytes) -> dict | None:
    """The EV-2 envelope, or None for a body that is not one (kept as read, never stored)."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return None
    needed = ("event_id", "source", "type", "version", "occurred_at")
    return envelope if isinstance(envelope, dict) and all(key in envelope for key in needed) else None


def run(args) -> int:
    store = open_store(args.db)
    since = args.since
    start = starting_point(args, store)
    connection = pika.BlockingConnection(pika.URLParameters(args.amqp_uri))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=args.prefetch)  # a stream needs a prefetch
    read = 0
    try:
        for method, properties, body in channel.consume(STREAM, arguments={"x-stream-offset": start},
                                                        inactivity_timeout=args.idle_exit):
            if method is None:  # --idle-exit: nothing new for that long
                break
            offset = int(properties.headers["x-stream-offset"])
            envelope = envelope_of(body)
            if envelope is not None and since is not None and datetime.fromisoformat(envelope["occurred_at"]) < since:
                envelope = None  # the chunk before --since: skipped, its offset still kept
            if keep(store, offset, envelope, body) and not args.quiet:
                print(json.dumps({"offset": offset, "event_id": envelope["event_id"],
                                  "event": f"{envelope['source']}.{envelope['type']}.v{envelope['version']}",
                                  "occurred_at": envelope["occurred_at"]}), flush=True)
            channel.basic_ack(method.delivery_tag)  # on a stream, an ack only asks for more
            read += 1
            if args.crash_after and read >= args.crash_after:
                os._exit(3)  # as if killed: nothing closed, nothing more stored
    finally:
        try:
            channel.cancel()
            connection.close()
        except pika.exceptions.AMQPError:
            # A message that arrived while stopping makes pika send a requeue, which a stream
            # refuses by closing the connection: harmless, what was stored is committed.
            pass
        finally:
            store.close()
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    parser.add_argument("--db", required=True, help="this subscriber's SQLite database (created if missing)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--since", type=aware_datetime,
                       help="ISO 8601 with its offset, e.g. 2026-12-01T14:00:00+01:00 (first run only)")
    where.add_argument("--from-first", action="store_true", help="the whole log (first run only)")
    parser.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                        help="stop when nothing arrives for that long (default: follow forever)")
    parser.add_argument("--crash-after", type=int, default=0, metavar="N",
                        help="to try the resume: exit abruptly after N events, as a crash would")
    parser.add_argument("--prefetch", type=int, default=200)
    parser.add_argument("--quiet", action="store_true", help="do not print the events stored")
    return parser.parse_args(argv)


def aware_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time zone offset, e.g. 2026-12-01T14:00:00+01:00")
    return value.astimezone(timezone.utc)


if __name__ == "__main__":
    sys.exit(run(parse_args(sys.argv[1:])))
