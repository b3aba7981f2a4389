"""Identity-specific dependency providers: the code-hashing key and the password hasher."""
from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

from eventlet import tpool
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from consignations_shared.config import settings_of

from .domain.lockout import DEFAULT_POLICY
from .domain.passwords import PasswordHasher
from .throttling import AddressLimits


def load_secret_key(settings) -> bytes:
    """IDENTITY_SECRET_KEY in production; a key generated once under var/ for the embedded default."""
    configured = settings.get("IDENTITY_SECRET_KEY")
    if configured:
        return configured.encode("utf-8")
    path = Path(settings.var_dir) / "identity.secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def bounded_offload(concurrency: int):
    """Run CPU-heavy calls in eventlet's OS thread pool, at most `concurrency` at a time.

    argon2 releases the GIL, so hashing never blocks the hub; bounding it leaves CPU to the hub
    (other RPCs), the broker and the database when logins pour in on a small machine.
    """
    gate = Semaphore(concurrency)

    def offload(fn, *args):
        with gate:
            return tpool.execute(fn, *args)

    return offload


def default_hash_concurrency() -> int:
    return max(1, (os.cpu_count() or 1) - 1)


class Credentials(DependencyProvider):
    """The secret key codes are HMAC'ed with, and an argon2id hasher that runs in OS threads."""

    def setup(self):
        settings = settings_of(self.container)
        self.secret_key = load_secret_key(settings)
        self.hash_concurrency = int(settings.get("IDENTITY_HASH_CONCURRENCY") or default_hash_concurrency())
        self.hasher = PasswordHasher(offload=bounded_offload(self.hash_concurrency))
        # Per-IP login budget (NF-1); raise it where many people share one address.
        self.lockout = replace(DEFAULT_POLICY, ip_max_attempts=int(
            settings.get("IDENTITY_LOGIN_IP_LIMIT") or DEFAULT_POLICY.ip_max_attempts))
        # Per-address budgets of captchas and SMS (throttling.py).
        self.limits = AddressLimits.from_settings(settings)

    def get_dependency(self, worker_ctx):
        return self
