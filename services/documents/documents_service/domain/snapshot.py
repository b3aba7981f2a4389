"""From a request snapshot (contracts.py) to what the PDF templates show (DO-7, DO-8).

Pure: checks the snapshot's shape, masks IBANs, formats dates, amounts and labels in French.
What a person reads is all here, so the templates cannot print what they should not (issue 19):
the procedure by its label, never its code; no line for a value nobody gave (no « Adresse
électronique — »); no version number of the request (the cache key of the summaries, nothing a
person knows of); the proof's « Bénéficiaire » is the structure for a company account, the
person for a particulier.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from consignations_shared.errors import ValidationFailed

from .kinds import PARIS

SENS_LABELS = {"C": "Consignation", "D": "Déconsignation"}
DATE_LABELS = {
    "created_at": "Date d'enregistrement",
    "submitted_at": "Date de soumission",
    "validated_at": "Date de validation",
    "rejected_at": "Date de rejet",
    "updated_at": "Dernière modification",
}
# DM-6, for a snapshot that would come without its state's label: never the code itself.
STATE_LABELS = {"DRAFT": "Demande enregistrée", "SUBMITTED": "Envoyé", "AWAITING_COMPLEMENT": "En attente complément",
                "AWAITING_FUNDS": "En attente de fonds", "VALIDATED": "Demande validée",
                "REJECTED": "Demande rejetée"}
PROOF_TITLE = "Justificatif de paiement"  # the seeds' name of the document, for both sens (DO-8)
REVIEW_LABELS = {"pending": "En cours d'examen", "conforme": "Conforme", "non_conforme": "Non conforme",
                 None: "—"}
NARROW_SPACE = "\u202f"  # French thousands separator
NO_BREAK_SPACE = "\u00a0"  # between an amount and « € »: never one without the other on a line
MAX_FIELDS = 200
MAX_TEXT = 2000
_IBAN_LABEL = re.compile(r"\bIBAN\b", re.IGNORECASE)


def _text(value, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    return str(value)[:limit]


def snapshot_digest(snapshot: dict) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False, default=str)
                          .encode("utf-8")).hexdigest()


def check_snapshot(snapshot) -> dict:
    if not isinstance(snapshot, dict):
        raise ValidationFailed("Le récapitulatif de la demande est invalide.")
    problems = {}
    if not isinstance(snapshot.get("demande_id"), str) or not 0 < len(snapshot["demande_id"]) <= 64:
        problems["demande_id"] = "Identifiant de demande manquant."
    version = snapshot.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        problems["version"] = "Version de la demande manquante."
    if snapshot.get("sens") not in SENS_LABELS:
        problems["sens"] = "Sens attendu : C ou D."
    for key in ("fields", "documents"):
        if not isinstance(snapshot.get(key, []), list) or len(snapshot.get(key, [])) > MAX_FIELDS:
            problems[key] = "Liste attendue."
    if not isinstance(snapshot.get("dates", {}), dict):
        problems["dates"] = "Objet attendu."
    if problems:
        raise ValidationFailed("Le récapitulatif de la demande est invalide.", problems)
    return snapshot


def mask_iban(value) -> str:
    """Every character but the last 4 hidden, grouped by 4 from the end: `**** … **** 0189`."""
    compact = re.sub(r"\s+", "", _text(value, 64))
    if not compact:
        return ""
    masked = "*" * max(0, len(compact) - 4) + compact[-4:]
    groups = []
    while masked:
        groups.insert(0, masked[-4:])
        masked = masked[:-4]
    return " ".join(groups)


def french_datetime(value) -> str:
    if not value:
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return _text(value, 40)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local:%H}h{local:%M}"


def french_date(value) -> str:
    text = french_datetime(value)
    return text.split(" à ")[0] if text else ""


def french_amount(value) -> str:
    if value is None or value == "":
        return "Non renseigné"
    if str(value).upper() == "TOTAL":
        return "Total"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return _text(value, 40)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return sign + NARROW_SPACE.join(groups) + f",{cents}{NO_BREAK_SPACE}€"


def _field(raw) -> dict:
    raw = raw if isinstance(raw, dict) else {"label": "", "value": raw}
    label = _text(raw.get("label"), 200)
    kind = _text(raw.get("kind"), 30) or "text"
    value = raw.get("value")
    if kind == "iban" or _IBAN_LABEL.search(label):
        shown = mask_iban(value)
    elif isinstance(value, bool):
        shown = "Oui" if value else "Non"
    elif kind == "date":
        shown = french_date(value) or _text(value)
    elif kind == "amount":
        shown = french_amount(value)
    else:
        shown = _text(value)
    return {"label": label, "value": shown, "section": _text(raw.get("section"), 120)}


def iban_of(snapshot: dict) -> str | None:
    for raw in snapshot.get("fields") or []:
        if isinstance(raw, dict) and (raw.get("kind") == "iban" or _IBAN_LABEL.search(_text(raw.get("label")))):
            return mask_iban(raw.get("value"))
    return None


def _rows(*pairs) -> list[dict]:
    """Label/value lines of a table, without the lines whose value is empty."""
    return [{"label": label, "value": value} for label, value in pairs if value]


def _state_label(snapshot: dict) -> str:
    given = _text(snapshot.get("state_label"), 100)
    return given or STATE_LABELS.get(snapshot.get("state"), "")


def summary_view(snapshot: dict, generated_at: datetime) -> dict:
    """What the summary template shows. Nothing unmasked leaves this function, nor the
    procedure's code, nor the request's version."""
    dates = snapshot.get("dates") or {}
    owner = snapshot.get("owner") or {}
    name, email = _text(owner.get("name"), 200), _text(owner.get("email"), 254)
    company_name = _text(owner.get("company_name"), 200)
    return {
        "number": _text(snapshot.get("number"), 40) or "Non attribué (brouillon)",
        "procedure_label": _text(snapshot.get("procedure_label"), 300),
        "sens": snapshot["sens"],
        "sens_label": SENS_LABELS[snapshot["sens"]],
        "state_label": _state_label(snapshot),
        "dates": [{"label": label, "value": french_datetime(dates[key])}
                  for key, label in DATE_LABELS.items() if dates.get(key)],
        "requester": _rows(("Structure", company_name), ("Nom", name), ("Adresse électronique", email)),
        "company_name": company_name,
        "owner_name": name,
        "fields": [field for field in (_field(raw) for raw in snapshot.get("fields") or []) if field["value"]],
        "documents": [{
            "label": _text((d or {}).get("label"), 200),
            "file_name": _text((d or {}).get("file_name"), 160),
            "review_status": (d or {}).get("review_status"),
            "review_label": REVIEW_LABELS.get((d or {}).get("review_status"), _text((d or {}).get("review_status"), 40)),
        } for d in snapshot.get("documents") or []],
        "amount": french_amount(snapshot.get("amount")),
        "generated_at": french_datetime(generated_at),
    }


def proof_view(snapshot: dict, generated_at: datetime, signer: dict) -> dict:
    """The summary's view, plus what the proof shows: its title, the validation date, the masked
    IBAN, the signer, its reference, and its « Bénéficiaire » — the structure of a company
    account (the snapshot's `company_name`, which only a company account has), with the person
    who filed named apart; the person for a particulier."""
    view = summary_view(snapshot, generated_at)
    owner = snapshot.get("owner") or {}
    view["title"] = PROOF_TITLE
    view["validated_at"] = french_datetime((snapshot.get("dates") or {}).get("validated_at"))
    view["iban"] = iban_of(snapshot)
    view["signer"] = signer
    view["reference"] = f"JUST-{view['number']}"
    if view["company_name"]:
        view["beneficiary"] = _rows(("Structure", view["company_name"]))
        view["filed_by"] = view["owner_name"]
    else:
        view["beneficiary"] = _rows(("Nom", view["owner_name"]),
                                    ("Adresse électronique", _text(owner.get("email"), 254)))
        view["filed_by"] = ""
    view["beneficiary"] += _rows(("Compte bancaire (IBAN)", view["iban"]))
    return view
