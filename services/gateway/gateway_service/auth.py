"""Who the request is for (SPEC ID-11, NF-1): a session cookie (HttpOnly, SameSite=Lax, Secure
over HTTPS) with a CSRF token for browsers, or `Authorization: Bearer` for API clients.

The identity service owns sessions. The gateway asks it to resolve a token, and each process
keeps the answer for a few seconds (session_cache.py) while it receives identity's revocations,
so a revoked session (logout, password change, expiry) stops working on every gateway process
within a second; without those events, every request asks identity.
"""
from __future__ import annotations

import functools
import hashlib
import hmac

from flask import current_app, g, request

from consignations_shared.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "consignations_session"
CSRF_COOKIE = "consignations_csrf"  # readable by the portal's script, echoed in X-CSRF-Token
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_REFUSED = "Le jeton de sécurité de votre session est absent ou invalide. Rechargez la page et recommencez."


def _credentials() -> tuple[str | None, bool]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None, False
    return request.cookies.get(SESSION_COOKIE), True


def session_token() -> str | None:
    return _credentials()[0]


def current_session() -> dict:
    """The resolved session ({session_id, person, ...}) or Unauthenticated."""
    if "auth" in g:
        return g.auth
    token, from_cookie = _credentials()
    if not token:
        raise Unauthenticated()
    from .rpc_calls import identity  # here: rpc_calls imports web, which imports this module

    resolved = current_app.extensions["session_cache"].resolve(token, identity.resolve_session)
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(hashlib.sha256(sent.encode()).hexdigest(), resolved["csrf_hash"]):
            raise Forbidden(CSRF_REFUSED, None, "csrf_failed")
    g.auth = resolved
    return resolved


def forget_session(token: str) -> None:
    """This process just ended the session (logout): drop it from its cache at once."""
    current_app.extensions["session_cache"].forget(token)


def current_person() -> dict:
    return current_session()["person"]


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        current_session()
        return view(*args, **kwargs)

    return wrapper


def staff_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_person()["is_staff"]:
            raise Forbidden("Cette page est réservée aux gestionnaires du service des consignations.")
        return view(*args, **kwargs)

    return wrapper


def set_session_cookies(response, session_token: str, csrf_token: str) -> None:
    secure = current_app.config["SETTINGS"].session_cookie_secure
    response.set_cookie(SESSION_COOKIE, session_token, httponly=True, secure=secure, samesite="Lax", path="/")
    response.set_cookie(CSRF_COOKIE, csrf_token, httponly=False, secure=secure, samesite="Strict", path="/")


def clear_session_cookies(response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def client_ip() -> str | None:
    return request.remote_addr
