"""The web portal (SPEC GW-4): server-rendered French pages served by the gateway.

Pages read what they show through the same service clients as the JSON API (`rpc_calls`, with
the person resolved from the session cookie); every change a person makes goes through the JSON
API itself (`/api/...`), posted by the portal's script (`static/portal.js`) with the session's
CSRF token, so there is one path to the data and one set of rules. No business rule lives here:
the services decide, the pages show their answers.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pages", __name__)

from . import account, demandes, gestion, informations, public  # noqa: E402,F401  (routes)
