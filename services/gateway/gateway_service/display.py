"""How the portal shows values that the services store in a canonical form (display only: what
is stored, and what the API answers, stays as it is)."""
from __future__ import annotations

import phonenumbers


def french_phone(value: str | None) -> str:
    """A phone number as people write it in France: « +33142334455 » (E.164, as the services
    store it) → « 01 42 33 44 55 », ten digits in pairs; a valid foreign number in its
    international form (« +32 2 555 12 34 »); anything else as given; nothing → ""."""
    if value is None:
        return ""
    text = str(value).strip()
    if not text.startswith("+"):
        return text  # not a stored number: shown as it is
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(number):
        return text
    national = f"0{number.national_number}"
    if number.country_code == 33 and len(national) == 10:
        return " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
