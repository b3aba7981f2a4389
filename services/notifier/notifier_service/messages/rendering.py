"""Render notifications (SPEC section 7) into e-mails (HTML + text) and SMS texts, in French.

* HTML templates are autoescaped; text templates, subjects and SMS are not (they are not HTML).
* Missing context values raise :class:`RenderingError` (Jinja ``StrictUndefined``).
* Links are built only from the ``portal_url`` argument: templates use ``{{ portal_url }}`` or
  ``{{ portal_link("chemin") }}``; a context cannot provide its own ``portal_url``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from .registry import NOTIFICATIONS, EmailNotification, SmsNotification

__all__ = [
    "DEFAULT_PREVIEW_PORTAL_URL",
    "DEFAULT_PREVIEW_SENDER",
    "RenderingError",
    "render_email",
    "render_preview",
    "render_previews",
    "render_sms",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_PREVIEW_SENDER = "Consignations <ne-pas-repondre@consignations.caissedesdepots.fr>"
DEFAULT_PREVIEW_PORTAL_URL = "http://127.0.0.1:8000"
DEFAULT_PREVIEW_RECIPIENT = "contact@exemple.fr"

# Names that the renderer provides itself; a caller's context may not override them.
RESERVED_CONTEXT_KEYS = frozenset({"portal_url", "portal_link", "subject", "preheader"})


class RenderingError(ValueError):
    """A notification cannot be rendered (unknown name, missing value, invalid address...)."""


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=jinja2.select_autoescape(
        enabled_extensions=("html", "htm", "xml"), default_for_string=False, default=False
    ),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


@lru_cache(maxsize=256)
def _string_template(source: str) -> jinja2.Template:
    return _env.from_string(source)  # not autoescaped: default_for_string=False


def _lookup(template_name: str, kind: type) -> Any:
    notification = NOTIFICATIONS.get(template_name)
    if notification is None:
        raise RenderingError(f"unknown notification {template_name!r}")
    if not isinstance(notification, kind):
        raise RenderingError(
            f"notification {template_name!r} is an {notification.channel} notification"
        )
    return notification


def _normalise_portal_url(portal_url: str) -> str:
    try:
        parts = urlsplit(portal_url)
    except (TypeError, ValueError, AttributeError) as exc:
        raise RenderingError("invalid portal_url") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RenderingError("portal_url must be an absolute http(s) URL without query")
    if any(c.isspace() or c in "<>\"'" for c in portal_url):
        raise RenderingError("invalid portal_url")
    return portal_url.rstrip("/")


def _portal_link_factory(base: str):
    def portal_link(path: str = "") -> str:
        path = str(path)
        if "://" in path or path.startswith("//") or "\\" in path:
            raise RenderingError("portal_link only accepts a path inside the portal")
        return f"{base}/{path.lstrip('/')}" if path else base

    return portal_link


def _context(notification, context: Mapping[str, Any], portal_url: str | None) -> dict[str, Any]:
    clash = RESERVED_CONTEXT_KEYS.intersection(context)
    if clash:
        raise RenderingError(f"reserved context keys: {', '.join(sorted(clash))}")
    values = {**notification.defaults, **context}
    if portal_url is not None:
        base = _normalise_portal_url(portal_url)
        values["portal_url"] = base
        values["portal_link"] = _portal_link_factory(base)
    return values


def _render(template: jinja2.Template, values: Mapping[str, Any], what: str) -> str:
    try:
        return template.render(values)
    except jinja2.UndefinedError as exc:
        raise RenderingError(f"{what}: missing value ({exc.message})") from exc


def _render_file(name: str, values: Mapping[str, Any]) -> str:
    try:
        template = _env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise RenderingError(f"template not found: {name}") from exc
    return _render(template, values, name)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _set_address(message: EmailMessage, header: str, value: str) -> str:
    """Set an address header holding exactly one mailbox; return its addr-spec."""
    try:
        message[header] = value
        parsed = message[header]
        addresses = parsed.addresses
        defects = parsed.defects
    except Exception as exc:  # the header parser raises assorted errors on garbage
        raise RenderingError(f"invalid {header} address") from exc
    if defects or len(addresses) != 1:
        raise RenderingError(f"invalid {header} address")
    address = addresses[0]
    if not address.username or not address.domain:
        raise RenderingError(f"invalid {header} address")
    return address.addr_spec


_MESSAGE_ID_LOCAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def message_id_for(notification_id: str, sender_domain: str) -> str:
    """Stable Message-ID: the same notification always gets the same id."""
    if not isinstance(notification_id, str) or not notification_id:
        raise RenderingError("notification_id must be a non-empty string")
    if _MESSAGE_ID_LOCAL.fullmatch(notification_id):
        local = notification_id
    else:
        local = hashlib.sha256(notification_id.encode("utf-8")).hexdigest()[:40]
    try:
        domain = sender_domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "localhost"
    return f"<notification.{local}@{domain or 'localhost'}>"


def render_email(
    template_name: str,
    context: Mapping[str, Any],
    *,
    to: str,
    sender: str,
    notification_id: str,
    portal_url: str,
    date: datetime | None = None,
) -> EmailMessage:
    """Render an e-mail notification into a multipart/alternative (text/plain, then text/html).

    ``date`` defaults to the current UTC time (pass the clock's time from the service).
    """
    notification: EmailNotification = _lookup(template_name, EmailNotification)
    values = _context(notification, context, portal_url)

    subject = _one_line(_render(_string_template(notification.subject), values, "subject"))
    if not subject:
        raise RenderingError(f"empty subject for {template_name!r}")
    preheader = _one_line(_render(_string_template(notification.preheader), values, "preheader"))
    values = {**values, "subject": subject, "preheader": preheader}
    text = _render_file(notification.text_template, values).strip() + "\n"
    html = _render_file(notification.html_template, values).strip() + "\n"

    message = EmailMessage()
    sender_spec = _set_address(message, "From", sender)
    _set_address(message, "To", to)
    message["Subject"] = subject
    when = date or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id_for(notification_id, sender_spec.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    message["Content-Language"] = "fr"  # after add_alternative, which moves Content-* headers
    return message


def render_sms(template_name: str, context: Mapping[str, Any]) -> str:
    """Render an SMS notification into its text (no trailing newline)."""
    notification: SmsNotification = _lookup(template_name, SmsNotification)
    values = _context(notification, context, None)
    text = _render_file(notification.template, values).strip()
    if not text:
        raise RenderingError(f"empty SMS text for {template_name!r}")
    return text


def render_preview(
    template_name: str,
    output_dir: str | os.PathLike[str],
    *,
    portal_url: str = DEFAULT_PREVIEW_PORTAL_URL,
    sender: str = DEFAULT_PREVIEW_SENDER,
) -> list[Path]:
    """Render a notification with its sample data into ``<output_dir>/<name>.html`` / ``.txt``.

    E-mails give both files (HTML part and text part); SMS give the ``.txt`` only. Returns the
    paths written.
    """
    notification = NOTIFICATIONS.get(template_name)
    if notification is None:
        raise RenderingError(f"unknown notification {template_name!r}")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if isinstance(notification, EmailNotification):
        message = render_email(
            template_name,
            notification.sample_context,
            to=DEFAULT_PREVIEW_RECIPIENT,
            sender=sender,
            notification_id=f"preview-{template_name}".replace("_", "-"),
            portal_url=portal_url,
        )
        for subtype in ("html", "plain"):
            part = message.get_body(preferencelist=(subtype,))
            path = out / f"{template_name}.{'txt' if subtype == 'plain' else 'html'}"
            path.write_text(part.get_content(), encoding="utf-8")
            written.append(path)
    else:
        path = out / f"{template_name}.txt"
        path.write_text(render_sms(template_name, notification.sample_context) + "\n", "utf-8")
        written.append(path)
    return written


def render_previews(output_dir: str | os.PathLike[str], **kwargs: Any) -> list[Path]:
    """``render_preview`` for every registered notification."""
    written: list[Path] = []
    for name in sorted(NOTIFICATIONS):
        written.extend(render_preview(name, output_dir, **kwargs))
    return written
