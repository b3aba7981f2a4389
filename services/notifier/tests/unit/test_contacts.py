"""Recipients resolved by the notifier from what events told it (contacts table); the identity
service is asked only for a person never heard of, and its silence makes the event retried."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.errors import NotFound, ServiceUnavailable
from consignations_shared.events import new_envelope
from consignations_shared.plumbing import plumbing_metadata
from notifier_service import dispatch
from notifier_service.contacts import ContactBook, UnknownPerson
from notifier_service.delivery import OutboxEmailBackend, OutboxSmsBackend, read_outbox
from notifier_service.models import Base, Contact, DeliveryAttemptRecord, Notification

PERSON = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
NUMBER = "102611000001029"


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


class Fallback:
    """A stand-in for identity.person_contact that counts its calls."""

    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.calls = answer, error, []

    def __call__(self, person_id):
        self.calls.append(person_id)
        if self.error is not None:
            raise self.error
        return self.answer


IDENTITY_ANSWER = {"person_id": PERSON, "email": "marie.dupont@exemple.fr", "first_name": "Marie",
                   "last_name": "Dupont", "mobile": "+33612345678", "profile": "PARTICULIER",
                   "status": "ACTIVE"}


def make_dispatcher(session, tmp_path, fallback=None):
    return dispatch.Dispatcher(
        session=session, clock=FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)),
        sender="Consignations <ne-pas-repondre@consignations.example.com>",
        portal_url="https://consignations.example.com", email_backend=OutboxEmailBackend(tmp_path),
        sms_backend=OutboxSmsBackend(tmp_path), contacts_fallback=fallback,
    )


def event(type_, payload, source="identity", occurred_at=None):
    envelope = new_envelope(type_, payload, source=source)
    if occurred_at:
        envelope = type(envelope)(**{**envelope.to_dict(), "occurred_at": occurred_at})
    return envelope


def submitted(owner=PERSON):
    return event("demande_submitted", {
        "demande_id": "d-1", "number": NUMBER, "procedure_code": "ARS_D", "procedure_label": "ARS",
        "sens": "D", "owner_person_id": owner, "account_id": "a-1",
        "submitted_at": "2026-11-23T09:00:00+00:00"}, source="demandes")


def contact(session, person_id=PERSON):
    session.expire_all()
    return session.get(Contact, person_id)


def test_account_activated_records_the_contact_used_later(session, tmp_path):
    fallback = Fallback(error=AssertionError("identity must not be asked"))
    d = make_dispatcher(session, tmp_path, fallback)
    dispatch.account_activated(d, event("account_activated", {
        "person_id": PERSON, "profile": "PARTICULIER", "email": "marie.dupont@exemple.fr",
        "first_name": "Marie", "last_name": "Dupont", "mobile": "+33612345678",
        "activated_at": "2026-11-23T08:00:00+00:00"}))
    saved = contact(session)
    assert (saved.email, saved.first_name, saved.last_name, saved.mobile) == (
        "marie.dupont@exemple.fr", "Marie", "Dupont", "+33612345678")

    assert dispatch.demande_submitted(make_dispatcher(session, tmp_path, fallback), submitted())
    mails = read_outbox(tmp_path).emails
    assert [m["To"] for m in mails] == ["marie.dupont@exemple.fr"] * 2
    assert fallback.calls == []


def test_signup_verified_then_person_updated_fill_the_contact(session, tmp_path):
    d = make_dispatcher(session, tmp_path)
    dispatch.signup_verified(d, event("signup_verified", {
        "signup_id": "s-1", "person_id": PERSON, "profile": "ENTREPRISE", "company_name": "ACME SAS",
        "email": "direction@acme.example.com", "mobile": "+33612345678",
        "verified_at": "2026-11-23T08:00:00+00:00"}, occurred_at="2026-11-23T08:00:00+00:00"))
    saved = contact(session)
    assert (saved.email, saved.mobile, saved.first_name) == ("direction@acme.example.com", "+33612345678", None)

    dispatch.person_updated(d, event("person_updated", {"person_id": PERSON, "first_name": "Marie",
                                                        "last_name": "Dupont"},
                                     source="accounts", occurred_at="2026-11-23T08:30:00+00:00"))
    saved = contact(session)
    assert (saved.email, saved.mobile, saved.first_name, saved.last_name) == (
        "direction@acme.example.com", "+33612345678", "Marie", "Dupont")  # absent keys kept

    dispatch.person_updated(d, event("person_updated", {"person_id": PERSON, "email": "dg@acme.example.com",
                                                        "mobile": None},
                                     source="accounts", occurred_at="2026-11-23T08:40:00+00:00"))
    saved = contact(session)
    assert (saved.email, saved.mobile, saved.first_name) == ("dg@acme.example.com", None, "Marie")


def test_person_invited_and_password_changed_record_the_address(session, tmp_path):
    d = make_dispatcher(session, tmp_path)
    dispatch.person_invited(d, event("person_invited", {
        "person_id": PERSON, "email": "paul.martin@acme.example.com", "profile": "UTILISATEUR",
        "first_name": "Paul", "last_name": "Martin", "invited_by": None},
        occurred_at="2026-11-23T08:00:00+00:00"))
    assert (contact(session).email, contact(session).first_name) == ("paul.martin@acme.example.com", "Paul")
    dispatch.password_changed(d, event("password_changed", {
        "person_id": PERSON, "email": "paul.martin@acme.example.com", "reason": "change",
        "changed_at": "2026-11-23T08:10:00+00:00"}, occurred_at="2026-11-23T08:10:00+00:00"))
    assert contact(session).first_name == "Paul"  # only the e-mail is in that event
    assert [m["To"] for m in read_outbox(tmp_path).emails] == ["paul.martin@acme.example.com"]


def test_an_older_event_delivered_late_does_not_overwrite_newer_data(session, tmp_path):
    d = make_dispatcher(session, tmp_path)
    newer = event("person_updated", {"person_id": PERSON, "email": "new@exemple.fr", "first_name": "Marie"},
                  source="accounts", occurred_at="2026-11-23T10:00:00+00:00")
    older = event("person_invited", {"person_id": PERSON, "email": "old@exemple.fr", "profile": "UTILISATEUR",
                                     "first_name": "Mary", "last_name": "Dupont"},
                  occurred_at="2026-11-23T09:00:00+00:00")
    dispatch.person_updated(d, newer)
    dispatch.person_invited(d, older)
    dispatch.person_updated(d, newer)  # and the same event twice changes nothing
    saved = contact(session)
    assert (saved.email, saved.first_name, saved.last_name) == ("new@exemple.fr", "Marie", None)
    assert saved.updated_at.replace(tzinfo=timezone.utc) == datetime(2026, 11, 23, 10, tzinfo=timezone.utc)


def test_unknown_person_is_asked_once_to_identity_and_remembered(session, tmp_path):
    fallback = Fallback(answer=IDENTITY_ANSWER)
    assert dispatch.demande_submitted(make_dispatcher(session, tmp_path, fallback), submitted())
    assert fallback.calls == [PERSON]
    assert (contact(session).email, contact(session).mobile) == ("marie.dupont@exemple.fr", "+33612345678")
    [mail] = read_outbox(tmp_path).emails
    assert mail["To"] == "marie.dupont@exemple.fr" and "Bonjour Marie Dupont," in mail.get_body(("plain",)).get_content()

    assert dispatch.demande_submitted(make_dispatcher(session, tmp_path, fallback), submitted())
    assert fallback.calls == [PERSON]  # the table answers now


def test_a_known_person_without_email_is_completed_by_identity(session, tmp_path):
    ContactBook(session, FrozenClock()).record_and_commit(PERSON, "2026-11-23T08:00:00+00:00",
                                                          mobile="+33612345678")
    fallback = Fallback(answer=IDENTITY_ANSWER)
    assert dispatch.demande_submitted(make_dispatcher(session, tmp_path, fallback), submitted())
    assert fallback.calls == [PERSON]


@pytest.mark.parametrize("error", [
    ServiceUnavailable("Le service identity ne répond pas."), ConnectionError("broker gone"),
])
def test_identity_unavailable_makes_the_event_fail_for_a_retry(error, session, tmp_path):
    envelope = submitted()
    with pytest.raises(type(error)):
        dispatch.demande_submitted(make_dispatcher(session, tmp_path, Fallback(error=error)), envelope)
    session.rollback()
    assert read_outbox(tmp_path).emails == []
    assert session.execute(select(Notification)).first() is None  # not recorded: the retry sends it
    assert contact(session) is None

    # identity is back: the retried event is delivered
    assert dispatch.demande_submitted(make_dispatcher(session, tmp_path, Fallback(answer=IDENTITY_ANSWER)),
                                      envelope)
    assert len(read_outbox(tmp_path).emails) == 1


@pytest.mark.parametrize("fallback", [
    Fallback(error=NotFound("Cette personne est introuvable.")),
    Fallback(answer={**IDENTITY_ANSWER, "email": None}),
    None,
])
def test_a_person_nobody_knows_is_a_permanent_failure_not_retried(fallback, session, tmp_path):
    envelope = submitted()
    assert dispatch.demande_submitted(make_dispatcher(session, tmp_path, fallback), envelope) is False
    [record] = session.execute(select(Notification)).scalars()
    assert (record.status, record.recipient) == ("failed", f"person:{PERSON}")
    [attempt] = session.execute(select(DeliveryAttemptRecord)).scalars()
    assert attempt.status == "permanent_failure"
    assert read_outbox(tmp_path).emails == []
    # redelivered: already settled, identity is not asked again
    calls = len(fallback.calls) if fallback else 0
    assert dispatch.demande_submitted(make_dispatcher(session, tmp_path, fallback), envelope) is False
    assert (len(fallback.calls) if fallback else 0) == calls


def test_contact_book_rejects_unknown_fields_and_never_clears_an_email(session):
    book = ContactBook(session, FrozenClock())
    with pytest.raises(TypeError):
        book.record(PERSON, "2026-11-23T08:00:00+00:00", phone="+33612345678")
    book.record_and_commit(PERSON, "2026-11-23T08:00:00+00:00", email="a@exemple.fr")
    book.record_and_commit(PERSON, "2026-11-23T09:00:00+00:00", email=None, first_name="  Marie ")
    assert (contact(session).email, contact(session).first_name) == ("a@exemple.fr", "Marie")
    with pytest.raises(UnknownPerson):
        ContactBook(session, FrozenClock()).resolve("someone-else")
