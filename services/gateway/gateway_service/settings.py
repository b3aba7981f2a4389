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

    @classmethod
    def from_env(cls, env=None) -> "GatewaySettings":
        env = os.environ if env is None else env
        return cls(
            amqp_uri=env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            rpc_timeout=float(env.get("RPC_TIMEOUT", "10")),
            rpc_pool_size=int(env.get("GATEWAY_RPC_POOL_SIZE", "8")),
            portal_public_url=env.get("PORTAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            readiness_timeout=float(env.get("GATEWAY_READINESS_TIMEOUT", "2")),
        )
