"""Published event versions and the changes their consumers can live with (issue 20).

`published_events.json`, beside this module, records every event version ever published: its
routing key, whether it is partial, the JSON Schema of its payload (self-contained), the day it was
first recorded and, for a version replaced by a newer one, the last day it is written. It is
written by `python -m consignations_shared.contracts.asyncapi` together with docs/asyncapi.yaml,
and that command refuses to record a change that would break a consumer of a recorded version:

- a field removed or renamed, or no longer always present;
- a field's type widened (a consumer would get a type it was not written for), its format or
  constant changed, a value added to its list of allowed values;
- the same rules inside nested objects and list items;
- a version dropped from the code before its `deprecated_after` day has passed;
- a version replaced by a newer one without a `deprecated_after`, or with one earlier than
  DEPRECATION_PERIOD after the newer one was first recorded.

Adding a field is a minor change (consumers ignore fields they do not know); so is narrowing a
type or dropping an allowed value. Anything else needs a new version, published beside the old
one (contracts.messages).
"""
from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

from . import payloads  # noqa: F401  (fills the registry)
from .messages import DEPRECATION_PERIOD, EVENTS, Message

LOCK = Path(__file__).with_name("published_events.json")


def contract_key(cls: type[Message]) -> str:
    return f"{cls.source}.{cls.name}.v{cls.message_version}"


def _resolve(schema: Any, definitions: dict[str, Any]) -> Any:
    """The schema with every `$ref` to a definition replaced by the definition itself."""
    if isinstance(schema, list):
        return [_resolve(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        resolved = _resolve(copy.deepcopy(definitions[reference.removeprefix("#/$defs/")]), definitions)
        return {**resolved, **{k: _resolve(v, definitions) for k, v in schema.items() if k != "$ref"}}
    return {key: _resolve(value, definitions) for key, value in schema.items()}


def payload_contract(cls: type[Message]) -> dict[str, Any]:
    """The payload's JSON Schema as consumers see it: self-contained, readable (the AsyncAPI
    document's simplification), every field required unless the type is partial."""
    from .asyncapi import _simplify

    schema = cls.model_json_schema()
    definitions = schema.pop("$defs", {})
    schema.pop("description", None)
    if not cls.partial:
        schema["required"] = list(schema.get("properties", {}))
    return _simplify(_resolve(schema, definitions))


def current_contracts() -> dict[str, dict[str, Any]]:
    """What the code declares today, keyed `<source>.<type>.v<n>` (no recording dates)."""
    return {contract_key(cls): {
        "routing_key": cls.routing_key(),
        "partial": cls.partial,
        "deprecated_after": cls.deprecated_after.isoformat() if cls.deprecated_after else None,
        "payload": payload_contract(cls),
    } for cls in sorted(EVENTS.values(), key=contract_key)}


def read_lock(path: Path = LOCK) -> dict[str, dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def render_lock(lock: dict[str, dict[str, Any]]) -> str:
    return json.dumps(dict(sorted(lock.items())), ensure_ascii=False, indent=1) + "\n"


# --- what a consumer can live with ---------------------------------------------------------------

def _types(schema: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema allows; None: any (no `type` keyword)."""
    kind = schema.get("type")
    if kind is None:
        return None
    return {kind} if isinstance(kind, str) else set(kind)


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "payload") -> list[str]:
    """Why a consumer written for `old` could fail on messages that follow `new` (empty: none)."""
    problems: list[str] = []
    old_types, new_types = _types(old), _types(new)
    if old_types is not None and (new_types is None or new_types - old_types):
        problems.append(f"{where}: type {sorted(old_types)} widened to {sorted(new_types) if new_types else 'any'}")
    for keyword in ("format", "const"):
        if keyword in old and old[keyword] != new.get(keyword):
            problems.append(f"{where}: {keyword} {old[keyword]!r} changed to {new.get(keyword)!r}")
    if "enum" in old:
        if "enum" not in new:
            problems.append(f"{where}: any value allowed where the list was {old['enum']}")
        elif added := [value for value in new["enum"] if value not in old["enum"]]:
            problems.append(f"{where}: values added to its allowed list: {added}")
    old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
    for name, field in old_fields.items():
        if name not in new_fields:
            problems.append(f"{where}.{name}: removed or renamed")
        else:
            problems.extend(breaking_changes(field, new_fields[name], f"{where}.{name}"))
    no_longer_required = [name for name in old.get("required", []) if name not in new.get("required", [])
                          and name in new_fields]
    problems.extend(f"{where}.{name}: no longer always present" for name in no_longer_required)
    if isinstance(old.get("items"), dict):
        if not isinstance(new.get("items"), dict):
            problems.append(f"{where}[]: its items' schema removed")
        else:
            problems.extend(breaking_changes(old["items"], new["items"], f"{where}[]"))
    for keyword in ("anyOf", "oneOf", "allOf"):
        if keyword in old and old[keyword] != new.get(keyword):
            problems.append(f"{where}: {keyword} changed (compare the variants by hand, or publish a new version)")
    return problems


def check(lock: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]], today: date) -> list[str]:
    """Every reason the code's contracts cannot be recorded over the recorded ones."""
    problems: list[str] = []
    for key, recorded in lock.items():
        if key not in current:
            ends = recorded.get("deprecated_after")
            if ends is None or today <= date.fromisoformat(ends):
                problems.append(f"{key}: removed from the code while still published "
                                f"({'until ' + ends if ends else 'never deprecated'}); keep writing it")
            continue
        now = current[key]
        if now["routing_key"] != recorded["routing_key"]:
            problems.append(f"{key}: routing key {recorded['routing_key']} changed to {now['routing_key']}")
        if now["partial"] != recorded["partial"]:
            problems.append(f"{key}: « only the changed fields » changed from {recorded['partial']} to {now['partial']}")
        problems.extend(f"{key}: {problem}" for problem in breaking_changes(recorded["payload"], now["payload"]))
    for key, contract in current.items():
        source, name, version = key.rsplit(".", 2)
        newer_key = f"{source}.{name}.v{int(version[1:]) + 1}"
        if newer_key not in current:
            continue
        if contract["deprecated_after"] is None:
            problems.append(f"{key}: replaced by {newer_key} but without deprecated_after (how long is it still written?)")
            continue
        newer_since = date.fromisoformat((lock.get(newer_key) or {}).get("recorded_on") or today.isoformat())
        if date.fromisoformat(contract["deprecated_after"]) < newer_since + DEPRECATION_PERIOD:
            problems.append(f"{key}: deprecated_after {contract['deprecated_after']} is less than "
                            f"{DEPRECATION_PERIOD.days} days after {newer_key} was first published ({newer_since})")
    return problems


def updated_lock(lock: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]], today: date) -> dict[str, dict[str, Any]]:
    """The record after this change (check() found nothing): the code's contracts, each with the
    day it was first recorded; versions retired after their date are dropped."""
    return {key: {**contract, "recorded_on": (lock.get(key) or {}).get("recorded_on") or today.isoformat()}
            for key, contract in current.items()}


def stale(lock: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> bool:
    """The record does not say what the code declares (the generator was not run)."""
    return {key: {k: v for k, v in value.items() if k != "recorded_on"} for key, value in lock.items()} != current
