"""Demandes service entrypoints (thin: parse, call the use case, shape the reply).

Every RPC that reads or changes requests takes `person`, the acting person as the gateway
resolved it from the session."""
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock
from consignations_shared.rpc import TimedRpcProxy, rpc

from . import board, document_rights, drafts, ownership, pdfs, submission
from . import procedures as catalogue_views
from .context import DemandesContext


class DemandesService(HealthEndpoints):
    name = "demandes"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
    accounts = TimedRpcProxy("accounts")
    documents = TimedRpcProxy("documents")

    def _context(self) -> DemandesContext:
        return DemandesContext(session=self.db, outbox=self.outbox, clock=self.clock, accounts=self.accounts,
                               documents=self.documents)

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

    # --- wizard (DM-2..DM-5) -------------------------------------------------------------------
    @rpc
    def create_draft(self, person, procedure_code):
        return drafts.create_draft(self._context(), person, procedure_code)

    @rpc
    def save_step(self, person, demande_id, values, complete=False):
        return drafts.save_step(self._context(), person, demande_id, values, complete)

    @rpc
    def confirm_documents(self, person, demande_id):
        return drafts.confirm_documents(self._context(), person, demande_id)

    @rpc
    def go_to_step(self, person, demande_id, step):
        return drafts.go_to_step(self._context(), person, demande_id, step)

    @rpc
    def submit(self, person, demande_id, idempotency_key=None):
        return submission.submit(self._context(), person, demande_id, idempotency_key)

    # --- « Mon suivi » and its actions (DM-7, DM-8) --------------------------------------------
    @rpc
    def board(self, person, query):
        return board.board(self._context(), person, query)

    @rpc
    def detail(self, person, demande_id):
        return board.detail(self._context(), person, demande_id)

    @rpc
    def duplicate(self, person, demande_id):
        return drafts.duplicate(self._context(), person, demande_id)

    @rpc
    def delete(self, person, demande_id):
        return drafts.delete(self._context(), person, demande_id)

    @rpc
    def reassign_candidates(self, person, demande_id):
        return ownership.candidates(self._context(), person, demande_id)

    @rpc
    def reassign(self, person, demande_id, new_owner_person_id):
        return ownership.reassign(self._context(), person, demande_id, new_owner_person_id)

    @rpc
    def complete(self, person, demande_id):
        return submission.complete(self._context(), person, demande_id)

    @rpc
    def summary_document(self, person, demande_id):
        return pdfs.summary_document(self._context(), person, demande_id)

    @rpc
    def proof_document(self, person, demande_id):
        return pdfs.proof_document(self._context(), person, demande_id)

    # --- for the documents service (AC-9, DM-9) ------------------------------------------------
    @rpc
    def authorize_document(self, owner_id, person, action):
        return document_rights.authorize_document(self._context(), owner_id, person, action)
