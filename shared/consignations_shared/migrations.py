"""Alembic migrations of each service's own database, applied at service start (NF-4)."""
from __future__ import annotations

import importlib
import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import text

from .db import get_engine
from .plumbing import plumbing_metadata


def alembic_config(migrations_package: str, url: str) -> Config:
    module = importlib.import_module(migrations_package)
    config = Config()
    config.set_main_option("script_location", str(Path(module.__file__).parent))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(migrations_package: str, url: str, revision: str = "head") -> None:
    """Apply the migrations; several instances starting together take turns (advisory lock)."""
    config = alembic_config(migrations_package, url)
    engine = get_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            lock_key = zlib.crc32(migrations_package.encode())
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def run_migrations_env(service_metadata) -> None:
    """Body of every service's migrations/env.py (online mode only: we always have a database)."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        engine = get_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _configure_and_run(connection, service_metadata)
    else:
        _configure_and_run(connection, service_metadata)


def _configure_and_run(connection, service_metadata) -> None:
    context.configure(
        connection=connection,
        target_metadata=[service_metadata, plumbing_metadata],
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
