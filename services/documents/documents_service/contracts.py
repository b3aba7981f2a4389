"""Contracts of the documents service: its RPC methods, its internal HTTP API, its events and
the request snapshot it renders PDFs from. Other services and the gateway rely on this text.

Owners and rights
-----------------
Every document belongs to an owner `{"service": "accounts" | "demandes", "id": <owner id>}`:
a client account (identity document, Kbis, délégation de signature, ...) or a request (RIB,
birth certificate, ..., and the generated SUMMARY and PAYMENT_PROOF). Who may do what is the
owner service's rule (AC-9, DM-9), never the documents service's, and the documents service
never calls its owners: before every read, write or review, the caller (the gateway) asks the
owner

    <owner service>.document_grant(person, owner_id, action, document_id=None) -> {"grant": token}

(for a call on one document, `document_id` is given and the owner is first asked of this
service with `document_owner`), then passes the token along (`grant=` on RPC, the
`X-Document-Grant` header on HTTP). `person` is the acting person as identity resolved it for
the gateway (`{"id", "email", "profile", "is_staff", "first_name", "last_name", ...}`) and
`action` one of "read" (list, metadata, download), "write" (upload, replace, « Valider »,
delete — the owner refuses once its request is submitted, except for a complement), "review"
(DO-4; the documents service also requires `person["is_staff"]`). The owner refuses with
Forbidden / NotFound (its own French message), or signs a grant (consignations_shared.grants:
HMAC-SHA256 with DOCUMENTS_GRANT_KEY over owner, person id, action, document id, expiry 60 s).
This service verifies it; a missing, altered, expired grant, or one for another owner, person,
action or document, is a 403.

RPC (`documents.<method>`, metadata only — file bytes never travel on RabbitMQ)
-------------------------------------------------------------------------------
- `document_kinds()` → `[{code, label, pages, requires_date, max_age_months, generated}]` (DO-3).
- `list_documents(owner_service, owner_id, person, include_history=False)` → `[Document]`: the
  current ones (pending and attached; with `include_history`, replaced versions too).
- `documents_of_owner(owner_service, owner_id)` → `[Document]` (pending and attached): for the
  owner service itself, asking about its own account or request (e.g. the accounts wizard
  checking that a Kbis is attached); no person, no rights check; never exposed by the gateway.
- `documents_snapshot(owner_service, after=None, limit=500)` → `{"documents": [DocumentState],
  "next": id | None}`: every document of an owner service (all statuses, by id), page by page,
  to rebuild a read model; for the owner services only, never exposed by the gateway.
- `document_owner(document_id)` → `{"service", "id"}` (NotFound for an unknown or deleted
  document): whom to ask for a grant.
- `get_document(document_id, person, grant)` → `Document` with `versions` (every version, oldest first).
- `attach_document(document_id, person, grant)` → `Document`: « Valider » (DO-2): pending →
  attached; a pending replacement takes the place of the version it replaces (history).
- `delete_document(document_id, person, grant)` → `{"status": "deleted"}`: pending, or attached
  and not reviewed yet; the bytes are erased.
- `review_document(document_id, person, status, reason=None, grant)` → `Document` (DO-4):
  status "conforme" or "non_conforme" (a reason of 1 to 500 characters is then required).
- `render_summary(snapshot, person)` → `Document` (DO-7): the request's PDF summary, rendered
  once per (request, version) and cached — the same version gives back the same document. The
  demandes service does not wait for it: it writes the command `documents.render_summary`
  {snapshot, person} with each transmitted version, consumed here the same way.
- `issue_payment_proof(snapshot, person)` → `Document` (DO-8): the PAdES-signed « Justificatif
  de paiement » (the seeds' name, both sens) of a VALIDATED request, issued once per request (a
  second call returns the first proof).

`render_summary` and `issue_payment_proof` are called by the demandes service (the owner of
the request), which has already applied its own rule to `person`: the documents service records
who asked and calls no one. The gateway never calls them; people download the result
like any other document.

`Document` = `{id, lineage_id, version, owner: {service, id}, kind, kind_label, page,
document_date, status, review: {status, reason, reviewed_at, reviewed_by} | null, file_name,
content_type, size, sha256, details, uploaded_at, uploaded_by, attached_at,
replaces_document_id, replaced_by_document_id, generated, integrity ("ok" | "altered"),
download_path}`.

Snapshot of a request (demandes → documents, for render_summary and issue_payment_proof)
--------------------------------------------------------------------------------------------
    {
      "demande_id": "uuid",                 # the owner id of the generated documents
      "number": "102611000000042",          # DM-5 (null for a draft)
      "version": 7,                          # bumps on every change of the request: the cache key
      "procedure_code": "SAISIE_IMMO_D",         # never printed: people read the label
      "procedure_label": "Déconsigner / récupérer des fonds dans le cadre d'une saisie immobilière",
      "sens": "D",                           # "C" consignation, "D" déconsignation
      "state": "SUBMITTED", "state_label": "Envoyé",
      "dates": {"created_at": ISO-8601, "submitted_at": ..., "validated_at": ..., "rejected_at": ...},
      "owner": {"person_id": "uuid", "name": "Élodie Dupont", "email": "...",
                "company_name": "ACME SAS" | null},  # a company account's structure (null for a
                                                     # particulier): the proof's « Bénéficiaire »
      "fields": [{"label": "IBAN", "value": "FR76 3000 ...", "kind": "iban"},
                 {"label": "Titulaire du compte", "value": "ACME SAS", "kind": "text"}, ...],
      "documents": [{"label": "RIB", "file_name": "rib.pdf", "review_status": "conforme"}],
      "amount": "1234.56" | "TOTAL" | null   # « 1 234,56 € », « Total », « Non renseigné »
    }

Field values of kind "iban" (and any field labelled IBAN) are masked except their last 4
characters before rendering; the unmasked value is never stored by the documents service.
A value that is empty (a field, the owner's name or e-mail) gets no line in the PDFs.
Values are plain text (HTML is escaped). The snapshot is not stored, only its SHA-256.

Internal HTTP API (the bytes; the documents service's own port, DOCUMENTS_HTTP_ADDRESS)
--------------------------------------------------------------------------------------
Every call carries `X-Internal-Token` (DOCUMENTS_INTERNAL_TOKEN, or the token generated into
`<CONSIGNATIONS_VAR_DIR>/documents.token`), `X-Acting-Person: base64url(JSON person)` and
`X-Document-Grant` (the owner's grant, as above); `X-Correlation-Id` is kept.
- `POST /internal/documents`, body = the file bytes (Content-Length required, at most 5 MB),
  `X-Document-Metadata: base64url(JSON {owner_service, owner_id, kind, page, document_date,
  file_name, declared_type})` → 201 `Document` (pending).
- `POST /internal/documents/<id>/versions`, same body and metadata header (`{page,
  document_date, file_name, declared_type}`) → 201 `Document`: a pending replacement of <id>.
- `GET /internal/documents/<id>/content` → 200 the bytes, checked against their SHA-256,
  `Content-Type` = the detected type, `Content-Disposition: attachment`,
  `X-Content-Type-Options: nosniff`, `X-Document-Sha256`.
Errors are `{"error": {code, message, fields}}` (GW-3) with 401 (token), 403, 404, 409,
411 (no length), 413 (over 5 MB), 422 (refused file), 500 (`integrity_check_failed`: the stored
bytes were altered; nothing is served), 503.

Events (topic exchange consignations.events, routing key documents.<type>, EV-2 envelope)
---------------------------------------------------------------------------------------
Payload types: consignations_shared/contracts/payloads/documents.py. Each also carries
`documents`: [DocumentState], the whole state of every document the change touched (the
`Document` view without `details`, plus `revision`, growing with each change of that document,
and `source_version` for generated PDFs), for the owners' read models (demandes keeps its
requests' documents from them).
- `document_uploaded` {document_id, lineage_id, version, owner_service, owner_id, kind, page,
  document_date, content_type, size, sha256, replaces_document_id, uploaded_by} (+ the pending
  versions the upload superseded, deleted)
- `document_attached` {document_id, lineage_id, version, owner_service, owner_id, kind, page,
  replaces_document_id, attached_by} (+ the version it replaced)
- `document_reviewed` {document_id, lineage_id, version, owner_service, owner_id, kind,
  review_status, reason, reviewed_by}
- `document_deleted` {document_id, lineage_id, version, owner_service, owner_id, kind, deleted_by}
- `summary_generated` {document_id, demande_id, number, version, size, sha256, generated_by}
- `payment_proof_issued` {document_id, demande_id, number, owner_person_id, issued_at, sens, size,
  sha256, signer: {subject, certificate_sha256}, issued_by}
No content and no entered data travel in events: ids, kinds, checksums, people ids, and the
display file names of the document states.
"""
from __future__ import annotations

OWNER_SERVICES = ("accounts", "demandes")
ACTIONS = ("read", "write", "review")
REVIEW_STATUSES = ("conforme", "non_conforme")
