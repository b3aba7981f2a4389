"""Per-address limits of the anonymous flows that cost something to serve (issue 18): captcha
images (each an image and a row) and sending SMS (sign-up codes). Counted in identity's own
database (`consignations_shared.rate_limits`), so they hold across gateway workers and identity
replicas; the client address is the one the gateway saw (behind `GATEWAY_TRUSTED_PROXIES`
reverse proxies, the forwarded one). Limits per flow (codes per sign-up, wrong codes across a
flow) are in `domain.codes`; per account, in the accounts service (invitations)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from consignations_shared.rate_limits import RateLimit, spend

from .models import rate_counters

CAPTCHAS_PER_ADDRESS = RateLimit(
    "captcha_per_address", 30, timedelta(minutes=10),
    "Trop d'images de sécurité ont été demandées depuis votre connexion. Veuillez réessayer dans quelques minutes.")
SMS_PER_ADDRESS = RateLimit(
    "sms_per_address", 6, timedelta(hours=1),
    "Trop de codes confidentiels ont été envoyés par SMS depuis votre connexion. Veuillez réessayer plus tard.")


@dataclass(frozen=True)
class AddressLimits:
    captchas: RateLimit = CAPTCHAS_PER_ADDRESS
    sms: RateLimit = SMS_PER_ADDRESS

    @classmethod
    def from_settings(cls, settings) -> "AddressLimits":
        """IDENTITY_CAPTCHA_IP_LIMIT (per 10 minutes), IDENTITY_SMS_IP_LIMIT (per hour)."""
        return cls(captchas=CAPTCHAS_PER_ADDRESS.with_limit(settings.get("IDENTITY_CAPTCHA_IP_LIMIT")),
                   sms=SMS_PER_ADDRESS.with_limit(settings.get("IDENTITY_SMS_IP_LIMIT")))


DEFAULT_LIMITS = AddressLimits()


def spend_for_address(ctx, rule: RateLimit, ip: str | None) -> None:
    """One action of this client address under `rule`, or TooManyRequests (429 + Retry-After)."""
    spend(ctx.session, rate_counters, rule, ip, ctx.clock.now())


__all__ = ["AddressLimits", "DEFAULT_LIMITS", "CAPTCHAS_PER_ADDRESS", "SMS_PER_ADDRESS", "spend_for_address"]
