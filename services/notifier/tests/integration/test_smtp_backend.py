"""SmtpEmailBackend against a real SMTP server (aiosmtpd) on 127.0.0.1 (NO-A)."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from aiosmtpd.smtp import AuthResult

from consignations_shared.testing import refusing_port
from consignations_shared.testing import smtp_controller
from notifier_service.delivery import (
    PermanentDeliveryError,
    SmtpEmailBackend,
    TransientDeliveryError,
)
from notifier_service.messages import render_email

HOST = "127.0.0.1"
SENDER_ADDRESS = "ne-pas-repondre@consignations.caissedesdepots.fr"


def _email(to="contact@exemple.fr", notification_id="3f0c2b4e-8a51-4b0e-9d3c-5d1f2a6b7c80"):
    return render_email(
        "signup_email_code",
        {"company_name": "Société Exemple SAS", "code": "A7K2QZ"},
        to=to,
        sender=f"Consignations <{SENDER_ADDRESS}>",
        notification_id=notification_id,
        portal_url="http://127.0.0.1:8000",
    )


class RecordingHandler:
    """Accepts everything, except recipients whose address starts with a reply code."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        prefix = address.split("-", 1)[0]
        if prefix.isdigit() and len(prefix) == 3:  # "550-x@exemple.fr" -> "550 ..."
            return f"{prefix} Recipient refused by test server"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    controller = smtp_controller(handler, HOST)
    controller.start()
    try:
        yield handler, controller
    finally:
        controller.stop()


def test_delivers_a_rendered_email(smtp_server):
    handler, controller = smtp_server
    backend = SmtpEmailBackend(HOST, controller.port, timeout=5, local_hostname="notifier.test")
    backend.send(_email(), "3f0c2b4e-8a51-4b0e-9d3c-5d1f2a6b7c80")

    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == SENDER_ADDRESS
    assert envelope.rcpt_tos == ["contact@exemple.fr"]

    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in received.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert str(received["Subject"]) == "Votre code confidentiel – Espace Personnel Consignations"
    assert received["Message-ID"] == (
        "<notification.3f0c2b4e-8a51-4b0e-9d3c-5d1f2a6b7c80@consignations.caissedesdepots.fr>"
    )
    assert "A7K2QZ" in received.get_body(preferencelist=("plain",)).get_content()
    assert "A7K2QZ" in received.get_body(preferencelist=("html",)).get_content()


def test_closed_port_is_transient():
    with refusing_port(HOST) as port:  # bound by this test, never listening: connections refused
        backend = SmtpEmailBackend(HOST, port, timeout=2)
        with pytest.raises(TransientDeliveryError) as raised:
            backend.send(_email(), "notif-closed-port")
    assert isinstance(raised.value.__cause__, ConnectionRefusedError), repr(raised.value.__cause__)


def test_recipient_refused_with_550_is_permanent(smtp_server):
    handler, controller = smtp_server
    backend = SmtpEmailBackend(HOST, controller.port, timeout=5, local_hostname="notifier.test")
    with pytest.raises(PermanentDeliveryError, match="550"):
        backend.send(_email(to="550-unknown@exemple.fr"), "notif-550")
    assert handler.envelopes == []


def test_recipient_deferred_with_450_is_transient(smtp_server):
    handler, controller = smtp_server
    backend = SmtpEmailBackend(HOST, controller.port, timeout=5, local_hostname="notifier.test")
    with pytest.raises(TransientDeliveryError, match="450"):
        backend.send(_email(to="450-busy@exemple.fr"), "notif-450")
    assert handler.envelopes == []


def test_silent_server_times_out_as_transient():
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(1)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    try:
        backend = SmtpEmailBackend(HOST, listener.getsockname()[1], timeout=0.5,
                                   local_hostname="notifier.test")
        with pytest.raises(TransientDeliveryError) as raised:
            backend.send(_email(), "notif-timeout")  # no greeting is ever sent
        # The backend's own socket timeout ended the wait (not a refusal, not a disconnection);
        # without it the call would wait for the greeting forever.
        chain, error = [], raised.value
        while error is not None:  # smtplib turns the socket's timeout into SMTPServerDisconnected
            chain.append(error)
            error = error.__cause__ or error.__context__
        assert any(isinstance(e, TimeoutError) for e in chain), chain
    finally:
        thread.join(timeout=2)
        for connection, _ in accepted:
            connection.close()
        listener.close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI needed for a test cert")
def test_starttls_and_auth(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=IP:{HOST}"],
        check=True, capture_output=True,
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(str(cert), str(key))
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        ok = auth_data.password == b"bon-mot-de-passe"
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535

    handler = RecordingHandler()
    controller = smtp_controller(
        handler, HOST, tls_context=server_tls,
        require_starttls=True, auth_required=True, authenticator=authenticator,
    )
    controller.start()
    try:
        client_tls = ssl.create_default_context(cafile=str(cert))
        backend = SmtpEmailBackend(HOST, controller.port, "notifier", "bon-mot-de-passe",
                                   starttls=True, timeout=5, ssl_context=client_tls,
                                   local_hostname="notifier.test")
        backend.send(_email(), "notif-tls")
        assert len(handler.envelopes) == 1
        assert logins == [(b"notifier", b"bon-mot-de-passe")]
        logins.clear()

        wrong = SmtpEmailBackend(HOST, controller.port, "notifier", "mauvais",
                                 starttls=True, timeout=5, ssl_context=client_tls,
                                 local_hostname="notifier.test")
        with pytest.raises(TransientDeliveryError):  # configuration problem, not the message's
            wrong.send(_email(), "notif-bad-auth")
        assert len(handler.envelopes) == 1
        assert logins and all(password == b"mauvais" for _, password in logins)

        untrusted = SmtpEmailBackend(HOST, controller.port, starttls=True, timeout=5,
                                     local_hostname="notifier.test")  # system CAs only
        with pytest.raises(TransientDeliveryError):
            untrusted.send(_email(), "notif-untrusted")
    finally:
        controller.stop()
