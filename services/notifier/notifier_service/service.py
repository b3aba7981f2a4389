"""Notifier service: consumes notifier commands and events, delivers e-mails and SMS."""
from consignations_shared.consumer import consume_command, consume_event
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, ServiceClock

from . import dispatch
from .providers import EmailDelivery, SmsDelivery


class NotifierService(HealthEndpoints):
    name = "notifier"

    correlation = Correlation()
    db = DatabaseSession()
    clock = ServiceClock()
    email = EmailDelivery()
    sms = SmsDelivery()

    def _dispatcher(self) -> dispatch.Dispatcher:
        return dispatch.Dispatcher(
            session=self.db, clock=self.clock, email_backend=self.email.backend,
            sms_backend=self.sms, sender=self.email.sender, portal_url=self.email.portal_url,
        )

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
