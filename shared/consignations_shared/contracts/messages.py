"""One payload type per event and command (SPEC EV-1, EV-2): producers build it and write it to
the outbox, consumers read it back, and `docs/asyncapi.yaml` is generated from this registry.

A payload class names its message with `@event(source, type, version)` or
`@command(source, target, name)`; producers write an instance with
`OutboxWriter.publish(session, message)`, consumers read it back with `Cls.read(envelope)`.
Producers are strict (an unknown or missing field is a bug, refused before anything is written);
consumers accept unknown fields, so a producer may add optional fields without breaking anyone
(a breaking change is a new version). A field with a default is still always written by the
producer (except for `partial` types, which carry only what changed); the default lets a
consumer read an older or leaner message."""
from __future__ import annotations

import inspect
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from ..events import Envelope, is_event_type


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Class-level facts about the message (named so that no payload field can shadow them).
    message_kind: ClassVar[str] = ""  # "event" | "command"
    source: ClassVar[str] = ""  # the producing service (events), or the one allowed producer (commands)
    target: ClassVar[str | None] = None  # commands only: the one consuming service
    name: ClassVar[str] = ""  # event type or command name
    message_version: ClassVar[int] = 1
    summary: ClassVar[str] = ""  # first paragraph of the docstring, for the AsyncAPI document
    title: ClassVar[str | None] = None  # a human title, if any, for the AsyncAPI document

    partial: ClassVar[bool] = False  # True: only the fields given travel (« only what changed »)
    consumers: ClassVar[tuple[str, ...]] = ()  # who acts on it and how, for the AsyncAPI document
    example: ClassVar[dict[str, Any] | None] = None  # a whole envelope, shown in the AsyncAPI document

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=self.partial)

    @classmethod
    def routing_key(cls) -> str:
        """`<source>.<type>` on the events exchange, `<target>.<command>` on the commands one."""
        return f"{cls.target}.{cls.name}" if cls.message_kind == "command" else f"{cls.source}.{cls.name}"

    @classmethod
    def read(cls, envelope_or_payload: Envelope | dict[str, Any]) -> Self:
        """The typed payload of a consumed message; unknown fields are dropped, a missing or
        wrong one raises pydantic's ValidationError (the consumer dead-letters it)."""
        payload = envelope_or_payload.payload if isinstance(envelope_or_payload, Envelope) else envelope_or_payload
        known = {k: v for k, v in payload.items() if k in cls.model_fields}
        return cls.model_validate(known)


# Wire formats shared by the payloads (strings on the wire, described for the AsyncAPI document).
Id = Annotated[str, Field(min_length=1, json_schema_extra={"format": "uuid"})]
Instant = Annotated[str, Field(min_length=1, json_schema_extra={"format": "date-time"})]
Email = Annotated[str, Field(min_length=1, json_schema_extra={"format": "email"})]

EVENTS: dict[tuple[str, str, int], type[Message]] = {}
COMMANDS: dict[tuple[str, str], type[Message]] = {}


def _summary(cls: type[Message]) -> str:
    return " ".join(inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0].split())


def event(source: str, name: str, version: int = 1):
    if not is_event_type(name):
        raise ValueError(f"event types are past-tense snake_case: {name!r}")

    def register(cls: type[Message]) -> type[Message]:
        key = (source, name, version)
        if key in EVENTS:
            raise ValueError(f"event {key} is declared twice")
        cls.message_kind, cls.source, cls.name, cls.message_version = "event", source, name, version
        cls.summary = _summary(cls)
        EVENTS[key] = cls
        return cls

    return register


def command(source: str, target: str, name: str):
    def register(cls: type[Message]) -> type[Message]:
        key = (target, name)
        if key in COMMANDS:
            raise ValueError(f"command {key} is declared twice")
        cls.message_kind, cls.source, cls.target, cls.name = "command", source, target, name
        cls.summary = _summary(cls)
        COMMANDS[key] = cls
        return cls

    return register


def event_type(source: str, name: str, version: int = 1) -> type[Message]:
    return EVENTS[(source, name, version)]
