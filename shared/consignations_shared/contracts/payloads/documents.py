"""Events of the documents service.

Every event about a document carries, besides its historical fields, `documents`: the whole
current state of each document the change touched (the uploaded one and the pending versions
it superseded, the attached one and the version it replaced, ...), with a `revision` that grows
with every change of that document. The owner service keeps its documents as a read model from
them (demandes: the request detail, the board and the back office need no call to the documents
service), keeping the highest revision of each document; `documents.documents_snapshot` answers
the same records to rebuild it.

File names travel in these states (the read model shows them); file contents, checksums of
entered data and the snapshot of a request never do."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..messages import Message, event


class DocumentReview(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    status: Literal["pending", "conforme", "non_conforme"]
    reason: str | None = None
    reviewed_at: str | None = None
    reviewed_by: str | None = None


class DocumentOwner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    service: Literal["accounts", "demandes"]
    id: str


class DocumentState(BaseModel):
    """One document version as the documents service shows it (its `Document` view, without
    the validation details), plus `revision` and, for generated PDFs, the request version it was
    made from. Consumers ignore fields they do not know (a producer may add optional ones)."""
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    lineage_id: str
    version: int
    revision: int = Field(ge=1)
    owner: DocumentOwner
    kind: str
    kind_label: str
    page: str | None = None
    document_date: str | None = None
    status: Literal["pending", "attached", "replaced", "deleted"]
    review: DocumentReview | None = None
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: str
    uploaded_by: str
    attached_at: str | None = None
    replaces_document_id: str | None = None
    replaced_by_document_id: str | None = None
    generated: StrictBool
    integrity: Literal["ok", "altered"] = "ok"
    source_version: int | None = None
    download_path: str | None = None


class _Touched(Message):
    """`kind` and `version` are wire names of these payloads but class attributes of every
    Message (message kind and version): the fields are `document_kind` / `document_version`,
    written and read under their wire names."""
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    documents: list[DocumentState] = Field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def read(cls, envelope_or_payload):
        payload = getattr(envelope_or_payload, "payload", envelope_or_payload)
        names = {field.alias or name for name, field in cls.model_fields.items()}
        return cls.model_validate({k: v for k, v in payload.items() if k in names})


WireKind = Annotated[str, Field(alias="kind")]
WireVersion = Annotated[int, Field(alias="version")]


@event("documents", "document_uploaded")
class DocumentUploaded(_Touched):
    """A file was received and stored, pending until « Valider » (DO-1, DO-2); a replacement names
    the version it replaces. `documents` also holds the pending versions it superseded (deleted)."""
    document_id: str
    lineage_id: str
    document_version: WireVersion
    owner_service: str
    owner_id: str
    document_kind: WireKind
    page: str | None = None
    document_date: str | None = None
    content_type: str
    size: int
    sha256: str
    replaces_document_id: str | None = None
    uploaded_by: str


@event("documents", "document_attached")
class DocumentAttached(_Touched):
    """« Valider » (DO-2): the document is attached; a replacement takes the place of the version
    it replaces (in `documents` with status « replaced »)."""
    document_id: str
    lineage_id: str
    document_version: WireVersion
    owner_service: str
    owner_id: str
    document_kind: WireKind
    page: str | None = None
    replaces_document_id: str | None = None
    attached_by: str


@event("documents", "document_reviewed")
class DocumentReviewed(_Touched):
    """A gestionnaire judged a document conforme or non conforme, with a reason (DO-4)."""
    document_id: str
    lineage_id: str
    document_version: WireVersion
    owner_service: str
    owner_id: str
    document_kind: WireKind
    review_status: Literal["conforme", "non_conforme"]
    reason: str | None = None
    reviewed_by: str


@event("documents", "document_deleted")
class DocumentDeleted(_Touched):
    """A pending or not yet reviewed document was deleted by its owner's client; its bytes are erased."""
    document_id: str
    lineage_id: str
    document_version: WireVersion
    owner_service: str
    owner_id: str
    document_kind: WireKind
    deleted_by: str


@event("documents", "summary_generated")
class SummaryGenerated(_Touched):
    """The PDF summary of one version of a request was rendered and stored (DO-7)."""
    document_id: str
    demande_id: str
    number: str | None = None
    request_version: WireVersion  # the request version it summarises
    size: int
    sha256: str
    generated_by: str


class ProofSigner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    subject: str | None = None
    certificate_sha256: str | None = None


@event("documents", "payment_proof_issued")
class PaymentProofIssued(_Touched):
    """The PAdES-signed payment proof of a validated request was issued, once (DO-8); the
    notifier tells the request's owner (NO-10)."""
    consumers = ("The notifier sends NO-10 to the request's owner.",
                 "The demandes service records the proof in its read model of the request's documents.")

    document_id: str
    demande_id: str
    number: str | None = None
    owner_person_id: str | None = None
    # What the notifier does not need may be absent for a consumer (the producer always sends it).
    issued_at: str | None = None
    sens: Literal["C", "D"] | None = None
    size: int | None = None
    sha256: str | None = None
    signer: ProofSigner | None = None
    issued_by: str | None = None
