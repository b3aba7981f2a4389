"""Structured JSON logs carrying the correlation id of the request being served (NF-4)."""
from __future__ import annotations

import contextvars
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

correlation_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


class _ContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = correlation_id_var.get()
        return True


def configure_logging(service: str, level: str = "INFO", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_ContextFilter(service))
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{service}{name}{message}{correlation_id}",
        style="{",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
        timestamp=False,
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Chatty libraries: keep their warnings, drop their per-message info.
    for noisy in ("amqp", "kombu", "nameko", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
