"""Events of the demandes service, its private command to itself and its command to documents."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..messages import Id, Instant, Message, command, event

Sens = Literal["C", "D"]
State = Literal["DRAFT", "SUBMITTED", "AWAITING_COMPLEMENT", "AWAITING_FUNDS", "VALIDATED", "REJECTED"]
Number = Field(pattern=r"^10[0-9]{13}$", description="DM-5 number.")
NumberOrDraft = Field(default=None, pattern=r"^10[0-9]{13}$", description="DM-5 number (null for a draft).")


@event("demandes", "demande_submitted")
class DemandeSubmitted(Message):
    """A request was transmitted and got its number (DM-5); the notifier sends NO-8."""
    consumers = ("The notifier sends NO-8 to the owner.",)

    demande_id: Id
    number: str = Number
    procedure_code: str | None = None
    procedure_label: str
    sens: Sens | None = None
    owner_person_id: Id
    account_id: Id | None = None
    submitted_at: Instant | None = None
    amount: str | None = Field(default=None, description="« 1234.56 », TOTAL (total deconsignation) or null.")


class NonConformingDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: str | None = None
    label: str
    reason: str | None = None


@event("demandes", "demande_state_changed")
class DemandeStateChanged(Message):
    """A request changed state (DM-6), with who and why; NO-9 / NO-11 are sent for
    AWAITING_COMPLEMENT / REJECTED."""
    consumers = ("The notifier sends NO-9 (AWAITING_COMPLEMENT) or NO-11 (REJECTED) to the owner.",)

    demande_id: Id
    number: str | None = NumberOrDraft
    procedure_code: str | None = None
    procedure_label: str | None = None
    sens: Sens | None = None
    account_id: Id | None = None
    owner_person_id: Id
    from_state: State | None = None
    to_state: State
    reason: str | None = None
    non_conforming_documents: list[NonConformingDocument] = []
    changed_by_role: Literal["CLIENT", "GESTIONNAIRE", "SYSTEM"] | None = None
    changed_by_person_id: str | None = None
    changed_at: Instant | None = None


@event("demandes", "demande_reassigned")
class DemandeReassigned(Message):
    """A request was given to another person of the same client account (DM-8); the notifier
    sends NO-12 to the new owner."""
    consumers = ("The notifier sends NO-12 to the new owner.",)

    demande_id: Id
    number: str | None = NumberOrDraft
    procedure_code: str | None = None
    procedure_label: str | None = None
    account_id: Id | None = None
    owner_person_id: Id = Field(description="The new owner.")
    previous_owner_person_id: Id | None = None
    reassigned_by_person_id: Id | None = None
    reassigned_at: Instant | None = None


@event("demandes", "demande_deleted")
class DemandeDeleted(Message):
    """A draft or a rejected request was deleted by its client (DM-8); its documents may be purged."""
    demande_id: Id
    number: str | None = NumberOrDraft
    account_id: Id
    state: State
    deleted_by: Id
    deleted_at: Instant


@event("demandes", "message_posted")
class MessagePosted(Message):
    """A message was posted in a request's thread (MS-1..MS-3): by a gestionnaire, the reminder
    job (SYSTEM) or the client (a reply). The body never travels; the notifier sends NO-14 for
    back-office messages."""
    consumers = ("The notifier sends NO-14 for a gestionnaire's message (neither its subject nor its body).",)

    demande_id: Id
    number: str | None = NumberOrDraft
    message_id: Id | None = None
    author_role: Literal["GESTIONNAIRE", "SYSTEM", "CLIENT"]
    subject: str | None = None
    subject_code: str | None = None
    owner_person_id: Id
    account_id: Id | None = None
    attachments: int = Field(default=0, ge=0)
    posted_at: Instant | None = None


@event("demandes", "message_read")
class ThreadMessageRead(Message):
    """Someone read a message of the other side for the first time (MS-4)."""
    demande_id: Id
    message_id: Id
    reader_person_id: str
    reader_role: Literal["GESTIONNAIRE", "CLIENT"]
    read_at: Instant


@command("demandes", "demandes", "issue_payment_proof")
class IssuePaymentProof(Message):
    """Written with a validation (BO-3): the demandes service has the payment proof of the
    validated request issued, off the gestionnaire's call (retried with back-off, then
    dead-lettered; a repeated command issues nothing more)."""
    demande_id: Id
    person: dict[str, Any] = Field(description="The acting gestionnaire (ActingPerson wire form).")


@command("demandes", "documents", "render_summary")
class RenderSummary(Message):
    """Render and store the PDF summary of one version of a request (DO-7), written by demandes
    in the transaction that transmits that version (submission, complement): the documents
    service renders it in its worker pool, stores it and announces `summary_generated`; a
    repeated command renders nothing more (one summary per request version and content).

    `snapshot` is the request snapshot of documents_service/contracts.py; `person` the person
    whose action made the version (recorded as `generated_by`)."""
    snapshot: dict[str, Any]
    person: dict[str, Any]
