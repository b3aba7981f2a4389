"""Demandes service entrypoints (thin: parse, call the use case, shape the reply).

Every RPC that reads or changes requests takes `person`, the acting person as the gateway
resolved it from the session."""
import os

from nameko.timer import timer

from consignations_shared.consumer import consume_command, consume_event
from consignations_shared.contracts.interfaces import DocumentsInterface
from consignations_shared.contracts.payloads import documents as document_events
from consignations_shared.grants import DocumentGrantKey
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock
from consignations_shared.read_models import ReadModels
from consignations_shared.rpc import TypedRpcProxy, rpc

from . import (backoffice, board, document_rights, drafts, exports, members, ownership, pdfs, request_documents,
               submission, threads)
from . import procedures as catalogue_views
from .cli import reminder_delays
from .context import DemandesContext

REMINDER_INTERVAL = float(os.environ.get("DEMANDES_REMINDER_INTERVAL", "3600"))  # seconds


class DemandesService(HealthEndpoints):
    name = "demandes"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
    grant_key = DocumentGrantKey()  # signs the grants of its requests' documents (DM-9)
    documents = TypedRpcProxy(DocumentsInterface)
    read_models = ReadModels(members.MODEL, request_documents.MODEL)  # /health/ready waits for their rebuild

    def _context(self) -> DemandesContext:
        return DemandesContext(session=self.db, outbox=self.outbox, clock=self.clock, documents=self.documents)

    # --- read model of accounts' members (issue 15) ---------------------------------------------
    @consume_event("accounts", "member_changed")
    def on_member_changed(self, envelope):
        members.on_member_changed(self.db, envelope, self.clock)

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

    @rpc
    def summary_download(self, person, demande_id):
        return pdfs.summary_download(self._context(), self.grant_key, person, demande_id)

    @rpc
    def proof_download(self, person, demande_id):
        return pdfs.proof_download(self._context(), self.grant_key, person, demande_id)

    @consume_command(pdfs.PROOF_COMMAND)
    def issue_payment_proof(self, envelope):
        pdfs.issue_asked_proof(self._context(), envelope)

    # --- documents (DM-9): the grant the gateway passes to the documents service -----------------
    @rpc
    def document_grant(self, person, owner_id, action, document_id=None):
        return document_rights.document_grant(self._context(), self.grant_key, person, owner_id, action, document_id)

    # --- read model of the requests' documents, fed by the documents service's events ----------
    @consume_event("documents", "document_uploaded")
    def on_document_uploaded(self, envelope):
        request_documents.on_event(self.db, self.clock, envelope, document_events.DocumentUploaded)

    @consume_event("documents", "document_attached")
    def on_document_attached(self, envelope):
        request_documents.on_event(self.db, self.clock, envelope, document_events.DocumentAttached)

    @consume_event("documents", "document_reviewed")
    def on_document_reviewed(self, envelope):
        request_documents.on_event(self.db, self.clock, envelope, document_events.DocumentReviewed)

    @consume_event("documents", "document_deleted")
    def on_document_deleted(self, envelope):
        request_documents.on_event(self.db, self.clock, envelope, document_events.DocumentDeleted)

    @consume_event("documents", "summary_generated")
    def on_summary_generated(self, envelope):
        request_documents.on_event(self.db, self.clock, envelope, document_events.SummaryGenerated)

    @consume_event("documents", "payment_proof_issued")
    def on_payment_proof_issued(self, envelope):
        request_documents.on_event(self.db, self.clock, envelope, document_events.PaymentProofIssued)

    # --- messages (MS-1..MS-6) -----------------------------------------------------------------
    @rpc
    def thread(self, person, demande_id):
        return threads.client_thread(self._context(), person, demande_id)

    @rpc
    def reply(self, person, demande_id, body, in_reply_to=None, attachment_ids=None):
        return threads.reply(self._context(), person, demande_id, body, in_reply_to, attachment_ids)

    @rpc
    def mark_unread(self, person, message_id):
        return threads.mark_unread(self._context(), person, message_id)

    @rpc
    def unread_total(self, person):
        return threads.unread_total(self._context(), person)

    # --- back office (BO-1..BO-3): gestionnaires only --------------------------------------------
    @rpc
    def staff_queue(self, person, query):
        return backoffice.queue(self._context(), person, query)

    @rpc
    def staff_export_page(self, person, query, after=None, limit=exports.PAGE_SIZE_DEFAULT):
        return exports.page(self._context(), person, query, after, limit)

    @rpc
    def staff_detail(self, person, demande_id):
        return backoffice.detail(self._context(), person, demande_id)

    @rpc
    def staff_request_complement(self, person, demande_id, reason=None):
        return backoffice.request_complement(self._context(), person, demande_id, reason)

    @rpc
    def staff_await_funds(self, person, demande_id, reason=None):
        return backoffice.await_funds(self._context(), person, demande_id, reason)

    @rpc
    def staff_funds_received(self, person, demande_id):
        return backoffice.funds_received(self._context(), person, demande_id)

    @rpc
    def staff_validate(self, person, demande_id):
        return backoffice.validate(self._context(), person, demande_id)

    @rpc
    def staff_reject(self, person, demande_id, reason):
        return backoffice.reject(self._context(), person, demande_id, reason)

    @rpc
    def staff_thread(self, person, demande_id):
        return threads.staff_thread(self._context(), person, demande_id)

    @rpc
    def staff_post_message(self, person, demande_id, subject_code, free_subject, body, attachment_ids=None):
        return threads.staff_post(self._context(), person, demande_id, subject_code, free_subject, body,
                                  attachment_ids)

    @timer(interval=REMINDER_INTERVAL)
    def post_due_reminders(self):
        first, second = reminder_delays()
        threads.post_due_reminders(self._context(), first_after_days=first, second_after_days=second)
