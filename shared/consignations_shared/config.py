"""Configuration from environment variables (NF-4): every service reads its own settings.

The embedded default (no variable set) keeps everything under `var/` at the repository root:
SQLite files, the mail/SMS outbox and generated keys.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
SERVICE_HTTP_PORTS = {
    "identity": 8101, "accounts": 8102, "demandes": 8103, "documents": 8104, "notifier": 8105,
}


def var_dir(env: Mapping[str, str] = os.environ) -> Path:
    path = Path(env.get("CONSIGNATIONS_VAR_DIR") or REPO_ROOT / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _seconds_list(raw: str) -> tuple[float, ...]:
    values = tuple(float(part) for part in raw.split(",") if part.strip())
    if not values or any(v <= 0 for v in values):
        raise ValueError(f"expected comma-separated positive seconds, got {raw!r}")
    return values


@dataclass(frozen=True)
class ServiceSettings:
    name: str
    amqp_uri: str
    database_url: str
    http_address: str
    rpc_timeout: float
    max_workers: int
    # Attempts of a failing event handler before its message goes to the dead-letter queue,
    # and the delays between them (one retry queue per delay).
    event_max_attempts: int
    event_retry_delays: tuple[float, ...]
    var_dir: Path
    env: Mapping[str, str] = field(repr=False, default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.env.get(key, default)

    def nameko_config(self) -> dict:
        return {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": self.http_address,
            "max_workers": self.max_workers,
            "SERIALIZER": "json",
            "DATABASE_URL": self.database_url,
            "SERVICE_SETTINGS": self,
        }


def load_settings(service: str, env: Mapping[str, str] | None = None) -> ServiceSettings:
    env = dict(os.environ if env is None else env)
    prefix = service.upper()
    data_dir = var_dir(env)
    default_port = SERVICE_HTTP_PORTS.get(service, 8100)
    retry_delays = _seconds_list(env.get("EVENT_RETRY_DELAYS", "1,5,30,120"))
    return ServiceSettings(
        name=service,
        amqp_uri=env.get("AMQP_URI", DEFAULT_AMQP_URI),
        database_url=env.get(f"{prefix}_DATABASE_URL") or f"sqlite:///{data_dir / (service + '.db')}",
        http_address=env.get(f"{prefix}_HTTP_ADDRESS", f"127.0.0.1:{default_port}"),
        rpc_timeout=float(env.get("RPC_TIMEOUT", "10")),
        max_workers=int(env.get(f"{prefix}_MAX_WORKERS", "20")),
        event_max_attempts=int(env.get("EVENT_MAX_ATTEMPTS", str(len(retry_delays) + 1))),
        event_retry_delays=retry_delays,
        var_dir=data_dir,
        env=env,
    )


def settings_of(container) -> ServiceSettings:
    """The settings a running nameko container was started with (see ServiceSettings.nameko_config)."""
    settings = container.config.get("SERVICE_SETTINGS")
    if settings is None:
        settings = load_settings(container.service_name, {
            **os.environ,
            "AMQP_URI": container.config.get("AMQP_URI", DEFAULT_AMQP_URI),
            **({f"{container.service_name.upper()}_DATABASE_URL": container.config["DATABASE_URL"]}
               if "DATABASE_URL" in container.config else {}),
        })
    return settings
