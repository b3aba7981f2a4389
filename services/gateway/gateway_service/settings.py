"""Gateway configuration from environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from consignations_shared.config import REPO_ROOT

MAX_SESSION_CACHE_TTL = 60.0  # well below identity's 30-minute idle timeout (session_cache.py)


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
    # Resolved sessions cached per process (session_cache.py): seconds (0: off; at most 60, see
    # the idle timeout there) and entries.
    session_cache_ttl: float = 30.0
    session_cache_size: int = 10000
    # Failing fast (breakers.py): RPCs made for a GET or HEAD wait at most rpc_read_timeout; after
    # breaker_failures timeouts or connection failures in a row a service's breaker opens, calls
    # to it answer 503 at once, and one trial call goes through after breaker_reset seconds.
    rpc_read_timeout: float = 1.5
    breaker_failures: int = 3
    breaker_reset: float = 5.0
    # The host named in the « Mentions légales » (LCEN art. 6): a fact of each deployment.
    portal_hosting: str = "Caisse des Dépôts, 56 rue de Lille, 75007 Paris"

    def __post_init__(self):
        if not 0 <= self.session_cache_ttl <= MAX_SESSION_CACHE_TTL:
            raise ValueError(f"GATEWAY_SESSION_CACHE_TTL must be between 0 and {MAX_SESSION_CACHE_TTL:g} seconds")
        if self.breaker_failures < 1 or self.breaker_reset <= 0 or self.rpc_read_timeout <= 0:
            raise ValueError("GATEWAY_BREAKER_FAILURES ≥ 1, GATEWAY_BREAKER_RESET > 0 and RPC_READ_TIMEOUT > 0")

    @classmethod
    def from_env(cls, env=None) -> "GatewaySettings":
        env = os.environ if env is None else env
        portal = env.get("PORTAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        secure_default = "true" if portal.startswith("https://") else "false"
        rpc_timeout = float(env.get("RPC_TIMEOUT", "10"))
        return cls(
            amqp_uri=env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            rpc_timeout=rpc_timeout,
            rpc_pool_size=int(env.get("GATEWAY_RPC_POOL_SIZE", "8")),
            portal_public_url=portal,
            readiness_timeout=float(env.get("GATEWAY_READINESS_TIMEOUT", "2")),
            session_cookie_secure=env.get("SESSION_COOKIE_SECURE", secure_default).lower() in ("1", "true", "yes"),
            trusted_proxies=int(env.get("GATEWAY_TRUSTED_PROXIES", "0")),
            documents_url=(env.get("DOCUMENTS_URL") or _local_url(env.get("DOCUMENTS_HTTP_ADDRESS", "127.0.0.1:8104"))).rstrip("/"),
            documents_token=env.get("DOCUMENTS_INTERNAL_TOKEN") or None,
            documents_timeout=float(env.get("GATEWAY_DOCUMENTS_TIMEOUT", "60")),
            var_dir=str(Path(env.get("CONSIGNATIONS_VAR_DIR") or REPO_ROOT / "var")),
            session_cache_ttl=float(env.get("GATEWAY_SESSION_CACHE_TTL", "30")),
            session_cache_size=int(env.get("GATEWAY_SESSION_CACHE_SIZE", "10000")),
            rpc_read_timeout=min(float(env.get("RPC_READ_TIMEOUT", "1.5")), rpc_timeout),
            breaker_failures=int(env.get("GATEWAY_BREAKER_FAILURES", "3")),
            breaker_reset=float(env.get("GATEWAY_BREAKER_RESET", "5")),
            portal_hosting=env.get("PORTAL_HOSTING") or cls.portal_hosting,
        )


def _local_url(address: str) -> str:
    """The documents service on this machine (embedded default): its own listening address."""
    host, _, port = address.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"
