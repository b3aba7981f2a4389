"""The monolith baseline of « Mon suivi » (issue 15): the same page as the gateway's
`GET /api/demandes`, computed by ONE Flask app that reads the same PostgreSQL tables in-process
with SQLAlchemy — what a team would build without services.

    gunicorn --config deploy/gunicorn.conf.py "monolith_board:create_app()"   (bench/ on PYTHONPATH)

Per request, in the worker's thread, with no broker and no other process:
  1. the session token (`Authorization: Bearer` or the session cookie, as the gateway reads it)
     resolved against identity's `sessions` and `persons` tables (identity_service.sessions.resolve);
     with the person's membership (identity's copy of accounts' members, as the services read it);
  2. the board itself from demandes' tables (demandes_service.board.board: the tab counts, the
     page, the unread counts, the owners' names from its copy of accounts' members), turned into
     JSON by Flask. A monolith would join accounts' tables for the last two instead of reading
     copies: the same rows, the same indexes, one query each.
The same use-case functions as the services (a monolith would have the same modules, called
instead of messaged), the gateway's HTTP layer (`web.install`, `metrics.install`) and the same
gunicorn settings: the difference measured is the services' seams, nothing else. bench/all.py
checks that it answers the same JSON as the gateway for the same session before measuring it.

Settings: IDENTITY_DATABASE_URL, DEMANDES_DATABASE_URL (the services' own).
"""
from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, request

from consignations_shared.clock import SystemClock
from consignations_shared.db import make_sessionmaker
from consignations_shared.errors import Forbidden, Unauthenticated
from consignations_shared.outbox import OutboxWriter
from demandes_service import board
from demandes_service.context import DemandesContext
from gateway_service import metrics, web
from gateway_service.api.demandes import CLIENTS_ONLY
from gateway_service.auth import session_token
from identity_service import sessions
from identity_service.context import IdentityContext
from identity_service.domain.passwords import PasswordHasher


def create_app() -> Flask:
    identity_db, demandes_db = (make_sessionmaker(os.environ[f"{name}_DATABASE_URL"])
                                for name in ("IDENTITY", "DEMANDES"))
    clock = SystemClock()
    # Resolving a session hashes no password and checks no code: the hasher and the secret of
    # identity's context are never used on this path.
    hasher = PasswordHasher()

    app = Flask(__name__)
    app.json.ensure_ascii = False
    metrics.install(app)
    web.install(app)

    def resolved_person() -> dict[str, Any]:
        token = session_token()
        if not token:
            raise Unauthenticated()
        with identity_db() as session:
            context = IdentityContext(session=session, outbox=OutboxWriter("identity", clock=clock), clock=clock,
                                      hasher=hasher, secret_key=b"")
            return sessions.resolve(context, token)["person"]

    @app.get("/api/demandes")
    def suivi():
        person = resolved_person()
        if person.get("is_staff"):
            raise Forbidden(CLIENTS_ONLY)
        with demandes_db() as demandes_session:
            context = DemandesContext(session=demandes_session, outbox=OutboxWriter("demandes", clock=clock),
                                      clock=clock)
            return jsonify(board.board(context, person, request.args.to_dict()))

    return app


def first_difference(expected: Any, found: Any, path: str = "$") -> str | None:
    """Where two JSON documents first differ (`$.items[3].owner_name: 'A' != 'B'`), or None."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(set(expected) | set(found), key=str):
            if key not in expected or key not in found:
                return f"{path}.{key}: only in the {'monolith' if key in found else 'gateway'}'s page"
            difference = first_difference(expected[key], found[key], f"{path}.{key}")
            if difference:
                return difference
        return None
    if isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            return f"{path}: {len(expected)} entries != {len(found)}"
        for n, (a, b) in enumerate(zip(expected, found)):
            difference = first_difference(a, b, f"{path}[{n}]")
            if difference:
                return difference
        return None
    return None if expected == found and type(expected) is type(found) else f"{path}: {expected!r} != {found!r}"
