"""SMS through a generic JSON-over-HTTP provider (``NOTIFIER_SMS_BACKEND=http``).

The API the backend speaks (any SMS gateway, or a small adapter in front of one, can offer it)::

    POST <SMS_HTTP_URL>
    Authorization: Bearer <SMS_HTTP_TOKEN>
    Content-Type: application/json
    Accept: application/json

    {"to": "+33612345678", "text": "Votre code confidentiel CDC est : 123456",
     "reference": "<notification id>"}

* ``to`` is an E.164 number, ``text`` the message as the person reads it (UTF-8),
  ``reference`` the notification id: the same notification always has the same reference, so a
  provider that deduplicates on it never sends a redelivered SMS twice.
* Any **2xx** answer means accepted (the body is not read).
* **4xx other than 408 and 429** means the provider will never accept this message (invalid
  number, rejected text, bad token...): :class:`PermanentDeliveryError`, recorded, not retried.
* **408, 429, 5xx**, any other status (1xx, 3xx: redirects are not followed), connection errors
  and timeouts are :class:`TransientDeliveryError`: the consumer retries with back-off, then
  dead-letters (replayable with ``python -m consignations_shared.dead_letters``).

Settings (see ``factory.py``): ``SMS_HTTP_URL`` (required, http or https), ``SMS_HTTP_TOKEN``
(required), ``SMS_HTTP_TIMEOUT`` (seconds, default 10, for connecting and for the answer).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import requests

from .base import (
    BackendConfigurationError,
    PermanentDeliveryError,
    SmsMessage,
    TransientDeliveryError,
    validate_sms,
)

__all__ = ["HttpSmsBackend"]

logger = logging.getLogger(__name__)

_TRANSIENT_4XX = {408, 429}


class HttpSmsBackend:
    """Posts each SMS as JSON to an HTTP provider; maps its answers onto the two failures."""

    def __init__(self, url: str, token: str, timeout: float = 10.0,
                 session: requests.Session | None = None) -> None:
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BackendConfigurationError("SMS_HTTP_URL must be an absolute http(s) URL")
        if not token:
            raise BackendConfigurationError("SMS_HTTP_TOKEN is required for the http SMS backend")
        if timeout <= 0:
            raise BackendConfigurationError("SMS_HTTP_TIMEOUT must be positive")
        self.url = url
        self._token = token
        self.timeout = float(timeout)
        self.session = session or requests.Session()

    def __repr__(self) -> str:  # never shows the token
        return f"{type(self).__name__}(url={self.url!r}, timeout={self.timeout})"

    def send(self, sms: SmsMessage) -> None:
        validate_sms(sms)
        try:
            response = self.session.post(
                self.url,
                json={"to": sms.to, "text": sms.text, "reference": sms.notification_id},
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise TransientDeliveryError(f"SMS provider timed out: {exc!r}") from exc
        except requests.RequestException as exc:  # connection refused, reset, DNS...
            raise TransientDeliveryError(f"SMS provider unreachable: {exc!r}") from exc
        try:
            status = response.status_code
            if 200 <= status < 300:
                logger.info("SMS accepted by provider notification_id=%s status=%s",
                            sms.notification_id, status)
                return
            detail = f"SMS provider answered {status}: {_excerpt(response)}"
            if 400 <= status < 500 and status not in _TRANSIENT_4XX:
                raise PermanentDeliveryError(detail)
            raise TransientDeliveryError(detail)
        finally:
            response.close()


def _excerpt(response: requests.Response) -> str:
    try:
        text = response.text
    except Exception:  # pragma: no cover - undecodable body
        return "(unreadable body)"
    return " ".join(text.split())[:200] or response.reason or ""
