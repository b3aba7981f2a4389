"""French wording of values shown in notifications: dates, profiles, names."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

__all__ = ["PARIS", "PROFILE_LABELS", "french_datetime", "full_name", "parse_instant", "profile_label"]

PARIS = ZoneInfo("Europe/Paris")

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)

# Profiles of a person (SPEC section 0), as a person reads them.
PROFILE_LABELS = {
    "ENTREPRISE": "Entreprise",
    "PARTICULIER": "Particulier",
    "ADMINISTRATEUR": "Administrateur",
    "UTILISATEUR": "Utilisateur",
    "CONSULTATION": "Consultation",
    "GESTIONNAIRE": "Gestionnaire",
}


def parse_instant(value: str | datetime) -> datetime:
    """An ISO-8601 instant (``Z`` accepted); a naive one is taken as UTC. ValueError if invalid."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        moment = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"not an instant: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def french_datetime(value: str | datetime) -> str:
    """« le 23 novembre 2026 à 10 h 15 », in Paris time (« le 1er mars 2026 à 9 h 05 »)."""
    moment = parse_instant(value).astimezone(PARIS)
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"le {day} {MONTHS[moment.month - 1]} {moment.year} à {moment.hour} h {moment.minute:02d}"


def profile_label(profile: str | None) -> str:
    """« Administrateur » for ADMINISTRATEUR...; an unknown code is shown capitalised."""
    code = (profile or "").strip().upper()
    return PROFILE_LABELS.get(code, code.capitalize())


def full_name(first_name: str | None, last_name: str | None) -> str:
    """« Marie Dupont », or an empty string when neither is known (companies)."""
    return " ".join(part.strip() for part in (first_name, last_name) if part and part.strip())
