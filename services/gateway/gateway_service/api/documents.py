"""Documents (SPEC DO-1..DO-8): upload, « Valider », replace, delete, review, download.

Metadata goes over RPC to the documents service; file bytes never do: an upload is read from the
multipart body into a spooled file (memory up to 500 KB, then disk), counting bytes as they
arrive and stopping at 5 MB + 1 (413), then streamed to the documents service's internal HTTP
API; a download is streamed back from it.

Rights are the owner service's (the account's or the request's rule): before each call, the
gateway asks that owner for a short-lived signed grant (`<owner>.document_grant(person,
owner_id, action, document_id)`; for a call on one document, the owner is first asked of the
documents service with `document_owner`) and passes it along; the owner's refusal is the
answer. The documents service verifies the grant and never calls the owners back (no RPC
cycle, consignations_shared.grants).
"""
from __future__ import annotations

from tempfile import SpooledTemporaryFile

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from consignations_shared.errors import ValidationFailed
from consignations_shared.grants import check_owner

from ..auth import current_person, login_required, staff_required
from ..documents_client import DocumentsClient, FileTooLarge
from ..rpc_calls import accounts, demandes
from ..rpc_calls import documents as documents_rpc
from ..web import UNSTORABLE, UNSTORABLE_TEXT, MalformedBody, correlation_id, json_body

bp = Blueprint("documents", __name__, url_prefix="/api/documents")

MAX_FILE_SIZE = 5 * 1024 * 1024  # DO-1, per file
SPOOL_IN_MEMORY = 500 * 1024
UPLOAD_FIELDS = ("owner_service", "owner_id", "kind", "page", "document_date")
NO_FILE = "Aucun fichier n'a été joint (champ « file »)."
ONE_FILE = "Un seul fichier par envoi."
MULTIPART_ONLY = "Le fichier doit être envoyé en multipart/form-data (champ « file »)."


def grant(person: dict, owner_service, owner_id, action: str, document_id: str | None = None) -> str:
    """The owner's signed grant for `action` (its refusal, 403/404 in French, otherwise)."""
    owner_service, owner_id = check_owner(owner_service, owner_id)
    owner = {"accounts": accounts, "demandes": demandes}[owner_service]
    return owner.document_grant(person, owner_id, action, document_id)["grant"]


def grant_on(person: dict, document_id: str, action: str) -> str:
    """The grant for `action` on one document, from the owner the documents service names."""
    owner = documents_rpc.document_owner(document_id)
    return grant(person, owner["service"], owner["id"], action, document_id)


def client() -> DocumentsClient:
    existing = current_app.extensions.get("documents_client")
    if existing is None:
        settings = current_app.config["SETTINGS"]
        existing = current_app.extensions["documents_client"] = DocumentsClient(
            settings.documents_url, settings.documents_token, settings.var_dir, settings.documents_timeout,
            breakers=current_app.extensions.get("breakers"))
    return existing


class _FileTooLarge(Exception):
    pass


class _CountingSpool(SpooledTemporaryFile):
    """Where werkzeug writes the file part: refuses the byte after MAX_FILE_SIZE as it arrives."""

    def __init__(self):
        super().__init__(max_size=SPOOL_IN_MEMORY, mode="w+b")
        self.received = 0

    def write(self, data):
        self.received += len(data)
        if self.received > MAX_FILE_SIZE:
            raise _FileTooLarge()
        return super().write(data)


def _multipart_upload():
    """(form fields, (stream, length, file name, declared type)), read within the limits."""
    if request.mimetype != "multipart/form-data" or not request.mimetype_params.get("boundary"):
        # Not a multipart body at all (or one whose parts cannot be found): 400, not 422.
        raise MalformedBody(MULTIPART_ONLY, {"file": MULTIPART_ONLY})
    spools: list[_CountingSpool] = []

    def stream_factory(total_content_length, content_type, filename, content_length=None):
        spool = _CountingSpool()
        spools.append(spool)
        return spool

    parser = FormDataParser(stream_factory=stream_factory, max_form_memory_size=64 * 1024, max_form_parts=20)
    try:
        # request.stream is limited to MAX_CONTENT_LENGTH (6 MB for the whole request).
        _, form, files = parser.parse(request.stream, request.mimetype, request.content_length,
                                      request.mimetype_params)
    except (_FileTooLarge, RequestEntityTooLarge):
        for spool in spools:
            spool.close()
        _drain()
        raise FileTooLarge(None, {"file": FileTooLarge.default_message}) from None
    except ValueError:
        for spool in spools:
            spool.close()
        raise MalformedBody(MULTIPART_ONLY, {"file": MULTIPART_ONLY}) from None
    unstorable = [key for key, value in form.items(multi=True) if UNSTORABLE.search(key) or UNSTORABLE.search(value)]
    if unstorable:
        for spool in spools:
            spool.close()
        field = unstorable[0] if not UNSTORABLE.search(unstorable[0]) else "file"
        raise ValidationFailed(UNSTORABLE_TEXT, {field: UNSTORABLE_TEXT})
    uploads = files.getlist("file")
    if len(uploads) != 1 or len(files) != 1:
        for spool in spools:
            spool.close()
        message = NO_FILE if not uploads else ONE_FILE
        raise ValidationFailed(message, {"file": message})
    upload = uploads[0]
    length = upload.stream.seek(0, 2)
    upload.stream.seek(0)
    return form, upload, length


def _drain() -> None:
    """Read what is left of the body (at most MAX_CONTENT_LENGTH) so the client, still sending,
    reads our 413 instead of a reset connection."""
    try:
        stream = request.stream
        while stream.read(64 * 1024):
            pass
    except Exception:  # over the request limit or a client gone: nothing more to read
        pass


def _metadata(form, upload, fields) -> dict:
    metadata = {key: form.get(key) or None for key in fields}
    metadata["file_name"] = upload.filename
    metadata["declared_type"] = upload.mimetype or None
    return metadata


@bp.get("/kinds")
def kinds():
    return jsonify(documents_rpc.document_kinds())


@bp.post("")
@login_required
def upload():
    person = current_person()  # resolved (and CSRF checked) before a byte of the body is read
    form, upload_, length = _multipart_upload()
    try:
        metadata = _metadata(form, upload_, UPLOAD_FIELDS)
        allowed = grant(person, metadata["owner_service"], metadata["owner_id"], "write")
        created = client().upload(metadata, person, upload_.stream, length, correlation_id(), allowed)
    finally:
        upload_.close()
    return jsonify(created), 201


@bp.get("")
@login_required
def list_documents():
    owner_service, owner_id = request.args.get("owner_service"), request.args.get("owner_id")
    history = request.args.get("history", "").lower() in ("1", "true", "yes")
    person = current_person()
    allowed = grant(person, owner_service, owner_id, "read")
    return jsonify(documents_rpc.list_documents(owner_service, owner_id, person, history, grant=allowed))


@bp.get("/<document_id>")
@login_required
def get_document(document_id: str):
    person = current_person()
    return jsonify(documents_rpc.get_document(document_id, person, grant=grant_on(person, document_id, "read")))


@bp.post("/<document_id>/attach")
@login_required
def attach(document_id: str):
    person = current_person()
    return jsonify(documents_rpc.attach_document(document_id, person, grant=grant_on(person, document_id, "write")))


@bp.post("/<document_id>/replace")
@login_required
def replace(document_id: str):
    person = current_person()
    form, upload_, length = _multipart_upload()
    try:
        allowed = grant_on(person, document_id, "write")
        created = client().replace(document_id, _metadata(form, upload_, ("page", "document_date")), person,
                                   upload_.stream, length, correlation_id(), allowed)
    finally:
        upload_.close()
    return jsonify(created), 201


@bp.delete("/<document_id>")
@login_required
def delete(document_id: str):
    person = current_person()
    return jsonify(documents_rpc.delete_document(document_id, person, grant=grant_on(person, document_id, "write")))


@bp.post("/<document_id>/review")
@login_required
@staff_required
def review(document_id: str):
    body = json_body()
    person = current_person()
    return jsonify(documents_rpc.review_document(document_id, person, body.get("status"), body.get("reason"),
                             grant=grant_on(person, document_id, "review")))


@bp.get("/<document_id>/content")
@login_required
def content(document_id: str):
    person = current_person()
    return stream_document(document_id, person, grant_on(person, document_id, "read"))


def stream_document(document_id: str, person: dict, grant: str) -> Response:
    """The document's bytes from the documents service, streamed as they come, as an attachment
    with the type the documents service checked; `grant`: its owner's read grant."""
    upstream = client().download(document_id, person, correlation_id(), grant)

    def chunks():
        try:
            yield from upstream.iter_content(64 * 1024)
        finally:
            upstream.close()

    response = Response(stream_with_context(chunks()), status=200,
                        mimetype=upstream.headers.get("Content-Type", "application/octet-stream"))
    for header in ("Content-Length", "Content-Disposition", "X-Document-Sha256"):
        if header in upstream.headers:
            response.headers[header] = upstream.headers[header]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
