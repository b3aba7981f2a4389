"""Password policy (SPEC ID-1, NF-1) and argon2id hashing.

Policy (what a new password must satisfy):

* ID-1: at least 8 characters, 1 digit, 1 upper-case letter, 1 lower-case letter and 1 special
  character (such as ``& - .``);
* NF-1: at most 128 characters (a longer password is refused, never truncated) and not one of the
  10,000 most common passwords (``identity_service/data/common-passwords.txt``, compared
  case-insensitively).

Character classes are Unicode-aware and decided per character:

* digit: ``str.isdigit()`` (``"7"``, but also ``"٣"``);
* upper-case / lower-case letter: ``str.isupper()`` / ``str.islower()`` (``"É"`` / ``"é"``);
* special character: anything that is neither alphanumeric (``str.isalnum()``) nor whitespace
  (``str.isspace()``): punctuation and symbols such as ``& - . @ € _``. Spaces are accepted in a
  password but do not count as a special character. Letters without case (e.g. ``"中"``) count as
  characters for the length, but neither as a letter of a case nor as a special character.

Length is counted in Unicode code points after NFC normalisation, and the hasher hashes the NFC
form too, so ``"é"`` typed as one code point or as ``e`` + combining accent is the same password.

Nothing here calls nameko or eventlet: the CPU-heavy argon2 calls go through an ``offload``
callable that the service sets to ``eventlet.tpool.execute``.
"""
from __future__ import annotations

import functools
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from importlib import resources
from typing import Any

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from consignations_shared.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 128

# NF-1 minimums (OWASP / RFC 9106 "second recommended option"): argon2id, m=19 MiB, t=2, p=1.
DEFAULT_TIME_COST = 2
DEFAULT_MEMORY_COST_KIB = 19 * 1024  # 19456 KiB
DEFAULT_PARALLELISM = 1
DEFAULT_HASH_LEN = 32
DEFAULT_SALT_LEN = 16


class PasswordRule(StrEnum):
    """Identifiers of the policy rules; the keys of ``check_password_policy``'s result."""

    MIN_LENGTH = "min_length"
    DIGIT = "digit"
    UPPERCASE = "uppercase"
    LOWERCASE = "lowercase"
    SPECIAL = "special"
    MAX_LENGTH = "max_length"
    COMMON = "common"


RULE_MESSAGES: dict[str, str] = {
    PasswordRule.MIN_LENGTH: f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères.",
    PasswordRule.DIGIT: "Le mot de passe doit contenir au moins 1 chiffre.",
    PasswordRule.UPPERCASE: "Le mot de passe doit contenir au moins 1 lettre majuscule.",
    PasswordRule.LOWERCASE: "Le mot de passe doit contenir au moins 1 lettre minuscule.",
    PasswordRule.SPECIAL: (
        "Le mot de passe doit contenir au moins 1 caractère spécial, tel que & - ."
    ),
    PasswordRule.MAX_LENGTH: f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères.",
    PasswordRule.COMMON: (
        "Ce mot de passe fait partie des mots de passe les plus courants. "
        "Choisissez un mot de passe plus difficile à deviner."
    ),
}

# Fragments used to build the one-sentence summary of password_policy_error_message().
_REQUIREMENT_FRAGMENTS: dict[str, str] = {
    PasswordRule.MIN_LENGTH: f"au moins {MIN_LENGTH} caractères",
    PasswordRule.DIGIT: "au moins 1 chiffre",
    PasswordRule.UPPERCASE: "au moins 1 lettre majuscule",
    PasswordRule.LOWERCASE: "au moins 1 lettre minuscule",
    PasswordRule.SPECIAL: "au moins 1 caractère spécial (tel que & - .)",
}
_CLAUSES: dict[str, str] = {
    PasswordRule.MAX_LENGTH: f"ne doit pas dépasser {MAX_LENGTH} caractères",
    PasswordRule.COMMON: "ne doit pas faire partie des mots de passe les plus courants",
}
GENERIC_POLICY_MESSAGE = "Le mot de passe ne respecte pas les règles de sécurité."

_COMMON_PASSWORDS_RESOURCE = ("data", "common-passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The blocklist, loaded once on first use (lower-case entries)."""
    resource = resources.files("identity_service").joinpath(*_COMMON_PASSWORDS_RESOURCE)
    text = resource.read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line)


def _normalise(password: str) -> str:
    if not isinstance(password, str):
        raise TypeError("password must be a str")
    return unicodedata.normalize("NFC", password)


def _is_special(char: str) -> bool:
    return not char.isalnum() and not char.isspace()


def check_password_policy(password: str) -> dict[str, str]:
    """Return ``{}`` when ``password`` is acceptable, else ``{rule_id: French message}``.

    Every failed rule is reported (one message per rule), in the order of ``PasswordRule``.
    """
    password = _normalise(password)
    failures: dict[str, str] = {}

    def fail(rule: PasswordRule) -> None:
        failures[rule.value] = RULE_MESSAGES[rule]

    if len(password) < MIN_LENGTH:
        fail(PasswordRule.MIN_LENGTH)
    if not any(char.isdigit() for char in password):
        fail(PasswordRule.DIGIT)
    if not any(char.isupper() for char in password):
        fail(PasswordRule.UPPERCASE)
    if not any(char.islower() for char in password):
        fail(PasswordRule.LOWERCASE)
    if not any(_is_special(char) for char in password):
        fail(PasswordRule.SPECIAL)
    if len(password) > MAX_LENGTH:
        fail(PasswordRule.MAX_LENGTH)
    elif password.lower() in common_passwords():
        fail(PasswordRule.COMMON)
    return failures


def _join_french(items: list[str], last_separator: str = " et ") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + last_separator + items[-1]


def password_policy_error_message(failures: Mapping[str, str] | Iterable[str]) -> str:
    """One French sentence summarising the failed rules, for the top of the form.

    ``failures`` is the result of ``check_password_policy`` (or just its rule ids). Returns ``""``
    when nothing failed.
    """
    rules = [str(rule) for rule in failures]
    if not rules:
        return ""
    requirements = [_REQUIREMENT_FRAGMENTS[r] for r in PasswordRule if r in rules
                    and r in _REQUIREMENT_FRAGMENTS]
    clauses = []
    if requirements:
        clauses.append("doit contenir " + _join_french(requirements))
    clauses.extend(_CLAUSES[r] for r in PasswordRule if r in rules and r in _CLAUSES)
    if not clauses:
        return GENERIC_POLICY_MESSAGE
    return "Le mot de passe " + _join_french(clauses, last_separator=", et ") + "."


def ensure_password_policy(password: str, field: str = "password") -> None:
    """Raise ``ValidationFailed`` (summary message, ``{field: summary}``) if the policy fails."""
    failures = check_password_policy(password)
    if failures:
        summary = password_policy_error_message(failures)
        raise ValidationFailed(summary, {field: summary})


def _call_directly(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


class PasswordHasher:
    """argon2id hashing with NF-1 parameters.

    ``offload(fn, *args)`` runs the CPU-heavy hash and verify calls; the service passes
    ``eventlet.tpool.execute`` so they do not block the green threads. Exceptions raised by ``fn``
    must propagate through ``offload`` (tpool does).

    Parameters below the NF-1 minimums are accepted (fast unit tests), the defaults are the
    minimums. ``needs_rehash`` is true for any hash whose parameters differ from this hasher's
    (weaker or stronger), so a parameter change migrates every hash at the next login.
    """

    def __init__(
        self,
        *,
        time_cost: int = DEFAULT_TIME_COST,
        memory_cost: int = DEFAULT_MEMORY_COST_KIB,
        parallelism: int = DEFAULT_PARALLELISM,
        hash_len: int = DEFAULT_HASH_LEN,
        salt_len: int = DEFAULT_SALT_LEN,
        offload: Callable[..., Any] | None = None,
    ):
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=hash_len,
            salt_len=salt_len,
            type=argon2.Type.ID,
        )
        self._offload = offload or _call_directly
        self._dummy_hash: str | None = None

    @property
    def parameters(self) -> argon2.Parameters:
        return argon2.Parameters(
            type=argon2.Type.ID,
            version=argon2.low_level.ARGON2_VERSION,
            salt_len=self._hasher.salt_len,
            hash_len=self._hasher.hash_len,
            time_cost=self._hasher.time_cost,
            memory_cost=self._hasher.memory_cost,
            parallelism=self._hasher.parallelism,
        )

    def hash(self, password: str) -> str:
        """PHC-format argon2id hash of ``password`` (NFC-normalised, never truncated)."""
        return self._offload(self._hasher.hash, _normalise(password))

    def verify(self, stored_hash: str, password: str) -> bool:
        """True if ``password`` matches ``stored_hash``; False on mismatch or unusable hash."""
        password = _normalise(password)
        if not isinstance(stored_hash, str) or not stored_hash:
            return False
        try:
            return bool(self._offload(self._hasher.verify, stored_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError):
            # ValueError: a non-ASCII string stored as hash (corrupt row).
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True if ``stored_hash`` was not made with this hasher's parameters (re-hash at login)."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except (InvalidHashError, VerificationError, ValueError, TypeError):
            return True

    @property
    def dummy_hash(self) -> str:
        """A hash of a random secret made with this hasher's parameters (computed once)."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hash(secrets.token_urlsafe(32))
        return self._dummy_hash

    def dummy_verify(self, password: str) -> bool:
        """Spend the time of a real verification (unknown account, no oracle); always False."""
        self.verify(self.dummy_hash, password)
        return False


@functools.cache
def _default_dummy_hash() -> str:
    return PasswordHasher().hash(secrets.token_urlsafe(32))


def __getattr__(name: str) -> Any:
    # DUMMY_HASH is computed on first access (PEP 562), with the default NF-1 parameters.
    if name == "DUMMY_HASH":
        return _default_dummy_hash()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
