"""Dispatching notifications: once per event, permanent failures recorded, transient ones retried."""
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
from notifier_service.models import Base, Notification


class FailingBackend:
    def __init__(self, error):
        self.error = error

    def send(self, *args):
        raise self.error


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def dispatcher(session, tmp_path, email_backend=None, sms_backend=None):
    return dispatch.Dispatcher(
        session=session, clock=FrozenClock(), sender="Consignations <ne-pas-repondre@consignations.example.com>",
        portal_url="https://consignations.example.com",
        email_backend=email_backend or OutboxEmailBackend(tmp_path), sms_backend=sms_backend or OutboxSmsBackend(tmp_path),
    )


def sms_command(code="123456"):
    return new_envelope("send_signup_sms_code", {"signup_id": "s", "mobile": "+33612345678", "code": code},
                        source="identity", command=True)


def test_sms_sent_once_per_event(session, tmp_path):
    command = sms_command()
    assert dispatch.signup_sms_code(dispatcher(session, tmp_path), command) is True
    assert dispatch.signup_sms_code(dispatcher(session, tmp_path), command) is False
    [sms] = read_outbox(tmp_path).sms
    assert sms["text"] == "Votre code confidentiel CDC est : 123456"
    [record] = session.execute(select(Notification)).scalars()
    assert (record.status, record.channel, record.recipient) == ("sent", "sms", "+33612345678")


def test_email_code_goes_to_the_signup_address(session, tmp_path):
    command = new_envelope("send_signup_email_code", {"signup_id": "s", "email": "a@acme.example.com",
                                                      "company_name": "ACME", "code": "K7P2QX"},
                           source="identity", command=True)
    dispatch.signup_email_code(dispatcher(session, tmp_path), command)
    [mail] = read_outbox(tmp_path).emails
    assert mail["To"] == "a@acme.example.com" and "K7P2QX" in mail.get_body(("plain",)).get_content()
    assert "https://consignations.example.com" in mail.get_body(("html",)).get_content()


def test_permanent_failure_is_recorded_and_not_retried(session, tmp_path):
    sms_backend = FailingBackend(PermanentDeliveryError("numéro refusé par le fournisseur"))
    assert dispatch.signup_sms_code(dispatcher(session, tmp_path, sms_backend=sms_backend), sms_command()) is False
    [record] = session.execute(select(Notification)).scalars()
    assert record.status == "failed" and "refusé" in record.last_error


def test_transient_failure_propagates_and_leaves_no_trace(session, tmp_path):
    command = sms_command()
    sms_backend = FailingBackend(TransientDeliveryError("fournisseur injoignable"))
    with pytest.raises(TransientDeliveryError):
        dispatch.signup_sms_code(dispatcher(session, tmp_path, sms_backend=sms_backend), command)
    assert session.execute(select(Notification)).first() is None
    # the retry (same event) is then delivered
    assert dispatch.signup_sms_code(dispatcher(session, tmp_path), command) is True
