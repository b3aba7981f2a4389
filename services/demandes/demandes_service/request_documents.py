"""Read model of the requests' documents (issue 15): what the documents service's events say about
the documents of each request, so that the request detail, the board, the messages and the back
office answer without calling the documents service.

Fed by `documents.document_uploaded`, `document_attached`, `document_reviewed`,
`document_deleted`, `summary_generated` and `payment_proof_issued`: each carries the whole state
of every document its change touched, with a revision that grows with every change of that
document; a row keeps the highest revision seen (a late or redelivered older state changes
nothing), and every event is applied once (idempotent on its event_id). An instance whose read
model was never built rebuilds it from `documents.documents_snapshot` before it says it is ready,
like its other read models (`MODEL`, consignations_shared.read_models: that snapshot pages by
document id, hence its `read_page`).

Eventual consistency: a document shows here a few milliseconds after the documents service has
committed it. The checks of step 2's « Valider » and of a submission read this copy first and
ask the documents service (`documents_of_owner`) only before refusing (drafts.checked_documents:
a document attached a moment ago may not be here yet); a complement, the back office's decisions
and the files joined to a message always ask it.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.contracts.payloads.documents import DocumentState
from consignations_shared.idempotency import first_delivery
from consignations_shared.read_models import Page, ReadModel, SnapshotCall

from .models import RequestDocument

log = logging.getLogger(__name__)

CONSUMER = "demandes.request_documents"
CURRENT = ("pending", "attached")


def apply_states(session: Session, states: Iterable[DocumentState | dict]) -> int:
    """Upserts the states of the requests' documents, keeping each document's highest revision.
    Returns how many rows changed. The caller commits."""
    changed = 0
    for state in states:
        state = state if isinstance(state, DocumentState) else DocumentState.model_validate(state)
        if state.owner.service != "demandes":
            continue
        query = select(RequestDocument).where(RequestDocument.document_id == state.id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = session.execute(query).scalar_one_or_none()
        if row is not None and row.revision >= state.revision:
            continue
        if row is None:
            row = RequestDocument(document_id=state.id)
            session.add(row)
        row.request_id, row.revision, row.status = state.owner.id, state.revision, state.status
        row.kind, row.source_version, row.uploaded_at = state.kind, state.source_version, state.uploaded_at
        row.state = state.model_dump(mode="json")
        changed += 1
    return changed


def on_event(session: Session, clock: Clock, envelope, message_type) -> bool:
    """One documents event, applied once. False when it was seen before."""
    if not first_delivery(session, CONSUMER, envelope.event_id, clock.now()):
        session.rollback()
        return False
    apply_states(session, message_type.read(envelope).documents)
    session.commit()
    return True


def apply(session: Session, state: DocumentState) -> bool:
    """One document's state from the snapshot (True when it changed the row)."""
    return apply_states(session, [state]) > 0


def read_page(snapshot: SnapshotCall, after: str | None, limit: int) -> Page:
    """One page of documents.documents_snapshot for the owner "demandes": it pages by document id
    ({"documents": [DocumentState], "next": the id to pass as `after`, or None on the last page})."""
    page = snapshot(owner_service="demandes", after=after, limit=limit)
    return [DocumentState.model_validate(s) for s in page.get("documents") or []], page.get("next") or None


MODEL = ReadModel(name="request_documents", source="documents", snapshot_method="documents_snapshot",
                  apply=apply, read_page=read_page)


# --- reading -------------------------------------------------------------------------------------

def shown(row: RequestDocument) -> dict[str, Any]:
    """A document as the documents service shows it (its `Document` view, without the validation
    details), for the pages and the back office."""
    document = dict(row.state)
    document.pop("revision", None)
    document.pop("source_version", None)
    return document


def documents_of(session: Session, request_id: str, statuses: tuple[str, ...] = CURRENT) -> list[dict[str, Any]]:
    """The request's documents (pending and attached by default), oldest first, as documents_of_owner
    would answer them."""
    rows = session.execute(
        select(RequestDocument).where(RequestDocument.request_id == request_id, RequestDocument.status.in_(statuses))
        .order_by(RequestDocument.uploaded_at, RequestDocument.document_id)
    ).scalars().all()
    return [shown(row) for row in rows]


def document(session: Session, document_id: str | None) -> dict[str, Any] | None:
    row = session.get(RequestDocument, document_id) if document_id else None
    return shown(row) if row is not None and row.status in CURRENT else None


def summary_of(session: Session, request_id: str, version: int) -> dict[str, Any] | None:
    """The stored summary of the request made from `version` or a later one, if the read model has it."""
    row = session.execute(
        select(RequestDocument).where(RequestDocument.request_id == request_id, RequestDocument.kind == "SUMMARY",
                                      RequestDocument.status.in_(CURRENT),
                                      RequestDocument.source_version >= version)
        .order_by(RequestDocument.source_version.desc()).limit(1)
    ).scalar_one_or_none()
    return shown(row) if row is not None else None
