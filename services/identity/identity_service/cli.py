"""Operator commands of the identity service (python -m identity_service <command> --help).

    create-staff  --email E --first-name F --last-name L   a gestionnaire account (BO-4): the
                  agent receives the invitation e-mail (link + confidential password, 48 hours)
    audit         [--kind K] [--email E] [--person ID] [--since ISO-DATE] [--limit N]
                  security events, newest first, one JSON object per line
    rebuild-read-models
                  rebuild the memberships read model from accounts.members_snapshot now (safe
                  beside a running service: a record replaces only an older revision)
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from consignations_shared.clock import SystemClock
from consignations_shared.db import make_sessionmaker
from consignations_shared.errors import DomainError
from consignations_shared.outbox import OutboxWriter

from consignations_shared.read_models import rebuild_command

from . import audit, invitations, memberships
from .context import IdentityContext
from .domain.passwords import PasswordHasher
from .providers import load_secret_key


def _context(settings, session) -> IdentityContext:
    # Messages are left in the outbox: the running identity service's relay publishes them.
    return IdentityContext(session=session, outbox=OutboxWriter("identity"), clock=SystemClock(),
                           hasher=PasswordHasher(), secret_key=load_secret_key(settings))


def create_staff(settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m identity_service create-staff",
                                     description="Create a gestionnaire (back-office) account.")
    parser.add_argument("--email", required=True)
    parser.add_argument("--first-name", required=True)
    parser.add_argument("--last-name", required=True)
    args = parser.parse_args(argv)
    with make_sessionmaker(settings.database_url)() as session:
        try:
            created = invitations.invite(_context(settings, session), {
                "email": args.email, "first_name": args.first_name, "last_name": args.last_name,
                "profile": "GESTIONNAIRE"}, invited_by="operator", neutral=False)
        except DomainError as exc:
            print(f"Refusé : {exc.message} {json.dumps(exc.fields, ensure_ascii=False)}", file=sys.stderr)
            return 1
    print(f"Compte gestionnaire créé pour {created['email']} (id {created['person_id']}) : "
          "un courriel d'invitation lui est envoyé.")
    return 0


def show_audit(settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m identity_service audit",
                                     description="Security events, newest first.")
    parser.add_argument("--kind", choices=audit.KINDS)
    parser.add_argument("--email")
    parser.add_argument("--person")
    parser.add_argument("--since", type=datetime.fromisoformat)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args(argv)
    since = args.since.replace(tzinfo=args.since.tzinfo or timezone.utc) if args.since else None
    with make_sessionmaker(settings.database_url)() as session:
        for entry in audit.query(session, kind=args.kind, person_id=args.person, email=args.email,
                                 since=since, limit=args.limit):
            print(json.dumps(entry, ensure_ascii=False))
    return 0


COMMANDS = {"create-staff": create_staff, "audit": show_audit,
            "rebuild-read-models": rebuild_command("identity", memberships.MODEL)}
