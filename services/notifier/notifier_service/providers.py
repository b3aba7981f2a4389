"""Notifier dependency providers: one per delivery resource (e-mail, SMS)."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from consignations_shared.config import settings_of

from .delivery import build_email_backend, build_sms_backend

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
