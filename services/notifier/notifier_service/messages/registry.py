"""Catalogue of the notifications that can be rendered (SPEC section 7).

Each entry names its templates (in ``messages/templates/``), its subject for e-mails (a Jinja
string rendered without HTML escaping), default context values and sample data for previews.
Further notifications are added here with :func:`register`.
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

# --- identity notifications (SPEC ID-5, ID-8, ID-9, ID-10; NO-3 to NO-7, NO-15) --------------
# Links are built in the templates with portal_link(); tokens arrive already URL-encoded
# (dispatch.py quotes them) and full names already joined (empty for a company).

# NO-3 / ID-5: activation link of a private person's account, valid 30 minutes.
register(
    EmailNotification(
        name="activation_link",
        spec_id="NO-3",
        subject="Activation de compte – Espace Personnel Consignations",
        html_template="activation_link.html",
        text_template="activation_link.txt",
        defaults={"validity_minutes": 30, "full_name": ""},
        sample_context={
            "full_name": "Marie Dupont",
            "link_token": "IAORLM25Z0H7XDSRWVYHS65GVIRGARYJFLEYENMIY5QMGIAGHJ2KAPYY0F08KLP8",
        },
        preheader="Activez votre espace personnel : ce lien est valable {{ validity_minutes }} minutes.",
    )
)

# NO-4 / ID-8: forgotten password, link + confidential code, both valid 30 minutes.
register(
    EmailNotification(
        name="password_reset",
        spec_id="NO-4",
        subject="Réinitialisation de votre mot de passe – Espace Personnel Consignations",
        html_template="password_reset.html",
        text_template="password_reset.txt",
        defaults={"validity_minutes": 30},
        sample_context={"link_token": "q3Yf8Lr0TzW1nB6uKx4mPa9sDe2HcVj7", "code": "739204"},
        preheader="Ce lien et ce code sont valables {{ validity_minutes }} minutes.",
    )
)

# NO-5 / ID-9: code confirming a password change made from « Mes identifiants », valid 48 hours.
register(
    EmailNotification(
        name="password_change_code",
        spec_id="NO-5",
        subject="Code confidentiel pour changer votre mot de passe – Espace Personnel Consignations",
        html_template="password_change_code.html",
        text_template="password_change_code.txt",
        defaults={"validity_hours": 48},
        sample_context={"code": "581736"},
        preheader="Votre code confidentiel est valable {{ validity_hours }} heures.",
    )
)

# NO-6 / ID-10: invitation of a user (or a gestionnaire), link + confidential password, 48 hours.
register(
    EmailNotification(
        name="invitation",
        spec_id="NO-6",
        subject="Invitation à rejoindre l'Espace Personnel Consignations",
        html_template="invitation.html",
        text_template="invitation.txt",
        defaults={"validity_hours": 48, "full_name": "", "inviter": ""},
        sample_context={
            "full_name": "Paul Martin",
            "inviter": "Société Exemple SAS",
            "profile": "UTILISATEUR",
            "profile_label": "Utilisateur",
            "link_token": "Zk2v9QeR4tYb7NwL1xPc5HsJ8mDa3GfU",
            "code": "Q7M2X9",
        },
        preheader="Votre mot de passe confidentiel est valable {{ validity_hours }} heures.",
    )
)

# NO-7 / ID-5, ID-10: the account (or the invited user's access) is active.
register(
    EmailNotification(
        name="account_activated",
        spec_id="NO-7",
        subject="Votre compte est validé – Espace Personnel Consignations",
        html_template="account_activated.html",
        text_template="account_activated.txt",
        defaults={"full_name": ""},
        sample_context={"full_name": "Marie Dupont", "email": "marie.dupont@exemple.fr"},
        preheader="Vous pouvez maintenant vous connecter à votre espace personnel.",
    )
)

# NO-15 / ID-8, ID-9: security notice after a password reset or change.
register(
    EmailNotification(
        name="password_changed",
        spec_id="NO-15",
        subject="Votre mot de passe a été modifié – Espace Personnel Consignations",
        html_template="password_changed.html",
        text_template="password_changed.txt",
        sample_context={
            "email": "marie.dupont@exemple.fr",
            "reason": "change",
            "changed_on": "le 23 novembre 2026 à 10 h 15",
        },
        preheader="Si vous n'êtes pas à l'origine de ce changement, réagissez sans attendre.",
    )
)
