"""Requests through the gateway (SPEC section 3): the acting person always comes from the
session, never from the request body; the demandes service checks the rights (DM-9) and
validates everything it is sent, so these views only parse, call and shape.

The request routes are for clients: a gestionnaire's session gets a French 403 here (the back
office has its own routes)."""
from __future__ import annotations

import functools

from flask import Blueprint, jsonify, request

from consignations_shared.errors import Forbidden

from ..auth import current_person, login_required
from ..rpc_calls import demandes
from ..web import json_body
from .documents import stream_document

bp = Blueprint("demandes", __name__, url_prefix="/api")

CLIENTS_ONLY = ("Les demandes se déposent depuis un espace client : un gestionnaire les consulte "
                "depuis l'espace du service de gestion.")
IDEMPOTENCY_HEADER = "Idempotency-Key"


def client_required(view):
    """After login_required: the session is a client's (a particulier or a person of a client
    account), not a gestionnaire's."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_person().get("is_staff"):
            raise Forbidden(CLIENTS_ONLY)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/legal-forms")
def legal_forms():
    return jsonify(demandes.legal_forms(request.args.get("q", "")))


@bp.get("/procedures")
@login_required
def procedures():
    return jsonify(demandes.procedures(current_person()))


@bp.get("/procedures/<code>")
@login_required
def procedure(code):
    return jsonify(demandes.procedure(code))


@bp.post("/demandes")
@login_required
@client_required
def create_draft():
    return jsonify(demandes.create_draft(current_person(), json_body().get("procedure_code"))), 201


@bp.get("/demandes")
@login_required
@client_required
def board():
    """« Mon suivi » (DM-7): one tab in one call; every query parameter goes to the service,
    which refuses the unknown ones."""
    return jsonify(demandes.board(current_person(), request.args.to_dict()))


@bp.get("/demandes/<demande_id>")
@login_required
@client_required
def detail(demande_id):
    return jsonify(demandes.detail(current_person(), demande_id))


@bp.put("/demandes/<demande_id>/informations")
@login_required
@client_required
def save_informations(demande_id):
    """Step 1: « Enregistrer » (`complete` false), or « Suivant » (`complete: true`: mandatory
    fields required, then step 2)."""
    body = json_body()
    return jsonify(demandes.save_step(current_person(), demande_id, body.get("values", {}), body.get("complete") is True))


@bp.post("/demandes/<demande_id>/justificatifs/confirm")
@login_required
@client_required
def confirm_documents(demande_id):
    return jsonify(demandes.confirm_documents(current_person(), demande_id))


@bp.put("/demandes/<demande_id>/step")
@login_required
@client_required
def go_to_step(demande_id):
    return jsonify(demandes.go_to_step(current_person(), demande_id, json_body().get("step")))


@bp.post("/demandes/<demande_id>/submit")
@login_required
@client_required
def submit(demande_id):
    return jsonify(demandes.submit(current_person(), demande_id, request.headers.get(IDEMPOTENCY_HEADER) or None))


@bp.post("/demandes/<demande_id>/duplicate")
@login_required
@client_required
def duplicate(demande_id):
    return jsonify(demandes.duplicate(current_person(), demande_id)), 201


@bp.delete("/demandes/<demande_id>")
@login_required
@client_required
def delete(demande_id):
    return jsonify(demandes.delete(current_person(), demande_id))


@bp.get("/demandes/<demande_id>/reassign-candidates")
@login_required
@client_required
def reassign_candidates(demande_id):
    return jsonify(demandes.reassign_candidates(current_person(), demande_id))


@bp.post("/demandes/<demande_id>/reassign")
@login_required
@client_required
def reassign(demande_id):
    return jsonify(demandes.reassign(current_person(), demande_id, json_body().get("person_id")))


@bp.post("/demandes/<demande_id>/complete")
@login_required
@client_required
def complete(demande_id):
    return jsonify(demandes.complete(current_person(), demande_id))


@bp.get("/demandes/<demande_id>/summary")
@login_required
@client_required
def summary(demande_id):
    return jsonify(demandes.summary_document(current_person(), demande_id))


@bp.get("/demandes/<demande_id>/summary.pdf")
@login_required
@client_required
def summary_pdf(demande_id):
    """A link of the portal: the stored PDF summary, streamed (one call to demandes for the
    document and its read grant, then the bytes from the documents service)."""
    person = current_person()
    download = demandes.summary_download(person, demande_id)
    return stream_document(download["document"]["id"], person, download["grant"])


@bp.get("/demandes/<demande_id>/proof")
@login_required
@client_required
def proof(demande_id):
    return jsonify(demandes.proof_document(current_person(), demande_id))


@bp.get("/demandes/<demande_id>/proof.pdf")
@login_required
@client_required
def proof_pdf(demande_id):
    """A link of the portal: the signed payment proof, streamed as summary_pdf."""
    person = current_person()
    download = demandes.proof_download(person, demande_id)
    return stream_document(download["document"]["id"], person, download["grant"])
