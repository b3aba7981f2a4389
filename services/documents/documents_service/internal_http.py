"""The documents service's internal HTTP API (contracts.py): the only way file bytes come in or
go out. Callers prove themselves with X-Internal-Token, name the person they act for in
X-Acting-Person and carry the owner service's signed grant in X-Document-Grant, which every
use case verifies (consignations_shared.grants)."""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re

from werkzeug.wrappers import Response

from consignations_shared.errors import DomainError, Unauthenticated, ValidationFailed
from consignations_shared.logs import correlation_id_var

from .documents import FileTooLarge, IntegrityFailure
from .domain.files import content_disposition

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Internal-Token"
PERSON_HEADER = "X-Acting-Person"
METADATA_HEADER = "X-Document-Metadata"
GRANT_HEADER = "X-Document-Grant"
CORRELATION_HEADER = "X-Correlation-Id"
_CORRELATION = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
UNEXPECTED = "Une erreur inattendue est survenue. Veuillez réessayer plus tard."


class BadToken(Exception):
    pass


class LengthRequired(Exception):
    message = "La longueur du fichier (Content-Length) est obligatoire."


def json_response(status: int, body) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def error_response(status: int, code: str, message: str, fields=None) -> Response:
    return json_response(status, {"error": {"code": code, "message": message, "fields": fields or {}}})


def decode_header_json(raw: str | None, what: str, limit: int = 8192):
    if not raw or len(raw) > limit:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        log.warning("undecodable %s header", what)
        return None


def encode_header_json(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, ensure_ascii=False).encode("utf-8")).decode("ascii").rstrip("=")


def handle(request, expected_token: str, outbox, action):
    """Runs `action(person)` for an authenticated internal call and shapes the answer."""
    incoming = request.headers.get(CORRELATION_HEADER, "")
    if _CORRELATION.match(incoming):
        correlation_id_var.set(incoming)
        outbox.correlation_id = incoming  # events recorded by this call carry the gateway's id
    try:
        sent = request.headers.get(TOKEN_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode("utf-8"), expected_token.encode("utf-8")):
            raise BadToken()
        person = decode_header_json(request.headers.get(PERSON_HEADER), "person")
        if person is None:
            raise Unauthenticated()
        return action(person)
    except BadToken:
        log.warning("internal call without a valid token from %s", request.remote_addr)
        return error_response(401, "internal_token", "Appel interne non authentifié.")
    except LengthRequired as exc:
        return error_response(411, "length_required", exc.message)
    except FileTooLarge as exc:
        return error_response(413, "file_too_large", exc.message, {"file": exc.message})
    except IntegrityFailure as exc:
        return error_response(500, "integrity_check_failed", exc.message)
    except DomainError as exc:
        if exc.status >= 500:
            log.warning("answered %s: %s", exc.status, exc.message)
        return error_response(exc.status, exc.code, exc.message, exc.fields)
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", UNEXPECTED)


def metadata_of(request) -> dict:
    metadata = decode_header_json(request.headers.get(METADATA_HEADER), "metadata")
    if not isinstance(metadata, dict):
        raise ValidationFailed("Les informations du document sont absentes ou illisibles.")
    return metadata


def grant_of(request) -> str | None:
    return request.headers.get(GRANT_HEADER) or None


def body_length(request) -> int:
    if request.content_length is None:
        raise LengthRequired()
    return request.content_length


def download_response(document: dict, stream) -> Response:
    def chunks():
        try:
            while chunk := stream.read(64 * 1024):
                yield chunk
        finally:
            stream.close()

    response = Response(chunks(), status=200, mimetype=document["content_type"], direct_passthrough=True)
    response.headers["Content-Length"] = str(document["size"])
    response.headers["Content-Disposition"] = content_disposition(document["file_name"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Document-Sha256"] = document["sha256"]
    response.headers["Cache-Control"] = "private, no-store"
    return response
