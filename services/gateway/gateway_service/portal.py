"""Pages reached from the links of the e-mails (activation, invitation, password reset): they
post to the same JSON API as every client (no second path to the data). The rest of the portal
comes with issue 9."""
from __future__ import annotations

from flask import Blueprint, render_template, request

bp = Blueprint("portal", __name__)


def _token() -> str:
    return request.args.get("token", "")[:200]


@bp.get("/activation")
def activation():
    return render_template("portal/activation.html", token=_token())


@bp.get("/invitation")
def invitation():
    return render_template("portal/invitation.html", token=_token())


@bp.get("/mot-de-passe/reinitialisation")
def password_reset():
    return render_template("portal/reset.html", token=_token())
