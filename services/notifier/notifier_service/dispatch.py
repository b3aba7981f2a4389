"""Turning commands and events into delivered messages (SPEC section 7, NO-A). No nameko here.

Never twice: a notification's id is the id of the event that caused it (``<event id>:<person
id>`` when one event notifies several people, NO-13). The notification record and the
processed-event mark are committed right after the backend accepted the message, one
notification per transaction; a redelivered event finds its notification recorded and sends
nothing. If the process dies between the backend's acceptance and that commit, the redelivery
sends again under the same id: the outbox backend rewrites the same file, SMTP sends a message
with the same Message-ID (at least once, deduplicable), the HTTP SMS provider gets the same
``reference``.

Every attempt is logged in ``delivery_attempts`` with the consumer's delivery number: ``sent``
and ``permanent_failure`` (invalid address, refused by the server: not retried) in the
notification's transaction; ``transient_failure`` in a short transaction of its own after the
notification's one was rolled back, then the exception propagates so that the consumer retries
the message (retry queues, then the dead-letter queue); ``rate_limited`` for code SMS refused by
the per-number limit (SMS pumping defence: no retry).
"""
from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Callable
from urllib.parse import quote

from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from consignations_shared.clock import Clock, as_utc
from consignations_shared.contracts import payloads  # noqa: F401  (fills the registry)
from consignations_shared.contracts.messages import COMMANDS as COMMAND_TYPES, Message, event_type
from consignations_shared.events import Envelope
from consignations_shared.idempotency import first_delivery
from consignations_shared.plumbing import processed_events

from .contacts import ContactBook, ContactDetails, Fallback, UnknownPerson
from .contracts import COMMANDS, EVENTS, ContractViolation, demande_number, require
from .delivery import (
    EmailBackend, PermanentDeliveryError, SmsBackend, SmsMessage,
)
from .messages import RenderingError, render_email, render_sms
from .messages.formatting import french_datetime, full_name, profile_label
from .models import DeliveryAttemptRecord, Notification

log = logging.getLogger(__name__)

# SMS carrying a confidential code: the ones an attacker can trigger in bulk (SMS pumping).
CODE_SMS_KINDS = frozenset({"signup_sms_code"})
SMS_CODE_WINDOW = timedelta(hours=1)
DEFAULT_SMS_CODE_LIMIT_PER_HOUR = 5
# Exit status of the test-only fault hook NOTIFIER_FAULT_CRASH_AFTER_SEND (see README.md).
CRASH_EXIT_STATUS = 70


def mask_phone(number: str) -> str:
    """+336****78: enough to recognise a number in a log line, not to call it."""
    return number if len(number) < 8 else f"{number[:4]}{'*' * (len(number) - 6)}{number[-2:]}"


def _lock_key(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest()[:8], "big", signed=True)


@dataclass
class Dispatcher:
    session: Session
    clock: Clock
    email_backend: EmailBackend
    sms_backend: SmsBackend
    sender: str
    portal_url: str
    attempt: int = 1  # the consumer's delivery number of the message being handled
    contacts_fallback: Fallback | None = None  # identity.person_contact in the service
    sms_code_limit_per_hour: int = DEFAULT_SMS_CODE_LIMIT_PER_HOUR
    crash_after_send: str | None = None  # test-only fault hook: a notification kind

    @cached_property
    def contacts(self) -> ContactBook:
        return ContactBook(self.session, self.clock, self.contacts_fallback)

    # -- sending ---------------------------------------------------------------------------
    def send_email(self, envelope: Envelope, template: str, to: str, context: dict[str, Any], *,
                   recipient_key: str | None = None) -> bool:
        def deliver(notification_id: str) -> None:
            message = render_email(
                template, context, to=to, sender=self.sender, notification_id=notification_id,
                portal_url=self.portal_url, date=self.clock.now(),
            )
            self.email_backend.send(message, notification_id)

        return self._deliver(envelope, template, "email", to, deliver, recipient_key=recipient_key)

    def send_sms(self, envelope: Envelope, template: str, to: str, context: dict[str, Any]) -> bool:
        def deliver(notification_id: str) -> None:
            self.sms_backend.send(SmsMessage(to=to, text=render_sms(template, context),
                                             notification_id=notification_id))

        return self._deliver(envelope, template, "sms", to, deliver,
                             limit_code_sms=template in CODE_SMS_KINDS)

    def record_undeliverable(self, envelope: Envelope, template: str, channel: str, recipient: str,
                             error: str, *, recipient_key: str | None = None) -> bool:
        """Record a notification that cannot be sent (no address...) as a permanent failure."""
        def deliver(notification_id: str) -> None:
            raise PermanentDeliveryError(error)

        return self._deliver(envelope, template, channel, recipient, deliver, recipient_key=recipient_key)

    # -- the one way a notification goes out --------------------------------------------------
    def _now(self) -> datetime:
        return as_utc(self.clock.now())

    @staticmethod
    def _keys(envelope: Envelope, kind: str, recipient_key: str | None) -> tuple[str, str]:
        """(notification id, processed-events consumer) of a notification."""
        if recipient_key is None:
            return envelope.event_id, f"notifier.{kind}"
        return f"{envelope.event_id}:{recipient_key}", f"notifier.{kind}:{recipient_key}"

    def already_handled(self, envelope: Envelope, kind: str, recipient_key: str | None = None) -> bool:
        """True when this notification was settled before (a redelivery): nothing to look up."""
        _, consumer = self._keys(envelope, kind, recipient_key)
        return self.session.execute(
            select(processed_events.c.event_id).where(
                processed_events.c.consumer == consumer,
                processed_events.c.event_id == envelope.event_id)
        ).first() is not None

    def _deliver(self, envelope: Envelope, kind: str, channel: str, recipient: str,
                 deliver: Callable[[str], None], *, recipient_key: str | None = None,
                 limit_code_sms: bool = False) -> bool:
        """Send once per (event, recipient); True if this call sent it.

        Permanent failures are recorded and swallowed; transient ones are logged in their own
        transaction and propagate (the consumer retries the message).
        """
        now = self._now()
        notification_id, consumer = self._keys(envelope, kind, recipient_key)
        if not first_delivery(self.session, consumer, envelope.event_id, now):
            log.info("notification %s for event %s already handled", kind, envelope.event_id)
            return False
        record = Notification(
            id=notification_id, event_id=envelope.event_id, kind=kind, channel=channel,
            recipient=recipient, attempts=self.attempt, created_at=now,
        )

        def attempt(status: str, error: str | None = None) -> DeliveryAttemptRecord:
            return DeliveryAttemptRecord(
                notification_id=notification_id, kind=kind, attempt=self.attempt, channel=channel,
                recipient=recipient, status=status, error=error[:2000] if error else None,
                at=self._now(),
            )

        if limit_code_sms:
            sent = self._code_sms_sent_within_window(recipient, now)
            if sent >= self.sms_code_limit_per_hour:
                log.warning(
                    "code SMS %s to %s refused: %s already sent within the last hour (limit %s)",
                    kind, mask_phone(recipient), sent, self.sms_code_limit_per_hour)
                record.status, record.last_error = "rate_limited", "per-number hourly limit reached"
                self.session.add_all([record, attempt("rate_limited", record.last_error)])
                self.session.commit()
                return False

        try:
            deliver(notification_id)
        except (PermanentDeliveryError, RenderingError, ValueError) as exc:
            record.status, record.last_error = "failed", str(exc)[:2000]
            row = attempt("permanent_failure", str(exc))
            log.error("notification %s by %s failed for good: %s", kind, channel, exc)
        except Exception as exc:  # TransientDeliveryError, or anything unexpected: retry later
            self.session.rollback()
            self._log_attempt_alone(attempt("transient_failure", f"{type(exc).__name__}: {exc}"))
            log.warning("notification %s by %s failed (attempt %s), will be retried: %s",
                        kind, channel, self.attempt, exc)
            raise
        else:
            self._fault_hook(kind, notification_id)
            record.status, record.sent_at = "sent", self._now()
            row = attempt("sent")
            log.info("notification %s sent by %s (attempt %s)", kind, channel, self.attempt)
        self.session.add_all([record, row])
        self.session.commit()
        return record.status == "sent"

    def _log_attempt_alone(self, row: DeliveryAttemptRecord) -> None:
        """Commit one attempt row in a short transaction of its own (the notification's was
        rolled back); a database failure here must not hide the delivery failure."""
        try:
            self.session.add(row)
            self.session.commit()
        except Exception as exc:
            log.warning("could not log the failed delivery attempt: %s", exc)
            self.session.rollback()

    def _code_sms_sent_within_window(self, recipient: str, now: datetime) -> int:
        """Code SMS sent to this number within the sliding hour. On PostgreSQL, a transaction
        lock per number serialises concurrent code SMS to it until this notification commits."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": _lock_key(f"code-sms:{recipient}")})
        return self.session.scalar(
            select(func.count()).select_from(DeliveryAttemptRecord).where(
                DeliveryAttemptRecord.channel == "sms",
                DeliveryAttemptRecord.recipient == recipient,
                DeliveryAttemptRecord.kind.in_(sorted(CODE_SMS_KINDS)),
                DeliveryAttemptRecord.status == "sent",
                DeliveryAttemptRecord.at > now - SMS_CODE_WINDOW,
            )
        ) or 0

    def _fault_hook(self, kind: str, notification_id: str) -> None:
        """Test-only (NOTIFIER_FAULT_CRASH_AFTER_SEND): die after the backend accepted the
        message and before the commit and the ack, as a power cut would."""
        if self.crash_after_send and self.crash_after_send == kind:
            log.critical("fault hook: exiting after sending %s %s, before commit", kind, notification_id)
            os._exit(CRASH_EXIT_STATUS)


# --- one function per command / event --------------------------------------------------------

def _typed(message_type: type[Message], envelope: Envelope, contract) -> dict[str, Any]:
    """The payload read through its declared type (`consignations_shared.contracts.payloads`),
    then held against what the notifier needs: the fields sent (unknown ones dropped), so that a
    contact is only updated with what the message carries."""
    require(envelope.payload, contract)
    try:
        typed = message_type.read(envelope)
    except ValidationError as exc:
        raise ContractViolation(f"{contract.routing_key}: {exc.errors(include_url=False)}") from None
    return typed.model_dump(mode="json", exclude_unset=True)


def _command(envelope: Envelope, name: str) -> dict[str, Any]:
    return _typed(COMMAND_TYPES[("notifier", name)], envelope, COMMANDS[name])


def _event(envelope: Envelope, routing_key: str) -> dict[str, Any]:
    source, type_ = routing_key.split(".", 1)
    return _typed(event_type(source, type_, envelope.version), envelope, EVENTS[routing_key])


def signup_sms_code(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-1, command send_signup_sms_code (rate-limited per number)."""
    payload = _command(envelope, "send_signup_sms_code")
    return dispatcher.send_sms(envelope, "signup_sms_code", payload["mobile"], {"code": payload["code"]})


def signup_email_code(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    payload = _command(envelope, "send_signup_email_code")
    return dispatcher.send_email(envelope, "signup_email_code", payload["email"], {
        "code": payload["code"], "company_name": payload.get("company_name") or "",
    })


def signup_already_registered(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    payload = _command(envelope, "send_signup_already_registered")
    return dispatcher.send_email(envelope, "signup_already_registered", payload["email"], {})


# --- identity: accounts, passwords, invitations (SPEC ID-5, ID-8, ID-9, ID-10) ------------------

def _token(value: Any) -> str:
    """A link token made safe for a query string; the templates build the link with portal_link()."""
    token = str(value or "")
    if not token:
        raise ValueError("empty link token")
    return quote(token, safe="")


def activation_link(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-3, command send_activation_link: the private person's activation link (30 minutes)."""
    payload = _command(envelope, "send_activation_link")
    return dispatcher.send_email(envelope, "activation_link", payload["email"], {
        "full_name": full_name(payload.get("first_name"), payload.get("last_name")),
        "link_token": _token(payload["link_token"]),
        "validity_minutes": payload.get("validity_minutes") or 30,
    })


def password_reset(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-4, command send_password_reset: forgotten password link + code (30 minutes)."""
    payload = _command(envelope, "send_password_reset")
    return dispatcher.send_email(envelope, "password_reset", payload["email"], {
        "link_token": _token(payload["link_token"]),
        "code": payload["code"],
        "validity_minutes": payload.get("validity_minutes") or 30,
    })


def password_change_code(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-5, command send_password_change_code: code confirming a change from « Mes identifiants »."""
    payload = _command(envelope, "send_password_change_code")
    return dispatcher.send_email(envelope, "password_change_code", payload["email"], {
        "code": payload["code"],
        "validity_hours": payload.get("validity_hours") or 48,
    })


def invitation(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-6, command send_invitation: link + confidential password (48 hours) for an invited person."""
    payload = _command(envelope, "send_invitation")
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


def _learn(dispatcher: Dispatcher, envelope: Envelope, payload: dict[str, Any], *fields: str) -> None:
    """Record the contact fields present in the payload, as known when the event occurred."""
    values = {field: payload[field] for field in fields if field in payload}
    dispatcher.contacts.record_and_commit(payload["person_id"], envelope.occurred_at, **values)


def account_activated(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-7, event identity.account_activated: the account can now log in (a particulier's
    activation, an invitation accepted, a company's sign-up verified). Contact recorded."""
    payload = _event(envelope, "identity.account_activated")
    _learn(dispatcher, envelope, payload, "email", "first_name", "last_name", "mobile")
    return dispatcher.send_email(envelope, "account_activated", payload["email"], {
        "full_name": full_name(payload.get("first_name"), payload.get("last_name")),
        "email": payload["email"],
        "company": payload.get("profile") == "ENTREPRISE",
    })


def password_changed(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-15, event identity.password_changed: security notice after a reset or a change."""
    payload = _event(envelope, "identity.password_changed")
    _learn(dispatcher, envelope, payload, "email")
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


# --- contacts only: what the notifier learns about people --------------------------------------

def signup_verified(dispatcher: Dispatcher, envelope: Envelope) -> None:
    """identity.signup_verified: a company's notification address and mobile."""
    _learn(dispatcher, envelope, _event(envelope, "identity.signup_verified"), "email", "mobile")


def person_invited(dispatcher: Dispatcher, envelope: Envelope) -> None:
    """identity.person_invited: an invited person's address and names."""
    _learn(dispatcher, envelope, _event(envelope, "identity.person_invited"),
           "email", "first_name", "last_name")


def person_updated(dispatcher: Dispatcher, envelope: Envelope) -> None:
    """accounts.person_updated: only the keys present change."""
    _learn(dispatcher, envelope, _event(envelope, "accounts.person_updated"),
           "email", "first_name", "last_name", "mobile")


# --- requests, documents, messages, users (NO-8 to NO-14) -----------------------------------------

SENS_LABELS = {"C": "consignation", "D": "déconsignation"}


def _recipient(dispatcher: Dispatcher, envelope: Envelope, template: str, person_id: Any, *,
               recipient_key: str | None = None) -> ContactDetails | None:
    """The person's contact; None if the notification was settled before (redelivery), or if
    nobody knows the person (a permanent failure is then recorded). Raises when the identity
    service cannot answer now: the event is retried."""
    if dispatcher.already_handled(envelope, template, recipient_key):
        log.info("notification %s for event %s already handled", template, envelope.event_id)
        return None
    try:
        return dispatcher.contacts.resolve(str(person_id))
    except UnknownPerson as exc:
        dispatcher.record_undeliverable(envelope, template, "email", f"person:{person_id}", str(exc),
                                        recipient_key=recipient_key)
        return None


def _french_instant(value: Any, envelope: Envelope) -> str:
    try:
        return french_datetime(value or envelope.occurred_at)
    except (TypeError, ValueError):
        log.warning("event %s: unreadable instant %r", envelope.event_id, value)
        return ""


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return " ".join(str(value).split()) if value is not None else ""


def _email_request_owner(dispatcher: Dispatcher, envelope: Envelope, key: str, payload: dict[str, Any],
                         template: str, context) -> bool:
    """The common path of NO-8..NO-12, NO-14: the request's number checked, its owner found
    (learned contact or identity's fallback), one e-mail. `context(contact)` adds the details."""
    number = demande_number(payload, EVENTS[key])
    contact = _recipient(dispatcher, envelope, template, payload["owner_person_id"])
    if contact is None:
        return False
    return dispatcher.send_email(envelope, template, contact.email, {
        "full_name": contact.full_name, "number": number, **context(contact),
    })


def demande_submitted(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-8, event demandes.demande_submitted: « demande transmise », with its number (DM-5)."""
    key = "demandes.demande_submitted"
    payload = _event(envelope, key)
    return _email_request_owner(dispatcher, envelope, key, payload, "demande_submitted", lambda contact: {
        "procedure_label": _text(payload, "procedure_label"),
        "sens_label": SENS_LABELS.get(_text(payload, "sens").upper(), ""),
        "submitted_on": _french_instant(payload.get("submitted_at"), envelope),
    })


def _documents(value: Any) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ContractViolation("demandes.demande_state_changed: non_conforming_documents is not a list of objects")
    documents = []
    for item in value:
        label = _text(item, "label")
        if not label:
            raise ContractViolation("demandes.demande_state_changed: a non-conforming document without label")
        documents.append({"label": label, "reason": _text(item, "reason") or "document non conforme"})
    return documents


def demande_state_changed(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-9 (AWAITING_COMPLEMENT: documents to replace, with reasons) and NO-11 (REJECTED, with
    the reason), event demandes.demande_state_changed; other states send nothing."""
    key = "demandes.demande_state_changed"
    payload = _event(envelope, key)
    to_state = _text(payload, "to_state").upper()
    if to_state == "AWAITING_COMPLEMENT":
        template = "demande_awaiting_complement"
        extra: dict[str, Any] = {"documents": _documents(payload.get("non_conforming_documents"))}
    elif to_state == "REJECTED":
        template, extra = "demande_rejected", {}
    else:
        log.info("demande %s now %s: nothing to send", payload["demande_id"], to_state)
        return False
    return _email_request_owner(dispatcher, envelope, key, payload, template, lambda contact: {
        "procedure_label": _text(payload, "procedure_label"), "reason": _text(payload, "reason"), **extra,
    })


def payment_proof_issued(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-10, event documents.payment_proof_issued: « Justificatif de paiement disponible », whose
    « Télécharger mon justificatif » leads to that request's proof in the portal."""
    key = "documents.payment_proof_issued"
    payload = _event(envelope, key)
    return _email_request_owner(dispatcher, envelope, key, payload, "payment_proof_available", lambda contact: {
        "demande_id": quote(str(payload["demande_id"]), safe=""),
    })


def demande_reassigned(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-12, event demandes.demande_reassigned: to the new owner (DM-8)."""
    key = "demandes.demande_reassigned"
    payload = _event(envelope, key)

    def context(contact):
        by = payload.get("reassigned_by_person_id")
        known_by = dispatcher.contacts.known(str(by)) if by and str(by) != contact.person_id else None
        return {"procedure_label": _text(payload, "procedure_label"),
                "reassigned_by": known_by.full_name if known_by else ""}

    return _email_request_owner(dispatcher, envelope, key, payload, "demande_reassigned", context)


def access_deletion_requested(dispatcher: Dispatcher, envelope: Envelope) -> int:
    """NO-13, event accounts.deletion_requested: one e-mail per administrator (AC-6),
    each its own notification (``<event id>:<administrator id>``), each never sent twice.
    Returns how many were sent by this call."""
    payload = _event(envelope, "accounts.deletion_requested")
    administrators = payload["administrator_person_ids"]
    if not isinstance(administrators, list):
        raise ContractViolation("accounts.deletion_requested: administrator_person_ids is not a list")
    requester = full_name(payload.get("first_name"), payload.get("last_name"))
    if not requester:
        known = dispatcher.contacts.known(str(payload["person_id"]))
        requester = known.full_name if known else ""
    sent = 0
    for administrator in dict.fromkeys(str(a) for a in administrators if a):  # once each, in order
        contact = _recipient(dispatcher, envelope, "access_deletion_requested", administrator,
                             recipient_key=administrator)
        if contact is None:
            continue
        sent += dispatcher.send_email(envelope, "access_deletion_requested", contact.email, {
            "full_name": contact.full_name, "requester_name": requester,
        }, recipient_key=administrator)
    return sent


def message_posted(dispatcher: Dispatcher, envelope: Envelope) -> bool:
    """NO-14, event demandes.message_posted: a back-office message (MS-3), a gestionnaire's or an
    automatic reminder. The e-mail names the request, never the message nor its subject (MS-5:
    they may carry personal data)."""
    key = "demandes.message_posted"
    payload = _event(envelope, key)
    if _text(payload, "author_role").upper() not in ("GESTIONNAIRE", "SYSTEM"):  # not the client's replies
        return False
    return _email_request_owner(dispatcher, envelope, key, payload, "new_message", lambda contact: {})
