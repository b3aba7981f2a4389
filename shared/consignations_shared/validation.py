"""Form fields of every service (sign-up ID-2, ID-5, accounts AC-1..AC-5): normalisation and
French error messages.

Every helper returns the normalised value or raises
``consignations_shared.errors.ValidationFailed(message, {field: message})``; ``field`` is the API
field name and can be overridden by the caller.
"""
from __future__ import annotations

import re
import unicodedata

import email_validator
import phonenumbers

from consignations_shared.errors import ValidationFailed

EMAIL_REQUIRED = "L'adresse courriel est obligatoire."
EMAIL_INVALID = "Adresse courriel invalide."
MOBILE_REQUIRED = "Le numéro de téléphone mobile est obligatoire."
MOBILE_INVALID = "Numéro de téléphone mobile invalide."
COMPANY_NAME_MAX_LENGTH = 120
COMPANY_NAME_REQUIRED = "Le nom de la société est obligatoire."
COMPANY_NAME_TOO_LONG = (
    f"Le nom de la société ne doit pas dépasser {COMPANY_NAME_MAX_LENGTH} caractères."
)
COMPANY_NAME_INVALID_CHARACTERS = "Le nom de la société contient des caractères non autorisés."

# What people write in a phone number: digits, spaces, + . - ( ) and nothing else (phonenumbers
# would otherwise turn letters into digits, as on a phone keypad).
_PHONE_CHARACTERS = re.compile(r"[0-9+.\-()\s]+")


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field: message})


def normalise_email(value: str, *, field: str = "email") -> str:
    """The address as the identity key: syntax checked (no DNS lookup), entirely lower-cased.

    Internationalised local parts (SMTPUTF8) are refused so that any mail server can deliver the
    codes; internationalised domains are accepted (kept in Unicode form). Special-use domains
    (``.test``, ``.local``, ``localhost``...) are refused by email-validator.
    """
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, EMAIL_REQUIRED)
    try:
        result = email_validator.validate_email(
            value.strip(), check_deliverability=False, allow_smtputf8=False
        )
    except email_validator.EmailNotValidError:
        raise _fail(field, EMAIL_INVALID) from None
    return result.normalized.lower()


def normalise_french_mobile(value: str, *, field: str = "mobile") -> str:
    """A French mobile number (06 / 07) in E.164 form, ``+33612345678``.

    Accepts the usual spellings (``06 12 34 56 78``, ``06.12.34.56.78``, ``0612345678``,
    ``+33 6 12 34 56 78``, ``+33 (0)6 12 34 56 78``, ``0033612345678``); refuses landlines
    (01-05, 09), other countries (overseas departments included) and anything that is not a valid
    mobile number according to ``phonenumbers``.
    """
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, MOBILE_REQUIRED)
    text = value.strip()
    if not _PHONE_CHARACTERS.fullmatch(text):
        raise _fail(field, MOBILE_INVALID)
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        raise _fail(field, MOBILE_INVALID) from None
    if (
        number.country_code != 33
        or phonenumbers.region_code_for_number(number) != "FR"
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise _fail(field, MOBILE_INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_company_name(value: str, *, field: str = "company_name") -> str:
    """The company name, trimmed with inner runs of whitespace collapsed; required, ≤ 120 chars."""
    if not isinstance(value, str):
        raise _fail(field, COMPANY_NAME_REQUIRED)
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name:
        raise _fail(field, COMPANY_NAME_REQUIRED)
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise _fail(field, COMPANY_NAME_INVALID_CHARACTERS)
    if len(name) > COMPANY_NAME_MAX_LENGTH:
        raise _fail(field, COMPANY_NAME_TOO_LONG)
    return name


PERSON_NAME_MAX_LENGTH = 100
_PERSON_NAME = re.compile(r"^[^\W\d_]+(?:[ '’\-.][^\W\d_]+)*\.?$")
PERSON_NAME_LABELS = {"last_name": "Le nom", "first_name": "Le prénom"}


def check_person_name(value: str, *, field: str = "last_name") -> str:
    """A last or first name: letters (accents included), spaces, hyphens, apostrophes; ≤ 100."""
    label = PERSON_NAME_LABELS.get(field, "Ce champ")
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, f"{label} est obligatoire.")
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if len(name) > PERSON_NAME_MAX_LENGTH:
        raise _fail(field, f"{label} ne doit pas dépasser {PERSON_NAME_MAX_LENGTH} caractères.")
    if not _PERSON_NAME.match(name):
        raise _fail(field, f"{label} ne peut contenir que des lettres, des espaces, des tirets et des apostrophes.")
    return name


PHONE_INVALID = "Numéro de téléphone invalide."


def normalise_french_phone(value: str, *, field: str = "landline") -> str:
    """Any French number (landline, mobile, 08/09) in E.164 form; an empty value is refused."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, "Le numéro de téléphone est obligatoire.")
    if not _PHONE_CHARACTERS.fullmatch(value.strip()):
        raise _fail(field, PHONE_INVALID)
    try:
        number = phonenumbers.parse(value.strip(), "FR")
    except phonenumbers.NumberParseException:
        raise _fail(field, PHONE_INVALID) from None
    if number.country_code != 33 or not phonenumbers.is_valid_number(number):
        raise _fail(field, PHONE_INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def optional(check):
    """The same check, but an empty or missing value gives None."""
    def wrapped(value, *, field):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return check(value, field=field)
    return wrapped


def check_text(value, *, field: str, label: str, max_length: int = 200, required: bool = True) -> str | None:
    """Free text (address, service, function): trimmed, no control characters, bounded."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(field, f"{label} est obligatoire.")
        return None
    if not isinstance(value, str):
        raise _fail(field, f"{label} est invalide.")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if any(unicodedata.category(char).startswith("C") for char in text):
        raise _fail(field, f"{label} contient des caractères non autorisés.")
    if len(text) > max_length:
        raise _fail(field, f"{label} ne doit pas dépasser {max_length} caractères.")
    return text
