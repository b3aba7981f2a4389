"""Gateway configuration from environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewaySettings:
    amqp_uri: str
    rpc_timeout: float
    rpc_pool_size: int
    portal_public_url: str
    readiness_timeout: float
    # Secure cookies need HTTPS: on by default unless the portal is served over plain HTTP.
    session_cookie_secure: bool
    trusted_proxies: int

    @classmethod
    def from_env(cls, env=None) -> "GatewaySettings":
        env = os.environ if env is None else env
        portal = env.get("PORTAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        secure_default = "true" if portal.startswith("https://") else "false"
        return cls(
            amqp_uri=env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            rpc_timeout=float(env.get("RPC_TIMEOUT", "10")),
            rpc_pool_size=int(env.get("GATEWAY_RPC_POOL_SIZE", "8")),
            portal_public_url=portal,
            readiness_timeout=float(env.get("GATEWAY_READINESS_TIMEOUT", "2")),
            session_cookie_secure=env.get("SESSION_COOKIE_SECURE", secure_default).lower() in ("1", "true", "yes"),
            trusted_proxies=int(env.get("GATEWAY_TRUSTED_PROXIES", "0")),
        )
