"""The clients' side of the request threads (SPEC MS-1..MS-6): read a thread, reply, mark a
message unread again, the portal header's unread count.

The acting person always comes from the session; the demandes service checks who may read a
thread (any profile of the account that sees the request) and who may reply (not Consultation),
refuses replies carrying personal data (MS-5) and stores nothing then. A client only replies,
and a sent message is never changed: there is no route to edit one (405). Gestionnaires have
their own routes (api/backoffice.py); only « marquer comme non lu » is shared."""
from __future__ import annotations

import functools

from flask import Blueprint, jsonify

from consignations_shared.errors import Forbidden

from ..auth import current_person, login_required
from ..rpc_calls import demandes
from ..web import error_response, json_body

bp = Blueprint("messages", __name__, url_prefix="/api")

CLIENTS_ONLY = ("La messagerie des demandes se consulte depuis un espace client : un gestionnaire lit et "
                "écrit les messages depuis l'espace du service de gestion.")
SENT_IS_FINAL = "Un message envoyé ne peut être ni modifié ni supprimé."


def client_required(view):
    """After login_required: the session is a client's, not a gestionnaire's."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_person().get("is_staff"):
            raise Forbidden(CLIENTS_ONLY)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/demandes/<demande_id>/messages")
@login_required
@client_required
def thread(demande_id):
    """The thread, oldest first; reading it marks the back office's messages read."""
    return jsonify(demandes.thread(current_person(), demande_id))


@bp.post("/demandes/<demande_id>/messages")
@login_required
@client_required
def reply(demande_id):
    """MS-2: a reply to the back office's latest message (or to `in_reply_to`)."""
    body = json_body()
    return jsonify(demandes.reply(current_person(), demande_id, body.get("body"), body.get("in_reply_to"),
                            body.get("attachments"))), 201


@bp.post("/messages/<message_id>/unread")
@login_required
def mark_unread(message_id):
    """« Marquer comme non lu » (MS-4), for clients and gestionnaires alike."""
    return jsonify(demandes.mark_unread(current_person(), message_id))


@bp.get("/messages/unread-count")
@login_required
@client_required
def unread_count():
    return jsonify(demandes.unread_total(current_person()))


@bp.route("/messages/<message_id>", methods=["PUT", "PATCH", "DELETE"])
@bp.route("/demandes/<demande_id>/messages/<message_id>", methods=["PUT", "PATCH", "DELETE"])
def sent_messages_are_final(message_id, demande_id=None):
    """MS-2: nothing to call, whoever asks: a sent message stays as it was sent."""
    response = error_response(405, "message_not_editable", SENT_IS_FINAL)
    response.headers["Allow"] = ""  # no method changes a message (RFC 9110: an empty list)
    return response
