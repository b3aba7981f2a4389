"""Envelope (EV-2) and outbox writer (EV-3) rules, on SQLite, without a broker."""
import uuid

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.events import Envelope, InvalidEnvelope, is_event_type, new_envelope
from consignations_shared.outbox import OutboxWriter
from consignations_shared.plumbing import outbox, plumbing_metadata


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    plumbing_metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def test_envelope_has_the_ev2_fields():
    clock = FrozenClock()
    envelope = new_envelope("signup_verified", {"a": 1}, source="identity", correlation_id="c-1", clock=clock)
    data = envelope.to_dict()
    assert set(data) == {"event_id", "type", "version", "occurred_at", "source", "correlation_id", "payload"}
    uuid.UUID(data["event_id"])
    assert data["occurred_at"] == clock.now().isoformat()
    assert data["version"] == 1 and data["source"] == "identity" and data["correlation_id"] == "c-1"
    assert Envelope.from_dict(data) == envelope


@pytest.mark.parametrize("name,ok", [
    ("signup_verified", True), ("payment_proof_issued", True), ("message_posted", True),
    ("demande_state_changed", True), ("SignupVerified", False), ("verify_signup", False),
    ("signup-verified", False),
])
def test_event_types_are_past_tense_snake_case(name, ok):
    assert is_event_type(name) is ok
    if not ok:
        with pytest.raises(ValueError):
            new_envelope(name, {}, source="identity")


@pytest.mark.parametrize("broken", [
    "not a dict", {"type": "x"},
    {"event_id": "nope", "type": "a_created", "version": 1, "occurred_at": "2026-01-01T00:00:00+00:00", "source": "s", "payload": {}},
    {"event_id": str(uuid.uuid4()), "type": "a_created", "version": "1", "occurred_at": "2026-01-01T00:00:00+00:00", "source": "s", "payload": {}},
    {"event_id": str(uuid.uuid4()), "type": "a_created", "version": 1, "occurred_at": "yesterday", "source": "s", "payload": {}},
])
def test_malformed_envelopes_are_refused(broken):
    with pytest.raises(InvalidEnvelope):
        Envelope.from_dict(broken)


def test_rolled_back_transaction_leaves_no_message(session):
    woken = []
    writer = OutboxWriter("identity", correlation_id="cid", on_commit=lambda: woken.append(1))
    writer.event(session, "signup_verified", {"x": 1})
    session.rollback()
    assert session.execute(select(outbox)).all() == []
    assert woken == []


def test_committed_event_and_command_are_in_the_outbox(session):
    woken = []
    writer = OutboxWriter("identity", correlation_id="cid", on_commit=lambda: woken.append(1))
    event = writer.event(session, "signup_verified", {"x": 1})
    command = writer.command(session, "notifier", "send_signup_sms_code", {"code": "123456"})
    session.commit()
    rows = {row.event_id: row for row in session.execute(select(outbox)).all()}
    assert rows[event.event_id].exchange == "consignations.events"
    assert rows[event.event_id].routing_key == "identity.signup_verified"
    assert rows[event.event_id].private is False
    assert rows[event.event_id].body["correlation_id"] == "cid"
    assert rows[command.event_id].exchange == "consignations.commands"
    assert rows[command.event_id].routing_key == "notifier.send_signup_sms_code"
    assert rows[command.event_id].private is True
    assert woken == [1]  # the relay is woken once per commit, not per message
