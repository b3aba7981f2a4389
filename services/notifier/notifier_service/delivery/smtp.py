"""SMTP e-mail backend (smtplib), with optional STARTTLS and AUTH.

Error mapping:

* the server cannot be reached or talked to (connection refused, DNS failure, timeout,
  disconnection, greeting/EHLO/STARTTLS/AUTH failures): TransientDeliveryError - these are
  outages or configuration problems, not a property of the message, so the message is kept for
  a later retry rather than dead-lettered at once;
* replies to the mail transaction itself (MAIL FROM, RCPT TO, DATA): 4xx -> Transient,
  5xx -> PermanentDeliveryError (e.g. 550 unknown recipient);
* the message is invalid before any network traffic (no or malformed recipient):
  PermanentDeliveryError.

Once the server has accepted the DATA, failures while closing the session are ignored: the
message is delivered, and raising would make the caller send it a second time.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from .base import PermanentDeliveryError, TransientDeliveryError, envelope_recipients

__all__ = ["SmtpEmailBackend"]

logger = logging.getLogger(__name__)


def _reply_text(exc: smtplib.SMTPResponseException) -> str:
    error = exc.smtp_error
    if isinstance(error, bytes):
        error = error.decode("utf-8", "replace")
    return f"{exc.smtp_code} {error}".strip()


def _transaction_error(exc: smtplib.SMTPResponseException, what: str):
    code = exc.smtp_code
    if isinstance(code, int) and 500 <= code <= 599:
        return PermanentDeliveryError(f"{what} refused by SMTP server: {_reply_text(exc)}")
    return TransientDeliveryError(f"{what} deferred by SMTP server: {_reply_text(exc)}")


def _recipients_refused_error(exc: smtplib.SMTPRecipientsRefused):
    replies = list(exc.recipients.values())
    codes = [code for code, _ in replies]
    detail = "; ".join(
        f"{code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
        for code, msg in replies
    )
    if codes and all(isinstance(code, int) and 500 <= code <= 599 for code in codes):
        return PermanentDeliveryError(f"recipient refused by SMTP server: {detail}")
    return TransientDeliveryError(f"recipient deferred by SMTP server: {detail}")


class SmtpEmailBackend:
    """Sends e-mails through an SMTP relay."""

    #: smtplib class used to connect (replaceable in tests).
    smtp_class = smtplib.SMTP

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = int(port)
        self.username = username or None
        self.password = password or None
        self.starttls = bool(starttls)
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        if self.username and not self.starttls:
            logger.warning("SMTP AUTH configured without STARTTLS host=%s port=%s", host, port)

    def __repr__(self) -> str:  # never shows the password
        return (
            f"{type(self).__name__}(host={self.host!r}, port={self.port}, "
            f"username={self.username!r}, starttls={self.starttls}, timeout={self.timeout})"
        )

    def send(self, message: EmailMessage, notification_id: str) -> None:
        recipients = envelope_recipients(message)
        try:
            smtp = self.smtp_class(
                self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(
                f"cannot connect to SMTP server {self.host}:{self.port}: {exc!r}"
            ) from exc

        try:
            self._open_session(smtp)
            try:
                refused = smtp.send_message(message, to_addrs=recipients)
            except smtplib.SMTPRecipientsRefused as exc:
                raise _recipients_refused_error(exc) from exc
            except smtplib.SMTPSenderRefused as exc:
                raise _transaction_error(exc, "sender") from exc
            except smtplib.SMTPDataError as exc:
                raise _transaction_error(exc, "message") from exc
            except smtplib.SMTPResponseException as exc:
                raise _transaction_error(exc, "message") from exc
            except smtplib.SMTPNotSupportedError as exc:
                # e.g. an internationalised address and a server without SMTPUTF8
                raise PermanentDeliveryError(f"message not supported by SMTP server: {exc}") from exc
            except (smtplib.SMTPException, OSError) as exc:
                raise TransientDeliveryError(f"SMTP delivery interrupted: {exc!r}") from exc
        finally:
            self._close(smtp)

        if refused:
            # Accepted for some recipients: retrying would send it to them a second time.
            raise PermanentDeliveryError(
                f"SMTP server refused {len(refused)} of {len(recipients)} recipients"
            )
        logger.info(
            "e-mail delivered over SMTP notification_id=%s host=%s", notification_id, self.host
        )

    def _open_session(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.ehlo()
            if self.starttls:
                context = self.ssl_context or ssl.create_default_context()
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except smtplib.SMTPResponseException as exc:
            raise TransientDeliveryError(
                f"SMTP session set-up failed ({type(exc).__name__}): {_reply_text(exc)}"
            ) from exc
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise TransientDeliveryError(f"SMTP session set-up failed: {exc!r}") from exc

    @staticmethod
    def _close(smtp: smtplib.SMTP) -> None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            try:
                smtp.close()
            except OSError:
                pass
