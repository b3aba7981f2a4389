"""Request plumbing: correlation id, JSON errors (SPEC GW-3), security headers (NF-1)."""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from consignations_shared.errors import DomainError, ValidationFailed
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


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def json_body() -> dict:
    """The request's JSON object, or a 400/415 the person can understand."""
    if not request.is_json:
        raise ValidationFailed("Le corps de la requête doit être au format JSON (application/json).")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("Le corps de la requête n'est pas un objet JSON valide.")
    return data


def correlation_id() -> str:
    return g.correlation_id


def install(app: Flask) -> None:
    @app.before_request
    def _bind_correlation_id():
        incoming = request.headers.get(CORRELATION_HEADER, "")
        g.correlation_id = incoming if _ACCEPTABLE_CORRELATION_ID.match(incoming) else str(uuid.uuid4())
        correlation_id_var.set(g.correlation_id)

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
        if exc.status >= 500:
            log.warning("answered %s: %s", exc.status, exc.message)
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        return error_response(status, exc.name.lower().replace(" ", "_"),
                              HTTP_MESSAGES.get(status, UNEXPECTED))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # Never a stack trace for the person: it goes to the log with the correlation id.
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", UNEXPECTED)
