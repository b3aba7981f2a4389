"""Gateway configuration from environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from consignations_shared.config import REPO_ROOT


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
    # Documents service's internal HTTP API (file bytes never travel over RPC): its address,
    # its shared token (DOCUMENTS_INTERNAL_TOKEN, or the file the service generates under the
    # var dir on the embedded default), and how long an upload or download may take.
    documents_url: str = "http://127.0.0.1:8104"
    documents_token: str | None = None
    documents_timeout: float = 60.0
    var_dir: str = str(REPO_ROOT / "var")

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
            documents_url=(env.get("DOCUMENTS_URL") or _local_url(env.get("DOCUMENTS_HTTP_ADDRESS", "127.0.0.1:8104"))).rstrip("/"),
            documents_token=env.get("DOCUMENTS_INTERNAL_TOKEN") or None,
            documents_timeout=float(env.get("GATEWAY_DOCUMENTS_TIMEOUT", "60")),
            var_dir=str(Path(env.get("CONSIGNATIONS_VAR_DIR") or REPO_ROOT / "var")),
        )


def _local_url(address: str) -> str:
    """The documents service on this machine (embedded default): its own listening address."""
    host, _, port = address.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"
