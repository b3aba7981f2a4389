"""What identity's use cases need, provided by the service (or by a unit test)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.outbox import OutboxWriter

from .code_store import CodeStore
from .domain.lockout import DEFAULT_POLICY, LockoutPolicy
from .domain.passwords import PasswordHasher
from .throttling import DEFAULT_LIMITS, AddressLimits


@dataclass
class IdentityContext:
    session: Session
    outbox: OutboxWriter
    clock: Clock
    hasher: PasswordHasher
    secret_key: bytes
    lockout: LockoutPolicy = DEFAULT_POLICY
    limits: AddressLimits = DEFAULT_LIMITS

    @property
    def codes(self) -> CodeStore:
        return CodeStore(self.session, self.secret_key, self.clock.now)

    @property
    def correlation_id(self) -> str | None:
        return self.outbox.correlation_id


def token_hash(token: str) -> str:
    """Tokens (sessions, links, sign-ups) are 256-bit random: a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
