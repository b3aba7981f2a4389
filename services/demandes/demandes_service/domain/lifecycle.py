"""Lifecycle of a request (SPEC DM-6) and its number (DM-5). Pure: recording who/when/why of a
transition and allocating the sequence belong to the service."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from consignations_shared.errors import Conflict

PARIS = ZoneInfo("Europe/Paris")

DRAFT = "DRAFT"
SUBMITTED = "SUBMITTED"
AWAITING_COMPLEMENT = "AWAITING_COMPLEMENT"
AWAITING_FUNDS = "AWAITING_FUNDS"
VALIDATED = "VALIDATED"
REJECTED = "REJECTED"
STATES = (DRAFT, SUBMITTED, AWAITING_COMPLEMENT, AWAITING_FUNDS, VALIDATED, REJECTED)

LABELS = {
    DRAFT: "Demande enregistrée",
    SUBMITTED: "Envoyé",
    AWAITING_COMPLEMENT: "En attente complément",
    AWAITING_FUNDS: "En attente de fonds",
    VALIDATED: "Demande validée",
    REJECTED: "Demande rejetée",
}
PROOF_AVAILABLE_LABEL = "Justificatif de déconsignation disponible"

TAB_DRAFTS, TAB_TRANSMITTED, TAB_VALIDATED, TAB_REJECTED = "DRAFTS", "TRANSMITTED", "VALIDATED", "REJECTED"
TAB_LABELS = {
    TAB_DRAFTS: "Demandes brouillons",
    TAB_TRANSMITTED: "Demandes transmises",
    TAB_VALIDATED: "Demandes validées",
    TAB_REJECTED: "Demandes rejetées",
}
TABS = {
    DRAFT: TAB_DRAFTS,
    SUBMITTED: TAB_TRANSMITTED,
    AWAITING_COMPLEMENT: TAB_TRANSMITTED,
    AWAITING_FUNDS: TAB_TRANSMITTED,
    VALIDATED: TAB_VALIDATED,
    REJECTED: TAB_REJECTED,
}

TRANSITIONS = {
    DRAFT: frozenset({SUBMITTED}),
    SUBMITTED: frozenset({AWAITING_COMPLEMENT, AWAITING_FUNDS, VALIDATED, REJECTED}),
    AWAITING_COMPLEMENT: frozenset({SUBMITTED, REJECTED}),
    AWAITING_FUNDS: frozenset({SUBMITTED, REJECTED}),
    VALIDATED: frozenset(),
    REJECTED: frozenset(),
}

UNKNOWN_STATE = "État de demande inconnu."
FUNDS_ONLY_FOR_CONSIGNATIONS = "Seule une demande de consignation peut être mise en attente de fonds."


def label(state: str, *, proof_available: bool = False) -> str:
    """The « État de traitement » shown to the client."""
    if state not in LABELS:
        raise Conflict(UNKNOWN_STATE)
    if state == VALIDATED and proof_available:
        return PROOF_AVAILABLE_LABEL
    return LABELS[state]


SENS_LABELS = {"C": "Consignation", "D": "Déconsignation"}
UNKNOWN_SENS = "Sens de demande inconnu."


def sens_label(sens: str) -> str:
    """« Consignation » (funds deposited) or « Déconsignation » (funds recovered)."""
    if sens not in SENS_LABELS:
        raise Conflict(UNKNOWN_SENS)
    return SENS_LABELS[sens]


def tab(state: str) -> str:
    if state not in TABS:
        raise Conflict(UNKNOWN_STATE)
    return TABS[state]


def allowed_targets(state: str, sens: str) -> frozenset[str]:
    if state not in TRANSITIONS or sens not in ("C", "D"):
        raise Conflict(UNKNOWN_STATE)
    if sens == "D":
        return frozenset() if state == AWAITING_FUNDS else TRANSITIONS[state] - {AWAITING_FUNDS}
    return TRANSITIONS[state]


def staff_decisions(state: str, sens: str) -> list[str]:
    """The states a gestionnaire may move a request to now (BO-2): the lifecycle's targets, except
    SUBMITTED out of AWAITING_COMPLEMENT, which is the client's « VALIDER » of a complement (DO-5);
    out of AWAITING_FUNDS it is the gestionnaire's « Fonds reçus »."""
    targets = allowed_targets(state, sens)
    if state == AWAITING_COMPLEMENT:
        targets = targets - {SUBMITTED}
    return sorted(targets)


def transition(state: str, target: str, sens: str) -> str:
    """`target` when the lifecycle allows going there from `state` for a request of this sens
    (C consignation / D déconsignation), else Conflict with a French message."""
    if state not in STATES or target not in STATES:
        raise Conflict(UNKNOWN_STATE)
    if sens not in ("C", "D"):
        raise Conflict("Sens de demande inconnu.")
    if AWAITING_FUNDS in (state, target) and sens != "C":
        raise Conflict(FUNDS_ONLY_FOR_CONSIGNATIONS)
    if target not in allowed_targets(state, sens):
        raise Conflict(f"Une demande à l'état « {LABELS[state]} » ne peut pas passer à l'état "
                       f"« {LABELS[target]} ».")
    return target


# --------------------------------------------------------------------------------------------
# Number (DM-5): 15 digits, "10" + YYMM of submission + 9-digit sequence

NUMBER_PREFIX = "10"
SEQUENCE_MAX = 999_999_999
_NUMBER = re.compile(r"10\d{2}(0[1-9]|1[0-2])\d{9}")


class NumberingExhausted(ValueError):
    """The 9-digit sequence is used up (an operational alarm, not a client error)."""


def yymm(moment: datetime) -> str:
    """YYMM of the submission, in French time (a request sent on 31 August at 23:30 UTC+2 is of
    August, one sent at 00:30 on 1 September is of September)."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(PARIS).strftime("%y%m")


def format_number(yymm_text: str, sequence: int) -> str:
    """``format_number("2008", 1029) == "102008000001029"``."""
    if not isinstance(yymm_text, str) or not re.fullmatch(r"\d{2}(0[1-9]|1[0-2])", yymm_text):
        raise ValueError(f"bad YYMM {yymm_text!r}")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise ValueError(f"bad sequence {sequence!r}")
    if sequence > SEQUENCE_MAX:
        raise NumberingExhausted(f"sequence {sequence} does not fit in 9 digits")
    return f"{NUMBER_PREFIX}{yymm_text}{sequence:09d}"


def is_number(text: str) -> bool:
    return isinstance(text, str) and _NUMBER.fullmatch(text) is not None
