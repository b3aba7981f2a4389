"""Outbox backends (NO-A): one file per notification, idempotent, atomic, readable back."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.message import EmailMessage

import pytest

from notifier_service.delivery import (
    EmailBackend,
    OutboxEmailBackend,
    OutboxSmsBackend,
    PermanentDeliveryError,
    SmsBackend,
    SmsMessage,
    TransientDeliveryError,
    read_outbox,
)
from notifier_service.messages import render_email, render_sms

SENDER = "Consignations <ne-pas-repondre@consignations.caissedesdepots.fr>"


def _email(code="A7K2QZ", notification_id="notif-1", to="contact@exemple.fr"):
    return render_email(
        "signup_email_code",
        {"company_name": "Société Exemple SAS", "code": code},
        to=to,
        sender=SENDER,
        notification_id=notification_id,
        portal_url="http://127.0.0.1:8000",
    )


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_backends_satisfy_the_protocols(tmp_path):
    assert isinstance(OutboxEmailBackend(tmp_path), EmailBackend)
    assert isinstance(OutboxSmsBackend(tmp_path), SmsBackend)


def test_email_outbox_one_file_per_notification_even_if_sent_twice(tmp_path):
    backend = OutboxEmailBackend(tmp_path)
    backend.send(_email(), "notif-1")
    backend.send(_email(), "notif-1")  # redelivery of the same notification
    assert _files(tmp_path / "email") == ["notif-1.eml"]

    backend.send(_email(code="B8L3RA", notification_id="notif-2"), "notif-2")
    assert _files(tmp_path / "email") == ["notif-1.eml", "notif-2.eml"]  # no temp file left

    outbox = read_outbox(tmp_path)
    assert len(outbox.emails) == 2
    assert outbox.sms == []
    first, second = outbox.emails
    assert first.get_content_type() == "multipart/alternative"
    assert first["To"].addresses[0].addr_spec == "contact@exemple.fr"
    assert str(first["Subject"]) == "Votre code confidentiel – Espace Personnel Consignations"
    assert "A7K2QZ" in first.get_body(preferencelist=("plain",)).get_content()
    assert "B8L3RA" in second.get_body(preferencelist=("html",)).get_content()
    assert [p.name for p in outbox.email_paths] == ["notif-1.eml", "notif-2.eml"]


def test_email_outbox_file_is_rfc5322_with_crlf(tmp_path):
    backend = OutboxEmailBackend(tmp_path)
    backend.send(_email(), "notif-1")
    raw = (tmp_path / "email" / "notif-1.eml").read_bytes()
    assert raw.startswith(b"From: ")
    assert b"\r\n\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_email_outbox_file_name_is_safe_for_any_notification_id(tmp_path):
    backend = OutboxEmailBackend(tmp_path)
    backend.send(_email(), "../../etc/passwd")
    backend.send(_email(), "../../etc/passwd")
    names = _files(tmp_path / "email")
    assert len(names) == 1 and names[0].endswith(".eml") and "/" not in names[0]
    assert _files(tmp_path) == ["email"]
    with pytest.raises(ValueError):
        backend.send(_email(), "")


def test_email_without_valid_recipient_is_permanent(tmp_path):
    backend = OutboxEmailBackend(tmp_path)
    message = EmailMessage()
    message["From"] = SENDER
    message["Subject"] = "x"
    message.set_content("x")
    with pytest.raises(PermanentDeliveryError):
        backend.send(message, "no-recipient")
    message["To"] = "not an address"
    with pytest.raises(PermanentDeliveryError):
        backend.send(message, "bad-recipient")
    assert _files(tmp_path / "email") == []


def test_email_outbox_write_failure_is_transient(tmp_path):
    (tmp_path / "email").write_text("not a folder")
    with pytest.raises(TransientDeliveryError):
        OutboxEmailBackend(tmp_path).send(_email(), "notif-1")


def test_sms_outbox_one_json_file_per_notification(tmp_path):
    times = iter(
        [
            datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc),
            datetime(2026, 3, 2, 9, 31, tzinfo=timezone.utc),
            datetime(2026, 3, 2, 9, 32, tzinfo=timezone.utc),
        ]
    )
    backend = OutboxSmsBackend(tmp_path, clock=lambda: next(times))
    text = render_sms("signup_sms_code", {"code": "123456"})
    sms = SmsMessage(to="+33612345678", text=text, notification_id="sms-1")
    backend.send(sms)
    backend.send(sms)
    assert _files(tmp_path / "sms") == ["sms-1.json"]

    document = json.loads((tmp_path / "sms" / "sms-1.json").read_text(encoding="utf-8"))
    assert document == {
        "to": "+33612345678",
        "text": "Votre code confidentiel CDC est : 123456",
        "notification_id": "sms-1",
        "created_at": "2026-03-02T09:31:00+00:00",
    }

    backend.send(SmsMessage(to="+33700000000", text="Votre code confidentiel CDC est : 654321",
                            notification_id="sms-2"))
    outbox = read_outbox(tmp_path)
    assert [s["notification_id"] for s in outbox.sms] == ["sms-1", "sms-2"]
    assert outbox.emails == []


def test_sms_outbox_accepts_a_clock_object(tmp_path):
    class Clock:
        def now(self):
            return datetime(2026, 1, 1, 12, 0)  # naive: read as UTC

    backend = OutboxSmsBackend(tmp_path, clock=Clock())
    backend.send(SmsMessage(to="+33612345678", text="x", notification_id="sms-1"))
    assert read_outbox(tmp_path).sms[0]["created_at"] == "2026-01-01T12:00:00+00:00"


@pytest.mark.parametrize("phone", ["0612345678", "+0612345678", "+33 6 12 34 56 78", "+33", ""])
def test_sms_to_a_non_e164_number_is_permanent(tmp_path, phone):
    backend = OutboxSmsBackend(tmp_path)
    with pytest.raises(PermanentDeliveryError):
        backend.send(SmsMessage(to=phone, text="x", notification_id="sms-1"))
    assert _files(tmp_path / "sms") == []


def test_empty_sms_is_permanent(tmp_path):
    with pytest.raises(PermanentDeliveryError):
        OutboxSmsBackend(tmp_path).send(SmsMessage(to="+33612345678", text=" ", notification_id="s"))


def test_read_outbox_of_missing_folder_is_empty(tmp_path):
    outbox = read_outbox(tmp_path / "nothing-here")
    assert outbox.emails == [] and outbox.sms == []


def test_read_outbox_sorts_by_modification_time(tmp_path):
    import os

    backend = OutboxEmailBackend(tmp_path)
    backend.send(_email(notification_id="a"), "a")
    backend.send(_email(notification_id="b"), "b")
    os.utime(tmp_path / "email" / "a.eml", ns=(2_000_000_000_000_000_000,) * 2)
    os.utime(tmp_path / "email" / "b.eml", ns=(1_000_000_000_000_000_000,) * 2)
    assert [p.name for p in read_outbox(tmp_path).email_paths] == ["b.eml", "a.eml"]
