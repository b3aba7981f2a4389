"""Outbox backends: messages written to a local folder instead of being sent (NO-A).

Layout of the outbox folder::

    <directory>/email/<notification id>.eml   one RFC 5322 message per notification
    <directory>/sms/<notification id>.json    {"to", "text", "notification_id", "created_at"}

Files are named after the notification id, so delivering the same notification again
overwrites the same file (idempotent), and written atomically (temporary file in the same
folder, then ``os.replace``), so a reader never sees a half-written file. Files are created
with mode 0600: they contain confidential codes.
"""

from __future__ import annotations

import contextlib
import email
import email.errors
import email.policy
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Union

from .base import (
    PermanentDeliveryError,
    SmsMessage,
    TransientDeliveryError,
    envelope_recipients,
    notification_file_stem,
    validate_sms,
)

__all__ = [
    "EMAIL_SUBDIR",
    "SMS_SUBDIR",
    "OutboxContents",
    "OutboxEmailBackend",
    "OutboxSmsBackend",
    "read_outbox",
]

logger = logging.getLogger(__name__)

EMAIL_SUBDIR = "email"
SMS_SUBDIR = "sms"
_TMP_PREFIX = "."
_TMP_SUFFIX = ".tmp"

# A clock is either a callable returning a datetime or an object with a ``now()`` method
# (such as the shared ``consignations_shared.clock`` objects).
Clock = Union[Callable[[], datetime], Any]


def _now(clock: Clock | None) -> datetime:
    if clock is None:
        value = datetime.now(timezone.utc)
    elif hasattr(clock, "now"):
        value = clock.now()
    else:
        value = clock()
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=path.parent, prefix=_TMP_PREFIX + path.name + ".", suffix=_TMP_SUFFIX
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    # Make the rename itself durable (best effort: not possible on every platform).
    with contextlib.suppress(OSError, AttributeError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class OutboxEmailBackend:
    """Writes each e-mail to ``<directory>/email/<notification id>.eml``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.email_dir = self.directory / EMAIL_SUBDIR

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.directory)!r})"

    def path_for(self, notification_id: str) -> Path:
        return self.email_dir / f"{notification_file_stem(notification_id)}.eml"

    def send(self, message: EmailMessage, notification_id: str) -> None:
        path = self.path_for(notification_id)
        envelope_recipients(message)  # same recipient checks as a real SMTP delivery
        try:
            data = message.as_bytes(policy=email.policy.SMTP)
        except (ValueError, UnicodeError, email.errors.MessageError) as exc:
            raise PermanentDeliveryError(f"message cannot be serialised: {exc}") from exc
        try:
            _atomic_write(path, data)
        except OSError as exc:
            raise TransientDeliveryError(f"cannot write outbox e-mail: {exc}") from exc
        logger.info("e-mail written to outbox notification_id=%s file=%s", notification_id, path)


class OutboxSmsBackend:
    """Writes each SMS to ``<directory>/sms/<notification id>.json``."""

    def __init__(self, directory: str | os.PathLike[str], clock: Clock | None = None) -> None:
        self.directory = Path(directory)
        self.sms_dir = self.directory / SMS_SUBDIR
        self.clock = clock

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.directory)!r})"

    def path_for(self, notification_id: str) -> Path:
        return self.sms_dir / f"{notification_file_stem(notification_id)}.json"

    def send(self, sms: SmsMessage) -> None:
        validate_sms(sms)
        path = self.path_for(sms.notification_id)
        document = {
            "to": sms.to,
            "text": sms.text,
            "notification_id": sms.notification_id,
            "created_at": _now(self.clock).isoformat(),
        }
        data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        try:
            _atomic_write(path, data)
        except OSError as exc:
            raise TransientDeliveryError(f"cannot write outbox SMS: {exc}") from exc
        logger.info(
            "SMS written to outbox notification_id=%s file=%s", sms.notification_id, path
        )


@dataclass
class OutboxContents:
    """What ``read_outbox`` found, oldest first (by file modification time)."""

    emails: list[EmailMessage] = field(default_factory=list)
    sms: list[dict[str, Any]] = field(default_factory=list)
    email_paths: list[Path] = field(default_factory=list)
    sms_paths: list[Path] = field(default_factory=list)


def _sorted_files(folder: Path, suffix: str) -> list[Path]:
    if not folder.is_dir():
        return []
    entries = []
    for path in folder.iterdir():
        if path.name.startswith(_TMP_PREFIX) or path.suffix != suffix or not path.is_file():
            continue
        entries.append((path.stat().st_mtime_ns, path.name, path))
    entries.sort()
    return [path for _, _, path in entries]


def read_outbox(directory: str | os.PathLike[str]) -> OutboxContents:
    """Parse every e-mail and SMS of an outbox folder (missing folders read as empty)."""
    root = Path(directory)
    contents = OutboxContents()
    for path in _sorted_files(root / EMAIL_SUBDIR, ".eml"):
        contents.emails.append(
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        )
        contents.email_paths.append(path)
    for path in _sorted_files(root / SMS_SUBDIR, ".json"):
        contents.sms.append(json.loads(path.read_text(encoding="utf-8")))
        contents.sms_paths.append(path)
    return contents
