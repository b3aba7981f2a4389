"""Turning commands and events into delivered messages (SPEC section 7, NO-A). No nameko here.

A notification's id is the id of the event that caused it: a redelivered event finds its
notification already recorded and sends nothing. The record and the processed-event mark are
committed right after the backend accepted the message; if the process dies in between, the
redelivery sends again under the same id, which the outbox backend turns into the same file and
SMTP into the same Message-ID.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.events import Envelope
from consignations_shared.idempotency import first_delivery

from .delivery import (
    EmailBackend, PermanentDeliveryError, SmsBackend, SmsMessage, TransientDeliveryError,
)
from .messages import RenderingError, render_email, render_sms
from .messages.formatting import french_datetime, full_name, profile_label
from .models import Notification

log = logging.getLogger(__name__)


@dataclass
class Dispatcher:
    session: Session
    clock: Clock
    email_backend: EmailBackend
    sms_backend: SmsBackend
    sender: str
    portal_url: str

    def send_email(self, envelope: Envelope, template: str, to: str, context: dict[str, Any]) -> bool:
        def deliver(notification_id: str) -> None:
            message = render_email(
                template, context, to=to, sender=self.sender, notification_id=notification_id,
                portal_url=self.portal_url, date=self.clock.now(),
            )
            self.email_backend.send(message, notification_id)

        return self._deliver(envelope, template, "email", to, deliver)

    def send_sms(self, envelope: Envelope, template: str, to: str, context: dict[str, Any]) -> bool:
        def deliver(notification_id: str) -> None:
            self.sms_backend.send(SmsMessage(to=to, text=render_sms(template, context),
                                             notification_id=notification_id))

        return self._deliver(envelope, template, "sms", to, deliver)

    def _deliver(self, envelope: Envelope, kind: str, channel: str, recipient: str, deliver) -> bool:
        """Send once per event; True if this call sent it. Transient failures propagate (retry)."""
        now = self.clock.now()
        if not first_delivery(self.session, f"notifier.{kind}", envelope.event_id, now):
            log.info("notification %s for event %s already handled", kind, envelope.event_id)
            return False
        notification_id = envelope.event_id
        record = Notification(
            id=notification_id, event_id=envelope.event_id, kind=kind, channel=channel,
            recipient=recipient, attempts=1, created_at=now,
        )
        try:
            deliver(notification_id)
        except TransientDeliveryError:
            self.session.rollback()
            raise
        except (PermanentDeliveryError, RenderingError, ValueError) as exc:
            record.status, record.last_error = "failed", str(exc)[:2000]
            log.error("notification %s to %s failed for good: %s", kind, channel, exc)
        else:
            record.status, record.sent_at = "sent", self.clock.now()
            log.info("notification %s sent by %s", kind, channel)
        self.session.add(record)
        self.session.commit()
        return record.status == "sent"


# --- one function per command / event --------------------------------------------------------

def signup_sms_code(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    payload = envelope.payload
    return dispatcher.send_sms(envelope, "signup_sms_code", payload["mobile"], {"code": payload["code"]})


def signup_email_code(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    payload = envelope.payload
    return dispatcher.send_email(envelope, "signup_email_code", payload["email"], {
        "code": payload["code"], "company_name": payload.get("company_name") or "",
    })


def signup_already_registered(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    return dispatcher.send_email(envelope, "signup_already_registered", envelope.payload["email"], {})


# --- identity: accounts, passwords, invitations (SPEC ID-5, ID-8, ID-9, ID-10) ------------------

def _token(value: Any) -> str:
    """A link token made safe for a query string; the templates build the link with portal_link()."""
    token = str(value or "")
    if not token:
        raise ValueError("empty link token")
    return quote(token, safe="")


def activation_link(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-3, command send_activation_link: the private person's activation link (30 minutes)."""
    payload = envelope.payload
    return dispatcher.send_email(envelope, "activation_link", payload["email"], {
        "full_name": full_name(payload.get("first_name"), payload.get("last_name")),
        "link_token": _token(payload["link_token"]),
        "validity_minutes": payload.get("validity_minutes") or 30,
    })


def password_reset(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-4, command send_password_reset: forgotten password link + code (30 minutes)."""
    payload = envelope.payload
    return dispatcher.send_email(envelope, "password_reset", payload["email"], {
        "link_token": _token(payload["link_token"]),
        "code": payload["code"],
        "validity_minutes": payload.get("validity_minutes") or 30,
    })


def password_change_code(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-5, command send_password_change_code: code confirming a change from « Mes identifiants »."""
    payload = envelope.payload
    return dispatcher.send_email(envelope, "password_change_code", payload["email"], {
        "code": payload["code"],
        "validity_hours": payload.get("validity_hours") or 48,
    })


def invitation(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-6, command send_invitation: link + confidential password (48 hours) for an invited person."""
    payload = envelope.payload
    profile = str(payload.get("profile") or "").strip().upper()
    if profile == "GESTIONNAIRE":
        inviter = "le service des consignations"
    else:
        inviter = str(payload.get("company_name") or "").strip()
    return dispatcher.send_email(envelope, "invitation", payload["email"], {
        "full_name": full_name(payload.get("first_name"), payload.get("last_name")),
        "inviter": inviter,
        "profile": profile,
        "profile_label": profile_label(profile),
        "link_token": _token(payload["link_token"]),
        "code": payload["code"],
        "validity_hours": payload.get("validity_hours") or 48,
    })


def account_activated(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-7, event identity.account_activated: the account can now log in."""
    payload = envelope.payload
    return dispatcher.send_email(envelope, "account_activated", payload["email"], {
        "full_name": full_name(payload.get("first_name"), payload.get("last_name")),
        "email": payload["email"],
    })


def password_changed(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-15, event identity.password_changed: security notice after a reset or a change."""
    payload = envelope.payload
    try:
        changed_on = french_datetime(payload.get("changed_at") or envelope.occurred_at)
    except (TypeError, ValueError):
        log.warning("password_changed event %s: unreadable changed_at, using occurred_at", envelope.event_id)
        changed_on = french_datetime(envelope.occurred_at)
    return dispatcher.send_email(envelope, "password_changed", payload["email"], {
        "email": payload["email"],
        "reason": "reset" if payload.get("reason") == "reset" else "change",
        "changed_on": changed_on,
    })
