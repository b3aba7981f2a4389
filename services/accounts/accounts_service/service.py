"""Accounts service entrypoints (thin: parse, call the use case, shape the reply)."""
from consignations_shared.rpc import rpc

from consignations_shared.consumer import consume_event
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock

from . import opening


class AccountsService(HealthEndpoints):
    name = "accounts"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()

    @consume_event("identity", "signup_verified")
    def on_signup_verified(self, envelope):
        opening.open_draft_account(self.db, envelope, self.clock)

    @rpc
    def account_of_person(self, person_id):
        return opening.account_of_person(self.db, person_id)
