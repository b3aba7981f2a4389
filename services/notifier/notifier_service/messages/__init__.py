"""Notification rendering (Jinja2 templates in ``templates/``), French texts."""

from .registry import NOTIFICATIONS, EmailNotification, SmsNotification, register
from .rendering import (
    RenderingError,
    message_id_for,
    render_email,
    render_preview,
    render_previews,
    render_sms,
)

__all__ = [
    "NOTIFICATIONS",
    "EmailNotification",
    "RenderingError",
    "SmsNotification",
    "message_id_for",
    "register",
    "render_email",
    "render_preview",
    "render_previews",
    "render_sms",
]
