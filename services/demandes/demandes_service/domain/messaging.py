"""Messages of a request's thread (SPEC MS-1, MS-2): the five subjects a gestionnaire chooses
from, the default text of the four reminders, and the checks on what is written.

Only a gestionnaire opens a message (check_new_message); the client can only reply
(check_reply), and the caller then looks for personal data in the reply (personal_data, MS-5).
Pure: storing, e-mailing the owner (MS-3) and unread counts (MS-4) belong to the service.
"""
from __future__ import annotations

import unicodedata

from consignations_shared.errors import ValidationFailed
from consignations_shared.validation import check_text

COMPLEMENT_REMINDER_1 = "COMPLEMENT_REMINDER_1"
COMPLEMENT_REMINDER_2 = "COMPLEMENT_REMINDER_2"
FUNDS_REMINDER_1 = "FUNDS_REMINDER_1"
FUNDS_REMINDER_2 = "FUNDS_REMINDER_2"
FREE = "FREE"
SUBJECTS = (COMPLEMENT_REMINDER_1, COMPLEMENT_REMINDER_2, FUNDS_REMINDER_1, FUNDS_REMINDER_2, FREE)
REMINDERS = (COMPLEMENT_REMINDER_1, COMPLEMENT_REMINDER_2, FUNDS_REMINDER_1, FUNDS_REMINDER_2)

# The subject shown in the thread. A FREE message has the subject the gestionnaire typed.
SUBJECT_LABELS = {
    COMPLEMENT_REMINDER_1: "Demande en attente de compléments clients – 1ère relance",
    COMPLEMENT_REMINDER_2: "Demande en attente de compléments clients – 2e relance",
    FUNDS_REMINDER_1: "Demande en attente de fonds – 1ère relance",
    FUNDS_REMINDER_2: "Demande en attente de fonds – 2e relance",
}
# The choices of the back-office form, in the seed's order and wording (seed 001, 3/4).
SUBJECT_CHOICES = {**SUBJECT_LABELS, FREE: "Saisie libre"}

FREE_SUBJECT_MAX_LENGTH = 150
BODY_MAX_LENGTH = 5000

SUBJECT_REQUIRED = "L'objet du message est obligatoire."
SUBJECT_UNKNOWN = "L'objet du message est invalide."
BODY_LABEL = "Le message"
SEVERAL_ERRORS = "Le message ne peut pas être envoyé : certaines informations sont invalides ou manquantes."

_SIGNATURE = "\n\nCordialement,\nLe service des consignations"

# Default bodies of the reminders (``str.format`` templates, only placeholder ``{number}``: the
# request number). The gestionnaire may edit them before sending.
REMINDER_BODIES = {
    COMPLEMENT_REMINDER_1: (
        "Bonjour,\n\n"
        "Votre demande n° {number} est en attente de compléments. Afin que nous puissions "
        "poursuivre son traitement, nous vous remercions de bien vouloir la compléter en nous "
        "transmettant les éléments demandés depuis votre espace personnel (onglet « Mon suivi »)."
        + _SIGNATURE
    ),
    COMPLEMENT_REMINDER_2: (
        "Bonjour,\n\n"
        "Sauf erreur de notre part, nous n'avons pas encore reçu les compléments demandés pour "
        "votre demande n° {number}. Nous vous remercions de bien vouloir la compléter dans les "
        "meilleurs délais depuis votre espace personnel (onglet « Mon suivi »), afin que nous "
        "puissions finaliser son traitement."
        + _SIGNATURE
    ),
    FUNDS_REMINDER_1: (
        "Bonjour,\n\n"
        "Votre demande n° {number} est en attente de fonds : nous n'avons pas encore reçu le "
        "versement correspondant. Nous vous remercions de bien vouloir procéder au virement des "
        "fonds en rappelant le numéro de la demande dans le libellé du virement, afin que nous "
        "puissions poursuivre son traitement."
        + _SIGNATURE
    ),
    FUNDS_REMINDER_2: (
        "Bonjour,\n\n"
        "Sauf erreur de notre part, les fonds attendus pour votre demande n° {number} ne nous "
        "sont toujours pas parvenus. Nous vous remercions de bien vouloir procéder au virement "
        "dans les meilleurs délais, en rappelant le numéro de la demande dans le libellé du "
        "virement, afin que nous puissions finaliser son traitement."
        + _SIGNATURE
    ),
}


def default_body(subject_code: str, number: str) -> str:
    """The text proposed to the gestionnaire for this subject; empty for a free subject."""
    if subject_code == FREE:
        return ""
    if subject_code not in REMINDER_BODIES:
        raise ValidationFailed(SUBJECT_UNKNOWN, {"subject": SUBJECT_UNKNOWN})
    return REMINDER_BODIES[subject_code].format(number=number)


def check_new_message(subject_code: str, free_subject: str | None, body: str) -> tuple[str, str]:
    """(subject label, clean body) of a gestionnaire's new message, or ValidationFailed with a
    French message per field (``subject``, ``free_subject``, ``body``), all problems at once.

    ``free_subject`` only counts for a FREE message (a value left over in the form with another
    subject is ignored); it is trimmed with inner whitespace collapsed, like the house's one-line
    texts.
    """
    errors: dict[str, str] = {}
    label = None
    if subject_code is None or (isinstance(subject_code, str) and not subject_code.strip()):
        errors["subject"] = SUBJECT_REQUIRED
    elif subject_code not in SUBJECTS:
        errors["subject"] = SUBJECT_UNKNOWN
    elif subject_code == FREE:
        try:
            label = check_text(free_subject, field="free_subject", label="L'objet du message",
                               max_length=FREE_SUBJECT_MAX_LENGTH)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    else:
        label = SUBJECT_LABELS[subject_code]
    try:
        clean = _check_body(body)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise _failed(errors)
    return label, clean


def check_reply(body: str) -> str:
    """The clean body of a client's reply (MS-2), or ValidationFailed({"body": ...}). The caller
    then refuses it if it contains personal data (MS-5)."""
    return _check_body(body)


def _check_body(value) -> str:
    """A multi-line text: NFC, line ends unified to \\n, trailing spaces of each line and blank
    lines around the text removed; no control character other than line feed and tab; bounded.

    Not ``check_text``: that one makes a single line of the text, which a letter is not.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _failed({"body": f"{BODY_LABEL} est obligatoire."})
    if not isinstance(value, str):
        raise _failed({"body": f"{BODY_LABEL} est invalide."})
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    if any(unicodedata.category(char).startswith("C") and char not in "\n\t" for char in text):
        raise _failed({"body": f"{BODY_LABEL} contient des caractères non autorisés."})
    if len(text) > BODY_MAX_LENGTH:
        raise _failed({"body": f"{BODY_LABEL} ne doit pas dépasser {BODY_MAX_LENGTH} caractères."})
    return text


def _failed(errors: dict[str, str]) -> ValidationFailed:
    # As the house's field checks: the message of the only problem, or a general one.
    message = next(iter(errors.values())) if len(errors) == 1 else SEVERAL_ERRORS
    return ValidationFailed(message, errors)
