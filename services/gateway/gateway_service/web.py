"""Request plumbing: correlation id, errors (SPEC GW-3: JSON for the API, the portal's own pages
for page addresses), security headers (NF-1)."""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from consignations_shared.errors import DomainError, TooManyRequests, ValidationFailed
from consignations_shared.logs import correlation_id_var

log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-Id"
_ACCEPTABLE_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

HTTP_MESSAGES = {
    400: "La requête est invalide.",
    404: "La ressource demandée est introuvable.",
    405: "Cette méthode n'est pas autorisée pour cette ressource.",
    413: "Le fichier ou la requête est trop volumineux.",
    415: "Le format de la requête n'est pas pris en charge.",
    429: "Trop de requêtes. Veuillez réessayer plus tard.",
}
UNEXPECTED = "Une erreur inattendue est survenue. Veuillez réessayer plus tard."


JSON_PREFIXES = ("/api/", "/health/")  # and /api, /health, /metrics themselves


def answers_json(path: str) -> bool:
    """Whether an error at `path` is GW-3 JSON (the API, health, metrics) or a page of the portal
    (every other address: a person's browser asked for a page)."""
    return path in ("/api", "/health", "/metrics") or path.startswith(JSON_PREFIXES)


def error_answer(status: int, code: str, message: str, fields: dict | None = None,
                 retry_after: int | None = None):
    """GW-3 JSON for the API, the portal's error page (header, footer, French text) elsewhere;
    should that page fail to render, the JSON answer still goes out."""
    if not answers_json(request.path):
        try:
            from .pages.common import error_page

            return error_page(status, summarised(status, message, fields))
        except Exception:
            log.exception("the error page of %s could not be rendered", request.path)
    return error_response(status, code, message, fields, retry_after)


def error_response(status: int, code: str, message: str, fields: dict | None = None,
                   retry_after: int | None = None):
    response = jsonify({"error": {"code": code, "message": summarised(status, message, fields),
                                  "fields": fields or {}}})
    response.status_code = status
    if status == 429:
        # Every 429 says when to come back (RFC 9110 Retry-After, in seconds).
        response.headers["Retry-After"] = str(retry_after or TooManyRequests.default_retry_after)
    return response


MAX_JSON_DEPTH = 20  # no form of the API nests deeper; far deeper would exhaust the parser's stack
NOT_A_JSON_OBJECT = "Le corps de la requête n'est pas un objet JSON valide."


# A NUL character or half of a UTF-16 surrogate pair: no text of a person has them, and no
# database column can store them (PostgreSQL refuses them): refused at the door, never a 500.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = "Le texte saisi contient des caractères non autorisés."


TOO_DEEP = "Le corps de la requête est trop imbriqué."


def _refused_structure(data, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Why the body is refused: objects and arrays nested more than `limit` levels, or a text
    (key or value) with an unstorable character; None when it is fine (iterative: no recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                return UNSTORABLE_TEXT
        elif isinstance(value, (dict, list)):
            if depth > limit:
                return TOO_DEEP
            if isinstance(value, dict):
                pending.extend((key, depth) for key in value)
                pending.extend((item, depth + 1) for item in value.values())
            else:
                pending.extend((item, depth + 1) for item in value)
    return None


NOT_JSON = "Le corps de la requête doit être au format JSON (application/json)."
MALFORMED_JSON = "Le corps de la requête n'est pas du JSON valide."


class MalformedBody(DomainError):
    """A body that is not in the format of the operation at all (not JSON, a multipart without
    its boundary): 400, while 422 is kept for well-formed bodies with invalid values."""

    status = 400
    code = "malformed_body"


def json_body() -> dict:
    """The request's JSON object, or an answer the person can understand: 400 when the body is
    not JSON at all, 422 when it is JSON but not an object of the API (not an object, nested
    deeper than any form of the API, unstorable characters)."""
    if not request.is_json:
        raise MalformedBody(NOT_JSON)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # thousands of nested arrays: the parser gives up, and so do we
        raise MalformedBody(MALFORMED_JSON) from None
    if data is None:
        raise MalformedBody(MALFORMED_JSON)
    if not isinstance(data, dict):
        raise ValidationFailed(NOT_A_JSON_OBJECT)
    refused = _refused_structure(data)
    if refused:
        raise ValidationFailed(refused)
    return data


def announced_too_large() -> bool:
    """A Content-Length over the request limit: refused before a byte of the body is read."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return bool(limit and request.content_length and request.content_length > limit)


def _drain_refused_body() -> None:
    """Read (and drop) what is left of a body refused as too large, so the client, still sending,
    reads our 413 instead of a connection reset. Only a body within the request limit is read
    (a file part over 5 MB in a request under 6 MB); a larger announced body was refused at once."""
    if announced_too_large():
        return
    stream = request.environ.get("wsgi.input")
    left = request.content_length or 0
    try:
        while stream is not None and left > 0:
            chunk = stream.read(min(64 * 1024, left))
            if not chunk:
                break
            left -= len(chunk)
    except Exception:  # a client gone, or a broken body: nothing more to read
        pass


def summarised(status: int, message: str, fields: dict | None) -> str:
    """GW-3 `message` of a 422 whose `fields` carry the detail: a summary (« Un champ est
    invalide. », « 3 champs sont invalides. ») instead of one field's sentence repeated, or the
    generic sentence; a message of its own (saying more than the fields) is kept."""
    if status != 422 or not fields:
        return message
    if message not in fields.values() and message != ValidationFailed.default_message:
        return message
    count = len(fields)
    return "Un champ est invalide." if count == 1 else f"{count} champs sont invalides."


def correlation_id() -> str:
    return g.correlation_id


def install(app: Flask) -> None:
    @app.before_request
    def _bind_correlation_id():
        incoming = request.headers.get(CORRELATION_HEADER, "")
        g.correlation_id = incoming if _ACCEPTABLE_CORRELATION_ID.match(incoming) else str(uuid.uuid4())
        correlation_id_var.set(g.correlation_id)

    @app.before_request
    def _refuse_announced_oversized_body():
        # A declared Content-Length over the limit: 413 at once, before a byte of the body is
        # read (gunicorn then drains a bounded amount at most and closes the connection; the
        # reverse proxy in front refuses such a body itself, deploy/nginx).
        if announced_too_large():
            return error_response(413, "request_entity_too_large", HTTP_MESSAGES[413])
        return None

    @app.before_request
    def _refuse_unstorable_characters():
        # In the path (%00): no such resource; in the query string: a 422 (JSON bodies: json_body).
        if UNSTORABLE.search(request.path):
            return error_answer(404, "not_found", HTTP_MESSAGES[404])
        for key, value in request.args.items(multi=True):
            if UNSTORABLE.search(key) or UNSTORABLE.search(value):
                field = "query" if UNSTORABLE.search(key) else key
                raise ValidationFailed(UNSTORABLE_TEXT, {field: UNSTORABLE_TEXT})
        return None

    @app.after_request
    def _headers(response):
        response.headers[CORRELATION_HEADER] = getattr(g, "correlation_id", "")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'"
        )
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        # The pages' own views answer their refusals themselves (pages/common.py); this is for
        # the API, and for a refusal met before a page's view (a query string refused...).
        if exc.status >= 500:
            log.warning("answered %s: %s", exc.status, exc.message)
        if not answers_json(request.path):
            try:
                from .pages.common import page_for_domain_error

                return page_for_domain_error(exc)
            except Exception:
                log.exception("the error page of %s could not be rendered", request.path)
        return error_response(exc.status, exc.code, exc.message, exc.fields,
                              getattr(exc, "retry_after", None))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 413:
            _drain_refused_body()
        return error_answer(status, exc.name.lower().replace(" ", "_"),
                            HTTP_MESSAGES.get(status, UNEXPECTED))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # Never a stack trace for the person: it goes to the log with the correlation id.
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_answer(500, "internal_error", UNEXPECTED)
