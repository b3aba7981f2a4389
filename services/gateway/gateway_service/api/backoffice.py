"""The back office through the gateway (SPEC BO-1..BO-3): the gestionnaires' queue of transmitted
requests, a request's full detail, their decisions, and the thread of a request on their side.

Gestionnaire sessions only (a client gets a French 403 before any call). The gestionnaire always
comes from the session, never from the body; the demandes service checks every transition (409
in French when illegal, 404 for a draft or an unknown request) and records who decided. Documents
are reviewed (conforme / non conforme + reason, DO-4) through POST /api/documents/{id}/review.
The queue exports as CSV or XLSX (BO-9, exports.py)."""
from __future__ import annotations

import os

from flask import Blueprint, Response, jsonify, request, stream_with_context

from .. import exports
from ..auth import current_person, login_required, staff_required
from ..rpc_calls import demandes
from ..web import json_body

bp = Blueprint("backoffice", __name__, url_prefix="/api/backoffice/demandes")


def _optional_body() -> dict:
    """A JSON object, or nothing at all (the reason of some decisions is optional)."""
    if not request.get_data(cache=True):
        return {}
    return json_body()


@bp.get("")
@login_required
@staff_required
def queue():
    """BO-1: filters, sort and pages as query parameters (one value each); the service refuses
    the unknown ones."""
    return jsonify(demandes.staff_queue(current_person(), request.args.to_dict()))


@bp.get("/export")
@login_required
@staff_required
def export():
    """BO-9: the queue (its filters, sort and order) as a CSV or XLSX file, columns chosen. The
    format, the columns and (with the first page) the filters are checked before anything is
    sent: a refusal is a GW-3 JSON answer. A CSV is streamed page after page; if demandes fails
    midway the download is cut (incomplete chunked body), never a file that looks complete. An
    XLSX is written whole into a temporary file first, then streamed."""
    query = request.args.to_dict()
    export_format, columns = exports.parse_request(query.pop("format", None), query.pop("columns", None))
    person = current_person()
    first = demandes.staff_export_page(person, query, None, exports.PAGE_SIZE)
    rows_by_page = exports.pages(first, lambda after: demandes.staff_export_page(person, query, after,
                                                                                 exports.PAGE_SIZE))
    media_type = exports.MEDIA_TYPES[export_format]
    if export_format == "csv":
        response = Response(stream_with_context(exports.csv_chunks(columns, rows_by_page)), content_type=media_type)
    else:
        file = exports.xlsx_file(columns, (row for rows in rows_by_page for row in rows))
        response = Response(exports.file_chunks(file), content_type=media_type)
        response.headers["Content-Length"] = str(os.fstat(file.fileno()).st_size)
        response.call_on_close(file.close)  # also when the body is never read (HEAD)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.file_name(first["generated_at"], export_format)}"')
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<demande_id>")
@login_required
@staff_required
def detail(demande_id):
    return jsonify(demandes.staff_detail(current_person(), demande_id))


@bp.post("/<demande_id>/complement")
@login_required
@staff_required
def request_complement(demande_id):
    """→ AWAITING_COMPLEMENT once at least one document is reviewed non conforme (NO-9)."""
    return jsonify(demandes.staff_request_complement(current_person(), demande_id, _optional_body().get("reason")))


@bp.post("/<demande_id>/await-funds")
@login_required
@staff_required
def await_funds(demande_id):
    """→ AWAITING_FUNDS (consignations only)."""
    return jsonify(demandes.staff_await_funds(current_person(), demande_id, _optional_body().get("reason")))


@bp.post("/<demande_id>/funds-received")
@login_required
@staff_required
def funds_received(demande_id):
    return jsonify(demandes.staff_funds_received(current_person(), demande_id))


@bp.post("/<demande_id>/validate")
@login_required
@staff_required
def validate(demande_id):
    """→ VALIDATED once every document is reviewed conforme; the signed payment proof is issued
    (DO-8, NO-10)."""
    return jsonify(demandes.staff_validate(current_person(), demande_id))


@bp.post("/<demande_id>/reject")
@login_required
@staff_required
def reject(demande_id):
    """→ REJECTED with a mandatory reason (NO-11)."""
    return jsonify(demandes.staff_reject(current_person(), demande_id, _optional_body().get("reason")))


@bp.get("/<demande_id>/messages")
@login_required
@staff_required
def thread(demande_id):
    """BO-3: the thread, oldest first; reading it marks the client's replies read."""
    return jsonify(demandes.staff_thread(current_person(), demande_id))


@bp.post("/<demande_id>/messages")
@login_required
@staff_required
def post_message(demande_id):
    """MS-1: a new message with one of the five subjects (FREE: `free_subject` required); NO-14
    e-mails the request's owner."""
    body = json_body()
    return jsonify(demandes.staff_post_message(current_person(), demande_id, body.get("subject_code"), body.get("free_subject"),
                             body.get("body"), body.get("attachments"))), 201
