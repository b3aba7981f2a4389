"""Notifier throughput benchmark (issue 8, SPEC NF-3): how close does the notifier come to what
the broker alone delivers?

Prints, in one run on this machine:
  (a) raw consume rate: kombu consumer, N small persistent JSON messages from one queue, one ack
      each, with the prefetch the notifier uses (its max workers, 20);
  (b) notifications delivered per second: a backlog of N `send_signup_sms_code` commands (one
      distinct mobile each, so that the per-number code limit never refuses one) pre-loaded in
      `notifier.send_signup_sms_code`, then `python -m notifier_service` started as its own
      process with the outbox SMS backend; measured until N SMS files exist (from the process
      start, and from its first SMS, i.e. without the start-up);
  and the ratio b/a.

    .venv/bin/python bench/notifier_throughput.py [--events 5000] [--database postgres|sqlite]

It uses a fresh RabbitMQ vhost (`rabbitmqctl add_vhost`), a temporary PostgreSQL database (or
an SQLite file) and a temporary folder, and removes them afterwards. Not a test: it only prints.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from consignations_shared.testing import pg_admin_execute, rabbitmqctl

ROOT = Path(__file__).resolve().parents[1]
AMQP_BASE = os.environ.get("BENCH_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672/")
PG_URL_PREFIX = os.environ.get("BENCH_POSTGRES_URL_PREFIX", "postgresql+psycopg2://postgres@127.0.0.1:5432/")
PREFETCH = 20  # the notifier's NOTIFIER_MAX_WORKERS default, which nameko uses as its prefetch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]




def postgres_available() -> bool:
    try:
        pg_admin_execute("SELECT 1")
        return True
    except Exception:
        return False


def publish_all(amqp_uri: str, exchange: str, routing_key: str, bodies: list[str]) -> None:
    """Persistent messages (publishing is not measured; the caller then waits until the queue
    holds them all)."""
    from kombu import Connection, Producer

    with Connection(amqp_uri) as connection:
        producer = Producer(connection.default_channel)
        for body in bodies:
            producer.publish(body, exchange=exchange, routing_key=routing_key, delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8")


def queue_depth(amqp_uri: str, queue: str) -> int:
    from kombu import Connection

    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue=queue, passive=True).message_count


def wait_depth(amqp_uri: str, queue: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while queue_depth(amqp_uri, queue) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{queue}: the backlog did not reach {count} messages")
        time.sleep(0.2)


def raw_consume_rate(amqp_uri: str, events: int) -> float:
    """(a) kombu consumer, prefetch like the notifier, one ack per message."""
    from kombu import Connection, Queue

    name = "bench.raw"
    with Connection(amqp_uri) as connection:
        Queue(name, durable=True)(connection.default_channel).declare()
    bodies = [json.dumps({"event_id": str(uuid.uuid4()), "n": n, "payload": {"mobile": "+33612345678"}})
              for n in range(events)]
    publish_all(amqp_uri, "", name, bodies)
    wait_depth(amqp_uri, name, events)

    received = 0
    with Connection(amqp_uri) as connection:
        def on_message(body, message):
            nonlocal received
            message.ack()  # the body was decoded by kombu (accept=["json"])
            received += 1

        consumer = connection.Consumer(Queue(name, durable=True), callbacks=[on_message],
                                       accept=["json"], prefetch_count=PREFETCH)
        started = time.perf_counter()
        with consumer:
            while received < events:
                connection.drain_events(timeout=10)
        elapsed = time.perf_counter() - started
    return events / elapsed


def count_sms(folder: Path) -> int:
    try:
        return sum(1 for entry in os.scandir(folder) if entry.name.endswith(".json") and not entry.name.startswith("."))
    except FileNotFoundError:
        return 0


def notifier_rate(amqp_uri: str, events: int, database_url: str, workdir: Path, log_level: str) -> dict:
    """(b) the notifier process draining a backlog of code SMS commands into the outbox."""
    from consignations_shared.events import COMMANDS_EXCHANGE, new_envelope
    from consignations_shared.topology import declare

    env = {**os.environ, "AMQP_URI": amqp_uri, "CONSIGNATIONS_VAR_DIR": str(workdir / "var"),
           "NOTIFIER_DATABASE_URL": database_url, "NOTIFIER_OUTBOX_DIR": str(workdir / "outbox"),
           "NOTIFIER_HTTP_ADDRESS": f"127.0.0.1:{free_port()}", "LOG_LEVEL": log_level}
    env.pop("NOTIFIER_FAULT_CRASH_AFTER_SEND", None)
    subprocess.run([sys.executable, "-m", "notifier_service", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    declare(["notifier"], env)
    queue = "notifier.send_signup_sms_code"
    bodies = [json.dumps(new_envelope("send_signup_sms_code", {
        "signup_id": str(uuid.uuid4()), "mobile": f"+336{n:08d}", "code": f"{n % 1000000:06d}"},
        source="identity", command=True).to_dict()) for n in range(events)]
    publish_all(amqp_uri, COMMANDS_EXCHANGE, queue, bodies)
    wait_depth(amqp_uri, queue, events)

    sms_dir = workdir / "outbox" / "sms"
    log_path = workdir / "notifier.log"
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "notifier_service"], cwd=ROOT, env=env,
                                   stdout=log, stderr=log)
        first = None
        try:
            deadline = started + 600
            while True:
                done = count_sms(sms_dir)
                now = time.perf_counter()
                if first is None and done:
                    first = (now, done)
                if done >= events:
                    break
                if process.poll() is not None or now > deadline:
                    raise SystemExit(f"notifier stopped or too slow ({done}/{events}); see {log_path}:\n"
                                     + log_path.read_text(errors="replace")[-3000:])
                time.sleep(0.02)
            finished = time.perf_counter()
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    from sqlalchemy import create_engine, func, select

    from notifier_service.models import DeliveryAttemptRecord, Notification

    engine = create_engine(database_url)
    with engine.connect() as connection:
        recorded = connection.execute(select(func.count()).select_from(Notification)).scalar_one()
        limited = connection.execute(select(func.count()).select_from(DeliveryAttemptRecord)
                                     .where(DeliveryAttemptRecord.status != "sent")).scalar_one()
    engine.dispose()
    first_at, first_count = first
    return {
        "from_start": events / (finished - started),
        "steady": (events - first_count) / (finished - first_at) if finished > first_at else float("nan"),
        "startup": first_at - started,
        "total": finished - started,
        "recorded": recorded,
        "not_sent": limited,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default=None,
                        help="default: postgres when it answers, else sqlite")
    parser.add_argument("--log-level", default="INFO", help="the notifier's LOG_LEVEL (production: INFO)")
    args = parser.parse_args()
    database = args.database or ("postgres" if postgres_available() else "sqlite")

    vhost = f"bench-notifier-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    amqp_uri = AMQP_BASE + vhost
    workdir = Path(tempfile.mkdtemp(prefix="notifier-bench-"))
    db_name = f"bench_notifier_{uuid.uuid4().hex[:8]}"
    if database == "postgres":
        pg_admin_execute(f'CREATE DATABASE "{db_name}"')
        database_url = PG_URL_PREFIX + db_name
    else:
        database_url = f"sqlite:///{workdir / 'notifier.db'}"
    try:
        print(f"notifier throughput, {args.events} messages, database {database}, "
              f"prefetch {PREFETCH}, notifier LOG_LEVEL {args.log_level}, {os.cpu_count()} cores")
        raw = raw_consume_rate(amqp_uri, args.events)
        print(f"(a) raw kombu consume + ack:                 {raw:8.0f} messages/s")
        result = notifier_rate(amqp_uri, args.events, database_url, workdir, args.log_level)
        print(f"(b) notifier, SMS delivered to the outbox:   {result['steady']:8.0f} notifications/s "
              f"(from its first SMS)")
        print(f"    including the process start ({result['startup']:.1f} s):   {result['from_start']:8.0f} "
              f"notifications/s ({args.events} in {result['total']:.1f} s)")
        print(f"    recorded notifications: {result['recorded']}, attempts not sent: {result['not_sent']}")
        print(f"ratio b/a: {result['steady'] / raw:.3f} (from the first SMS), "
              f"{result['from_start'] / raw:.3f} (including start-up)")
    finally:
        rabbitmqctl("delete_vhost", vhost)
        if database == "postgres":
            from consignations_shared.db import dispose_engine

            dispose_engine(database_url)
            try:
                pg_admin_execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            except Exception as exc:
                print(f"could not drop {db_name}: {exc}", file=sys.stderr)
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
