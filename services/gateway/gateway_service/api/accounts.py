"""Client accounts through the gateway (SPEC AC-1..AC-9): the acting person always comes from
the session, never from the request body; the accounts service checks the rights."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..auth import current_person, login_required
from ..rpc_calls import accounts, demandes
from ..web import json_body

bp = Blueprint("accounts", __name__, url_prefix="/api")


def _step(body: dict) -> tuple[dict, bool]:
    """« Suivant » is `"next": true` (the step must be complete); otherwise « Enregistrer »."""
    form = dict(body)
    complete = form.pop("next", False) is True
    return form, complete


@bp.get("/communes")
def communes():
    return jsonify(accounts.communes(request.args.get("q", "")))


@bp.get("/account/wizard")
@login_required
def wizard_state():
    return jsonify(accounts.wizard_state(current_person()))


@bp.put("/account/wizard/structure")
@login_required
def wizard_structure():
    form, complete = _step(json_body())
    return jsonify(accounts.save_wizard_structure(current_person(), form, complete))


@bp.put("/account/wizard/administrator")
@login_required
def wizard_administrator():
    form, complete = _step(json_body())
    return jsonify(accounts.save_wizard_administrator(current_person(), form, complete))


@bp.put("/account/wizard/documents")
@login_required
def wizard_documents():
    form, complete = _step(json_body())
    return jsonify(accounts.save_wizard_documents(current_person(), form, complete))


@bp.post("/account/wizard/finalise")
@login_required
def wizard_finalise():
    return jsonify(accounts.finalise_account(current_person()))


@bp.get("/account/welcome")
@login_required
def welcome():
    """The welcome page (AC-2) in one call: whether it is due, and the procedures it lists."""
    person = current_person()
    page = accounts.welcome(person)
    page["procedures"] = [{"code": p["code"], "label": p["label"], "sens": p["sens"]}
                          for p in demandes.procedures(person)] if page["show"] else []
    return jsonify(page)


@bp.post("/account/welcome/seen")
@login_required
def welcome_seen():
    return jsonify(accounts.welcome_seen(current_person()))


@bp.get("/account/fiche")
@login_required
def fiche():
    return jsonify(accounts.fiche(current_person()))


@bp.patch("/account/fiche")
@login_required
def update_fiche():
    return jsonify(accounts.update_fiche(current_person(), json_body()))


@bp.get("/me/profile")
@login_required
def my_profile():
    return jsonify(accounts.my_profile(current_person()))


@bp.patch("/me/profile")
@login_required
def update_my_profile():
    return jsonify(accounts.update_my_profile(current_person(), json_body()))


@bp.post("/me/deletion-request")
@login_required
def request_deletion():
    return jsonify(accounts.request_deletion(current_person())), 202


@bp.get("/account/users")
@login_required
def list_users():
    return jsonify(accounts.list_members(current_person()))


@bp.post("/account/users")
@login_required
def invite_user():
    return jsonify(accounts.invite_member(current_person(), json_body())), 201


@bp.patch("/account/users/<person_id>")
@login_required
def update_user(person_id):
    return jsonify(accounts.update_member(current_person(), person_id, json_body()))


@bp.delete("/account/users/<person_id>")
@login_required
def delete_user(person_id):
    return jsonify(accounts.delete_member(current_person(), person_id))


@bp.post("/account/users/<person_id>/renew")
@login_required
def renew_user(person_id):
    return jsonify(accounts.renew_member_access(current_person(), person_id))


@bp.put("/account/users/<person_id>/submit-right")
@login_required
def submit_right(person_id):
    return jsonify(accounts.set_submit_right(current_person(), person_id, json_body().get("allowed")))


@bp.post("/account/users/<person_id>/deletion-request")
@login_required
def decide_deletion(person_id):
    return jsonify(accounts.decide_deletion(current_person(), person_id, json_body().get("accept")))
