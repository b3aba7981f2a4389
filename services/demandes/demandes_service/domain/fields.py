"""Step 1 « Informations » of the wizard (SPEC DM-2..DM-4): the submitted values checked against
a procedure's field definitions, with French messages.

``validate_fields(procedure, form, complete=..., today=...)`` returns ``(values, errors)``:
« Enregistrer » (complete=False) only checks what was typed; « Suivant » (complete=True) also
requires the mandatory fields (and those made mandatory by ``required_when``). The eligibility
rules of the catalogue (ARS birth date, account in the applicant's own name...) are checked on the
values that were typed. ``once_per_person`` needs the stored requests: the service enforces it.
"""
from __future__ import annotations

import functools
import gettext
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from schwifty import BIC, IBAN
from schwifty.exceptions import InvalidBBANChecksum, InvalidChecksumDigits, SchwiftyException

from consignations_shared.errors import ValidationFailed

from .catalogue import LEGAL_FORMS, Field, Procedure

AMOUNT_MAX = Decimal("999999999.99")
UNKNOWN_FIELD = "Ce champ n'existe pas pour cette démarche."
IBAN_INVALID = "L'IBAN saisi n'est pas valide. Vérifiez sa saisie (ex : FR76 3000 6000 0112 3456 7890 189)."
IBAN_CHECKSUM = "L'IBAN saisi n'est pas valide (clé de contrôle incorrecte)."
BIC_INVALID = "Le BIC saisi n'est pas valide : il comporte 8 ou 11 caractères (ex : BNPAFRPPXXX)."
DATE_INVALID = "Date invalide (format attendu : JJ/MM/AAAA)."
DATE_IN_FUTURE = "La date ne peut pas être postérieure à aujourd'hui."
AMOUNT_INVALID = "Le montant doit être un nombre en euros (ex : 1 500,00)."
AMOUNT_NOT_POSITIVE = "Le montant doit être supérieur à 0\u00a0€."
AMOUNT_DECIMALS = "Le montant ne peut pas comporter plus de 2 décimales."
BOOLEAN_INVALID = "Veuillez répondre par oui ou par non."
COUNTRY_INVALID = "Ce pays n'existe pas."
LEGAL_FORM_INVALID = "Veuillez choisir une forme juridique dans la liste."
CHOICE_INVALID = "Veuillez choisir une valeur dans la liste."

_TRUE = {"true", "oui", "1", "yes", "on"}
_FALSE = {"false", "non", "0", "no", "off"}
_CIVILITIES = {"m", "mr", "mme", "mlle", "monsieur", "madame", "mademoiselle"}
_JOINT_MARKERS = {"et", "ou", "&"}


class _Invalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------
# Helpers usable on their own


def fold(text: str) -> str:
    """Case, accents, hyphens and apostrophes do not matter (« Éloïse-Marie » = « eloise marie »)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-'’.,]", " ", plain).split())


def masked_iban(iban: str | None) -> str:
    """The IBAN for display and PDFs: every character but the last 4 replaced by « * », grouped by 4
    (``**** **** **** **** **** ***0 189``)."""
    if not iban:
        return ""
    compact = re.sub(r"\s", "", iban).upper()
    masked = "*" * max(len(compact) - 4, 0) + compact[-4:]
    return " ".join(masked[i:i + 4] for i in range(0, len(masked), 4))


def check_iban(value: Any) -> str:
    """The IBAN in compact upper-case form, or _Invalid (schwifty: length and structure of the
    country, ISO 13616 mod 97 key, and the national key where one exists, e.g. the French RIB key)."""
    if not isinstance(value, str):
        raise _Invalid(IBAN_INVALID)
    try:
        return IBAN(value).compact
    except (InvalidChecksumDigits, InvalidBBANChecksum):
        raise _Invalid(IBAN_CHECKSUM) from None
    except (SchwiftyException, ValueError):
        raise _Invalid(IBAN_INVALID) from None


def check_bic(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(BIC_INVALID)
    try:
        return BIC(value).compact
    except (SchwiftyException, ValueError):
        raise _Invalid(BIC_INVALID) from None


def parse_amount(value: Any, *, maximum: Decimal = AMOUNT_MAX) -> Decimal:
    """A Decimal in euros > 0 with at most 2 decimals, from « 1 500,50 », « 1500.5 », 1500..."""
    if isinstance(value, bool) or isinstance(value, float):
        raise _Invalid(AMOUNT_INVALID)  # floats are not exact: the portal sends text
    if isinstance(value, (int, Decimal)):
        text = str(value)
    elif isinstance(value, str):
        text = re.sub(r"[\s\u00a0\u202f]", "", value).replace("€", "").replace(",", ".")
    else:
        raise _Invalid(AMOUNT_INVALID)
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", text):
        raise _Invalid(AMOUNT_INVALID)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _Invalid(AMOUNT_INVALID) from None
    if amount <= 0:
        raise _Invalid(AMOUNT_NOT_POSITIVE)
    if amount != amount.quantize(Decimal("0.01")):
        raise _Invalid(AMOUNT_DECIMALS)
    if amount > maximum:
        raise _Invalid(f"Le montant ne doit pas dépasser {format_euros(maximum)}.")
    return amount.quantize(Decimal("0.01"))


def format_euros(amount: Decimal) -> str:
    """« 1 500,00 € », never wrapped: a narrow no-break space between the thousands, a no-break
    space before « € » (« € » alone on the next line of a board cell, issue 19)."""
    whole, cents = f"{amount:.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "\u202f".join(groups) + f",{cents}\u00a0€"


def parse_date(value: Any) -> date:
    """From ``2001-09-14`` (API) or ``14/09/2001`` (as typed)."""
    if isinstance(value, datetime):
        raise _Invalid(DATE_INVALID)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _Invalid(DATE_INVALID)
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        pass
    raise _Invalid(DATE_INVALID)


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@functools.cache
def country_names() -> dict[str, str]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    return {c.alpha_2: french.gettext(c.name) for c in pycountry.countries}


def holder_matches(holder: str, last_name: str, first_name: str) -> bool:
    """The account is in the applicant's name: every word of the last and first names appears in
    the holder (order, case, accents, hyphens, civilities ignored), and it is not a joint account
    (« et », « ou », « & »)."""
    holder_words = fold(holder).split()
    if any(w in _JOINT_MARKERS for w in holder_words):
        return False
    holder_set = {w for w in holder_words if w not in _CIVILITIES}
    wanted = set(fold(last_name).split()) | set(fold(first_name).split())
    return bool(wanted) and wanted <= holder_set


# --------------------------------------------------------------------------------------------
# One field


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _bound(value, today: date | None):
    return today if value == "today" else value


def check_value(field: Field, value: Any, *, today: date | None = None) -> Any:
    """The clean value of one non-empty field, or _Invalid with the French message."""
    kind, params = field.type, field.params
    if kind == "text":
        if not isinstance(value, str):
            raise _Invalid(f"Le champ « {field.label} » est invalide.")
        text = " ".join(unicodedata.normalize("NFC", value).split())
        if any(unicodedata.category(c).startswith("C") for c in text):
            raise _Invalid(f"Le champ « {field.label} » contient des caractères non autorisés.")
        limit = params.get("max_length", 200)
        if len(text) > limit:
            raise _Invalid(f"Le champ « {field.label} » ne doit pas dépasser {limit} caractères.")
        if "pattern" in params and not re.fullmatch(params["pattern"], text):
            raise _Invalid(params["pattern_message"])
        return text
    if kind == "date":
        day = parse_date(value)
        low, high = _bound(params.get("min"), today), _bound(params.get("max"), today)
        if high is not None and day > high:
            raise _Invalid(DATE_IN_FUTURE if params.get("max") == "today"
                           else f"La date ne peut pas être postérieure au {format_date(high)}.")
        if low is not None and day < low:
            raise _Invalid(f"La date ne peut pas être antérieure au {format_date(low)}.")
        return day
    if kind == "iban":
        return check_iban(value)
    if kind == "bic":
        return check_bic(value)
    if kind == "amount":
        return parse_amount(value, maximum=Decimal(str(params["max"])) if "max" in params else AMOUNT_MAX)
    if kind == "choice":
        if value not in {c["value"] for c in params["choices"]}:
            raise _Invalid(CHOICE_INVALID)
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Invalid(BOOLEAN_INVALID)
    if kind == "country":
        code = value.strip().upper() if isinstance(value, str) else None
        if code not in country_names():
            raise _Invalid(COUNTRY_INVALID)
        return code
    if kind == "legal_form":
        if value not in LEGAL_FORMS:
            raise _Invalid(LEGAL_FORM_INVALID)
        return value
    raise AssertionError(kind)  # the catalogue refuses other types


def _required_message(field: Field) -> str:
    return f"Le champ « {field.label} » est obligatoire."


# --------------------------------------------------------------------------------------------
# A whole step


def validate_fields(procedure: Procedure, form: dict[str, Any], *, complete: bool,
                    today: date | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """(clean values, {field: French message}). Empty fields are kept as None. `today` (the
    caller's clock, in France) bounds the dates marked ``max: today``."""
    form = form or {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {name: UNKNOWN_FIELD for name in form if name not in
                              {f.name for f in procedure.fields}}
    for field in procedure.fields:
        raw = form.get(field.name)
        if _is_empty(raw):
            values[field.name] = None
            continue
        try:
            values[field.name] = check_value(field, raw, today=today)
        except _Invalid as exc:
            values[field.name] = None
            errors[field.name] = exc.message
    if complete:
        for field in procedure.fields:
            if field.name in errors or values[field.name] is not None:
                continue
            condition = field.required_when
            needed = field.mandatory or (
                condition is not None and values.get(condition["field"]) == condition["equals"])
            if needed:
                errors[field.name] = _required_message(field)
    _check_eligibility(procedure, values, errors)
    return values, errors


def _check_eligibility(procedure: Procedure, values: dict[str, Any], errors: dict[str, str]) -> None:
    for rule in procedure.eligibility:
        name = rule["rule"]
        if name == "born_on_or_after":
            born = values.get(rule["field"])
            if born is not None and born < rule["date"]:
                errors.setdefault(rule["field"], rule["message"])
        elif name == "younger_than_at":
            born, at = values.get(rule["field"]), values.get(rule["at_field"])
            if born is not None and at is not None and _age_on(born, at) >= rule["years"]:
                errors.setdefault(rule["field"], rule["message"])
        elif name == "holder_matches_applicant":
            holder = values.get(rule["holder_field"])
            last, first = values.get(rule["last_name_field"]), values.get(rule["first_name_field"])
            if holder and last and first and not holder_matches(holder, last, first):
                errors.setdefault(rule["holder_field"], rule["message"])


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def require_valid(procedure: Procedure, form: dict[str, Any], *, complete: bool,
                  today: date | None = None) -> dict[str, Any]:
    """The clean values, or ValidationFailed(message, {field: message})."""
    values, errors = validate_fields(procedure, form, complete=complete, today=today)
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else \
            "Certaines informations saisies sont invalides ou manquantes."
        raise ValidationFailed(message, errors)
    return values


def to_json(values: dict[str, Any]) -> dict[str, Any]:
    """Values ready for a JSON column or an RPC answer (dates ISO, amounts as « 1500.00 »)."""
    out = {}
    for name, value in values.items():
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = f"{value:.2f}"
        out[name] = value
    return out
