"""The event envelope of SPEC EV-2 and the exchanges events and commands travel on."""
from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from .clock import Clock, SystemClock

EVENTS_EXCHANGE = "consignations.events"  # topic; routing key "<source>.<type>"
COMMANDS_EXCHANGE = "consignations.commands"  # direct; routing key "<target>.<command>", private

# Past-tense snake_case ("signup_verified", "payment_proof_issued"); irregular participles listed.
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*_?([a-z]+ed|sent|paid|made|done|set|read|seen|written|given|taken)$")
_COMMAND_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


class InvalidEnvelope(ValueError):
    pass


@dataclass(frozen=True)
class Envelope:
    event_id: str
    type: str
    version: int
    occurred_at: str
    source: str
    correlation_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Envelope":
        if not isinstance(data, dict):
            raise InvalidEnvelope("an envelope is a JSON object")
        missing = {"event_id", "type", "version", "occurred_at", "source", "payload"} - data.keys()
        if missing:
            raise InvalidEnvelope(f"envelope without {sorted(missing)}")
        try:
            uuid.UUID(str(data["event_id"]))
            datetime.fromisoformat(str(data["occurred_at"]))
        except ValueError as exc:
            raise InvalidEnvelope(str(exc)) from exc
        if not isinstance(data["payload"], dict) or not isinstance(data["version"], int):
            raise InvalidEnvelope("payload must be an object and version an integer")
        return cls(
            event_id=str(data["event_id"]), type=str(data["type"]), version=data["version"],
            occurred_at=str(data["occurred_at"]), source=str(data["source"]),
            correlation_id=data.get("correlation_id"), payload=data["payload"],
        )


def is_event_type(name: str) -> bool:
    return bool(_EVENT_TYPE.match(name))


def new_envelope(
    type: str,
    payload: dict[str, Any],
    *,
    source: str,
    correlation_id: str | None = None,
    version: int = 1,
    clock: Clock | None = None,
    command: bool = False,
) -> Envelope:
    if command:
        if not _COMMAND_NAME.match(type):
            raise ValueError(f"command names are snake_case: {type!r}")
    elif not is_event_type(type):
        raise ValueError(f"event types are past-tense snake_case: {type!r}")
    occurred_at = (clock or SystemClock()).now()
    return Envelope(
        event_id=str(uuid.uuid4()),
        type=type,
        version=version,
        occurred_at=occurred_at.isoformat(),
        source=source,
        correlation_id=correlation_id,
        payload=payload,
    )


def event_routing_key(source: str, type: str, version: int = 1) -> str:
    """`<source>.<type>`; a later version of the type `<source>.<type>.v<n>`, so that a subscriber
    bound to the first keeps receiving the version it was written for (contracts.messages)."""
    return f"{source}.{type}" if version == 1 else f"{source}.{type}.v{version}"


def command_routing_key(target: str, command: str) -> str:
    return f"{target}.{command}"
