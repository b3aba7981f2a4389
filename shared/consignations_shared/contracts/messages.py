"""One payload type per event and command (SPEC EV-1, EV-2): producers build it and write it to
the outbox, consumers read it back, and `docs/asyncapi.yaml` is generated from this registry.

A payload class names its message with `@event(source, type, version)` or
`@command(source, target, name)`; producers write an instance with
`OutboxWriter.publish(session, message)`, consumers read it back with `Cls.read(envelope)`.
Producers are strict (an unknown or missing field is a bug, refused before anything is written);
consumers accept unknown fields, so a producer may add optional fields without breaking anyone.
A field with a default is still always written by the producer (except for `partial` types,
which carry only what changed); the default lets a consumer read an older or leaner message.

Versions (issue 20). Removing, renaming or retyping a field of a published event is a new
version: `@event(source, type, 2)` beside the first, which gets `deprecated_after=` a date at
least DEPRECATION_PERIOD after the new version's publication. The new type's `previous()` says
how its facts read in the old version; the producer writes the newest one only and the outbox
writes the old version too, in the same transaction, until its date has passed. Version n > 1
travels with the routing key `<source>.<type>.v<n>`, so a subscriber bound to `<source>.<type>`
keeps receiving version 1. Published versions are recorded in `published_events.json`
(`compatibility.py`): a change that would break their consumers is refused."""
from __future__ import annotations

import inspect
from datetime import date, timedelta
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from ..events import Envelope, event_routing_key, is_event_type

# How long an event version replaced by a newer one is still written beside it: subscribers of
# other CDC systems have this long to move (docs/conventions.md, « Event versions »).
DEPRECATION_PERIOD = timedelta(days=180)


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

    deprecated_after: ClassVar[date | None] = None  # a version replaced by a newer one: last day it is written
    partial: ClassVar[bool] = False  # True: only the fields given travel (« only what changed »)
    consumers: ClassVar[tuple[str, ...]] = ()  # who acts on it and how, for the AsyncAPI document
    example: ClassVar[dict[str, Any] | None] = None  # a whole envelope, shown in the AsyncAPI document

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=self.partial)

    @classmethod
    def routing_key(cls) -> str:
        """`<source>.<type>` (version n > 1: `<source>.<type>.v<n>`) on the events exchange,
        `<target>.<command>` on the commands one."""
        if cls.message_kind == "command":
            return f"{cls.target}.{cls.name}"
        return event_routing_key(cls.source, cls.name, cls.message_version)

    def previous(self) -> "Message":
        """The same facts as the previous version of this event type (an instance of it). A
        version n > 1 must say, while version n - 1 is still written (its `deprecated_after`)."""
        raise NotImplementedError(f"{type(self).__name__} replaces version {self.message_version - 1} of "
                                  f"{self.name}: it must say how its facts read there (previous())")

    def with_versions_still_written(self, today: date) -> list["Message"]:
        """This message, then the same facts in each older version of its type whose deprecation
        period has not ended: what the outbox writes for it. Only the newest version is published
        by a producer."""
        if self.message_kind != "event":
            return [self]
        newer = EVENTS.get((self.source, self.name, self.message_version + 1))
        if newer is not None:
            raise ValueError(f"{self.source}.{self.name} v{self.message_version} is replaced by v{newer.message_version}: "
                             f"publish the newest version (the older one is written with it until its date)")
        written: list[Message] = [self]
        while (older := EVENTS.get((self.source, self.name, written[-1].message_version - 1))) is not None:
            if older.deprecated_after is None or today > older.deprecated_after:
                break
            previous = written[-1].previous()
            if type(previous) is not older:
                raise TypeError(f"{type(written[-1]).__name__}.previous() must give a {older.__name__}")
            written.append(previous)
        return written

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


def event(source: str, name: str, version: int = 1, *, deprecated_after: str | None = None):
    """Declares an event payload type. `deprecated_after` (ISO date): this version has a successor
    and is written beside it until that day included."""
    if not is_event_type(name):
        raise ValueError(f"event types are past-tense snake_case: {name!r}")
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"event versions are whole numbers from 1: {version!r}")

    def register(cls: type[Message]) -> type[Message]:
        key = (source, name, version)
        if key in EVENTS:
            raise ValueError(f"event {key} is declared twice")
        cls.message_kind, cls.source, cls.name, cls.message_version = "event", source, name, version
        cls.deprecated_after = date.fromisoformat(deprecated_after) if deprecated_after else None
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
