"""SmtpEmailBackend session and error mapping, with a fake smtplib.SMTP (no network)."""

from __future__ import annotations

import smtplib

import pytest

from notifier_service.delivery import (
    EmailBackend,
    PermanentDeliveryError,
    SmtpEmailBackend,
    TransientDeliveryError,
)
from notifier_service.messages import render_email


def _email():
    return render_email(
        "signup_email_code",
        {"company_name": "Société Exemple SAS", "code": "A7K2QZ"},
        to="contact@exemple.fr",
        sender="Consignations <ne-pas-repondre@consignations.caissedesdepots.fr>",
        notification_id="notif-1",
        portal_url="http://127.0.0.1:8000",
    )


class FakeSMTP:
    """Records the session; ``fail`` maps a method name to the exception it raises."""

    instances: list["FakeSMTP"] = []
    fail: dict = {}
    refused: dict = {}

    def __init__(self, host, port, timeout=None, local_hostname=None):
        if "connect" in self.fail:
            raise self.fail["connect"]
        self.calls = [("connect", host, port, timeout)]
        self.closed = False
        FakeSMTP.instances.append(self)

    def _call(self, name, *args):
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def ehlo(self):
        self._call("ehlo")

    def starttls(self, context=None):
        self._call("starttls")

    def login(self, user, password):
        self._call("login", user, password)

    def send_message(self, message, from_addr=None, to_addrs=None):
        self._call("send_message", tuple(to_addrs))
        return dict(self.refused)

    def quit(self):
        self._call("quit")

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    FakeSMTP.instances = []
    FakeSMTP.fail = {}
    FakeSMTP.refused = {}
    monkeypatch.setattr(SmtpEmailBackend, "smtp_class", FakeSMTP)
    return FakeSMTP


def _names(instance):
    return [call[0] for call in instance.calls]


def test_plain_session(fake):
    backend = SmtpEmailBackend("smtp.exemple.fr", 25)
    assert isinstance(backend, EmailBackend)
    backend.send(_email(), "notif-1")
    (session,) = fake.instances
    assert session.calls[0] == ("connect", "smtp.exemple.fr", 25, 10)
    assert _names(session) == ["connect", "ehlo", "send_message", "quit"]
    assert session.calls[2] == ("send_message", ("contact@exemple.fr",))
    assert session.closed


def test_starttls_and_auth(fake):
    backend = SmtpEmailBackend("smtp.exemple.fr", 587, "user", "pass", starttls=True, timeout=3)
    backend.send(_email(), "notif-1")
    (session,) = fake.instances
    assert _names(session) == ["connect", "ehlo", "starttls", "ehlo", "login", "send_message", "quit"]
    assert ("login", "user", "pass") in session.calls
    assert "pass" not in repr(backend)


def test_failure_when_closing_after_delivery_is_ignored(fake):
    fake.fail = {"quit": smtplib.SMTPServerDisconnected("gone")}
    SmtpEmailBackend("h", 25).send(_email(), "notif-1")  # no exception: it was delivered
    assert fake.instances[0].closed


@pytest.mark.parametrize(
    "step, exc, expected",
    [
        ("connect", ConnectionRefusedError(111, "refused"), TransientDeliveryError),
        ("connect", TimeoutError("timed out"), TransientDeliveryError),
        ("connect", smtplib.SMTPConnectError(554, b"go away"), TransientDeliveryError),
        ("ehlo", smtplib.SMTPServerDisconnected("gone"), TransientDeliveryError),
        ("starttls", smtplib.SMTPNotSupportedError("no STARTTLS"), TransientDeliveryError),
        ("login", smtplib.SMTPAuthenticationError(535, b"bad credentials"), TransientDeliveryError),
        ("send_message", smtplib.SMTPSenderRefused(451, b"try later", "x@y.fr"), TransientDeliveryError),
        ("send_message", smtplib.SMTPSenderRefused(553, b"not allowed", "x@y.fr"), PermanentDeliveryError),
        ("send_message", smtplib.SMTPRecipientsRefused({"a@b.fr": (450, b"mailbox busy")}), TransientDeliveryError),
        ("send_message", smtplib.SMTPRecipientsRefused({"a@b.fr": (550, b"no such user")}), PermanentDeliveryError),
        ("send_message", smtplib.SMTPDataError(451, b"local error"), TransientDeliveryError),
        ("send_message", smtplib.SMTPDataError(554, b"rejected as spam"), PermanentDeliveryError),
        ("send_message", smtplib.SMTPServerDisconnected("gone"), TransientDeliveryError),
        ("send_message", TimeoutError("timed out"), TransientDeliveryError),
    ],
)
def test_error_mapping(fake, step, exc, expected):
    fake.fail = {step: exc}
    backend = SmtpEmailBackend("h", 25, "user", "pass", starttls=True)
    with pytest.raises(expected):
        backend.send(_email(), "notif-1")
    for session in fake.instances:
        assert session.closed


def test_partial_refusal_is_not_retried(fake):
    fake.refused = {"cc@exemple.fr": (550, b"no such user")}
    message = _email()
    message["Cc"] = "cc@exemple.fr"
    with pytest.raises(PermanentDeliveryError):
        SmtpEmailBackend("h", 25).send(message, "notif-1")
    assert fake.instances[0].calls[2] == ("send_message", ("contact@exemple.fr", "cc@exemple.fr"))


def test_invalid_recipient_fails_before_connecting(fake):
    message = _email()
    del message["To"]
    with pytest.raises(PermanentDeliveryError):
        SmtpEmailBackend("h", 25).send(message, "notif-1")
    assert fake.instances == []
