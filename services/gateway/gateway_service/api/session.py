"""Login, logout, the current session, passwords and invitations (SPEC ID-6..ID-11)."""
from __future__ import annotations

from flask import Blueprint, jsonify, make_response, request

from consignations_shared.errors import ValidationFailed

from ..auth import (
    clear_session_cookies, client_ip, current_person, current_session, forget_session,
    login_required, session_token, set_session_cookies,
)
from ..rpc_calls import identity
from ..web import json_body

bp = Blueprint("session", __name__, url_prefix="/api")


@bp.post("/login")
def login():
    body = json_body()
    mode = body.get("session", "cookie")
    if mode not in ("cookie", "bearer"):
        raise ValidationFailed(None, {"session": "Valeur attendue : « cookie » ou « bearer »."})
    opened = identity.login(body.get("email"), body.get("password"), client_ip(),
                      request.headers.get("User-Agent"))
    reply = {"person": opened["person"]}
    if mode == "bearer":
        # API clients keep the token themselves; no cookie, so no CSRF token either.
        reply["session_token"] = opened["session_token"]
        return jsonify(reply)
    reply["csrf_token"] = opened["csrf_token"]
    response = make_response(jsonify(reply))
    set_session_cookies(response, opened["session_token"], opened["csrf_token"])
    return response


@bp.post("/logout")
def logout():
    token = session_token()
    if token:
        current_session()  # the CSRF check applies to logout as well
        identity.logout(token, client_ip())
        forget_session(token)
    response = make_response("", 204)
    clear_session_cookies(response)
    return response


@bp.get("/session")
@login_required
def session():
    return jsonify({"person": current_person()})


@bp.post("/password/forgotten")
def forgotten_password():
    return jsonify(identity.request_password_reset(json_body().get("email"), client_ip())), 202


@bp.post("/password/reset")
def reset_password():
    body = json_body()
    return jsonify(identity.reset_password(body.get("token"), body.get("email"),
                            body.get("password"), body.get("code")))


@bp.post("/me/password/code")
@login_required
def password_change_code():
    body = json_body()
    return jsonify(identity.request_password_change_code(current_person()["id"], body.get("password"))), 202


@bp.post("/me/password")
@login_required
def change_password():
    body = json_body()
    auth = current_session()
    return jsonify(identity.change_password(auth["person"]["id"], auth["session_id"],
                            body.get("password"), body.get("code")))


@bp.get("/invitation")
def invitation_details():
    return jsonify(identity.invitation_details(request.args.get("token")))


@bp.post("/invitation/accept")
def accept_invitation():
    body = json_body()
    return jsonify(identity.accept_invitation(body.get("token"), body.get("code"),
                            body.get("password"), body.get("accept_cgu")))


@bp.post("/invitation/resend")
def resend_invitation():
    return jsonify(identity.resend_invitation(json_body().get("token"))), 202
