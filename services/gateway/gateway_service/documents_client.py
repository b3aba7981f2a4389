"""The gateway's client of the documents service's internal HTTP API (file bytes never travel
over RabbitMQ; contracts in documents_service/contracts.py).

Uploads are streamed from the spooled multipart part (werkzeug keeps at most 500 KB of it in
memory, the rest on disk) with a Content-Length, in 64 KB blocks; downloads are streamed back
to the browser as they arrive. Every call carries the shared internal token, the acting person,
the owner service's signed grant for this call (X-Document-Grant, asked by the views; the
documents service verifies it and calls no one) and the correlation id.

Every call goes through the documents service's circuit breaker, the one its RPCs use
(breakers.py): while it is open the call answers the 503 at once; a refused connection or a
timeout counts as a failure, any answer (a 4xx included) as a success.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import threading
from pathlib import Path

import requests

from consignations_shared.errors import (
    Conflict, DomainError, Forbidden, Gone, NotFound, ServiceUnavailable, Unauthenticated, ValidationFailed,
)
from consignations_shared.grants import secret_from_file  # the token file the documents service reads too

from .breakers import Breakers, DependencyFailure

log = logging.getLogger(__name__)

SERVICE = "documents"  # its breaker, shared with the RPCs to the documents service
TOKEN_FILE = "documents.token"
UNAVAILABLE = "Le service des documents est momentanément indisponible. Veuillez réessayer dans quelques instants."
CHUNK = 64 * 1024


class FileTooLarge(DomainError):
    """413: gateway-local, never crosses RPC."""

    status = 413
    code = "file_too_large"
    default_message = "Le fichier dépasse la taille maximale autorisée de 5 Mo."


class DocumentAltered(DomainError):
    """500: the stored bytes no longer match their checksum; nothing is served."""

    status = 500
    code = "integrity_check_failed"
    default_message = ("Ce document a été altéré depuis son dépôt : il ne peut pas être téléchargé. "
                       "Le service des consignations a été prévenu.")


_BY_STATUS = {401: Unauthenticated, 403: Forbidden, 404: NotFound, 409: Conflict, 410: Gone,
              413: FileTooLarge, 422: ValidationFailed, 503: ServiceUnavailable}


def _encode(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, ensure_ascii=False).encode("utf-8")).decode("ascii").rstrip("=")


class _Body:
    """A file-like view of the spooled upload that requests sends in CHUNK-sized blocks."""

    def __init__(self, stream, length: int):
        self.stream, self.length = stream, length

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(CHUNK if size is None or size < 0 else min(size, CHUNK))

    def __len__(self) -> int:
        return self.length


class DocumentsClient:
    def __init__(self, base_url: str, token: str | None, var_dir: str, timeout: float,
                 breakers: Breakers | None = None):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.var_dir = var_dir
        self.timeout = timeout
        self.breakers = breakers
        self._local = threading.local()

    # -- plumbing ------------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None or getattr(self._local, "pid", None) != os.getpid():
            session = self._local.session = requests.Session()
            self._local.pid = os.getpid()
        return session

    @property
    def token(self) -> str:
        if not self._token:
            self._token = secret_from_file(Path(self.var_dir) / TOKEN_FILE)
        return self._token

    def _headers(self, person: dict, correlation_id: str | None, metadata: dict | None = None,
                 grant: str | None = None) -> dict:
        headers = {"X-Internal-Token": self.token, "X-Acting-Person": _encode(person)}
        if grant:
            headers["X-Document-Grant"] = grant
        if correlation_id:
            headers["X-Correlation-Id"] = correlation_id
        if metadata is not None:
            headers["X-Document-Metadata"] = _encode(metadata)
        return headers

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        breaker = self.breakers[SERVICE] if self.breakers is not None else None
        trial = breaker.admit() if breaker is not None else False  # open: ServiceUnavailable now
        outcome: BaseException | None = None
        try:
            return self._session().request(method, self.base_url + path,
                                           timeout=(5, self.timeout), **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:  # no answer: the breaker counts it
            log.warning("documents %s %s unavailable: %s", method, path, type(exc).__name__)
            outcome = DependencyFailure(UNAVAILABLE)
            raise outcome from exc
        except requests.RequestException as exc:
            log.warning("documents %s %s failed: %s", method, path, type(exc).__name__)
            outcome = ServiceUnavailable(UNAVAILABLE)
            raise outcome from exc
        finally:
            if breaker is not None:
                breaker.record(trial, outcome)

    @staticmethod
    def _raise_for(response: requests.Response) -> None:
        if response.status_code < 400:
            return
        try:
            error = response.json()["error"]
            message, fields, code = error.get("message"), error.get("fields") or {}, error.get("code")
        except (ValueError, KeyError, TypeError):
            message, fields, code = None, {}, None
        finally:
            response.close()
        if response.status_code == 401 and code == "internal_token":
            log.error("the documents service refused the internal token: set the same "
                      "DOCUMENTS_INTERNAL_TOKEN for the gateway and the documents service")
            raise ServiceUnavailable(UNAVAILABLE)
        if response.status_code == 500 and code == "integrity_check_failed":
            raise DocumentAltered(message)
        error_class = _BY_STATUS.get(response.status_code)
        if error_class is None:
            log.warning("documents answered %s (%s)", response.status_code, code)
            raise ServiceUnavailable(UNAVAILABLE)
        raise error_class(message, fields, code) if code else error_class(message, fields)

    # -- calls ---------------------------------------------------------------------------------
    def upload(self, metadata: dict, person: dict, stream, length: int, correlation_id: str | None = None,
               grant: str | None = None) -> dict:
        response = self._send(
            "POST", "/internal/documents", data=_Body(stream, length),
            headers={**self._headers(person, correlation_id, metadata, grant), "Content-Length": str(length),
                     "Content-Type": "application/octet-stream"})
        self._raise_for(response)
        return response.json()

    def replace(self, document_id: str, metadata: dict, person: dict, stream, length: int,
                correlation_id: str | None = None, grant: str | None = None) -> dict:
        response = self._send(
            "POST", f"/internal/documents/{document_id}/versions", data=_Body(stream, length),
            headers={**self._headers(person, correlation_id, metadata, grant), "Content-Length": str(length),
                     "Content-Type": "application/octet-stream"})
        self._raise_for(response)
        return response.json()

    def download(self, document_id: str, person: dict, correlation_id: str | None = None,
                 grant: str | None = None) -> requests.Response:
        """The streaming response (200); the caller closes it."""
        response = self._send("GET", f"/internal/documents/{document_id}/content", stream=True,
                              headers=self._headers(person, correlation_id, grant=grant))
        self._raise_for(response)
        return response
