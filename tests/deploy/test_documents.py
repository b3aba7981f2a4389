"""The AsyncAPI document lists every event type the code records (EV-2), and the commands
carrying codes never use the events exchange (EV-4)."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RECORDED_EVENT = re.compile(r"""\.event\(\s*[\w.]+\s*,\s*["']([a-z_]+)["']""")


def recorded_event_types() -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / "services").glob("*/*_service/**/*.py"):
        service = path.relative_to(ROOT / "services").parts[0]
        for event_type in RECORDED_EVENT.findall(path.read_text()):
            found.add((service, event_type))
    return found


def test_asyncapi_lists_every_recorded_event():
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    recorded = recorded_event_types()
    assert recorded, "no event found in the code: the pattern is out of date"
    missing = {f"{source}.{type_}" for source, type_ in recorded} - addresses
    assert not missing, f"events missing from docs/asyncapi.yaml: {sorted(missing)}"
    for channel in document["channels"].values():
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "consignations.events"
