"""Confidential codes (« codes confidentiels », OTP): generation, hashing and the rules of NF-1.

* SMS codes: 6 digits (ID-3). E-mail codes: 6 characters from ``EMAIL_CODE_ALPHABET`` (ID-4),
  upper-case letters and digits without the ambiguous ``0 O 1 I L`` (31 symbols, about 8.9e8
  codes). Both come from ``secrets``.
* Codes are stored hashed: HMAC-SHA256 keyed with the service secret (``IDENTITY_SECRET_KEY``)
  over the purpose (flow), the subject (e.g. the sign-up id) and the normalised code, so a code
  issued for one flow or one subject never matches another.
* The rules (expiry, single use, superseded by a newer code, 5 wrong attempts, 30 s between two
  sends) are pure functions over ``CodeState`` taking ``now`` explicitly: callers read it from an
  injected ``consignations_shared.clock.Clock``. They return the new state to persist; the service
  must persist it with a compare-and-set (``UPDATE ... WHERE attempts = :old AND used_at IS NULL``)
  so that two concurrent attempts cannot both consume the code or both spend the same attempt.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from consignations_shared.clock import Clock, as_utc

__all__ = [
    "Clock", "CodePurpose", "CodePolicy", "CodeState", "CodeRefusal", "AttemptOutcome",
    "ResendDecision", "FlowDecision", "evaluate_new_code", "evaluate_flow_attempts", "SIGNUP_CODE_POLICY", "PASSWORD_RESET_CODE_POLICY",
    "PASSWORD_CHANGE_CODE_POLICY", "INVITATION_CODE_POLICY", "EMAIL_CODE_ALPHABET",
    "generate_sms_code", "generate_email_code", "normalise_code", "hash_code", "codes_match",
    "issue_code", "supersede", "evaluate_attempt", "evaluate_resend", "refusal_message",
]

SMS_CODE_LENGTH = 6
EMAIL_CODE_LENGTH = 6
# Upper-case letters and digits minus the look-alikes 0/O, 1/I/L (people copy codes by hand).
EMAIL_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class CodePurpose(StrEnum):
    """The flow a code is bound to (part of the HMAC input)."""

    SIGNUP_SMS = "signup_sms"
    SIGNUP_EMAIL = "signup_email"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGE = "password_change"
    INVITATION = "invitation"


@dataclass(frozen=True)
class CodePolicy:
    validity: timedelta
    max_attempts: int = 5
    resend_interval: timedelta = timedelta(seconds=30)
    # Per flow (one purpose and subject, e.g. one sign-up's SMS step) over `flow_window`: at most
    # `max_codes` codes sent (the first and 5 new ones) and `max_flow_attempts` wrong codes
    # across all of them, so asking for new codes gives no more guesses (issue 18).
    max_codes: int = 6
    max_flow_attempts: int = 10
    flow_window: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.validity <= timedelta(0):
            raise ValueError("validity must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.resend_interval < timedelta(0):
            raise ValueError("resend_interval must not be negative")
        if self.max_codes < 1 or self.max_flow_attempts < self.max_attempts:
            raise ValueError("a flow allows at least one code and the attempts of one code")


SIGNUP_CODE_POLICY = CodePolicy(validity=timedelta(minutes=10))  # ID-3, ID-4, NF-1
PASSWORD_RESET_CODE_POLICY = CodePolicy(validity=timedelta(minutes=30))  # ID-8
PASSWORD_CHANGE_CODE_POLICY = CodePolicy(validity=timedelta(hours=48))  # ID-9
INVITATION_CODE_POLICY = CodePolicy(validity=timedelta(hours=48))  # ID-10


# --- generation and hashing -------------------------------------------------------------------

def generate_sms_code() -> str:
    """6 random digits, leading zeros kept (``"004217"``)."""
    return f"{secrets.randbelow(10 ** SMS_CODE_LENGTH):0{SMS_CODE_LENGTH}d}"


def generate_email_code() -> str:
    """6 random characters from ``EMAIL_CODE_ALPHABET`` (no 0, O, 1, I, L)."""
    return "".join(secrets.choice(EMAIL_CODE_ALPHABET) for _ in range(EMAIL_CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What people type → what was issued: whitespace removed, upper-cased."""
    if not isinstance(code, str):
        raise TypeError("code must be a str")
    return "".join(code.split()).upper()


def hash_code(secret_key: bytes, purpose: str, subject_id: str, code: str) -> str:
    """Hex HMAC-SHA256 of ``code`` bound to ``purpose`` and ``subject_id``."""
    if not isinstance(secret_key, (bytes, bytearray)) or not secret_key:
        raise ValueError("secret_key must be non-empty bytes")
    parts = ["consignations-code-v1", str(purpose), str(subject_id), normalise_code(code)]
    if any("\x00" in part for part in parts):
        raise ValueError("purpose, subject_id and code must not contain NUL characters")
    message = "\x00".join(parts).encode("utf-8")
    return hmac.new(bytes(secret_key), message, hashlib.sha256).hexdigest()


def codes_match(
    expected_hash: str, secret_key: bytes, purpose: str, subject_id: str, code: str
) -> bool:
    """Constant-time comparison of a submitted code with the stored hash."""
    if not isinstance(expected_hash, str) or not expected_hash or not isinstance(code, str):
        return False
    try:
        actual = hash_code(secret_key, purpose, subject_id, code)
    except ValueError:
        return False
    return hmac.compare_digest(actual.encode("ascii"), expected_hash.encode("utf-8"))


# --- state and rules --------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeState:
    """The rule-relevant part of a stored code (a database row converts to/from it).

    ``attempts`` counts the wrong codes submitted so far.
    """

    issued_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None
    superseded: bool = False

    @classmethod
    def from_row(cls, row: Any) -> "CodeState":
        """From an object with these attributes (ORM row) or a mapping; naive datetimes are UTC."""
        get = row.get if isinstance(row, Mapping) else (lambda name: getattr(row, name))
        used_at = get("used_at")
        return cls(
            issued_at=as_utc(get("issued_at")),
            expires_at=as_utc(get("expires_at")),
            attempts=int(get("attempts") or 0),
            used_at=as_utc(used_at) if used_at is not None else None,
            superseded=bool(get("superseded")),
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class CodeRefusal(StrEnum):
    NO_CODE = "no_code"
    ALREADY_USED = "already_used"
    SUPERSEDED = "superseded"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    EXPIRED = "expired"
    INCORRECT = "incorrect"
    RESEND_TOO_SOON = "resend_too_soon"
    TOO_MANY_CODES = "too_many_codes"
    FLOW_EXHAUSTED = "flow_exhausted"


_ASK_NEW = "Demandez un nouveau code confidentiel."
_MESSAGES: dict[CodeRefusal, str] = {
    CodeRefusal.NO_CODE: f"Aucun code confidentiel n'est en cours de validité. {_ASK_NEW}",
    CodeRefusal.ALREADY_USED: f"Ce code confidentiel a déjà été utilisé. {_ASK_NEW}",
    CodeRefusal.SUPERSEDED: (
        "Ce code confidentiel a été remplacé par un nouveau code. "
        "Saisissez le dernier code confidentiel reçu."
    ),
    CodeRefusal.TOO_MANY_ATTEMPTS: (
        f"Trop d'essais erronés : ce code confidentiel n'est plus valable. {_ASK_NEW}"
    ),
    CodeRefusal.EXPIRED: f"Le code confidentiel a expiré. {_ASK_NEW}",
    CodeRefusal.TOO_MANY_CODES: (
        "Trop de demandes de nouveau code confidentiel pour cette démarche. Veuillez réessayer plus tard."
    ),
    CodeRefusal.FLOW_EXHAUSTED: (
        "Trop d'essais erronés de code confidentiel pour cette démarche. Veuillez réessayer plus tard."
    ),
}


def refusal_message(
    reason: CodeRefusal,
    *,
    remaining_attempts: int | None = None,
    resend_interval: timedelta = SIGNUP_CODE_POLICY.resend_interval,
) -> str:
    """The French message shown for ``reason``."""
    if reason is CodeRefusal.INCORRECT:
        if remaining_attempts is None:
            return "Le code confidentiel est incorrect."
        noun = "essai" if remaining_attempts <= 1 else "essais"
        return f"Le code confidentiel est incorrect. Il vous reste {remaining_attempts} {noun}."
    if reason is CodeRefusal.RESEND_TOO_SOON:
        seconds = int(resend_interval.total_seconds())
        unit = "seconde" if seconds <= 1 else "secondes"
        return (
            f"Veuillez patienter {seconds} {unit} avant de demander un nouveau code confidentiel."
        )
    return _MESSAGES[reason]


@dataclass(frozen=True)
class AttemptOutcome:
    """Result of one submitted code.

    ``state`` is the state to persist (``None`` only when there was no code); ``changed`` tells
    whether it differs from the input (attempt counted or code consumed).
    """

    accepted: bool
    state: CodeState | None
    changed: bool
    reason: CodeRefusal | None = None
    message: str = ""
    remaining_attempts: int = 0


@dataclass(frozen=True)
class ResendDecision:
    allowed: bool
    reason: CodeRefusal | None = None
    message: str = ""
    retry_after: timedelta = timedelta(0)


def _require_aware(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def issue_code(now: datetime, *, policy: CodePolicy) -> CodeState:
    """State of a code issued at ``now`` (the previous code, if any, must be ``supersede``d)."""
    _require_aware(now)
    return CodeState(issued_at=now, expires_at=now + policy.validity)


def supersede(state: CodeState) -> CodeState:
    """The previous code once a newer one has been issued for the same purpose and subject."""
    return dataclasses.replace(state, superseded=True)


def evaluate_attempt(
    code_state: CodeState | None, submitted_ok: bool, now: datetime, *, policy: CodePolicy
) -> AttemptOutcome:
    """Apply the NF-1 rules to one submitted code.

    ``submitted_ok`` is the result of ``codes_match``. Checks, in order: no code, already used,
    superseded, too many attempts (already ``max_attempts`` wrong codes: refused even with the
    right code), expired (at ``expires_at`` exactly the code is expired), then the code itself.
    A wrong code counts an attempt; the ``max_attempts``-th wrong code invalidates the code and
    gets the ``TOO_MANY_ATTEMPTS`` message directly. Refusals before the code comparison do not
    count an attempt.
    """
    _require_aware(now)

    def refuse(reason: CodeRefusal, state: CodeState | None, changed: bool = False,
               remaining: int = 0) -> AttemptOutcome:
        return AttemptOutcome(
            accepted=False, state=state, changed=changed, reason=reason,
            message=refusal_message(reason, remaining_attempts=remaining),
            remaining_attempts=remaining,
        )

    if code_state is None:
        return refuse(CodeRefusal.NO_CODE, None)
    if code_state.used_at is not None:
        return refuse(CodeRefusal.ALREADY_USED, code_state)
    if code_state.superseded:
        return refuse(CodeRefusal.SUPERSEDED, code_state)
    if code_state.attempts >= policy.max_attempts:
        return refuse(CodeRefusal.TOO_MANY_ATTEMPTS, code_state)
    if now >= code_state.expires_at:
        return refuse(CodeRefusal.EXPIRED, code_state)
    if submitted_ok:
        return AttemptOutcome(
            accepted=True, state=dataclasses.replace(code_state, used_at=now), changed=True,
            remaining_attempts=policy.max_attempts - code_state.attempts,
        )
    attempts = code_state.attempts + 1
    new_state = dataclasses.replace(code_state, attempts=attempts)
    remaining = policy.max_attempts - attempts
    if remaining <= 0:
        return refuse(CodeRefusal.TOO_MANY_ATTEMPTS, new_state, changed=True)
    return refuse(CodeRefusal.INCORRECT, new_state, changed=True, remaining=remaining)


def evaluate_resend(
    last_issued_at: datetime | None, now: datetime, *, policy: CodePolicy
) -> ResendDecision:
    """Whether a new code may be sent: at most one per ``resend_interval`` (30 s)."""
    _require_aware(now)
    if last_issued_at is None:
        return ResendDecision(allowed=True)
    elapsed = now - as_utc(last_issued_at)
    if elapsed >= policy.resend_interval:
        return ResendDecision(allowed=True)
    return ResendDecision(
        allowed=False,
        reason=CodeRefusal.RESEND_TOO_SOON,
        message=refusal_message(
            CodeRefusal.RESEND_TOO_SOON, resend_interval=policy.resend_interval
        ),
        retry_after=policy.resend_interval - elapsed,
    )


@dataclass(frozen=True)
class FlowDecision:
    """Whether the flow (one purpose and subject) may still send a code or take a guess."""

    allowed: bool
    reason: CodeRefusal | None = None
    message: str = ""
    retry_after: timedelta = timedelta(0)


def _flow_refusal(reason: CodeRefusal, oldest: datetime, now: datetime, policy: CodePolicy) -> FlowDecision:
    return FlowDecision(allowed=False, reason=reason, message=refusal_message(reason),
                        retry_after=max(as_utc(oldest) + policy.flow_window - now, timedelta(seconds=1)))


def evaluate_new_code(issued: list[datetime], now: datetime, *, policy: CodePolicy) -> FlowDecision:
    """Whether one more code may be sent, `issued` being when the flow's codes were issued."""
    _require_aware(now)
    recent = sorted(as_utc(t) for t in issued if now - as_utc(t) < policy.flow_window)
    if len(recent) < policy.max_codes:
        return FlowDecision(allowed=True)
    # Allowed again once enough of the oldest codes have left the window.
    return _flow_refusal(CodeRefusal.TOO_MANY_CODES, recent[len(recent) - policy.max_codes], now, policy)


def evaluate_flow_attempts(codes: list[tuple[datetime, int]], now: datetime, *, policy: CodePolicy) -> FlowDecision:
    """Whether a code may still be tried, `codes` being (issued at, wrong attempts) of the flow."""
    _require_aware(now)
    recent = sorted((as_utc(t), n) for t, n in codes if now - as_utc(t) < policy.flow_window)
    wrong = sum(n for _, n in recent)
    if wrong < policy.max_flow_attempts:
        return FlowDecision(allowed=True)
    return _flow_refusal(CodeRefusal.FLOW_EXHAUSTED, recent[0][0], now, policy)
