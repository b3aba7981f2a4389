"""Event versions (issue 20, point 3): what a consumer of a published version can live with, the
record of published versions, and the old version written beside its successor until its date."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.consumer import EventConsumer
from consignations_shared.contracts import asyncapi, compatibility
from consignations_shared.contracts.compatibility import breaking_changes, check, current_contracts, read_lock
from consignations_shared.contracts.messages import EVENTS, Id, Message, event
from consignations_shared.outbox import OutboxWriter
from consignations_shared.plumbing import outbox, plumbing_metadata

ID = {"type": "string", "format": "uuid", "minLength": 1}
TEXT = {"type": "string"}


def obj(required=None, **fields):
    return {"type": "object", "properties": fields, "required": list(fields) if required is None else required}


# --- breaking_changes: the rules, one by one -------------------------------------------------------

def test_adding_a_field_narrowing_a_type_or_dropping_an_allowed_value_breaks_nobody():
    old = obj(id=ID, note={"type": ["string", "null"]}, state={"type": "string", "enum": ["A", "B"]})
    new = obj(id=ID, note=TEXT, state={"type": "string", "enum": ["A"]}, added={"type": "integer"})
    assert breaking_changes(old, new) == []


@pytest.mark.parametrize("new, problem", [
    (obj(id=ID), "payload.note: removed or renamed"),
    (obj(id=ID, comment=TEXT), "payload.note: removed or renamed"),  # a rename is a removal for consumers
    (obj(id=ID, note={"type": ["string", "null"]}), "payload.note: type ['string'] widened to ['null', 'string']"),
    (obj(id=ID, note={"type": "integer"}), "payload.note: type ['string'] widened to ['integer']"),
    (obj(id=ID, note={}), "payload.note: type ['string'] widened to any"),
    (obj(required=["id"], id=ID, note=TEXT), "payload.note: no longer always present"),
    (obj(id={"type": "string", "format": "email", "minLength": 1}, note=TEXT),
     "payload.id: format 'uuid' changed to 'email'"),
])
def test_what_breaks_a_consumer_of_the_old_version(new, problem):
    assert breaking_changes(obj(id=ID, note=TEXT), new) == [problem]


def test_a_value_added_to_a_closed_list_or_the_list_opened_breaks_a_consumer():
    old = obj(state={"type": "string", "enum": ["A", "B"]})
    assert breaking_changes(old, obj(state={"type": "string", "enum": ["A", "B", "C"]})) == [
        "payload.state: values added to its allowed list: ['C']"]
    assert breaking_changes(old, obj(state=TEXT)) == ["payload.state: any value allowed where the list was ['A', 'B']"]


def test_the_rules_hold_inside_nested_objects_and_list_items():
    old = obj(owner=obj(person_id=ID, name=TEXT), documents={"type": "array", "items": obj(id=ID, size={"type": "integer"})})
    new = obj(owner=obj(person_id=ID), documents={"type": "array", "items": obj(id=ID, size={"type": "number"})})
    assert breaking_changes(old, new) == ["payload.owner.name: removed or renamed",
                                          "payload.documents[].size: type ['integer'] widened to ['number']"]
    assert breaking_changes(old, obj(owner=old["properties"]["owner"], documents={"type": "array"})) == [
        "payload.documents[]: its items' schema removed"]


# --- check(): the record of published versions against the code ---------------------------------

def contract(routing_key, payload, deprecated_after=None, recorded_on=None, partial=False):
    made = {"routing_key": routing_key, "partial": partial, "deprecated_after": deprecated_after, "payload": payload}
    return {**made, "recorded_on": recorded_on} if recorded_on else made


V1 = contract("src.thing_changed", obj(id=ID, note=TEXT))
V2 = contract("src.thing_changed.v2", obj(id=ID, comment=TEXT))


def test_a_published_version_leaves_the_code_only_after_its_last_day():
    lock = {"src.thing_changed.v1": {**V1, "deprecated_after": "2027-06-30", "recorded_on": "2026-01-05"},
            "src.thing_changed.v2": {**V2, "recorded_on": "2026-12-01"}}
    current = {"src.thing_changed.v2": V2}
    assert check(lock, current, date(2027, 6, 30)) == [
        "src.thing_changed.v1: removed from the code while still published (until 2027-06-30); keep writing it"]
    assert check(lock, current, date(2027, 7, 1)) == []
    assert compatibility.updated_lock(lock, current, date(2027, 7, 1)) == {
        "src.thing_changed.v2": {**V2, "recorded_on": "2026-12-01"}}


def test_a_version_never_deprecated_cannot_leave_the_code():
    assert check({"src.thing_changed.v1": {**V1, "recorded_on": "2026-01-05"}}, {}, date(2030, 1, 1)) == [
        "src.thing_changed.v1: removed from the code while still published (never deprecated); keep writing it"]


def test_a_replaced_version_says_how_long_it_is_written_and_for_at_least_the_deprecation_period():
    lock = {"src.thing_changed.v1": {**V1, "recorded_on": "2026-01-05"}}
    assert check(lock, {"src.thing_changed.v1": V1, "src.thing_changed.v2": V2}, date(2026, 12, 7)) == [
        "src.thing_changed.v1: replaced by src.thing_changed.v2 but without deprecated_after (how long is it still written?)"]
    early = {**V1, "deprecated_after": "2027-06-04"}  # 179 days after 2026-12-07, when v2 is first recorded
    assert check(lock, {"src.thing_changed.v1": early, "src.thing_changed.v2": V2}, date(2026, 12, 7)) == [
        "src.thing_changed.v1: deprecated_after 2027-06-04 is less than 180 days after src.thing_changed.v2 "
        "was first published (2026-12-07)"]
    enough = {**V1, "deprecated_after": "2027-06-05"}
    assert check(lock, {"src.thing_changed.v1": enough, "src.thing_changed.v2": V2}, date(2026, 12, 7)) == []


def test_a_recorded_version_keeps_its_routing_key_its_partial_flag_and_its_fields():
    lock = {"src.thing_changed.v1": {**V1, "recorded_on": "2026-01-05"}}
    changed = contract("src.thing_renamed", obj(id=ID), partial=True)
    assert check(lock, {"src.thing_changed.v1": changed}, date(2026, 12, 7)) == [
        "src.thing_changed.v1: routing key src.thing_changed changed to src.thing_renamed",
        "src.thing_changed.v1: « only the changed fields » changed from False to True",
        "src.thing_changed.v1: payload.note: removed or renamed"]


def test_the_committed_record_says_what_the_code_declares_and_nothing_published_was_broken():
    recorded, current = read_lock(), current_contracts()
    assert check(recorded, current, date.today()) == []
    assert not compatibility.stale(recorded, current), \
        "published_events.json is stale: run python -m consignations_shared.contracts.asyncapi"
    assert set(current) == {f"{c.source}.{c.name}.v{c.message_version}" for c in EVENTS.values()}


# --- the old version written beside the new one -------------------------------------------------

@pytest.fixture
def versions():
    """A v1 and a v2 of `notifier.thing_changed`, registered for one test only."""
    before = dict(EVENTS)

    @event("notifier", "thing_changed", 1, deprecated_after="2027-06-30")
    class ThingChangedV1(Message):
        """A thing changed (first version)."""
        thing_id: Id
        note: str

    @event("notifier", "thing_changed", 2)
    class ThingChanged(Message):
        """A thing changed: `note` is now `comment`."""
        thing_id: Id
        comment: str

        def previous(self) -> ThingChangedV1:
            return ThingChangedV1(thing_id=self.thing_id, note=self.comment)

    yield ThingChangedV1, ThingChanged
    EVENTS.clear()
    EVENTS.update(before)


def written(at: datetime, message: Message) -> list[tuple[str, dict]]:
    engine = create_engine("sqlite://")
    plumbing_metadata.create_all(engine)
    with Session(engine) as session:
        OutboxWriter("notifier", clock=FrozenClock(at), correlation_id="cid").publish(session, message)
        session.commit()
        return [(row.routing_key, row.body) for row in session.execute(select(outbox).order_by(outbox.c.id))]


def test_the_old_version_is_written_beside_the_new_one_until_its_last_day_included(versions):
    _, thing_changed = versions
    rows = written(datetime(2027, 6, 30, 21, 0, tzinfo=timezone.utc), thing_changed(thing_id="t-1", comment="moved"))
    assert [(key, body["version"], body["payload"], body["correlation_id"]) for key, body in rows] == [
        ("notifier.thing_changed.v2", 2, {"thing_id": "t-1", "comment": "moved"}, "cid"),
        ("notifier.thing_changed", 1, {"thing_id": "t-1", "note": "moved"}, "cid")]
    assert rows[0][1]["event_id"] != rows[1][1]["event_id"]
    after = written(datetime(2027, 7, 1, 0, 0, tzinfo=timezone.utc), thing_changed(thing_id="t-1", comment="moved"))
    assert [key for key, _ in after] == ["notifier.thing_changed.v2"]


def test_a_producer_publishes_the_newest_version_and_the_new_one_says_how_it_reads_in_the_old(versions):
    thing_changed_v1, _ = versions
    with pytest.raises(ValueError, match="publish the newest version"):
        written(datetime(2026, 12, 7, tzinfo=timezone.utc), thing_changed_v1(thing_id="t-1", note="x"))

    @event("notifier", "thing_changed", 3)
    class ThingChangedV3(Message):
        thing_id: Id

    EVENTS[("notifier", "thing_changed", 2)].deprecated_after = date(2027, 12, 31)
    with pytest.raises(NotImplementedError, match="must say how its facts read there"):
        written(datetime(2026, 12, 7, tzinfo=timezone.utc), ThingChangedV3(thing_id="t-1"))


def test_a_later_version_has_its_own_routing_key_and_consumers_bind_to_the_one_they_read(versions):
    v1, v2 = versions
    assert (v1.routing_key(), v2.routing_key()) == ("notifier.thing_changed", "notifier.thing_changed.v2")
    assert EventConsumer("notifier", "thing_changed").routing_key == "notifier.thing_changed"
    assert EventConsumer("notifier", "thing_changed", version=2).routing_key == "notifier.thing_changed.v2"


def test_the_generator_refuses_a_breaking_change_and_writes_nothing(versions, tmp_path):
    lock, document = tmp_path / "published.json", tmp_path / "asyncapi.yaml"
    assert asyncapi.main(["--output", str(document), "--lock", str(lock), "--today", "2026-12-07"]) == 0
    described = asyncapi.build()["components"]["messages"]["notifierThingChanged"]
    assert described["x-deprecated-after"] == "2027-06-30"
    assert described["description"].startswith("Version 1, replaced by version 2: still published beside it until 2027-06-30")
    assert asyncapi.main(["--check", "--output", str(document), "--lock", str(lock), "--today", "2026-12-07"]) == 0
    recorded, rendered = lock.read_text(), document.read_text()

    del EVENTS[("notifier", "thing_changed", 2)]

    @event("notifier", "thing_changed", 2)  # the same version, a field renamed: refused
    class Renamed(Message):
        thing_id: Id
        remark: str

    assert asyncapi.main(["--output", str(document), "--lock", str(lock), "--today", "2026-12-08"]) == 2
    assert (lock.read_text(), document.read_text()) == (recorded, rendered)
