"""`docs/asyncapi.yaml`, generated from the registry of event payload types.

    python -m consignations_shared.contracts.asyncapi           # (re)write docs/asyncapi.yaml
    python -m consignations_shared.contracts.asyncapi --check   # exit 1 if the file is stale

The same command records the published versions in `contracts/published_events.json` and refuses
a change that would break their consumers (compatibility.py): then nothing is written.

Every event type declared in `contracts/payloads/` becomes a channel (its routing key
`<source>.<type>` on the topic exchange `consignations.events`), a receive operation (who acts on
it, from the type's `consumers`) and a message: the EV-2 envelope with the payload's JSON Schema,
taken from the pydantic type. Descriptions are the types' docstrings and field descriptions.
Private commands (exchange `consignations.commands`) are not listed: no other system may bind to
them (EV-4)."""
from __future__ import annotations

import argparse
import inspect
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..events import EVENTS_EXCHANGE
from . import compatibility, payloads  # noqa: F401  (payloads fills the registry)
from .messages import EVENTS, Message

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml"
SOURCES = ["identity", "accounts", "demandes", "documents", "notifier"]

DESCRIPTION = """\
Integration events of the Consignations personal space (SPEC EV-1..EV-4), for our services
and for other CDC systems. Any AMQP 0-9-1 client can subscribe without our code:

1. declare (or passively check) the durable topic exchange `consignations.events`;
2. declare your own durable queue and bind it with routing key `<source>.<type>`
   (`identity.signup_verified`), `identity.*` for one source, or `#` for everything;
3. consume JSON messages (`content_type: application/json`, persistent); each body is the
   envelope below. Deduplicate on `event_id`: delivery is at least once.

Events are written to a transactional outbox with the change they report and published
after commit, so an event exists if and only if its change was committed (EV-3). No
password, code or token ever travels in an event (EV-4): codes go to the notifier on the
private direct exchange `consignations.commands`, which other systems must not bind to.

Payloads: producers write every field listed, except for the events that give « only the
changed fields »; consumers must ignore fields they do not know, so a producer may add a field
within a version.

Replay: every event is also kept in the stream `consignations.events.log` (400 days, 20 GB
by default). Read it with any AMQP 0-9-1 client from `x-stream-offset` `first`, a timestamp or
an offset you stored (prefetch and manual acks; each delivery's offset is in the header
`x-stream-offset`). Store each event with its offset in one transaction, resume from the stored
offset + 1, deduplicate on `event_id`: docs/events.md, with a subscriber written with pika alone.

Versions: a change that could break a consumer (a field removed, renamed or retyped, a value
added to a closed list) is a new `version` of the type. Version n > 1 has its own routing key
`<source>.<type>.v<n>`, so a queue bound to `<source>.<type>` keeps receiving version 1. The old
version is still published beside the new one, with the same facts and its own `event_id`, for
at least 180 days after the new one's first publication: the message lists its last day
(`x-deprecated-after`). Bind to the version you read; move to the newest before that day.

This document is generated from `shared/consignations_shared/contracts/payloads/`
(`python -m consignations_shared.contracts.asyncapi`); do not edit it by hand.
"""

ENVELOPE = {
    "type": "object",
    "description": "SPEC EV-2 envelope, common to every event.",
    "required": ["event_id", "type", "version", "occurred_at", "source", "correlation_id", "payload"],
    "properties": {
        "event_id": {"type": "string", "format": "uuid", "description": "Unique; consumers deduplicate on it."},
        "type": {"type": "string", "description": "Past-tense snake_case, e.g. signup_verified."},
        "version": {"type": "integer", "minimum": 1, "description": "Payload schema version of this type."},
        "occurred_at": {"type": "string", "format": "date-time", "description": "UTC, ISO-8601."},
        "source": {"type": "string", "enum": SOURCES},
        "correlation_id": {"type": ["string", "null"], "description": "Of the HTTP request that caused it."},
        "payload": {"type": "object"},
    },
}

# One example body per message is shown where a type declares it (class attribute `example`).
EXCHANGE_BINDING = {"name": EVENTS_EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}


def _camel(*parts: str) -> str:
    words = "_".join(parts).split("_")
    return words[0] + "".join(w.capitalize() for w in words[1:])


def message_id(cls: type[Message]) -> str:
    suffix = f"_v{cls.message_version}" if cls.message_version != 1 else ""
    return _camel(cls.source, cls.name) + suffix


def _simplify(schema: Any) -> Any:
    """pydantic's JSON Schema, made readable: no generated titles, `X | None` as a type list."""
    if isinstance(schema, list):
        return [_simplify(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue
        if key == "additionalProperties" and value is False:
            continue  # consumers must accept fields added later (see the description)
        out[key] = _simplify(value) if key != "properties" else {k: _simplify(v) for k, v in value.items()}
    variants = out.get("anyOf")
    if isinstance(variants, list) and len(variants) == 2 and {"type": "null"} in variants:
        other = next(v for v in variants if v != {"type": "null"})
        if isinstance(other.get("type"), str) and "$ref" not in other:
            del out["anyOf"]
            merged = {**other, "type": [other["type"], "null"]}
            if "enum" in merged:
                merged["enum"] = [*merged["enum"], None]
            out = {**merged, **out}
    if "type" in out:  # the type first, as people read it
        out = {"type": out.pop("type"), **out}
    return out


def payload_schema(cls: type[Message], shared: dict[str, Any]) -> dict[str, Any]:
    schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        shared[name] = _simplify(definition)
    schema.pop("description", None)  # the channel and the message carry it
    if not cls.partial:
        # Producers write every field (a default only helps consumers read older or other
        # producers' messages); a partial type sends its required fields and what changed.
        schema["required"] = list(schema["properties"])
    return _simplify(schema)


def _description(cls: type[Message]) -> str:
    return " ".join(inspect.cleandoc(cls.__doc__ or "").split())


def build() -> dict[str, Any]:
    events = sorted(EVENTS.values(), key=lambda c: (SOURCES.index(c.source), c.name, c.message_version))
    shared: dict[str, Any] = {"Envelope": ENVELOPE}
    channels, operations, messages = {}, {}, {}
    for cls in events:
        key = message_id(cls)
        channels[key] = {
            "address": cls.routing_key(),
            "description": cls.summary,
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": {"is": "routingKey", "exchange": dict(EXCHANGE_BINDING)}},
        }
        operation = {"action": "receive", "channel": {"$ref": f"#/channels/{key}"}}
        if cls.consumers:
            operation["summary"] = " ".join(cls.consumers)
        operations["receive" + key[0].upper() + key[1:]] = operation
        message = {"name": cls.name}
        if cls.title:
            message["title"] = cls.title
        message["summary"] = cls.summary
        description = _description(cls) if _description(cls) != cls.summary else ""
        if cls.deprecated_after:
            description = (f"Version {cls.message_version}, replaced by version {cls.message_version + 1}: "
                           f"still published beside it until {cls.deprecated_after.isoformat()} included. "
                           + description).strip()
        if description:
            message["description"] = description
        if cls.deprecated_after:
            message["x-deprecated-after"] = cls.deprecated_after.isoformat()
        message["contentType"] = "application/json"
        message["payload"] = {"allOf": [
            {"$ref": "#/components/schemas/Envelope"},
            {"type": "object", "properties": {
                "type": {"const": cls.name}, "source": {"const": cls.source},
                "version": {"const": cls.message_version}, "payload": payload_schema(cls, shared),
            }},
        ]}
        example = getattr(cls, "example", None)
        if example:
            message["examples"] = [{"payload": example}]
        messages[key] = message
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Consignations – événements d'intégration", "version": "0.2.0",
                 "description": DESCRIPTION},
        "servers": {"development": {
            "host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
            "description": "guest/guest on the embedded default; each environment has its own credentials.",
        }},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": shared, "messages": messages},
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # every schema written out in full, no &id anchors
        return True


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render() -> str:
    return yaml.dump(build(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m consignations_shared.contracts.asyncapi",
                                     description="Write docs/asyncapi.yaml from the payload types.")
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    parser.add_argument("--output", type=Path, default=DOCUMENT)
    parser.add_argument("--lock", type=Path, default=compatibility.LOCK, help="the record of published versions")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="(tests) the day it is")
    args = parser.parse_args(argv)
    today = args.today or date.today()
    recorded, current = compatibility.read_lock(args.lock), compatibility.current_contracts()
    problems = compatibility.check(recorded, current, today)
    if problems:
        print("These changes would break consumers of published events; publish a new version beside "
              "the old one instead (shared/consignations_shared/contracts/messages.py):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    text = render()
    if args.check:
        stale = [str(path) for path, is_stale in (
            (args.output, (args.output.read_text(encoding="utf-8") if args.output.exists() else "") != text),
            (args.lock, compatibility.stale(recorded, current))) if is_stale]
        if stale:
            print(f"{' and '.join(stale)} stale: run python -m consignations_shared.contracts.asyncapi", file=sys.stderr)
            return 1
        print(f"{args.output} and {args.lock} are up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    args.lock.write_text(compatibility.render_lock(compatibility.updated_lock(recorded, current, today)), encoding="utf-8")
    print(f"wrote {args.output} ({len(EVENTS)} events) and {args.lock}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
