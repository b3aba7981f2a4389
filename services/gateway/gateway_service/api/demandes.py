"""Requests through the gateway (SPEC section 3): the acting person always comes from the
session, never from the request body; the demandes service checks the rights."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..auth import current_person, login_required
from ..rpc_calls import demandes

bp = Blueprint("demandes", __name__, url_prefix="/api")


@bp.get("/legal-forms")
def legal_forms():
    return jsonify(demandes("legal_forms", request.args.get("q", "")))


@bp.get("/procedures")
@login_required
def procedures():
    return jsonify(demandes("procedures", current_person()))


@bp.get("/procedures/<code>")
@login_required
def procedure(code):
    return jsonify(demandes("procedure", code))
