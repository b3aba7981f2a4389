"""Documents database tables (owned by the documents service only).

One row per stored file version. The bytes live outside the database (storage.py); the row
keeps where (`storage_backend`, `storage_key`), how big, and the SHA-256 taken at upload, which
every read checks (SPEC DO-6). The plumbing tables (outbox, processed events) come from the
shared library.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Index, Integer, String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Document(Base):
    """A file version attached (or about to be) to an owner: a client account or a request.

    Versions of the same document share `lineage_id` (the first version's id): replacing a
    document (before submission, or for a complement, DO-5) adds a version and keeps the old one
    as history (`status` "replaced"). Lifecycle: pending (uploaded, DO-2) → attached (« Valider »)
    → replaced (a newer version was attached); pending or unreviewed attached → deleted.
    Generated PDFs (SUMMARY, PAYMENT_PROOF) are attached from the start and never reviewed.
    """

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_owner", "owner_service", "owner_id", "status"),
        Index("ix_documents_lineage", "lineage_id", "version"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lineage_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    owner_service: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))
    page: Mapped[str | None] = mapped_column(String(12))
    document_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # pending | attached | replaced | deleted
    # pending | conforme | non_conforme (DO-4); None for generated documents
    review_status: Mapped[str | None] = mapped_column(String(16))
    review_reason: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Display name only (sanitised, extension of the detected type): never a name on disk.
    file_name: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(40))
    declared_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_backend: Mapped[str] = mapped_column(String(10))
    storage_key: Mapped[str | None] = mapped_column(String(200))  # None once the bytes are erased
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # pages, width/height

    uploaded_by: Mapped[str] = mapped_column(String(64))
    # The uploader's side: the back office (gestionnaires, and the documents the service makes)
    # or the client. Only that side may change the document (documents._authorized).
    uploaded_by_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attached_by: Mapped[str | None] = mapped_column(String(64))
    attached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaces_id: Mapped[str | None] = mapped_column(String(36))
    replaced_by_id: Mapped[str | None] = mapped_column(String(36))
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when a read found bytes that no longer match sha256 (DO-6): reported, never served.
    integrity_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Generated documents: what they were made from (DO-7 cache per request version, DO-8 once).
    generation_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    source_version: Mapped[int | None] = mapped_column(Integer)
    # Grows with every change of this row: the owners' read models keep the highest they saw.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def generated(self) -> bool:
        return self.generation_key is not None
