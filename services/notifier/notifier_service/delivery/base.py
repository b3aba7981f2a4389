"""Delivery interfaces shared by every backend (NO-A).

Backends receive ready-to-send messages (rendering lives in ``notifier_service.messages``) and
report failures with two exception classes only, so that the caller can decide between "retry
later" and "dead-letter now":

* :class:`TransientDeliveryError` - the same delivery may succeed later (connection refused,
  timeout, 4xx SMTP reply, full disk...);
* :class:`PermanentDeliveryError` - retrying the same message cannot succeed (invalid recipient,
  5xx SMTP reply to the transaction...).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import getaddresses
from typing import Protocol, runtime_checkable

__all__ = [
    "BackendConfigurationError",
    "DeliveryError",
    "EmailBackend",
    "PermanentDeliveryError",
    "SmsBackend",
    "SmsMessage",
    "TransientDeliveryError",
    "envelope_recipients",
    "is_e164",
    "notification_file_stem",
    "validate_sms",
]


class DeliveryError(Exception):
    """Base class of every delivery failure."""


class TransientDeliveryError(DeliveryError):
    """The delivery failed but may succeed later: retry with back-off."""


class PermanentDeliveryError(DeliveryError):
    """The delivery can never succeed for this message: do not retry."""


class BackendConfigurationError(ValueError):
    """The delivery settings are invalid (unknown backend, bad port, missing directory...)."""


@dataclass(frozen=True)
class SmsMessage:
    """One SMS to deliver.

    ``to`` is an E.164 phone number (``+33612345678``); ``notification_id`` identifies the
    notification, so that delivering it twice has no further effect.
    """

    to: str
    text: str
    notification_id: str


@runtime_checkable
class EmailBackend(Protocol):
    def send(self, message: EmailMessage, notification_id: str) -> None:
        """Deliver ``message``; raise TransientDeliveryError or PermanentDeliveryError."""


@runtime_checkable
class SmsBackend(Protocol):
    def send(self, sms: SmsMessage) -> None:
        """Deliver ``sms``; raise TransientDeliveryError or PermanentDeliveryError."""


# E.164: "+", a country code not starting with 0, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def is_e164(phone: str) -> bool:
    return isinstance(phone, str) and _E164.fullmatch(phone) is not None


def validate_sms(sms: SmsMessage) -> None:
    """Raise PermanentDeliveryError when ``sms`` cannot be delivered whatever the retries."""
    if not is_e164(sms.to):
        raise PermanentDeliveryError("invalid SMS recipient: not an E.164 phone number")
    if not isinstance(sms.text, str) or not sms.text.strip():
        raise PermanentDeliveryError("empty SMS text")
    notification_file_stem(sms.notification_id)  # ValueError on a missing id


# Notification ids are normally UUIDs; anything else is hashed so that a file name can never
# escape the outbox folder or collide with a temporary file.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def notification_file_stem(notification_id: str) -> str:
    """Deterministic, file-system-safe name for a notification id (same id -> same name)."""
    if not isinstance(notification_id, str) or not notification_id:
        raise ValueError("notification_id must be a non-empty string")
    if _SAFE_ID.fullmatch(notification_id):
        return notification_id
    return "n-" + hashlib.sha256(notification_id.encode("utf-8")).hexdigest()


def envelope_recipients(message: Message) -> list[str]:
    """The addr-specs of To, Cc and Bcc; PermanentDeliveryError if none or one is invalid."""
    recipients: list[str] = []
    for header_name in ("To", "Cc", "Bcc"):
        for header in message.get_all(header_name, []):
            addresses = getattr(header, "addresses", None)
            if addresses is not None:
                if getattr(header, "defects", None):
                    raise PermanentDeliveryError(f"invalid recipient address in {header_name}")
                specs = [address.addr_spec for address in addresses]
            else:  # compat32 message: headers are plain strings
                specs = [spec for _, spec in getaddresses([str(header)])]
            for spec in specs:
                local, at, domain = spec.rpartition("@")
                if not at or not local or not domain or any(c.isspace() for c in spec):
                    raise PermanentDeliveryError(f"invalid recipient address in {header_name}")
                recipients.append(spec)
    if not recipients:
        raise PermanentDeliveryError("the message has no recipient")
    return recipients
