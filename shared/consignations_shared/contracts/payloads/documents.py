"""Events of the documents service."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..messages import Id, Instant, Message, event

OwnerService = Literal["accounts", "demandes"]


class _DocumentEvent(Message):
    document_id: Id
    lineage_id: Id
    version: int = Field(ge=1)
    owner_service: OwnerService
    owner_id: str
    kind: str


@event("documents", "document_uploaded")
class DocumentUploaded(_DocumentEvent):
    """A file was uploaded and passed the checks (DO-1, DO-2); it is pending until « Valider »."""
    page: str | None
    document_date: str | None
    content_type: Literal["application/pdf", "image/png", "image/jpeg"]
    size: int = Field(ge=0)
    sha256: str
    replaces_document_id: str | None
    uploaded_by: Id


@event("documents", "document_attached")
class DocumentAttached(_DocumentEvent):
    """« Valider »: the document is attached to its owner (DO-2); a new version replaces the
    previous one (DO-5)."""
    page: str | None
    replaces_document_id: str | None
    attached_by: Id


@event("documents", "document_reviewed")
class DocumentReviewed(_DocumentEvent):
    """A gestionnaire marked a document conforme or non conforme with a reason (DO-4)."""
    review_status: Literal["conforme", "non_conforme"]
    reason: str | None
    reviewed_by: Id


@event("documents", "summary_generated")
class SummaryGenerated(Message):
    """The PDF summary of a request version was rendered (DO-7)."""
    document_id: Id
    demande_id: str
    number: str | None
    version: int
    size: int = Field(ge=0)
    sha256: str
    generated_by: str | None


class Signer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str | None = None
    certificate_sha256: str | None = None


@event("documents", "payment_proof_issued")
class PaymentProofIssued(Message):
    """The PAdES-signed payment proof of a validated request exists (DO-8); the notifier sends NO-10."""
    consumers = ("The notifier sends NO-10 to the request's owner.",)

    document_id: Id | None = None
    demande_id: str
    number: str = Field(pattern=r"^10[0-9]{13}$", description="DM-5 number.")
    sens: Literal["C", "D"] | None = None
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = None
    signer: Signer | None = None
    issued_by: str | None = None
    owner_person_id: Id = Field(description="The request's owner, told by the notifier (NO-10).")
    issued_at: Instant | None = None
