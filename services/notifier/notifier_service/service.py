"""Notifier service: consumes notifier commands and events, delivers e-mails and SMS.

Thin nameko entrypoints over ``dispatch``; contracts of every message: ``contracts.py``.
"""
from consignations_shared.consumer import consume_command, consume_event
from consignations_shared.contracts.interfaces import IdentityInterface
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, DeliveryAttempt, ServiceClock
from consignations_shared.rpc import TypedRpcProxy

from . import dispatch
from .providers import EmailDelivery, NotifierOptions, SmsDelivery


class NotifierService(HealthEndpoints):
    name = "notifier"

    correlation = Correlation()
    db = DatabaseSession()
    clock = ServiceClock()
    email = EmailDelivery()
    sms = SmsDelivery()
    options = NotifierOptions()
    attempt = DeliveryAttempt()
    # Fallback only: contacts come from events (contacts.py); identity is asked for a person
    # the notifier never heard of, and its silence makes the event retried later.
    identity = TypedRpcProxy(IdentityInterface)

    def _dispatcher(self) -> dispatch.Dispatcher:
        return dispatch.Dispatcher(
            session=self.db, clock=self.clock, email_backend=self.email.backend,
            sms_backend=self.sms, sender=self.email.sender, portal_url=self.email.portal_url,
            attempt=self.attempt, contacts_fallback=self.identity.person_contact,
            sms_code_limit_per_hour=self.options.sms_code_limit_per_hour,
            crash_after_send=self.options.crash_after_send,
        )

    # --- sign-up codes (NO-1, NO-2) ---------------------------------------------------------------

    @consume_command("send_signup_sms_code")
    def send_signup_sms_code(self, envelope):
        dispatch.signup_sms_code(self._dispatcher(), envelope)

    @consume_command("send_signup_email_code")
    def send_signup_email_code(self, envelope):
        dispatch.signup_email_code(self._dispatcher(), envelope)

    @consume_command("send_signup_already_registered")
    def send_signup_already_registered(self, envelope):
        dispatch.signup_already_registered(self._dispatcher(), envelope)

    # --- identity (NO-3 to NO-7, NO-15) ---------------------------------------------------------

    @consume_command("send_activation_link")
    def send_activation_link(self, envelope):
        dispatch.activation_link(self._dispatcher(), envelope)

    @consume_command("send_password_reset")
    def send_password_reset(self, envelope):
        dispatch.password_reset(self._dispatcher(), envelope)

    @consume_command("send_password_change_code")
    def send_password_change_code(self, envelope):
        dispatch.password_change_code(self._dispatcher(), envelope)

    @consume_command("send_invitation")
    def send_invitation(self, envelope):
        dispatch.invitation(self._dispatcher(), envelope)

    @consume_event("identity", "account_activated")
    def on_account_activated(self, envelope):
        dispatch.account_activated(self._dispatcher(), envelope)

    @consume_event("identity", "password_changed")
    def on_password_changed(self, envelope):
        dispatch.password_changed(self._dispatcher(), envelope)

    # --- contacts: who is who (no message sent) ---------------------------------------------------

    @consume_event("identity", "signup_verified")
    def on_signup_verified(self, envelope):
        dispatch.signup_verified(self._dispatcher(), envelope)

    @consume_event("identity", "person_invited")
    def on_person_invited(self, envelope):
        dispatch.person_invited(self._dispatcher(), envelope)

    @consume_event("accounts", "person_updated")
    def on_person_updated(self, envelope):
        dispatch.person_updated(self._dispatcher(), envelope)

    # --- requests, documents, messages, users (NO-8 to NO-14) -------------------------------------

    @consume_event("demandes", "demande_submitted")
    def on_demande_submitted(self, envelope):
        dispatch.demande_submitted(self._dispatcher(), envelope)

    @consume_event("demandes", "demande_state_changed")
    def on_demande_state_changed(self, envelope):
        dispatch.demande_state_changed(self._dispatcher(), envelope)

    @consume_event("documents", "payment_proof_issued")
    def on_payment_proof_issued(self, envelope):
        dispatch.payment_proof_issued(self._dispatcher(), envelope)

    @consume_event("demandes", "demande_reassigned")
    def on_demande_reassigned(self, envelope):
        dispatch.demande_reassigned(self._dispatcher(), envelope)

    @consume_event("accounts", "deletion_requested")
    def on_deletion_requested(self, envelope):
        dispatch.access_deletion_requested(self._dispatcher(), envelope)

    @consume_event("demandes", "message_posted")
    def on_message_posted(self, envelope):
        dispatch.message_posted(self._dispatcher(), envelope)
