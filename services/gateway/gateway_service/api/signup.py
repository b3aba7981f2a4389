"""Company sign-up API (SPEC ID-2..ID-4): thin views over the identity service."""
from __future__ import annotations

import base64

from flask import Blueprint, Response, jsonify

from ..auth import client_ip
from ..rpc_calls import identity
from ..web import json_body

bp = Blueprint("signup", __name__, url_prefix="/api")


def _signup_token(body: dict):
    return body.get("signup_token")


@bp.post("/captcha")
def new_captcha():
    challenge = identity.new_captcha(client_ip())
    return jsonify({
        "captcha_id": challenge["captcha_id"],
        "image": "data:image/png;base64," + challenge["image_png_base64"],
        "image_url": f"/api/captcha/{challenge['captcha_id']}.png",
    }), 201


@bp.get("/captcha/<captcha_id>.png")
def captcha_image(captcha_id: str):
    png = base64.b64decode(identity.captcha_image(captcha_id))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/signup/entreprise")
def start_company_signup():
    body = json_body()
    form = {key: body.get(key) for key in (
        "company_name", "email", "mobile", "password", "accept_cgu", "captcha_id", "captcha_answer",
    )}
    return jsonify(identity.start_company_signup(form, client_ip())), 201


@bp.post("/signup/progress")
def signup_progress():
    return jsonify(identity.signup_progress(_signup_token(json_body())))


@bp.post("/signup/sms-code")
def verify_sms_code():
    body = json_body()
    return jsonify(identity.verify_signup_sms_code(_signup_token(body), body.get("code")))


@bp.post("/signup/sms-code/resend")
def resend_sms_code():
    return jsonify(identity.resend_signup_sms_code(_signup_token(json_body()), client_ip())), 202


@bp.post("/signup/email-code")
def verify_email_code():
    body = json_body()
    return jsonify(identity.verify_signup_email_code(_signup_token(body), body.get("code")))


@bp.post("/signup/email-code/resend")
def resend_email_code():
    return jsonify(identity.resend_signup_email_code(_signup_token(json_body()))), 202


@bp.post("/signup/particulier")
def start_particulier_signup():
    body = json_body()
    form = {key: body.get(key) for key in (
        "last_name", "first_name", "mobile", "email", "password", "accept_cgu",
        "accept_conditions_particulieres", "captcha_id", "captcha_answer",
    )}
    return jsonify(identity.start_particulier_signup(form, client_ip())), 202


@bp.post("/activation")
def activate_account():
    return jsonify(identity.activate_account(json_body().get("token")))


@bp.post("/activation/resend")
def resend_activation_link():
    body = json_body()
    return jsonify(identity.resend_activation_link(body.get("email"), body.get("token"))), 202
