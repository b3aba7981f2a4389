"""Documents service entrypoints (thin: parse, call the use case, shape the reply).

Metadata over RPC; file bytes only over the internal HTTP API on the service's own port
(contracts.py, docs/architecture.md « Documents and uploads »).
"""
from __future__ import annotations

from nameko.web.handlers import http

from consignations_shared.contracts.interfaces import AccountsInterface, DemandesInterface
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock
from consignations_shared.rpc import TypedRpcProxy, rpc

from . import documents, generated, internal_http
from .context import DocumentsContext
from .domain.kinds import KINDS
from .providers import DocumentsRuntime


class DocumentsService(HealthEndpoints):
    name = "documents"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
    runtime = DocumentsRuntime()
    # Owners of documents: their authorize_document(owner_id, person, action) is the rule.
    accounts = TypedRpcProxy(AccountsInterface)
    demandes = TypedRpcProxy(DemandesInterface)

    def _context(self) -> DocumentsContext:
        owners = {"accounts": self.accounts, "demandes": self.demandes}
        return DocumentsContext(
            session=self.db, outbox=self.outbox, clock=self.clock, storage=self.runtime.storage,
            workers=self.runtime.workers, owner_rules=lambda service: owners[service].authorize_document,
            work_dir=self.runtime.work_dir, signing=self.runtime.signing, signer=self.runtime.signer,
            locks=self.runtime.locks,
        )

    # --- metadata (RPC) ----------------------------------------------------------------------------
    @rpc
    def document_kinds(self):
        return [kind.as_dict() for kind in KINDS.values()]

    @rpc
    def list_documents(self, owner_service, owner_id, person, include_history=False):
        return documents.list_documents(self._context(), owner_service, owner_id, person, bool(include_history))

    @rpc
    def documents_of_owner(self, owner_service, owner_id):
        """Owner services only (accounts, demandes): their own documents, no person involved."""
        return documents.documents_of_owner(self._context(), owner_service, owner_id)

    @rpc
    def get_document(self, document_id, person):
        return documents.get_document(self._context(), document_id, person)

    @rpc
    def attach_document(self, document_id, person):
        return documents.attach(self._context(), document_id, person)

    @rpc
    def delete_document(self, document_id, person):
        return documents.delete(self._context(), document_id, person)

    @rpc
    def review_document(self, document_id, person, status, reason=None):
        return documents.review(self._context(), document_id, person, status, reason)

    # --- generated PDFs (RPC from demandes) ----------------------------------------------------------
    @rpc
    def render_summary(self, snapshot, person):
        return generated.render_summary(self._context(), snapshot, person)

    @rpc
    def issue_payment_proof(self, snapshot, person):
        return generated.issue_payment_proof(self._context(), snapshot, person)

    # --- bytes (internal HTTP) -----------------------------------------------------------------------
    @http("POST", "/internal/documents")
    def http_upload(self, request):
        def upload(person):
            metadata = internal_http.metadata_of(request)
            length = internal_http.body_length(request)
            return internal_http.json_response(201, documents.upload(
                self._context(), metadata, person, request.stream, length))

        return internal_http.handle(request, self.runtime.internal_token, self.outbox, upload)

    @http("POST", "/internal/documents/<document_id>/versions")
    def http_replace(self, request, document_id):
        def replace(person):
            metadata = internal_http.metadata_of(request)
            length = internal_http.body_length(request)
            return internal_http.json_response(201, documents.replace(
                self._context(), document_id, metadata, person, request.stream, length))

        return internal_http.handle(request, self.runtime.internal_token, self.outbox, replace)

    @http("GET", "/internal/documents/<document_id>/content")
    def http_content(self, request, document_id):
        def download(person):
            document, stream = documents.open_content(self._context(), document_id, person)
            return internal_http.download_response(document, stream)

        return internal_http.handle(request, self.runtime.internal_token, self.outbox, download)
