"""One payload type per event and command (SPEC EV-1, EV-2): producers build it and write it to
the outbox, consumers read it back, and `docs/asyncapi.yaml` is generated from this registry.

A payload class names its message with `@event(source, type, version)` or
`@command(target, name)`. Producers are strict (an unknown or missing field is a bug, refused
before anything is written); consumers accept unknown fields, so a producer may add optional
fields without breaking anyone (a breaking change is a new version)."""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ..events import Envelope, is_event_type


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str] = ""  # "event" | "command"
    source: ClassVar[str] = ""  # the producing service (events), or the one allowed producer (commands)
    target: ClassVar[str | None] = None  # commands only: the one consuming service
    name: ClassVar[str] = ""  # event type or command name
    version: ClassVar[int] = 1
    summary: ClassVar[str] = ""  # first line of the docstring, for the AsyncAPI document

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def read(cls, envelope_or_payload: Envelope | dict[str, Any]) -> "Message":
        """The typed payload of a consumed message; unknown fields are dropped, a missing or
        wrong one raises pydantic's ValidationError (the consumer dead-letters it)."""
        payload = envelope_or_payload.payload if isinstance(envelope_or_payload, Envelope) else envelope_or_payload
        known = {k: v for k, v in payload.items() if k in cls.model_fields}
        return cls.model_validate(known)


EVENTS: dict[tuple[str, str, int], type[Message]] = {}
COMMANDS: dict[tuple[str, str], type[Message]] = {}


def event(source: str, name: str, version: int = 1):
    if not is_event_type(name):
        raise ValueError(f"event types are past-tense snake_case: {name!r}")

    def register(cls: type[Message]) -> type[Message]:
        key = (source, name, version)
        if key in EVENTS:
            raise ValueError(f"event {key} is declared twice")
        cls.kind, cls.source, cls.name, cls.version = "event", source, name, version
        cls.summary = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        EVENTS[key] = cls
        return cls

    return register


def command(source: str, target: str, name: str):
    def register(cls: type[Message]) -> type[Message]:
        key = (target, name)
        if key in COMMANDS:
            raise ValueError(f"command {key} is declared twice")
        cls.kind, cls.source, cls.target, cls.name = "command", source, target, name
        cls.summary = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        COMMANDS[key] = cls
        return cls

    return register


def event_type(source: str, name: str, version: int = 1) -> type[Message]:
    return EVENTS[(source, name, version)]
