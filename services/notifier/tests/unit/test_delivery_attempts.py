"""Delivery attempt log (NO-A), the per-number limit of code SMS (SMS pumping defence) and the
test-only crash hook."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.events import new_envelope
from consignations_shared.plumbing import plumbing_metadata
from notifier_service import dispatch
from notifier_service.delivery import (
    OutboxEmailBackend, OutboxSmsBackend, PermanentDeliveryError, TransientDeliveryError, read_outbox,
)
from notifier_service.models import Base, DeliveryAttemptRecord, Notification

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
MOBILE = "+33612345678"


@pytest.fixture
def database(tmp_path):
    """A file database, so that what is committed can be read from another connection."""
    url = f"sqlite:///{tmp_path / 'notifier.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    yield url
    engine.dispose()


@pytest.fixture
def session(database):
    engine = create_engine(database)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def committed(database, model):
    """Rows as another process would see them."""
    engine = create_engine(database)
    try:
        with Session(engine) as other:
            return list(other.execute(select(model).order_by(*model.__table__.primary_key.columns)).scalars())
    finally:
        engine.dispose()


class Backend:
    """Fails with the queued errors, then delivers to the outbox."""

    def __init__(self, tmp_path, *errors):
        self.errors = list(errors)
        self.email = OutboxEmailBackend(tmp_path)
        self.sms = OutboxSmsBackend(tmp_path)

    def send(self, message, notification_id=None):
        if self.errors:
            raise self.errors.pop(0)
        if notification_id is None:
            self.sms.send(message)
        else:
            self.email.send(message, notification_id)


def make_dispatcher(session, tmp_path, clock=None, **kwargs):
    options = {"email_backend": OutboxEmailBackend(tmp_path), "sms_backend": OutboxSmsBackend(tmp_path),
               **kwargs}
    return dispatch.Dispatcher(
        session=session, clock=clock or FrozenClock(START),
        sender="Consignations <ne-pas-repondre@consignations.example.com>",
        portal_url="https://consignations.example.com", **options)


def sms_command(mobile=MOBILE, code="123456"):
    return new_envelope("send_signup_sms_code", {"signup_id": "s", "mobile": mobile, "code": code},
                        source="identity", command=True)


def email_command():
    return new_envelope("send_signup_email_code", {"signup_id": "s", "email": "a@acme.example.com",
                                                   "company_name": "ACME", "code": "K7P2QX"},
                        source="identity", command=True)


# --- attempt log -------------------------------------------------------------------------------

def test_transient_failure_is_logged_and_committed_although_the_handler_raises(session, database, tmp_path):
    command = email_command()
    backend = Backend(tmp_path, TransientDeliveryError("451 try again later"))
    with pytest.raises(TransientDeliveryError):
        dispatch.signup_email_code(make_dispatcher(session, tmp_path, email_backend=backend, attempt=1), command)
    session.rollback()  # what the worker's teardown does: the row must already be committed
    [row] = committed(database, DeliveryAttemptRecord)
    assert (row.notification_id, row.kind, row.attempt, row.channel, row.recipient, row.status) == (
        command.event_id, "signup_email_code", 1, "email", "a@acme.example.com", "transient_failure")
    assert "451 try again later" in row.error and row.at is not None
    assert committed(database, Notification) == []  # not settled: the retry will send it

    # the consumer's retry (2nd delivery of the message) succeeds
    assert dispatch.signup_email_code(make_dispatcher(session, tmp_path, email_backend=backend, attempt=2), command)
    rows = committed(database, DeliveryAttemptRecord)
    assert [(r.attempt, r.status) for r in rows] == [(1, "transient_failure"), (2, "sent")]
    [record] = committed(database, Notification)
    assert (record.status, record.attempts) == ("sent", 2)
    assert len(read_outbox(tmp_path).emails) == 1


def test_permanent_failure_is_logged_once_and_not_retried(session, database, tmp_path):
    command = sms_command()
    backend = Backend(tmp_path, PermanentDeliveryError("400 numéro invalide"))
    assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path, sms_backend=backend, attempt=3), command) is False
    assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path, sms_backend=backend), command) is False
    [row] = committed(database, DeliveryAttemptRecord)
    assert (row.attempt, row.status, row.channel, row.recipient) == (3, "permanent_failure", "sms", MOBILE)
    assert "numéro invalide" in row.error
    [record] = committed(database, Notification)
    assert record.status == "failed"
    assert read_outbox(tmp_path).sms == []


def test_an_unexpected_error_is_logged_as_transient_and_propagates(session, database, tmp_path):
    backend = Backend(tmp_path, OSError("disk full"))
    with pytest.raises(OSError):
        dispatch.signup_sms_code(make_dispatcher(session, tmp_path, sms_backend=backend), sms_command())
    [row] = committed(database, DeliveryAttemptRecord)
    assert row.status == "transient_failure" and "OSError: disk full" in row.error


# --- code SMS limit per number ----------------------------------------------------------------------

def test_more_than_the_limit_of_code_sms_in_an_hour_is_refused_without_retry(session, database, tmp_path, caplog):
    clock = FrozenClock(START)
    for minute in range(5):
        clock.set(START + timedelta(minutes=minute * 10))
        assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path, clock), sms_command(code=f"00000{minute}"))
    clock.set(START + timedelta(minutes=45))
    refused = sms_command(code="999999")
    with caplog.at_level(logging.WARNING, logger="notifier_service.dispatch"):
        assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path, clock), refused) is False  # no raise
    assert len(read_outbox(tmp_path).sms) == 5
    assert "999999" not in str([s["text"] for s in read_outbox(tmp_path).sms])
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "refused" in warning.getMessage() and MOBILE not in warning.getMessage()  # number masked
    last = committed(database, DeliveryAttemptRecord)[-1]
    assert (last.notification_id, last.status, last.recipient) == (refused.event_id, "rate_limited", MOBILE)
    assert {n.id: n.status for n in committed(database, Notification)}[refused.event_id] == "rate_limited"
    # redelivered: settled, still nothing sent
    assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path, clock), refused) is False
    assert len(read_outbox(tmp_path).sms) == 5

    # another number is not affected
    assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path, clock), sms_command(mobile="+33700000001"))
    # sliding hour: once the first one is more than an hour old, one more may go
    clock.set(START + timedelta(minutes=60, seconds=1))
    assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path, clock), sms_command(code="424242"))
    clock.set(START + timedelta(minutes=60, seconds=2))
    assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path, clock), sms_command(code="434343")) is False


def test_the_limit_is_configurable_and_counts_only_what_was_sent(session, tmp_path):
    clock = FrozenClock(START)
    failing = Backend(tmp_path, PermanentDeliveryError("refusé"), PermanentDeliveryError("refusé"))
    for _ in range(2):  # failures are not SMS sent: they do not count
        dispatch.signup_sms_code(make_dispatcher(session, tmp_path, clock, sms_backend=failing,
                                                 sms_code_limit_per_hour=2), sms_command())
    sent = [dispatch.signup_sms_code(make_dispatcher(session, tmp_path, clock, sms_code_limit_per_hour=2),
                                     sms_command()) for _ in range(3)]
    assert sent == [True, True, False]


def test_the_limit_only_concerns_code_sms(session, tmp_path):
    assert "signup_sms_code" in dispatch.CODE_SMS_KINDS
    for _ in range(7):  # e-mails to the same person are not limited
        assert dispatch.signup_email_code(make_dispatcher(session, tmp_path, sms_code_limit_per_hour=1),
                                          email_command())


# --- test-only fault hook -------------------------------------------------------------------------

class Exited(BaseException):
    pass


def test_crash_hook_exits_after_the_backend_accepted_and_before_anything_is_recorded(
        session, database, tmp_path, monkeypatch):
    statuses = []

    def fake_exit(status):
        statuses.append(status)
        raise Exited()

    monkeypatch.setattr(dispatch.os, "_exit", fake_exit)
    command = sms_command()
    with pytest.raises(Exited):
        dispatch.signup_sms_code(make_dispatcher(session, tmp_path, crash_after_send="signup_sms_code"), command)
    assert statuses == [70]
    assert len(read_outbox(tmp_path).sms) == 1  # delivered...
    session.rollback()
    assert committed(database, Notification) == [] and committed(database, DeliveryAttemptRecord) == []  # ...not recorded

    # another kind does not trigger it
    assert dispatch.signup_email_code(make_dispatcher(session, tmp_path, crash_after_send="signup_sms_code"),
                                      email_command())
    # the redelivery after the restart sends again under the same id: the same file
    assert dispatch.signup_sms_code(make_dispatcher(session, tmp_path), command)
    outbox = read_outbox(tmp_path)
    assert [p.stem for p in outbox.sms_paths] == [command.event_id]
    assert len(committed(database, Notification)) == 2
