"""Document grants: the owner of a document decides, the documents service only verifies.

The documents service never calls back the services that own documents (accounts for an
account's documents, demandes for a request's). Before a call to the documents service, the
gateway asks the owner for a grant (`<owner>.document_grant(person, owner_id, action,
document_id)`): the owner applies its own rule (AC-9, DM-9) and, when it allows, answers a
short-lived token signed with HMAC-SHA256 over

    owner_service, owner_id, person id, action, document id (or none), expiry

with a key shared by the documents service and the owners only (DOCUMENTS_GRANT_KEY, or the key
generated once into `<CONSIGNATIONS_VAR_DIR>/documents-grant.key` on the embedded default). The
documents service checks the signature, the expiry and that the grant names exactly the owner,
person, action and document of the call; anything else is refused (403).

Token: `base64url(JSON claims) "." base64url(HMAC-SHA256(key, base64url(JSON claims)))`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from nameko.extensions import DependencyProvider

from .config import settings_of
from .errors import DomainError, Forbidden, NotFound, ServiceUnavailable, Unauthenticated, ValidationFailed

log = logging.getLogger(__name__)

OWNER_SERVICES = ("accounts", "demandes")
ACTIONS = ("read", "write", "review")  # write: upload, replace, « Valider », delete; review: DO-4
GRANT_TTL_SECONDS = 60
KEY_SETTING = "DOCUMENTS_GRANT_KEY"
KEY_FILE = "documents-grant.key"
MAX_GRANT_LENGTH = 2048
UNKNOWN_OWNER = "Propriétaire inconnu (accounts ou demandes)."
MISSING_OWNER_ID = "Identifiant du propriétaire manquant."


class InvalidGrant(Exception):
    """Why a grant does not cover a call (logged, never shown: the person sees a 403)."""


@dataclass(frozen=True)
class Grant:
    owner_service: str
    owner_id: str
    person_id: str
    action: str
    document_id: str | None
    expires_at: int  # seconds since the epoch

    def claims(self) -> dict[str, Any]:
        return {"svc": self.owner_service, "own": self.owner_id, "per": self.person_id, "act": self.action,
                "doc": self.document_id, "exp": self.expires_at}


def check_owner(owner_service: Any, owner_id: Any) -> tuple[str, str]:
    """The owner named by a call, or the 422 the documents service has always answered."""
    if owner_service not in OWNER_SERVICES:
        raise ValidationFailed(None, {"owner_service": UNKNOWN_OWNER})
    if not isinstance(owner_id, str) or not 0 < len(owner_id) <= 64:
        raise ValidationFailed(None, {"owner_id": MISSING_OWNER_ID})
    return owner_service, owner_id


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def issue(key: bytes, *, owner_service: str, owner_id: str, person_id: str, action: str, now: datetime,
          document_id: str | None = None, ttl: int = GRANT_TTL_SECONDS) -> str:
    if not key:
        raise ValueError("a grant needs a key")
    if owner_service not in OWNER_SERVICES or action not in ACTIONS:
        raise ValueError(f"no grant for {owner_service!r} / {action!r}")
    grant = Grant(owner_service, str(owner_id), str(person_id), action, None if document_id is None else str(document_id),
                  int(now.timestamp()) + int(ttl))
    body = _b64(json.dumps(grant.claims(), separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_signature(key, body)}"


def read(key: bytes, token: Any, *, now: datetime) -> Grant:
    """The grant a token carries once its signature and expiry are checked; InvalidGrant otherwise."""
    if not key:
        raise InvalidGrant("no key configured")
    if not isinstance(token, str) or not token or len(token) > MAX_GRANT_LENGTH or token.count(".") != 1:
        raise InvalidGrant("missing or malformed grant")
    body, signature = token.split(".")
    if not hmac.compare_digest(signature.encode("ascii", "replace"), _signature(key, body).encode("ascii")):
        raise InvalidGrant("bad signature")
    try:
        claims = json.loads(_unb64(body).decode("utf-8"))
        grant = Grant(claims["svc"], claims["own"], claims["per"], claims["act"], claims["doc"], int(claims["exp"]))
    except (binascii.Error, ValueError, UnicodeDecodeError, KeyError, TypeError):
        raise InvalidGrant("unreadable claims") from None
    if now.timestamp() >= grant.expires_at:
        raise InvalidGrant("expired")
    return grant


def verify(key: bytes, token: Any, *, owner_service: str, owner_id: str, person_id: str, action: str,
           now: datetime, document_id: str | None = None) -> Grant:
    """The grant, if it covers exactly this owner, person, action and document; InvalidGrant otherwise."""
    grant = read(key, token, now=now)
    expected = (owner_service, str(owner_id), str(person_id), action, None if document_id is None else str(document_id))
    if (grant.owner_service, grant.owner_id, grant.person_id, grant.action, grant.document_id) != expected:
        raise InvalidGrant("granted for another owner, person, action or document")
    return grant


def grant_for(key: bytes, now: datetime, *, owner_service: str, owner_id: Any, person: Any, action: Any,
              document_id: Any, rule: Callable[[], Any]) -> dict[str, str]:
    """What an owner's `document_grant` answers: `rule()` (its authorize rule: True, or it raises
    Forbidden / NotFound with its own French message) then `{"grant": token}`. Any other refusal
    of the rule is a plain 403, as when the documents service asked the owner itself."""
    if action not in ACTIONS or (document_id is not None and (not isinstance(document_id, str) or len(document_id) > 64)):
        raise Forbidden()
    try:
        allowed = rule()
    except (Forbidden, NotFound, Unauthenticated, ServiceUnavailable):
        raise
    except DomainError as exc:
        log.warning("%s refused %s on %s: %s", owner_service, action, owner_id, exc.code)
        raise Forbidden() from None
    if allowed is not True or not isinstance(person, dict) or not isinstance(person.get("id"), str):
        raise Forbidden()
    return {"grant": issue(key, owner_service=owner_service, owner_id=str(owner_id), person_id=person["id"],
                           action=action, document_id=document_id, now=now)}


def secret_from_file(path: Path) -> str:
    """A secret generated once into `path` (mode 0600), read back by every process of the machine;
    whoever creates it first wins, atomically, with complete content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text().strip()


def grant_key(settings) -> bytes:
    """DOCUMENTS_GRANT_KEY, or the key generated once into <var>/documents-grant.key."""
    configured = (settings.get(KEY_SETTING) or "").strip()
    if configured:
        return configured.encode("utf-8")
    return secret_from_file(Path(settings.var_dir) / KEY_FILE).encode("utf-8")


class DocumentGrantKey(DependencyProvider):
    """The grant key of a service that issues or verifies grants, read once per instance."""

    def setup(self):
        self.key = grant_key(settings_of(self.container))

    def get_dependency(self, worker_ctx):
        return self.key
