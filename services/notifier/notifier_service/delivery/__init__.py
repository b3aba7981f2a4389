"""E-mail and SMS delivery backends (pure Python: no nameko, no eventlet)."""

from .base import (
    BackendConfigurationError,
    DeliveryError,
    EmailBackend,
    PermanentDeliveryError,
    SmsBackend,
    SmsMessage,
    TransientDeliveryError,
    envelope_recipients,
    is_e164,
    notification_file_stem,
)
from .factory import build_email_backend, build_sms_backend
from .outbox import OutboxContents, OutboxEmailBackend, OutboxSmsBackend, read_outbox
from .sms_http import HttpSmsBackend
from .smtp import SmtpEmailBackend

__all__ = [
    "BackendConfigurationError",
    "DeliveryError",
    "EmailBackend",
    "HttpSmsBackend",
    "OutboxContents",
    "OutboxEmailBackend",
    "OutboxSmsBackend",
    "PermanentDeliveryError",
    "SmsBackend",
    "SmsMessage",
    "SmtpEmailBackend",
    "TransientDeliveryError",
    "build_email_backend",
    "build_sms_backend",
    "envelope_recipients",
    "is_e164",
    "notification_file_stem",
    "read_outbox",
]
