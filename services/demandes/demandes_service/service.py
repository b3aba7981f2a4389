"""Demandes service entrypoints (thin: parse, call the use case, shape the reply).

Every RPC that reads or changes requests takes `person`, the acting person as the gateway
resolved it from the session."""
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock
from consignations_shared.rpc import TimedRpcProxy, rpc

from . import drafts
from . import procedures as catalogue_views
from .context import DemandesContext


class DemandesService(HealthEndpoints):
    name = "demandes"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
    accounts = TimedRpcProxy("accounts")

    def _context(self) -> DemandesContext:
        return DemandesContext(session=self.db, outbox=self.outbox, clock=self.clock, accounts=self.accounts)

    # --- catalogue (DM-1) ----------------------------------------------------------------------
    @rpc
    def procedures(self, person):
        return catalogue_views.list_for(person)

    @rpc
    def procedure(self, code):
        return catalogue_views.get(code)

    @rpc
    def legal_forms(self, query):
        return catalogue_views.legal_forms(query)

    # --- drafts (DM-2) -------------------------------------------------------------------------
    @rpc
    def create_draft(self, person, procedure_code):
        return drafts.create_draft(self._context(), person, procedure_code)

    @rpc
    def save_step(self, person, demande_id, values, complete=False):
        return drafts.save_step(self._context(), person, demande_id, values, complete)
