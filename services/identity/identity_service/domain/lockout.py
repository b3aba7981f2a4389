"""Login throttling rules (SPEC NF-1, after Keycloak's brute-force detection). Pure functions.

Per account (the normalised e-mail, whether or not an account exists, so locks reveal nothing):
failures are counted over a sliding 15-minute window; the 10th failure locks the account for
1 minute, and every failure after a lock has run out locks it again for twice as long, up to 15
minutes, until 12 hours pass without a failure (Keycloak's "failure reset time") or a login
succeeds. While locked, even the right password is
answered with the same neutral message as a wrong one.

Per IP address: at most `ip_max_attempts` login attempts per `ip_window`; beyond that the
gateway answers 429 (it says nothing about any account).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int = 10
    window: timedelta = timedelta(minutes=15)
    first_lock: timedelta = timedelta(minutes=1)
    max_lock: timedelta = timedelta(minutes=15)
    reset_after: timedelta = timedelta(hours=12)
    ip_max_attempts: int = 100
    ip_window: timedelta = timedelta(minutes=15)


DEFAULT_POLICY = LockoutPolicy()


@dataclass(frozen=True)
class ThrottleState:
    failures: tuple[datetime, ...] = field(default_factory=tuple)
    locked_until: datetime | None = None
    lock_level: int = 0


def is_locked(state: ThrottleState, now: datetime) -> bool:
    return state.locked_until is not None and now < state.locked_until


def lock_duration(level: int, policy: LockoutPolicy = DEFAULT_POLICY) -> timedelta:
    """1, 2, 4, 8, then 15 minutes (the cap) for lock levels 1, 2, 3, 4, 5+."""
    return min(policy.first_lock * (2 ** (level - 1)), policy.max_lock)


def record_failure(state: ThrottleState, now: datetime, policy: LockoutPolicy = DEFAULT_POLICY
                   ) -> tuple[ThrottleState, bool]:
    """The state after a failed attempt, and whether this failure started a new lock."""
    if is_locked(state, now):
        # Attempts during a lock do not extend it: a nuisance attacker cannot keep a person out
        # longer than the growing delay allows.
        return state, False
    level = state.lock_level
    if state.failures and now - state.failures[-1] >= policy.reset_after:
        level = 0
    recent = tuple(t for t in state.failures if now - t < policy.window)[-(policy.threshold - 1):] + (now,)
    if level == 0 and len(recent) < policy.threshold:
        return ThrottleState(failures=recent), False
    level += 1
    return ThrottleState(failures=recent, locked_until=now + lock_duration(level, policy), lock_level=level), True


def record_success() -> ThrottleState:
    return ThrottleState()


def ip_allowed(attempts_in_window: int, policy: LockoutPolicy = DEFAULT_POLICY) -> bool:
    return attempts_in_window < policy.ip_max_attempts
