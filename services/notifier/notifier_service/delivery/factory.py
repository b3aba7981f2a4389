"""Build the delivery backends from a plain dict of settings (strings, e.g. ``os.environ``).

Keys (docs/conventions.md): ``NOTIFIER_EMAIL_BACKEND`` (``outbox`` | ``smtp``, default
``outbox``), ``NOTIFIER_SMS_BACKEND`` (``outbox``, default ``outbox``), ``NOTIFIER_OUTBOX_DIR``
(default ``<CONSIGNATIONS_VAR_DIR>/outbox`` when ``CONSIGNATIONS_VAR_DIR`` is given),
``SMTP_HOST`` (``127.0.0.1``), ``SMTP_PORT`` (``25``), ``SMTP_USER``, ``SMTP_PASSWORD``,
``SMTP_STARTTLS`` (``false``); for the http SMS backend ``SMS_HTTP_URL``, ``SMS_HTTP_TOKEN``
(both required) and ``SMS_HTTP_TIMEOUT`` (seconds, ``10``). Empty strings count as missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .base import BackendConfigurationError, EmailBackend, SmsBackend
from .outbox import OutboxEmailBackend, OutboxSmsBackend
from .sms_http import HttpSmsBackend
from .smtp import SmtpEmailBackend

__all__ = ["EMAIL_BACKENDS", "SMS_BACKENDS", "build_email_backend", "build_sms_backend"]

EMAIL_BACKENDS = ("outbox", "smtp")
SMS_BACKENDS = ("outbox", "http")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _get(settings: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value = settings.get(key)
    if value is None:
        return default
    value = str(value).strip()
    return value if value else default


def _choice(settings: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = (_get(settings, key, "outbox") or "").lower()
    if value not in allowed:
        raise BackendConfigurationError(
            f"unknown {key} {value!r}: expected one of {', '.join(allowed)}"
        )
    return value


def _outbox_dir(settings: Mapping[str, Any]) -> str:
    directory = _get(settings, "NOTIFIER_OUTBOX_DIR")
    if directory:
        return directory
    var_dir = _get(settings, "CONSIGNATIONS_VAR_DIR")
    if var_dir:
        return os.path.join(var_dir, "outbox")
    raise BackendConfigurationError(
        "NOTIFIER_OUTBOX_DIR (or CONSIGNATIONS_VAR_DIR) is required for the outbox backend"
    )


def _port(settings: Mapping[str, Any]) -> int:
    raw = _get(settings, "SMTP_PORT", "25")
    try:
        port = int(raw)
    except (TypeError, ValueError):
        raise BackendConfigurationError(f"SMTP_PORT must be an integer, got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise BackendConfigurationError(f"SMTP_PORT out of range: {port}")
    return port


def _flag(settings: Mapping[str, Any], key: str, default: bool) -> bool:
    raw = _get(settings, key)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BackendConfigurationError(f"{key} must be true or false, got {raw!r}")


def build_email_backend(settings: Mapping[str, Any]) -> EmailBackend:
    kind = _choice(settings, "NOTIFIER_EMAIL_BACKEND", EMAIL_BACKENDS)
    if kind == "outbox":
        return OutboxEmailBackend(_outbox_dir(settings))
    username = _get(settings, "SMTP_USER")
    password = _get(settings, "SMTP_PASSWORD")
    if password and not username:
        raise BackendConfigurationError("SMTP_PASSWORD is set but SMTP_USER is missing")
    return SmtpEmailBackend(
        host=_get(settings, "SMTP_HOST", "127.0.0.1"),
        port=_port(settings),
        username=username,
        password=password,
        starttls=_flag(settings, "SMTP_STARTTLS", False),
    )


def build_sms_backend(settings: Mapping[str, Any], clock: Any = None) -> SmsBackend:
    kind = _choice(settings, "NOTIFIER_SMS_BACKEND", SMS_BACKENDS)
    if kind == "outbox":
        return OutboxSmsBackend(_outbox_dir(settings), clock=clock)
    url = _get(settings, "SMS_HTTP_URL")
    token = _get(settings, "SMS_HTTP_TOKEN")
    if not url:
        raise BackendConfigurationError("SMS_HTTP_URL is required for NOTIFIER_SMS_BACKEND=http")
    if not token:
        raise BackendConfigurationError("SMS_HTTP_TOKEN is required for NOTIFIER_SMS_BACKEND=http")
    raw_timeout = _get(settings, "SMS_HTTP_TIMEOUT", "10")
    try:
        timeout = float(raw_timeout)
    except (TypeError, ValueError):
        raise BackendConfigurationError(f"SMS_HTTP_TIMEOUT must be a number, got {raw_timeout!r}") from None
    return HttpSmsBackend(url, token, timeout)
