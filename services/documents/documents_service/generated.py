"""Generated PDFs of a request: the summary (DO-7), cached per request version, and the signed
payment proof (DO-8), issued once. Rendering and signing run in the worker processes; the
service only checks the snapshot, stores the result and records the event.
"""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consignations_shared.contracts.payloads.demandes import RenderSummary
from consignations_shared.contracts.payloads.documents import PaymentProofIssued, ProofSigner, SummaryGenerated
from consignations_shared.errors import Conflict

from .context import DocumentsContext, acting_person
from .documents import states, view
from .domain.snapshot import check_snapshot, proof_view, snapshot_digest, summary_view
from .models import Document

log = logging.getLogger(__name__)

RENDER_TIMEOUT = 120.0


def _existing(ctx: DocumentsContext, key: str) -> Document | None:
    return ctx.session.execute(select(Document).where(Document.generation_key == key)).scalar_one_or_none()


def _generate(ctx: DocumentsContext, key: str, make, describe) -> tuple[Document, bool]:
    """The document stored under `key`, rendering it first when it does not exist yet. One
    rendering per key at a time in this process; across processes the unique key decides."""
    with ctx.locks.hold(key):
        existing = _existing(ctx, key)
        if existing is not None:
            return existing, False
        ctx.session.commit()  # no transaction (nor SQLite write lock) held while rendering
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
        out_path = ctx.work_dir / f"render-{uuid.uuid4().hex}.pdf"
        try:
            make(str(out_path))
            with open(out_path, "rb") as handle:
                stored = ctx.storage.put(handle)
        finally:
            out_path.unlink(missing_ok=True)
        document = describe(stored)
        ctx.session.add(document)
        try:
            ctx.session.flush()
        except IntegrityError:
            ctx.session.rollback()
            ctx.storage.delete(stored.key)
            winner = _existing(ctx, key)
            if winner is None:
                raise
            return winner, False
        return document, True


def _generated_document(ctx, stored, *, snapshot, kind, file_name, key, person) -> Document:
    now = ctx.clock.now()
    document_id = str(uuid.uuid4())
    return Document(
        id=document_id, lineage_id=document_id, version=1, owner_service="demandes",
        owner_id=snapshot["demande_id"], kind=kind, page=None, document_date=None, status="attached",
        review_status=None, file_name=file_name, content_type="application/pdf", declared_type=None,
        size=stored.size, sha256=stored.sha256, storage_backend=ctx.storage.backend, storage_key=stored.key,
        details={}, uploaded_by=person["id"], uploaded_by_staff=True, uploaded_at=now,
        attached_by=person["id"], attached_at=now,
        generation_key=key, source_version=snapshot["version"], revision=1,
    )


def _slug(number) -> str:
    return "".join(ch for ch in str(number or "brouillon") if ch.isalnum() or ch == "-")[:40] or "brouillon"


def render_summary(ctx: DocumentsContext, snapshot, person) -> dict:
    person = acting_person(person)
    snapshot = check_snapshot(snapshot)
    digest = snapshot_digest(snapshot)
    # The same version with different data (it should not happen) is rendered again, not served stale.
    key = f"summary:{snapshot['demande_id']}:{snapshot['version']}:{digest[:16]}"

    def make(out_path):
        ctx.workers.run("render_summary", summary_view(snapshot, ctx.clock.now()), out_path, timeout=RENDER_TIMEOUT)

    def describe(stored):
        return _generated_document(
            ctx, stored, snapshot=snapshot, kind="SUMMARY", key=key, person=person,
            file_name=f"recapitulatif-demande-{_slug(snapshot.get('number'))}.pdf")

    document, created = _generate(ctx, key, make, describe)
    if created:
        ctx.outbox.publish(ctx.session, SummaryGenerated(
            document_id=document.id, demande_id=document.owner_id, number=snapshot.get("number"),
            version=snapshot["version"], size=document.size, sha256=document.sha256,
            generated_by=person["id"], documents=states(document)))
        ctx.session.commit()
    return view(document)


def render_asked_summary(ctx: DocumentsContext, envelope) -> None:
    """The command demandes.render_summary (DO-7: the summary of each transmitted version, made
    off the request path). Idempotent by its generation key: a redelivered or repeated command
    finds the stored document and records nothing more. Raises while it cannot render (the
    command is retried with back-off, then dead-lettered)."""
    asked = RenderSummary.read(envelope)
    render_summary(ctx, asked.snapshot, asked.person)


def issue_payment_proof(ctx: DocumentsContext, snapshot, person) -> dict:
    person = acting_person(person)
    snapshot = check_snapshot(snapshot)
    if snapshot.get("state") != "VALIDATED":
        raise Conflict("La demande n'est pas validée : le justificatif ne peut pas être émis.")
    key = f"payment_proof:{snapshot['demande_id']}"

    def make(out_path):
        ctx.workers.run("render_payment_proof", proof_view(snapshot, ctx.clock.now(), ctx.signer), out_path,
                        ctx.signing, timeout=RENDER_TIMEOUT)

    def describe(stored):
        return _generated_document(
            ctx, stored, snapshot=snapshot, kind="PAYMENT_PROOF", key=key, person=person,
            file_name=f"justificatif-de-paiement-{_slug(snapshot.get('number'))}.pdf")

    document, created = _generate(ctx, key, make, describe)
    if created:
        ctx.outbox.publish(ctx.session, PaymentProofIssued(
            document_id=document.id, demande_id=document.owner_id, number=snapshot.get("number"),
            # Who the notifier tells (NO-10): the request's owner.
            owner_person_id=(snapshot.get("owner") or {}).get("person_id"),
            issued_at=ctx.clock.now().isoformat(),
            sens=snapshot["sens"], size=document.size, sha256=document.sha256,
            signer=ProofSigner(subject=ctx.signer.get("subject"),
                               certificate_sha256=ctx.signer.get("certificate_sha256")),
            issued_by=person["id"], documents=states(document)))
        ctx.session.commit()
    return view(document)

