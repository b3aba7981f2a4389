"""Identity service: thin nameko entrypoints over the use cases (signup.py)."""
from __future__ import annotations

from consignations_shared.rpc import rpc

from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock

from . import signup
from .providers import Credentials


class IdentityService(HealthEndpoints):
    name = "identity"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
    credentials = Credentials()

    def _context(self) -> signup.IdentityContext:
        return signup.IdentityContext(
            session=self.db, outbox=self.outbox, clock=self.clock,
            hasher=self.credentials.hasher, secret_key=self.credentials.secret_key,
        )

    @rpc
    def new_captcha(self):
        return signup.new_captcha(self._context())

    @rpc
    def captcha_image(self, captcha_id):
        return signup.captcha_image(self._context(), captcha_id)

    @rpc
    def start_company_signup(self, form):
        return signup.start_company_signup(self._context(), form)

    @rpc
    def signup_progress(self, signup_token):
        return signup.signup_progress(self._context(), signup_token)

    @rpc
    def verify_signup_sms_code(self, signup_token, code):
        return signup.verify_sms_code(self._context(), signup_token, code)

    @rpc
    def resend_signup_sms_code(self, signup_token):
        return signup.resend_sms_code(self._context(), signup_token)

    @rpc
    def verify_signup_email_code(self, signup_token, code):
        return signup.verify_email_code(self._context(), signup_token, code)

    @rpc
    def resend_signup_email_code(self, signup_token):
        return signup.resend_email_code(self._context(), signup_token)
