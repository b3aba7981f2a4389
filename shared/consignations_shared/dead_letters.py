"""Operator tool for dead-letter queues (SPEC EV-3, NO-A): see what failed, replay it once fixed.

    python -m consignations_shared.dead_letters list [--queue Q] [--limit N]
    python -m consignations_shared.dead_letters replay QUEUE.dlq [--event-id ID]

``list`` shows every ``<queue>.dlq`` of every service's subscriptions (from the services'
consumers, as ``python -m consignations_shared.topology`` declares them), or only the one of
``--queue`` (a queue or its ``.dlq``), with its message count and, for each message, the event
type, event id, ``x-attempt`` (how many times it was tried) and ``x-error`` (the last failure).
Listing does not remove anything: messages are fetched without acknowledgement and given back.

``replay`` moves the messages of ``QUEUE.dlq`` (or only those of ``--event-id``) back to
``QUEUE``, directly (default exchange: other subscribers of the event do not get it again),
with the attempt count reset and the error removed, so they get the full retry budget again.
Each message is republished with publisher confirms and acknowledged in the DLQ only once the
broker confirmed the copy: an interruption can leave a message in both queues (consumers are
idempotent on the event id), never in none.

The broker is ``AMQP_URI`` (``--amqp-uri`` to override), as for the services.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

from amqp.exceptions import NotFound
from kombu import Connection, Producer

from .config import DEFAULT_AMQP_URI, load_settings
from .consumer import ATTEMPT_HEADER, ERROR_HEADER

log = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"
REPLAY_COUNT_HEADER = "x-replay-count"


@dataclass
class DeadLetter:
    """One parked message, as an operator reads it."""

    event_type: str
    event_id: str
    attempt: Any
    error: str
    source: str = ""
    original_routing_key: str = ""


@dataclass
class DeadLetterQueue:
    name: str
    count: int | None  # None: the queue does not exist (never declared)
    messages: list[DeadLetter] = field(default_factory=list)

    @property
    def main_queue(self) -> str:
        return main_queue_of(self.name)


def main_queue_of(dlq_name: str) -> str:
    if not dlq_name.endswith(DLQ_SUFFIX) or len(dlq_name) == len(DLQ_SUFFIX):
        raise ValueError(f"{dlq_name!r} is not a dead-letter queue (<queue>{DLQ_SUFFIX})")
    return dlq_name[: -len(DLQ_SUFFIX)]


def service_dead_letter_queues(env=None) -> list[tuple[str, str]]:
    """(AMQP URI, DLQ name) of every subscription of every service, as topology declares them."""
    from .topology import SERVICE_CLASSES, load_service_class, queue_specs

    found = []
    for service, path in SERVICE_CLASSES.items():
        settings = load_settings(service, env)
        try:
            service_cls = load_service_class(path)
        except Exception as exc:  # a service being worked on must not hide the others' DLQs
            log.warning("cannot load %s (%s): its queues are not listed", path, exc)
            print(f"warning: cannot load {path}: {exc}", file=sys.stderr)
            continue
        for spec in queue_specs(service_cls, settings.event_retry_delays):
            found.append((settings.amqp_uri, spec.dlq_name))
    return found


def _describe(message) -> DeadLetter:
    headers = dict(message.headers or {})
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        body = {}
    error = headers.get(ERROR_HEADER)
    return DeadLetter(
        event_type=str(body.get("type") or "?"),
        event_id=str(body.get("event_id") or "?"),
        attempt=headers.get(ATTEMPT_HEADER, "?"),
        error=(error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error or "")),
        source=str(body.get("source") or ""),
        original_routing_key=str(headers.get("x-original-routing-key") or ""),
    )


def _count(connection: Connection, queue: str) -> int | None:
    channel = connection.channel()
    try:
        _, count, _ = channel.queue_declare(queue=queue, passive=True)
        return count
    except NotFound:
        return None
    finally:
        try:
            channel.close()
        except Exception:
            pass


def inspect_queue(amqp_uri: str, dlq_name: str, limit: int = 100) -> DeadLetterQueue:
    """Count and describe up to ``limit`` messages of a DLQ without removing any."""
    with Connection(amqp_uri, connect_timeout=5) as connection:
        count = _count(connection, dlq_name)
        result = DeadLetterQueue(dlq_name, count)
        if not count:
            return result
        channel = connection.channel()
        try:
            for _ in range(min(count, limit)):
                raw = channel.basic_get(queue=dlq_name, no_ack=False)
                if raw is None:
                    break
                message = channel.message_to_python(raw)
                result.messages.append(_describe(message))
        finally:
            # unacknowledged messages go back to the queue, in their place, when the channel closes
            channel.close()
        return result


def list_dead_letters(targets: Iterable[tuple[str, str]], limit: int = 100) -> list[DeadLetterQueue]:
    return [inspect_queue(uri, name, limit) for uri, name in targets]


def replay(amqp_uri: str, dlq_name: str, event_id: str | None = None) -> int:
    """Move messages of ``dlq_name`` back to its queue; returns how many were moved."""
    target = main_queue_of(dlq_name)
    with Connection(amqp_uri, connect_timeout=5, transport_options={"confirm_publish": True}) as connection:
        count = _count(connection, dlq_name)
        if count is None:
            raise LookupError(f"no queue {dlq_name}")
        if _count(connection, target) is None:
            raise LookupError(f"no queue {target} to replay {dlq_name} into")
        publisher = Producer(connection.channel())
        channel = connection.channel()
        moved = 0
        try:
            # at most the messages present now: a replayed message failing again meanwhile and
            # coming back to the DLQ is not replayed twice by this run
            for _ in range(count):
                raw = channel.basic_get(queue=dlq_name, no_ack=False)
                if raw is None:
                    break
                message = channel.message_to_python(raw)
                if event_id is not None and _describe(message).event_id != event_id:
                    continue  # left unacknowledged: back in the DLQ when the channel closes
                headers = {key: value for key, value in (message.headers or {}).items()
                           if key not in (ATTEMPT_HEADER, ERROR_HEADER)}
                headers[REPLAY_COUNT_HEADER] = int(headers.get(REPLAY_COUNT_HEADER) or 0) + 1
                properties = message.properties
                publisher.publish(
                    message.body, exchange="", routing_key=target,
                    content_type=message.content_type, content_encoding=message.content_encoding,
                    headers=headers, delivery_mode=2,
                    message_id=properties.get("message_id"),
                    correlation_id=properties.get("correlation_id"),
                    retry=False,
                )  # returns once the broker confirmed it (confirm_publish); raises otherwise
                message.ack()
                moved += 1
        finally:
            channel.close()
        return moved


def _print_queues(queues: list[DeadLetterQueue], out) -> None:
    for queue in queues:
        if queue.count is None:
            print(f"{queue.name}: not declared", file=out)
            continue
        print(f"{queue.name}: {queue.count} message(s)", file=out)
        for letter in queue.messages:
            error = " ".join(letter.error.split())
            print(f"  - type={letter.event_type} event_id={letter.event_id} "
                  f"x-attempt={letter.attempt} x-error={error}", file=out)
        if queue.count > len(queue.messages):
            print(f"  ... {queue.count - len(queue.messages)} more", file=out)


def main(argv: list[str] | None = None, out=None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="python -m consignations_shared.dead_letters",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=None, help="broker (default: AMQP_URI)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="dead-letter queues and their messages")
    listing.add_argument("--queue", help="only this queue's DLQ (a queue or a .dlq name)")
    listing.add_argument("--limit", type=int, default=100, help="messages shown per queue")
    replaying = commands.add_parser("replay", help="move messages of a DLQ back to its queue")
    replaying.add_argument("queue", help="the dead-letter queue, <queue>.dlq")
    replaying.add_argument("--event-id", help="only the message(s) of this event id")
    args = parser.parse_args(argv)
    amqp_uri = args.amqp_uri or os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI

    if args.command == "list":
        if args.queue:
            name = args.queue if args.queue.endswith(DLQ_SUFFIX) else args.queue + DLQ_SUFFIX
            targets = [(amqp_uri, name)]
        else:
            env = dict(os.environ)
            if args.amqp_uri:
                env["AMQP_URI"] = args.amqp_uri
            targets = service_dead_letter_queues(env)
        queues = list_dead_letters(targets, args.limit)
        _print_queues(queues, out)
        total = sum(queue.count or 0 for queue in queues)
        print(f"{total} dead-lettered message(s) in {len(queues)} queue(s)", file=out)
        return 0

    try:
        moved = replay(amqp_uri, args.queue, args.event_id)
    except (ValueError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"replayed {moved} message(s) from {args.queue} to {main_queue_of(args.queue)}", file=out)
    if args.event_id and not moved:
        print(f"no message of event {args.event_id} in {args.queue}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
