"""The notifier service's RPC interface: none but readiness; it works from events and commands."""
from __future__ import annotations

from typing import ClassVar, Protocol

from .base import ServiceInterface


class NotifierInterface(ServiceInterface, Protocol):
    service: ClassVar[str] = "notifier"
