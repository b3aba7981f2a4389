"""Identity service: thin nameko entrypoints over the use cases."""
from __future__ import annotations

from nameko.timer import timer

from consignations_shared.consumer import consume_event
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock
from consignations_shared.read_models import ReadModels
from consignations_shared.rpc import rpc

from . import access, invitations, login, memberships, particulier, password_flows, sessions, signup
from .context import IdentityContext
from .providers import Credentials


class IdentityService(HealthEndpoints):
    name = "identity"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
    credentials = Credentials()
    read_models = ReadModels(memberships.MODEL)  # /health/ready waits for its rebuild

    def _context(self) -> IdentityContext:
        return IdentityContext(
            session=self.db, outbox=self.outbox, clock=self.clock,
            hasher=self.credentials.hasher, secret_key=self.credentials.secret_key,
            lockout=self.credentials.lockout, limits=self.credentials.limits,
        )

    # --- read model of accounts' memberships (issue 15) ---------------------------------------
    @consume_event("accounts", "member_changed")
    def on_member_changed(self, envelope):
        memberships.on_member_changed(self.db, envelope, self.clock, self.outbox)

    # --- captcha and company sign-up (ID-2..ID-4) ----------------------------------------------
    @rpc
    def new_captcha(self, ip=None):
        return signup.new_captcha(self._context(), ip)

    @rpc
    def captcha_image(self, captcha_id):
        return signup.captcha_image(self._context(), captcha_id)

    @rpc
    def start_company_signup(self, form, ip=None):
        return signup.start_company_signup(self._context(), form, ip)

    @rpc
    def signup_progress(self, signup_token):
        return signup.signup_progress(self._context(), signup_token)

    @rpc
    def verify_signup_sms_code(self, signup_token, code):
        return signup.verify_sms_code(self._context(), signup_token, code)

    @rpc
    def resend_signup_sms_code(self, signup_token, ip=None):
        return signup.resend_sms_code(self._context(), signup_token, ip)

    @rpc
    def verify_signup_email_code(self, signup_token, code):
        return signup.verify_email_code(self._context(), signup_token, code)

    @rpc
    def resend_signup_email_code(self, signup_token):
        return signup.resend_email_code(self._context(), signup_token)

    # --- private persons (ID-5) ------------------------------------------------------------------
    @rpc
    def start_particulier_signup(self, form, ip=None):
        return particulier.start_particulier_signup(self._context(), form, ip)

    @rpc
    def activate_account(self, token):
        return particulier.activate(self._context(), token)

    @rpc
    def resend_activation_link(self, email=None, token=None):
        return particulier.resend_activation_link(self._context(), email, token)

    # --- login and sessions (ID-6, ID-11, NF-1) --------------------------------------------------
    @rpc
    def login(self, email, password, ip=None, user_agent=None):
        return login.login(self._context(), email, password, ip, user_agent)

    @rpc
    def resolve_session(self, session_token):
        return sessions.resolve(self._context(), session_token)

    @rpc
    def logout(self, session_token, ip=None):
        return sessions.close(self._context(), session_token, ip)

    # --- passwords (ID-8, ID-9) ------------------------------------------------------------------
    @rpc
    def request_password_reset(self, email, ip=None):
        return password_flows.request_reset(self._context(), email, ip)

    @rpc
    def reset_password(self, token, email, password, code):
        return password_flows.reset_password(self._context(), token, email, password, code)

    @rpc
    def request_password_change_code(self, person_id, password=None):
        return password_flows.request_change_code(self._context(), person_id, password)

    @rpc
    def change_password(self, person_id, session_id, password, code):
        return password_flows.change_password(self._context(), person_id, session_id, password, code)

    # --- invitations and gestionnaires (ID-10, BO-4) -------------------------------------------
    @rpc
    def invite_person(self, form, invited_by=None, company_name=None):
        return invitations.invite(self._context(), form, invited_by, company_name)

    @rpc
    def invitation_details(self, token):
        return invitations.invitation_details(self._context(), token)

    @rpc
    def accept_invitation(self, token, code, password, accept_cgu):
        return invitations.accept(self._context(), token, code, password, accept_cgu)

    @rpc
    def resend_invitation(self, token):
        return invitations.resend(self._context(), token)

    @rpc
    def person_contact(self, person_id):
        """How to reach a person (the notifier's fallback when no event told it yet)."""
        return sessions.person_contact(self._context(), person_id)

    # --- validity of accesses (ID-7) -----------------------------------------------------------
    @rpc
    def renew_access(self, person_id, renewed_by=None):
        return access.renew_access(self._context(), person_id, renewed_by)

    @rpc
    def delete_access(self, person_id, deleted_by=None):
        return access.delete_access(self._context(), person_id, deleted_by)

    @timer(interval=600)
    def sweep_expired_accesses(self):
        access.sweep_expired(self._context())
