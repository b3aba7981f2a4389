"""Uploaded documents: receive (DO-1), « Valider » (DO-2), replace and delete, review (DO-4),
versions (DO-5), reads checked against their SHA-256 (DO-6). Every entry point checks the owner
service's signed grant first (contracts.py, consignations_shared.grants); file bytes arrive and
leave through the internal HTTP API only. Every change bumps the document's `revision` and its
event carries the whole state of each document it touched (the owners' read models).
"""
from __future__ import annotations

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select

from consignations_shared.clock import as_utc
from consignations_shared.contracts.payloads.documents import (
    DocumentAttached, DocumentDeleted, DocumentReviewed, DocumentState, DocumentUploaded,
)
from consignations_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from consignations_shared.grants import check_owner

from .context import DocumentsContext, acting_person
from .contracts import REVIEW_STATUSES
from .domain import kinds as kinds_rules
from .domain.files import SNIFF_LENGTH, TYPES, detect_type, sanitize_file_name
from .models import Document
from .storage import CHUNK, TamperedContent, verified_copy
from .validation import MESSAGES, FileRejected

log = logging.getLogger(__name__)

MAX_FILE_SIZE = 5 * 1024 * 1024  # DO-1: 5 MB (MiB) per file
TOO_LARGE = "Le fichier dépasse la taille maximale autorisée de 5 Mo."
ALTERED = ("Ce document a été altéré depuis son dépôt : il ne peut pas être téléchargé. "
           "Le service des consignations a été prévenu.")
CURRENT = ("pending", "attached")


class FileTooLarge(Exception):
    """More than MAX_FILE_SIZE bytes: answered 413 by the HTTP layer."""

    message = TOO_LARGE


class IntegrityFailure(Exception):
    """The stored bytes do not match their SHA-256 any more: answered 500, nothing served."""

    message = ALTERED


# --- views -----------------------------------------------------------------------------------------

def _iso(value) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def view(document: Document) -> dict[str, Any]:
    review = None
    if document.review_status is not None:
        review = {"status": document.review_status, "reason": document.review_reason,
                  "reviewed_at": _iso(document.reviewed_at), "reviewed_by": document.reviewed_by}
    return {
        "id": document.id, "lineage_id": document.lineage_id, "version": document.version,
        "owner": {"service": document.owner_service, "id": document.owner_id},
        "kind": document.kind, "kind_label": kinds_rules.label(document.kind), "page": document.page,
        "document_date": document.document_date.isoformat() if document.document_date else None,
        "status": document.status, "review": review,
        "file_name": document.file_name, "content_type": document.content_type, "size": document.size,
        "sha256": document.sha256, "details": document.details or {},
        "uploaded_at": _iso(document.uploaded_at), "uploaded_by": document.uploaded_by,
        "attached_at": _iso(document.attached_at),
        "replaces_document_id": document.replaces_id, "replaced_by_document_id": document.replaced_by_id,
        "generated": document.generated,
        "integrity": "altered" if document.integrity_failed_at else "ok",
        "download_path": f"/api/documents/{document.id}/content" if document.storage_key else None,
    }


def state(document: Document) -> dict[str, Any]:
    """The whole state of a document as its events carry it (DocumentState): the view without the
    validation details, with its revision and the request version a generated PDF was made from."""
    shown = view(document)
    shown.pop("details", None)
    return {**shown, "revision": document.revision or 1, "source_version": document.source_version}


def states(*documents: Document | None) -> list[DocumentState]:
    return [DocumentState.model_validate(state(d)) for d in documents if d is not None]


def touched(document: Document) -> Document:
    """Every change of a row bumps its revision (read models keep the highest they saw)."""
    document.revision = (document.revision or 1) + 1
    return document


def _event_base(document: Document) -> dict[str, Any]:
    return {"document_id": document.id, "lineage_id": document.lineage_id, "version": document.version,
            "owner_service": document.owner_service, "owner_id": document.owner_id, "kind": document.kind}


# --- lookups -----------------------------------------------------------------------------------------

def _valid_uuid(value) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise NotFound("Ce document est introuvable.") from None


def _load(ctx: DocumentsContext, document_id, *, lock: bool = False) -> Document:
    query = select(Document).where(Document.id == _valid_uuid(document_id))
    if lock and ctx.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    document = ctx.session.execute(query).scalar_one_or_none()
    if document is None or document.status == "deleted":
        raise NotFound("Ce document est introuvable.")
    return document


def _end_transaction(ctx: DocumentsContext) -> None:
    """Nothing is held across an RPC to an owner, a worker call or a body upload: on SQLite a
    transaction holds the write lock from its BEGIN (db.py), on PostgreSQL a connection."""
    ctx.session.commit()


NOT_YOURS_TO_CHANGE = ("Ce document a été déposé par le client : le service des consignations le contrôle "
                       "mais ne peut ni le valider, ni le remplacer, ni le supprimer.")
STAFF_DOCUMENT = ("Ce document a été déposé par le service des consignations : vous pouvez le consulter "
                  "mais ni le valider, ni le remplacer, ni le supprimer.")


def _authorized(ctx: DocumentsContext, document_id, person: dict, action: str, grant, *,
                lock: bool = False) -> Document:
    document = _load(ctx, document_id)
    ctx.authorize(document.owner_service, document.owner_id, person, action, grant, document_id=document.id)
    # Only the uploader's side changes a document (« Valider », replace, delete): an owner lets
    # gestionnaires write so they can join files to their messages (MS-6), which covers their
    # own uploads, never a client's document (theirs is to review); a client's right to write
    # on a request covers the client's documents, never a file the back office joined.
    if action == "write":
        if person["is_staff"] and (not document.uploaded_by_staff or document.uploaded_by != person["id"]):
            raise Forbidden(NOT_YOURS_TO_CHANGE)
        if not person["is_staff"] and document.uploaded_by_staff:
            raise Forbidden(STAFF_DOCUMENT)
    return _load(ctx, document_id, lock=True) if lock else document


_owner = check_owner


def document_owner(ctx: DocumentsContext, document_id) -> dict[str, str]:
    """Whose document this is ({service, id}), so the gateway can ask that owner for a grant.
    Only ids travel: nothing of the document is shown without the owner's grant."""
    document = _load(ctx, document_id)
    return {"service": document.owner_service, "id": document.owner_id}


def list_documents(ctx: DocumentsContext, owner_service, owner_id, person, include_history=False,
                   grant=None) -> list[dict]:
    person = acting_person(person)
    owner_service, owner_id = _owner(owner_service, owner_id)
    ctx.authorize(owner_service, owner_id, person, "read", grant)
    statuses = (*CURRENT, "replaced") if include_history else CURRENT
    documents = ctx.session.execute(
        select(Document).where(Document.owner_service == owner_service, Document.owner_id == owner_id,
                               Document.status.in_(statuses))
        .order_by(Document.uploaded_at, Document.id)
    ).scalars().all()
    return [view(d) for d in documents]


def documents_of_owner(ctx: DocumentsContext, owner_service, owner_id) -> list[dict]:
    """For the owner service itself (no person: it asks about its own account or request, e.g.
    « is a Kbis attached? »). The gateway never exposes this call."""
    owner_service, owner_id = _owner(owner_service, owner_id)
    documents = ctx.session.execute(
        select(Document).where(Document.owner_service == owner_service, Document.owner_id == owner_id,
                               Document.status.in_(CURRENT))
        .order_by(Document.uploaded_at, Document.id)
    ).scalars().all()
    return [view(d) for d in documents]


SNAPSHOT_LIMIT = 500


def documents_snapshot(ctx: DocumentsContext, owner_service, after=None, limit=SNAPSHOT_LIMIT) -> dict:
    """One page of the whole state of an owner service's documents (every status, by id), to
    rebuild its read model: {"documents": [DocumentState], "next": the id to pass as `after`, or
    None on the last page}. For the owner services only; never exposed by the gateway."""
    owner_service = _owner(owner_service, "-")[0]
    limit = max(1, min(int(limit or SNAPSHOT_LIMIT), SNAPSHOT_LIMIT))
    query = select(Document).where(Document.owner_service == owner_service)
    if after:
        query = query.where(Document.id > str(after))
    rows = ctx.session.execute(query.order_by(Document.id).limit(limit)).scalars().all()
    page = [state(d) for d in rows]
    ctx.session.commit()
    return {"documents": page, "next": rows[-1].id if len(rows) == limit else None}


def get_document(ctx: DocumentsContext, document_id, person, grant=None) -> dict:
    person = acting_person(person)
    document = _authorized(ctx, document_id, person, "read", grant)
    versions = ctx.session.execute(
        select(Document).where(Document.lineage_id == document.lineage_id, Document.status != "deleted")
        .order_by(Document.version)
    ).scalars().all()
    return {**view(document), "versions": [view(v) for v in versions]}


# --- upload (DO-1) -----------------------------------------------------------------------------------

@dataclass
class Incoming:
    """An upload written to the work directory while it was read (size and hash on the way)."""

    path: str
    size: int
    sha256: str
    head: bytes

    def discard(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def receive_stream(ctx: DocumentsContext, stream: BinaryIO, declared_length: int | None) -> Incoming:
    """Copy the request body to a private work file, never more than MAX_FILE_SIZE bytes."""
    if declared_length is not None and declared_length > MAX_FILE_SIZE:
        raise FileTooLarge()
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.work_dir / f"upload-{uuid.uuid4().hex}"
    digest, size, head = hashlib.sha256(), 0, b""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_FILE_SIZE:
                    raise FileTooLarge()
                if len(head) < SNIFF_LENGTH:
                    head += chunk[: SNIFF_LENGTH - len(head)]
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Incoming(str(path), size, digest.hexdigest(), head)


def _refuse(code: str) -> ValidationFailed:
    message = MESSAGES[code]
    return ValidationFailed(message, {"file": message}, code=f"file_{code}")


def _checked_file(ctx: DocumentsContext, incoming: Incoming) -> dict:
    """The detected type and details, or a 422 saying why not. Deep checks run in a worker."""
    if incoming.size == 0:
        raise _refuse("empty")
    if detect_type(incoming.head) is None:  # cheap refusal before any worker is involved
        raise _refuse("unsupported_type")
    try:
        return ctx.workers.run("validate", incoming.path)
    except FileRejected as exc:
        raise _refuse(exc.code) from None


def _store(ctx: DocumentsContext, incoming: Incoming):
    with open(incoming.path, "rb") as handle:
        stored = ctx.storage.put(handle)
    if stored.sha256 != incoming.sha256 or stored.size != incoming.size:
        ctx.storage.delete(stored.key)
        raise RuntimeError("the stored copy differs from the received bytes")
    return stored


def _new_document(ctx, *, owner_service, owner_id, kind, page, document_date, file_name, declared_type,
                  checked, stored, person, lineage_id=None, version=1, replaces_id=None) -> Document:
    file_type = TYPES[checked["content_type"]]
    now = ctx.clock.now()
    document_id = str(uuid.uuid4())
    return Document(
        id=document_id, lineage_id=lineage_id or document_id, version=version,
        owner_service=owner_service, owner_id=owner_id, kind=kind.code, page=page,
        document_date=document_date, status="pending", review_status="pending",
        file_name=sanitize_file_name(file_name, file_type), content_type=file_type.content_type,
        declared_type=(str(declared_type)[:100] if declared_type else None),
        size=stored.size, sha256=stored.sha256, storage_backend=ctx.storage.backend, storage_key=stored.key,
        details=checked.get("details") or {}, uploaded_by=person["id"], uploaded_by_staff=person["is_staff"],
        uploaded_at=now, replaces_id=replaces_id,
        revision=1,
    )


def _save_upload(ctx: DocumentsContext, document: Document, superseded: tuple[Document, ...] = ()) -> dict:
    ctx.session.add(document)
    ctx.outbox.publish(ctx.session, DocumentUploaded(
        **_event_base(document), page=document.page,
        document_date=document.document_date.isoformat() if document.document_date else None,
        content_type=document.content_type, size=document.size, sha256=document.sha256,
        replaces_document_id=document.replaces_id, uploaded_by=document.uploaded_by,
        documents=states(document, *superseded)))
    try:
        ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        ctx.storage.delete(document.storage_key)  # no row, no orphan bytes
        raise
    if document.declared_type and document.declared_type.split(";")[0].strip().lower() != document.content_type:
        log.info("document %s declared as %s, detected %s", document.id, document.declared_type, document.content_type)
    return view(document)


def upload(ctx: DocumentsContext, metadata: dict, person, stream: BinaryIO, length: int | None, grant=None) -> dict:
    """A new pending document (DO-1, DO-2). Rights and metadata are checked before the body is read."""
    person = acting_person(person)
    metadata = metadata if isinstance(metadata, dict) else {}
    owner_service, owner_id = _owner(metadata.get("owner_service"), metadata.get("owner_id"))
    ctx.authorize(owner_service, owner_id, person, "write", grant)
    kind = kinds_rules.kind_of(metadata.get("kind"))
    page = kinds_rules.check_page(kind, metadata.get("page"))
    document_date = kinds_rules.check_date(kind, kinds_rules.parse_document_date(metadata.get("document_date")),
                                           ctx.clock.now())
    incoming = receive_stream(ctx, stream, length)
    try:
        checked = _checked_file(ctx, incoming)
        stored = _store(ctx, incoming)
    finally:
        incoming.discard()
    document = _new_document(
        ctx, owner_service=owner_service, owner_id=owner_id, kind=kind, page=page, document_date=document_date,
        file_name=metadata.get("file_name"), declared_type=metadata.get("declared_type"),
        checked=checked, stored=stored, person=person)
    return _save_upload(ctx, document)


def _replaceable(document: Document) -> None:
    if document.generated:
        raise Forbidden("Ce document est produit par le service des consignations : il ne peut pas être remplacé.")
    if document.status not in CURRENT:
        raise Conflict("Une version plus récente de ce document existe déjà.")
    if document.review_status == "conforme":
        raise Conflict("Ce document a été jugé conforme : il ne peut plus être remplacé.")


def replace(ctx: DocumentsContext, document_id, metadata: dict, person, stream: BinaryIO, length: int | None,
            grant=None) -> dict:
    """A pending new version of a document (before submission, or the complement of DO-5).
    It takes the place of the current version at « Valider »; until then both exist, and a
    newer replacement supersedes a pending one."""
    person = acting_person(person)
    metadata = metadata if isinstance(metadata, dict) else {}
    current = _authorized(ctx, document_id, person, "write", grant)
    _replaceable(current)
    if current.status == "pending" and current.replaces_id:
        current = _load(ctx, current.replaces_id)  # replacing a pending replacement: same target
        _replaceable(current)
    kind = kinds_rules.kind_of(current.kind)
    page = kinds_rules.check_page(kind, metadata.get("page") if metadata.get("page") else current.page)
    raw_date = metadata.get("document_date") or (current.document_date.isoformat() if current.document_date else None)
    document_date = kinds_rules.check_date(kind, kinds_rules.parse_document_date(raw_date), ctx.clock.now())
    target_id = current.id
    _end_transaction(ctx)
    incoming = receive_stream(ctx, stream, length)
    try:
        checked = _checked_file(ctx, incoming)
        stored = _store(ctx, incoming)
    finally:
        incoming.discard()
    try:
        current = _load(ctx, target_id, lock=True)
        _replaceable(current)  # still true now that the file is in (a concurrent change wins)
    except BaseException:
        ctx.storage.delete(stored.key)
        raise
    latest = ctx.session.execute(
        select(Document).where(Document.lineage_id == current.lineage_id).order_by(Document.version.desc()).limit(1)
    ).scalar_one()
    erased, superseded = [], []
    if current.status == "pending" and not current.replaces_id:
        # Never attached: the new file simply takes its place (nothing to keep as history).
        erased.append(_erase(ctx, current, person, "deleted"))
        superseded.append(current)
        replaces_id = None
    else:
        for stale in ctx.session.execute(
            select(Document).where(Document.replaces_id == current.id, Document.status == "pending")
        ).scalars():
            erased.append(_erase(ctx, stale, person, "deleted"))
            superseded.append(stale)
        replaces_id = current.id
    document = _new_document(
        ctx, owner_service=current.owner_service, owner_id=current.owner_id, kind=kind, page=page,
        document_date=document_date, file_name=metadata.get("file_name"), declared_type=metadata.get("declared_type"),
        checked=checked, stored=stored, person=person, lineage_id=current.lineage_id,
        version=latest.version + 1, replaces_id=replaces_id)
    if replaces_id is None:
        current.replaced_by_id = document.id
    result = _save_upload(ctx, document, tuple(superseded))
    _drop_bytes(ctx, erased)
    return result


# --- « Valider », delete, review --------------------------------------------------------------------

def attach(ctx: DocumentsContext, document_id, person, grant=None) -> dict:
    person = acting_person(person)
    document = _authorized(ctx, document_id, person, "write", grant, lock=True)
    if document.status == "attached":
        return view(document)  # « Valider » twice is one « Valider »
    if document.status != "pending":
        raise Conflict("Une version plus récente de ce document existe déjà.")
    kind = kinds_rules.kind_of(document.kind)
    kinds_rules.check_date(kind, document.document_date, ctx.clock.now())  # still < 3 months today
    now = ctx.clock.now()
    document.status, document.attached_at, document.attached_by = "attached", now, person["id"]
    touched(document)
    previous = None
    if document.replaces_id:
        previous = ctx.session.get(Document, document.replaces_id)
        if previous is not None and previous.status in CURRENT:
            previous.status, previous.replaced_at, previous.replaced_by_id = "replaced", now, document.id
            touched(previous)
        else:
            previous = None
    ctx.outbox.publish(ctx.session, DocumentAttached(
        **_event_base(document), page=document.page, replaces_document_id=document.replaces_id,
        attached_by=person["id"], documents=states(document, previous)))
    ctx.session.commit()
    return view(document)


def _erase(ctx: DocumentsContext, document: Document, person: dict, status: str) -> str | None:
    key = document.storage_key
    document.status, document.deleted_at, document.deleted_by = status, ctx.clock.now(), person["id"]
    document.storage_key = None
    touched(document)
    return key


def _drop_bytes(ctx: DocumentsContext, keys) -> None:
    for key in keys:
        if key:
            try:
                ctx.storage.delete(key)
            except Exception as exc:  # the row is gone; an orphan file is only disk space
                log.warning("could not erase stored object %s: %s", key, exc)


def delete(ctx: DocumentsContext, document_id, person, grant=None) -> dict:
    person = acting_person(person)
    document = _authorized(ctx, document_id, person, "write", grant, lock=True)
    if document.generated:
        raise Forbidden("Ce document est produit par le service des consignations : il ne peut pas être supprimé.")
    if document.status not in CURRENT:
        raise Conflict("Une version plus récente de ce document existe déjà.")
    if document.review_status not in ("pending", None):
        raise Conflict("Ce document a déjà été examiné par le service des consignations : il ne peut plus être "
                       "supprimé, seulement remplacé s'il est non conforme.")
    key = _erase(ctx, document, person, "deleted")
    ctx.outbox.publish(ctx.session, DocumentDeleted(**_event_base(document), deleted_by=person["id"], documents=states(document)))
    ctx.session.commit()
    _drop_bytes(ctx, [key])
    return {"status": "deleted", "message": "Le document a été supprimé."}


def review(ctx: DocumentsContext, document_id, person, status, reason=None, grant=None) -> dict:
    """A gestionnaire's decision on one document (DO-4), shown to the client with its reason."""
    person = acting_person(person)
    if not person["is_staff"]:
        raise Forbidden("Seul un gestionnaire du service des consignations peut examiner un document.")
    document = _authorized(ctx, document_id, person, "review", grant, lock=True)
    if status not in REVIEW_STATUSES:
        raise ValidationFailed(None, {"status": "Valeur attendue : « conforme » ou « non_conforme »."})
    if document.generated:
        raise Conflict("Ce document est produit par le service des consignations : il n'est pas à examiner.")
    if document.status != "attached":
        raise Conflict("Seul un document validé par le client et non remplacé peut être examiné.")
    reason = " ".join(str(reason or "").split())
    if status == "non_conforme" and not reason:
        raise ValidationFailed(None, {"reason": "Indiquez pourquoi le document n'est pas conforme."})
    if len(reason) > 500:
        raise ValidationFailed(None, {"reason": "500 caractères au plus."})
    document.review_status = status
    document.review_reason = reason if status == "non_conforme" else None
    document.reviewed_by, document.reviewed_at = person["id"], ctx.clock.now()
    touched(document)
    ctx.outbox.publish(ctx.session, DocumentReviewed(
        **_event_base(document), review_status=status, reason=document.review_reason,
        reviewed_by=person["id"], documents=states(document)))
    ctx.session.commit()
    return view(document)


# --- reading the bytes (DO-6) ------------------------------------------------------------------------

def open_content(ctx: DocumentsContext, document_id, person, grant=None) -> tuple[dict, BinaryIO]:
    """(view, verified stream) for a person the owner lets read; IntegrityFailure otherwise."""
    person = acting_person(person)
    document = _authorized(ctx, document_id, person, "read", grant)
    if not document.storage_key:
        raise NotFound("Le contenu de ce document n'est plus disponible.")
    try:
        stream = verified_copy(ctx.storage, document.storage_key, document.sha256, document.size,
                               spool_dir=str(ctx.work_dir))
    except TamperedContent as exc:
        log.error("INTEGRITY: document %s (%s) does not match its SHA-256: %s", document.id,
                  document.storage_key, exc)
        document = _load(ctx, document.id)
        if document.integrity_failed_at is None:
            document.integrity_failed_at = ctx.clock.now()
        ctx.session.commit()
        raise IntegrityFailure() from None
    return view(document), stream
