"""Catalogue of the notifications that can be rendered (SPEC section 7).

Each entry names its templates (in ``messages/templates/``), its subject for e-mails (a Jinja
string rendered without HTML escaping), default context values and sample data for previews.
Later notifications (NO-3...) are added here with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = ["NOTIFICATIONS", "EmailNotification", "SmsNotification", "Notification", "register"]


@dataclass(frozen=True)
class EmailNotification:
    name: str
    spec_id: str
    subject: str
    html_template: str
    text_template: str
    sample_context: Mapping[str, Any]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    preheader: str = ""  # Jinja string shown by mail clients next to the subject

    channel = "email"


@dataclass(frozen=True)
class SmsNotification:
    name: str
    spec_id: str
    template: str
    sample_context: Mapping[str, Any]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    channel = "sms"


Notification = Union[EmailNotification, SmsNotification]

NOTIFICATIONS: dict[str, Notification] = {}


def register(notification: Notification) -> Notification:
    if notification.name in NOTIFICATIONS:
        raise ValueError(f"notification {notification.name!r} already registered")
    NOTIFICATIONS[notification.name] = notification
    return notification


# NO-1 / ID-3: the text is fixed by the specification, word for word.
register(
    SmsNotification(
        name="signup_sms_code",
        spec_id="NO-1",
        template="signup_sms_code.txt",
        sample_context={"code": "123456"},
    )
)

# NO-2 / ID-4: 6 alphanumeric characters, valid 10 minutes (NF-1).
register(
    EmailNotification(
        name="signup_email_code",
        spec_id="NO-2",
        subject="Votre code confidentiel – Espace Personnel Consignations",
        html_template="signup_email_code.html",
        text_template="signup_email_code.txt",
        defaults={"validity_minutes": 10},
        sample_context={"company_name": "Société Exemple SAS", "code": "A7K2QZ"},
        preheader="Votre code confidentiel est valable {{ validity_minutes }} minutes.",
    )
)

# ID-2 without account enumeration: someone started a sign-up with an address that already has
# an account; its owner is told instead of receiving a code (the form answered as usual).
register(
    EmailNotification(
        name="signup_already_registered",
        spec_id="NO-2",
        subject="Tentative de création de compte – Espace Personnel Consignations",
        html_template="signup_already_registered.html",
        text_template="signup_already_registered.txt",
        sample_context={},
        preheader="Votre adresse courriel est déjà associée à un compte.",
    )
)
