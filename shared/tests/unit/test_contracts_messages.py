"""Payload types (issue 15): producers write a declared type with OutboxWriter.publish, consumers
read it back; docs/asyncapi.yaml is generated from the registry and must not be stale."""
import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.contracts import asyncapi
from consignations_shared.contracts.messages import COMMANDS, EVENTS, Message, event
from consignations_shared.contracts.payloads.accounts import AccountUpdated
from consignations_shared.contracts.payloads.identity import PasswordChanged, SendSignupSmsCode
from consignations_shared.events import Envelope
from consignations_shared.outbox import OutboxWriter
from consignations_shared.plumbing import outbox, plumbing_metadata


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    plumbing_metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def rows(session):
    return {row.event_id: row for row in session.execute(select(outbox)).all()}


def test_publish_writes_the_type_name_version_and_routing(session):
    writer = OutboxWriter("identity", correlation_id="cid")
    changed = writer.publish(session, PasswordChanged(person_id="p-1", email="a@example.com", reason="reset",
                                                      changed_at="2026-11-23T06:21:20+00:00"))
    code = writer.publish(session, SendSignupSmsCode(signup_id="s-1", mobile="+33612345678", code="123456"))
    session.commit()
    written = rows(session)
    assert written[changed.event_id].routing_key == "identity.password_changed"
    assert written[changed.event_id].exchange == "consignations.events" and not written[changed.event_id].private
    body = written[changed.event_id].body
    assert body["type"] == "password_changed" and body["version"] == 1 and body["source"] == "identity"
    assert body["payload"] == {"person_id": "p-1", "email": "a@example.com", "reason": "reset",
                               "changed_at": "2026-11-23T06:21:20+00:00"}
    assert written[code.event_id].routing_key == "notifier.send_signup_sms_code"
    assert written[code.event_id].exchange == "consignations.commands" and written[code.event_id].private
    assert PasswordChanged.read(Envelope.from_dict(body)).reason == "reset"


def test_a_service_publishes_only_its_own_messages(session):
    with pytest.raises(ValueError, match="belongs to identity"):
        OutboxWriter("accounts").publish(session, PasswordChanged(person_id="p-1", email="a@example.com"))
    with pytest.raises(ValueError, match="only identity"):
        OutboxWriter("demandes").publish(session, SendSignupSmsCode(mobile="+33612345678", code="1"))

    class Undeclared(Message):
        note: str

    with pytest.raises(TypeError, match="not a declared event or command"):
        OutboxWriter("identity").publish(session, Undeclared(note="x"))
    assert rows(session) == {}


def test_producers_are_strict_consumers_tolerant():
    with pytest.raises(ValidationError):
        PasswordChanged(person_id="p-1", email="a@example.com", password="never")  # unknown field
    with pytest.raises(ValidationError):
        PasswordChanged(person_id="p-1")  # missing field
    read = PasswordChanged.read({"person_id": "p-1", "email": "a@example.com", "added_later": 1})
    assert read.person_id == "p-1" and read.reason is None
    with pytest.raises(ValidationError):
        PasswordChanged.read({"email": "a@example.com"})


def test_partial_events_carry_only_what_changed():
    assert AccountUpdated(account_id="a-1", phone="0102030405").payload() == {"account_id": "a-1",
                                                                            "phone": "0102030405"}
    assert set(PasswordChanged(person_id="p", email="e@x.fr").payload()) == {"person_id", "email", "reason",
                                                                             "changed_at"}


def test_event_names_are_checked_and_declared_once():
    with pytest.raises(ValueError, match="past-tense"):
        event("identity", "verify_signup")
    with pytest.raises(ValueError, match="twice"):
        event("identity", "password_changed")(type("Again", (Message,), {"__annotations__": {}}))


def test_registry_holds_every_source_and_command():
    assert {cls.source for cls in EVENTS.values()} == {"identity", "accounts", "demandes", "documents"}
    assert ("notifier", "send_invitation") in COMMANDS and ("demandes", "issue_payment_proof") in COMMANDS
    for cls in [*EVENTS.values(), *COMMANDS.values()]:
        assert cls.summary, f"{cls.__name__} has no docstring: the AsyncAPI document needs it"
        if cls.example is not None:  # the documented example is a message its producer could write
            envelope = Envelope.from_dict(cls.example)
            assert (envelope.source, envelope.type, envelope.version) == (cls.source, cls.name, cls.message_version)
            assert cls(**envelope.payload).payload() == envelope.payload


def test_asyncapi_document_is_generated_from_the_registry_and_not_stale():
    committed = asyncapi.DOCUMENT.read_text(encoding="utf-8")
    assert committed == asyncapi.render(), (
        "docs/asyncapi.yaml is stale: run python -m consignations_shared.contracts.asyncapi")
    document = yaml.safe_load(committed)
    messages = document["components"]["messages"]
    for cls in EVENTS.values():
        key = asyncapi.message_id(cls)
        assert document["channels"][key]["address"] == cls.routing_key()
        schema = messages[key]["payload"]["allOf"][1]["properties"]
        assert schema["type"] == {"const": cls.name} and schema["version"] == {"const": cls.message_version}
        assert set(schema["payload"]["properties"]) == {f.alias or n for n, f in cls.model_fields.items()}
    assert len(messages) == len(EVENTS)


def test_check_mode_reports_a_stale_document(tmp_path, capsys):
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text("asyncapi: 3.0.0\n", encoding="utf-8")
    assert asyncapi.main(["--check", "--output", str(stale)]) == 1
    assert asyncapi.main(["--output", str(stale)]) == 0
    assert asyncapi.main(["--check", "--output", str(stale)]) == 0


def test_written_envelopes_fit_the_generated_schema(session):
    from jsonschema import Draft202012Validator

    from consignations_shared.contracts.payloads.demandes import DemandeStateChanged

    document = yaml.safe_load(asyncapi.DOCUMENT.read_text(encoding="utf-8"))

    def validator(cls):
        return Draft202012Validator({**document, "$ref": f"#/components/messages/{asyncapi.message_id(cls)}/payload"})

    writer = OutboxWriter("demandes", correlation_id="cid")
    written = writer.publish(session, DemandeStateChanged(
        demande_id="8d5e0b7c-1f4a-4f38-9a0e-1b2c3d4e5f60", number="102611000001029", procedure_code="ARS_D",
        procedure_label="ARS", sens="D", account_id="a-1", owner_person_id="p-1", from_state="SUBMITTED",
        to_state="AWAITING_COMPLEMENT", reason=None,
        non_conforming_documents=[{"document_id": "doc-1", "label": "Kbis", "reason": "illisible"}],
        changed_by_role="GESTIONNAIRE", changed_by_person_id="g-1", changed_at="2026-11-23T09:00:00+00:00"))
    body = written.to_dict()
    validator(DemandeStateChanged).validate(body)
    assert not validator(DemandeStateChanged).is_valid({**body, "payload": {**body["payload"], "to_state": "NOWHERE"}})
    assert not validator(DemandeStateChanged).is_valid({**body, "type": "demande_submitted"})
    example = EVENTS[("identity", "signup_verified", 1)].example
    validator(EVENTS[("identity", "signup_verified", 1)]).validate(example)
