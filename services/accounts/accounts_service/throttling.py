"""Limits on invitations (issue 18): an administrator, and a whole company account, may invite
only so many people per period, counted in the accounts database
(`consignations_shared.rate_limits`) so they hold across gateway workers and service replicas.
Beyond them: 429 with a French message and Retry-After."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from consignations_shared.errors import TooManyRequests
from consignations_shared.rate_limits import RateLimit, give_back, spend

from .models import rate_counters

INVITATIONS_PER_ADMINISTRATOR = RateLimit(
    "invitations_per_administrator", 20, timedelta(hours=1),
    "Vous avez envoyé beaucoup d'invitations en peu de temps. Veuillez réessayer plus tard.")
INVITATIONS_PER_ACCOUNT = RateLimit(
    "invitations_per_account", 50, timedelta(hours=24),
    "Ce compte client a envoyé le nombre maximal d'invitations pour aujourd'hui. Veuillez réessayer demain.")


@dataclass(frozen=True)
class InvitationLimits:
    per_administrator: RateLimit = INVITATIONS_PER_ADMINISTRATOR
    per_account: RateLimit = INVITATIONS_PER_ACCOUNT

    @classmethod
    def from_settings(cls, settings) -> "InvitationLimits":
        """ACCOUNTS_INVITATION_ADMIN_LIMIT (per hour), ACCOUNTS_INVITATION_ACCOUNT_LIMIT (per 24 hours)."""
        return cls(
            per_administrator=INVITATIONS_PER_ADMINISTRATOR.with_limit(settings.get("ACCOUNTS_INVITATION_ADMIN_LIMIT")),
            per_account=INVITATIONS_PER_ACCOUNT.with_limit(settings.get("ACCOUNTS_INVITATION_ACCOUNT_LIMIT")),
        )


DEFAULT_LIMITS = InvitationLimits()


def spend_invitation(ctx, account_id: str, administrator_id: str) -> None:
    """One invitation of this administrator in this account, or TooManyRequests (nothing spent)."""
    now = ctx.clock.now()
    spend(ctx.session, rate_counters, ctx.limits.per_administrator, administrator_id, now)
    try:
        spend(ctx.session, rate_counters, ctx.limits.per_account, account_id, now)
    except TooManyRequests:
        give_back(ctx.session, rate_counters, ctx.limits.per_administrator, administrator_id, now)
        raise
