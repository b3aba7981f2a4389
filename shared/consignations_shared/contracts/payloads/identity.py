"""Events of the identity service."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..messages import Message, event

RevocationReason = Literal[
    "logout", "password_change", "password_reset", "timeout", "person_inactive",
    "access_expired", "access_deleted",
]


@event("identity", "sessions_revoked")
class SessionsRevoked(Message):
    """Open sessions of a person were revoked (logout, password change or reset, idle timeout or
    end of lifetime, inactive or deleted person, expired access), published in the transaction
    that revokes them: every gateway process drops them from its cache of resolved sessions.

    `session_ids` lists the sessions this change revoked (never empty); the gateway drops every
    cached session of `person_id` anyway."""
    person_id: str
    session_ids: list[str] = Field(min_length=1)
    reason: RevocationReason
