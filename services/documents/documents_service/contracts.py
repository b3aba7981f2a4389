"""Contracts of the documents service: its RPC methods, its internal HTTP API, its events and
the request snapshot it renders PDFs from. Other services and the gateway rely on this text.

Owners and rights
-----------------
Every document belongs to an owner `{"service": "accounts" | "demandes", "id": <owner id>}`:
a client account (identity document, Kbis, délégation de signature, ...) or a request (RIB,
birth certificate, ..., and the generated SUMMARY and PAYMENT_PROOF). Who may do what is the
owner service's rule (AC-9, DM-9), never the documents service's: before every read, write or
review, the documents service calls

    <owner service>.authorize_document(owner_id, person, action) -> True

with `person` the acting person as identity resolved it for the gateway (`{"id", "email",
"profile", "is_staff", "first_name", "last_name", ...}`) and `action` one of "read" (list,
metadata, download), "write" (upload, replace, « Valider », delete — the owner refuses once its
request is submitted, except for a complement), "review" (DO-4; the documents service also
requires `person["is_staff"]`). The owner answers True or raises Forbidden / NotFound; anything
else is a refusal, and an owner that does not answer is a 503.

RPC (`documents.<method>`, metadata only — file bytes never travel on RabbitMQ)
-------------------------------------------------------------------------------
- `document_kinds()` → `[{code, label, pages, requires_date, max_age_months, generated}]` (DO-3).
- `list_documents(owner_service, owner_id, person, include_history=False)` → `[Document]`: the
  current ones (pending and attached; with `include_history`, replaced versions too).
- `documents_of_owner(owner_service, owner_id)` → `[Document]` (pending and attached): for the
  owner service itself, asking about its own account or request (e.g. the accounts wizard
  checking that a Kbis is attached); no person, no rights check; never exposed by the gateway.
- `get_document(document_id, person)` → `Document` with `versions` (every version, oldest first).
- `attach_document(document_id, person)` → `Document`: « Valider » (DO-2): pending → attached;
  a pending replacement takes the place of the version it replaces, which stays as history.
- `delete_document(document_id, person)` → `{"status": "deleted"}`: pending, or attached and
  not reviewed yet; the bytes are erased.
- `review_document(document_id, person, status, reason=None)` → `Document` (DO-4): status
  "conforme" or "non_conforme" (a reason of 1 to 500 characters is then required).
- `render_summary(snapshot, person)` → `Document` (DO-7): the request's PDF summary, rendered
  once per (request, version) and cached — the same version gives back the same document.
- `issue_payment_proof(snapshot, person)` → `Document` (DO-8): the PAdES-signed « Justificatif
  de déconsignation » (sens D) or « Justificatif de paiement » (sens C) of a VALIDATED request,
  issued once per request (a second call returns the first proof).

`render_summary` and `issue_payment_proof` are called by the demandes service (the owner of
the request), which has already applied its own rule to `person`: the documents service records
who asked and does not call back. The gateway never calls them; people download the result
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
      "procedure_code": "SAISIE_IMMO_D",
      "procedure_label": "Déconsigner / récupérer des fonds dans le cadre d'une saisie immobilière",
      "sens": "D",                           # "C" consignation, "D" déconsignation
      "state": "SUBMITTED", "state_label": "Envoyé",
      "dates": {"created_at": ISO-8601, "submitted_at": ..., "validated_at": ..., "rejected_at": ...},
      "owner": {"person_id": "uuid", "name": "Élodie Dupont", "email": "...", "company_name": "ACME SAS" | null},
      "fields": [{"label": "IBAN", "value": "FR76 3000 ...", "kind": "iban"},
                 {"label": "Titulaire du compte", "value": "ACME SAS", "kind": "text"}, ...],
      "documents": [{"label": "RIB", "file_name": "rib.pdf", "review_status": "conforme"}],
      "amount": "1234.56" | "TOTAL" | null   # « 1 234,56 € », « Total », « Non renseigné »
    }

Field values of kind "iban" (and any field labelled IBAN) are masked except their last 4
characters before rendering; the unmasked value is never stored by the documents service.
Values are plain text (HTML is escaped). The snapshot is not stored, only its SHA-256.

Internal HTTP API (the bytes; the documents service's own port, DOCUMENTS_HTTP_ADDRESS)
--------------------------------------------------------------------------------------
Every call carries `X-Internal-Token` (DOCUMENTS_INTERNAL_TOKEN, or the token generated into
`<CONSIGNATIONS_VAR_DIR>/documents.token`) and `X-Acting-Person: base64url(JSON person)`, which
the documents service checks with the owner service as above; `X-Correlation-Id` is kept.
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
- `document_uploaded` {document_id, lineage_id, version, owner_service, owner_id, kind, page,
  document_date, content_type, size, sha256, replaces_document_id, uploaded_by}
- `document_attached` {document_id, lineage_id, version, owner_service, owner_id, kind, page,
  replaces_document_id, attached_by}
- `document_reviewed` {document_id, lineage_id, version, owner_service, owner_id, kind,
  review_status, reason, reviewed_by}
- `summary_generated` {document_id, demande_id, number, version, size, sha256, generated_by}
- `payment_proof_issued` {document_id, demande_id, number, sens, size, sha256,
  signer: {subject, certificate_sha256}, issued_by}
No file name, no content and no entered data travel in events: ids, kinds, checksums, people ids.
"""
from __future__ import annotations

OWNER_SERVICES = ("accounts", "demandes")
ACTIONS = ("read", "write", "review")
REVIEW_STATUSES = ("conforme", "non_conforme")
