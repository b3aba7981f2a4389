"""Notifier dependency providers: one per delivery resource (e-mail, SMS), and its options."""
from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider

from consignations_shared.config import settings_of

from .delivery import BackendConfigurationError, build_email_backend, build_sms_backend
from .dispatch import DEFAULT_SMS_CODE_LIMIT_PER_HOUR

log = logging.getLogger(__name__)

DEFAULT_SENDER = "Consignations <ne-pas-repondre@consignations.caissedesdepots.fr>"


def _delivery_settings(settings) -> dict:
    env = dict(settings.env)
    env.setdefault("NOTIFIER_OUTBOX_DIR", str(settings.var_dir / "outbox"))
    return env


class EmailDelivery(DependencyProvider):
    """SMTP, or the outbox folder by default (NOTIFIER_EMAIL_BACKEND)."""

    def setup(self):
        settings = settings_of(self.container)
        self.backend = build_email_backend(_delivery_settings(settings))
        self.sender = settings.get("MAIL_FROM") or DEFAULT_SENDER
        self.portal_url = (settings.get("PORTAL_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")

    def get_dependency(self, worker_ctx):
        return self


class SmsDelivery(DependencyProvider):
    """The SMS provider, or the outbox folder by default (NOTIFIER_SMS_BACKEND)."""

    def setup(self):
        self.backend = build_sms_backend(_delivery_settings(settings_of(self.container)))

    def get_dependency(self, worker_ctx):
        return self.backend


class NotifierOptions(DependencyProvider):
    """Settings read once at start: the code SMS limit per number and hour
    (``NOTIFIER_SMS_CODE_LIMIT_PER_HOUR``, default 5) and the test-only fault hook
    ``NOTIFIER_FAULT_CRASH_AFTER_SEND`` (a notification kind; see README.md)."""

    def setup(self):
        settings = settings_of(self.container)
        raw = (settings.get("NOTIFIER_SMS_CODE_LIMIT_PER_HOUR") or "").strip() or str(
            DEFAULT_SMS_CODE_LIMIT_PER_HOUR)
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if limit < 1:
            raise BackendConfigurationError(
                f"NOTIFIER_SMS_CODE_LIMIT_PER_HOUR must be a positive integer, got {raw!r}")
        self.sms_code_limit_per_hour = limit
        self.crash_after_send = (settings.get("NOTIFIER_FAULT_CRASH_AFTER_SEND") or "").strip() or None
        if self.crash_after_send:
            log.warning("TEST FAULT HOOK ENABLED: the process exits after sending a %r notification, "
                        "before recording it (NOTIFIER_FAULT_CRASH_AFTER_SEND)", self.crash_after_send)

    def get_dependency(self, worker_ctx):
        return self
