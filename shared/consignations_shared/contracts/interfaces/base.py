"""What every service answers, and the wire types shared by the interfaces."""
from __future__ import annotations

from typing import Any, ClassVar, Protocol

# The acting person as sent by the gateway: `ActingPerson.to_wire()` (id, email, names, profile,
# is_staff, session_id, membership). Validated on entry by the service (`ActingPerson.from_wire`).
PersonWire = dict[str, Any]
# A JSON object answered to the caller (its keys are documented by the service's use case).
Json = dict[str, Any]


class ServiceInterface(Protocol):
    service: ClassVar[str]

    def ping(self) -> Json:
        """Readiness as seen through the broker (the gateway's /health/ready asks every service)."""
        ...
