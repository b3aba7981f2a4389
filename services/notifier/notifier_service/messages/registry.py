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
        defaults={"validity_minutes": 10, "company_name": ""},
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

# NO-7 / ID-4, ID-5, ID-10: the account (or the invited user's access) is active; a company's
# administrator is told that the account wizard comes next (`company`).
register(
    EmailNotification(
        name="account_activated",
        spec_id="NO-7",
        subject="Votre compte est validé – Espace Personnel Consignations",
        html_template="account_activated.html",
        text_template="account_activated.txt",
        defaults={"full_name": "", "company": False},
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

# --- requests, documents, messages, users (SPEC DM-5, DM-8, BO-2, DO-8, AC-6, MS-3) -----------
# NO-8 to NO-14. The recipient is looked up from the event's person id (contacts.py); links all
# lead into the portal, « Mon suivi » being /suivi, « Mes utilisateurs » /utilisateurs and a
# request's payment proof /demandes/<id>/justificatif.

_REQUEST_SAMPLE = {
    "full_name": "Marie Dupont",
    "number": "102611000001029",
    "procedure_label": "Déconsigner / récupérer l'allocation de rentrée scolaire",
}

# NO-8 / DM-5: the request is transmitted; its number; the PDF summary in « Mon suivi ».
register(
    EmailNotification(
        name="demande_submitted",
        spec_id="NO-8",
        subject="Votre demande n° {{ number }} a bien été transmise – Espace Personnel Consignations",
        html_template="demande_submitted.html",
        text_template="demande_submitted.txt",
        defaults={"full_name": "", "sens_label": "", "submitted_on": ""},
        sample_context={**_REQUEST_SAMPLE, "sens_label": "déconsignation",
                        "submitted_on": "le 23 novembre 2026 à 10 h 15"},
        preheader="Votre demande n° {{ number }} sera prise en charge par le service de gestion.",
    )
)

# NO-9 / BO-2, DO-5: documents to replace, each with the reason it was not accepted.
register(
    EmailNotification(
        name="demande_awaiting_complement",
        spec_id="NO-9",
        subject="Demande n° {{ number }} : documents à compléter – Espace Personnel Consignations",
        html_template="demande_awaiting_complement.html",
        text_template="demande_awaiting_complement.txt",
        defaults={"full_name": "", "procedure_label": "", "reason": "", "documents": ()},
        sample_context={
            **_REQUEST_SAMPLE,
            "reason": "",
            "documents": (
                {"label": "Relevé d'identité bancaire (RIB)",
                 "reason": "Le titulaire du compte ne correspond pas au demandeur."},
                {"label": "Copie intégrale de l'acte de naissance",
                 "reason": "Le document date de plus de 3 mois."},
            ),
        },
        preheader="Certains documents de votre demande n° {{ number }} doivent être transmis de nouveau.",
    )
)

# NO-10 / BO-2, DO-8: validated, the electronically signed payment proof can be downloaded:
# « Télécharger mon justificatif » leads to that request's proof (/demandes/<id>/justificatif,
# through the login page when needed). « Justificatif de paiement », as the seeds and the PDF say.
register(
    EmailNotification(
        name="payment_proof_available",
        spec_id="NO-10",
        subject="Justificatif de paiement disponible – demande n° {{ number }} – Espace Personnel Consignations",
        html_template="payment_proof_available.html",
        text_template="payment_proof_available.txt",
        defaults={"full_name": ""},
        sample_context={"full_name": "Marie Dupont", "number": "102611000001029",
                        "demande_id": "5b8f3c1e-2d4a-4f6b-9c7d-0e1f2a3b4c5d"},
        preheader="Le justificatif de paiement de votre demande n° {{ number }} est disponible.",
    )
)

# NO-11 / BO-2: rejected, with the reason given by the service de gestion.
register(
    EmailNotification(
        name="demande_rejected",
        spec_id="NO-11",
        subject="Demande rejetée – demande n° {{ number }} – Espace Personnel Consignations",
        html_template="demande_rejected.html",
        text_template="demande_rejected.txt",
        defaults={"full_name": "", "procedure_label": "", "reason": ""},
        sample_context={**_REQUEST_SAMPLE,
                        "reason": "La demande a déjà été traitée sous le n° 102609000000877."},
        preheader="Votre demande n° {{ number }} a été rejetée par le service de gestion.",
    )
)

# NO-12 / DM-8: the request now belongs to the recipient.
register(
    EmailNotification(
        name="demande_reassigned",
        spec_id="NO-12",
        subject="Une demande vous a été réaffectée{% if number %} – demande n° {{ number }}{% endif %} – Espace Personnel Consignations",
        html_template="demande_reassigned.html",
        text_template="demande_reassigned.txt",
        defaults={"full_name": "", "procedure_label": "", "reassigned_by": ""},
        sample_context={**_REQUEST_SAMPLE, "full_name": "Paul Martin",
                        "reassigned_by": "Marie Dupont"},
        preheader="Vous êtes désormais propriétaire de la demande{% if number %} n° {{ number }}{% endif %}.",
    )
)

# NO-13 / AC-6: to each administrator, a user asks for the deletion of their access.
register(
    EmailNotification(
        name="access_deletion_requested",
        spec_id="NO-13",
        subject="Demande de suppression d'accès{% if requester_name %} de {{ requester_name }}{% endif %} – Espace Personnel Consignations",
        html_template="access_deletion_requested.html",
        text_template="access_deletion_requested.txt",
        defaults={"full_name": "", "requester_name": ""},
        sample_context={"full_name": "Marie Dupont", "requester_name": "Paul Martin"},
        preheader="Acceptez ou refusez sa demande dans « Mes utilisateurs ».",
    )
)

# NO-14 / MS-3: a gestionnaire wrote on a request. Subject and text from seed 001; never the
# message itself (it may carry personal data).
register(
    EmailNotification(
        name="new_message",
        spec_id="NO-14",
        subject="Nouveau message sur votre espace Consignations.fr",
        html_template="new_message.html",
        text_template="new_message.txt",
        defaults={"full_name": ""},
        sample_context={"full_name": "Marie Dupont", "number": "102307000007352"},
        preheader="Un nouveau message concerne votre demande n° {{ number }}.",
    )
)
