"""Operator commands of the demandes service (python -m demandes_service <command> --help).

    reminders  [--first-after N] [--second-after M]   posts the 1st / 2nd « relance » message of
               every request awaiting a complement or funds for N / M days (defaults from
               DEMANDES_REMINDER_FIRST_AFTER_DAYS / DEMANDES_REMINDER_SECOND_AFTER_DAYS); a
               reminder is never posted twice, whoever runs it (the service's timer does too)
    rebuild-read-models
               rebuild the read models now: members from accounts.members_snapshot, the
               requests' documents from documents.documents_snapshot (safe beside a running
               service: a record replaces only an older revision)
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from consignations_shared.clock import SystemClock
from consignations_shared.db import make_sessionmaker
from consignations_shared.outbox import OutboxWriter
from consignations_shared.read_models import rebuild_command

from . import members, request_documents, threads
from .context import DemandesContext
from .domain import reminders


def reminder_delays(env=None) -> tuple[int, int]:
    env = os.environ if env is None else env
    first = int(env.get("DEMANDES_REMINDER_FIRST_AFTER_DAYS", reminders.DEFAULT_FIRST_AFTER_DAYS))
    second = int(env.get("DEMANDES_REMINDER_SECOND_AFTER_DAYS", reminders.DEFAULT_SECOND_AFTER_DAYS))
    reminders.check_delays(first, second)
    return first, second


def post_reminders(settings, argv: list[str]) -> int:
    first, second = reminder_delays()
    parser = argparse.ArgumentParser(prog="python -m demandes_service reminders",
                                     description="Post the reminders that are due.")
    parser.add_argument("--first-after", type=int, default=first, help="days before the 1st reminder")
    parser.add_argument("--second-after", type=int, default=second, help="days before the 2nd reminder")
    args = parser.parse_args(argv)
    try:
        reminders.check_delays(args.first_after, args.second_after)
    except ValueError as exc:
        print(f"Refusé : {exc}", file=sys.stderr)
        return 2
    with make_sessionmaker(settings.database_url)() as session:
        # The messages' events stay in the outbox: the running service's relay publishes them.
        ctx = DemandesContext(session=session, outbox=OutboxWriter("demandes"), clock=SystemClock())
        posted = threads.post_due_reminders(ctx, first_after_days=args.first_after,
                                            second_after_days=args.second_after)
    for entry in posted:
        print(json.dumps(entry, ensure_ascii=False))
    print(f"{len(posted)} relance(s) envoyée(s).", file=sys.stderr)
    return 0


COMMANDS = {"reminders": post_reminders,
            "rebuild-read-models": rebuild_command("demandes", members.MODEL, request_documents.MODEL)}
