"""What every benchmark script needs: a private vhost and database, the processes it started
stopped again, and percentiles."""
from __future__ import annotations

import subprocess
import uuid

from consignations_shared.testing import pg_admin_execute, rabbitmqctl

PG_URL_PREFIX = "postgresql+psycopg2://postgres@127.0.0.1:5432/"


def new_vhost(prefix: str = "bench") -> str:
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return vhost


def new_database(prefix: str = "bench") -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new PostgreSQL database."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    pg_admin_execute(f'CREATE DATABASE "{name}"')
    return name, PG_URL_PREFIX + name


def clean_up(processes, vhost: str | None = None, database: str | None = None) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    if vhost:
        try:
            rabbitmqctl("delete_vhost", vhost)
        except subprocess.SubprocessError:
            pass
    if database:
        try:
            pg_admin_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        except Exception:
            pass


def pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def ms(values: list[float], p: int) -> str:
    return f"{pct(values, p) * 1000:.1f}"
