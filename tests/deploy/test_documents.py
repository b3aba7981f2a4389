"""Every event the code produces is a declared payload type, and the AsyncAPI document, generated
from those types, lists them all (EV-2); the commands carrying codes never use the events
exchange (EV-4)."""
import ast
from pathlib import Path

import yaml

from consignations_shared.contracts import payloads
from consignations_shared.contracts.messages import COMMANDS, EVENTS, Message

ROOT = Path(__file__).resolve().parents[2]


def _service_modules():
    for path in sorted((ROOT / "services").glob("*/*_service/**/*.py")):
        yield path.relative_to(ROOT / "services").parts[0], path, ast.parse(path.read_text(), str(path))


def _payload_type(name: str) -> type[Message] | None:
    for module in (payloads.accounts, payloads.demandes, payloads.documents, payloads.identity):
        found = getattr(module, name, None)
        if isinstance(found, type) and issubclass(found, Message) and found.__module__ == module.__name__:
            return found
    return None


def produced_message_types() -> set[tuple[str, type[Message]]]:
    """(service, type) for every `<writer>.publish(session, Type(...))` of the services' code, and
    every payload type handed to a helper that publishes it (`_event(ctx, Type, ...)`)."""
    found = set()
    for service, path, tree in _service_modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr == "publish" and len(node.args) == 2:
                built = node.args[1]
                if isinstance(built, ast.Call) and isinstance(built.func, ast.Name):
                    if built.func.id[0].isupper():  # a class; a variable holding one is found below
                        found.add((service, _payload_type(built.func.id) or built.func.id))
            for arg in node.args:
                if isinstance(arg, ast.Name) and (cls := _payload_type(arg.id)) is not None:
                    found.add((service, cls))
    return found


def test_no_service_writes_an_untyped_event_or_command():
    untyped = []
    for service, path, tree in _service_modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("event", "command") and "outbox" in ast.unparse(node.func.value)):
                untyped.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not untyped, f"write a payload type with OutboxWriter.publish instead: {untyped}"


def test_every_produced_event_and_command_is_a_declared_type_of_its_producer():
    produced = produced_message_types()
    assert len(produced) >= 30, "no producer found: the scan is out of date"
    registered = set(EVENTS.values()) | set(COMMANDS.values())
    for service, cls in produced:
        assert cls in registered, f"{service} publishes {cls}, which is not a declared event or command"
        assert cls.source == service, f"{service} publishes {cls.routing_key()}, declared for {cls.source}"


def test_asyncapi_lists_every_declared_event_on_the_events_exchange():
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    declared = {cls.routing_key() for cls in EVENTS.values()}
    assert declared, "no event declared: the registry is empty"
    assert addresses == declared
    for channel in document["channels"].values():
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "consignations.events"
    commands = {cls.routing_key() for cls in COMMANDS.values()}
    assert not commands & addresses, "a private command is listed as an event channel (EV-4)"
