"""Documents service entrypoints (thin: parse, call the use case, shape the reply).

Metadata over RPC; file bytes only over the internal HTTP API on the service's own port
(contracts.py, docs/architecture.md « Documents and uploads »). The service calls no other
service: the owners' decisions arrive as signed grants (consignations_shared.grants).
"""
from __future__ import annotations

from consignations_shared.consumer import consume_background_command
from consignations_shared.contracts.payloads.demandes import RenderSummary
from consignations_shared.grants import DocumentGrantKey
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock
from consignations_shared.rpc import rpc
from consignations_shared.web import http

from . import documents, generated, internal_http
from .context import DocumentsContext
from .domain.kinds import KINDS
from .providers import DocumentsRuntime, renderer_count


class DocumentsService(HealthEndpoints):
    name = "documents"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
    runtime = DocumentsRuntime()
    grant_key = DocumentGrantKey()  # verifies the owners' grants

    def _context(self) -> DocumentsContext:
        return DocumentsContext(
            session=self.db, outbox=self.outbox, clock=self.clock, storage=self.runtime.storage,
            workers=self.runtime.workers, grant_key=self.grant_key,
            work_dir=self.runtime.work_dir, signing=self.runtime.signing, signer=self.runtime.signer,
            locks=self.runtime.locks,
        )

    # --- metadata (RPC) ----------------------------------------------------------------------------
    @rpc
    def document_kinds(self):
        return [kind.as_dict() for kind in KINDS.values()]

    @rpc
    def list_documents(self, owner_service, owner_id, person, include_history=False, grant=None):
        return documents.list_documents(self._context(), owner_service, owner_id, person, bool(include_history),
                                        grant)

    @rpc
    def documents_of_owner(self, owner_service, owner_id):
        """Owner services only (accounts, demandes): their own documents, no person involved."""
        return documents.documents_of_owner(self._context(), owner_service, owner_id)

    @rpc
    def documents_snapshot(self, owner_service, after=None, limit=documents.SNAPSHOT_LIMIT):
        """Owner services only: a page of their documents' states, to rebuild a read model."""
        return documents.documents_snapshot(self._context(), owner_service, after, limit)

    @rpc
    def document_owner(self, document_id):
        """{service, id} of a document, for the gateway to ask that owner for a grant."""
        return documents.document_owner(self._context(), document_id)

    @rpc
    def get_document(self, document_id, person, grant=None):
        return documents.get_document(self._context(), document_id, person, grant)

    @rpc
    def attach_document(self, document_id, person, grant=None):
        return documents.attach(self._context(), document_id, person, grant)

    @rpc
    def delete_document(self, document_id, person, grant=None):
        return documents.delete(self._context(), document_id, person, grant)

    @rpc
    def review_document(self, document_id, person, status, reason=None, grant=None):
        return documents.review(self._context(), document_id, person, status, reason, grant)

    # --- generated PDFs (RPC from demandes) ----------------------------------------------------------
    @rpc
    def render_summary(self, snapshot, person):
        return generated.render_summary(self._context(), snapshot, person)

    @consume_background_command(RenderSummary.name, renderer_count)
    def render_version_summary(self, envelope):
        """demandes.render_summary, written when a version of a request is transmitted (DO-7)."""
        generated.render_asked_summary(self._context(), envelope)

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
                self._context(), metadata, person, request.stream, length, internal_http.grant_of(request)))

        return internal_http.handle(request, self.runtime.internal_token, self.outbox, upload)

    @http("POST", "/internal/documents/<document_id>/versions")
    def http_replace(self, request, document_id):
        def replace(person):
            metadata = internal_http.metadata_of(request)
            length = internal_http.body_length(request)
            return internal_http.json_response(201, documents.replace(
                self._context(), document_id, metadata, person, request.stream, length,
                internal_http.grant_of(request)))

        return internal_http.handle(request, self.runtime.internal_token, self.outbox, replace)

    @http("GET", "/internal/documents/<document_id>/content")
    def http_content(self, request, document_id):
        def download(person):
            document, stream = documents.open_content(self._context(), document_id, person,
                                                      internal_http.grant_of(request))
            return internal_http.download_response(document, stream)

        return internal_http.handle(request, self.runtime.internal_token, self.outbox, download)
