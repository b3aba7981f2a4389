"""Demandes database tables. The plumbing tables (outbox, processed events) come from the shared library."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class RequestNumber(Base):
    """Last sequence given to a request transmitted in a month (DM-5): one row per YYMM, locked
    by the submission that takes the next number (numbering.allocate)."""

    __tablename__ = "request_numbers"

    yymm: Mapped[str] = mapped_column(String(4), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Request(Base):
    """A « demande » (SPEC section 3): the values of step 1 « Informations » as one JSON object
    checked against its procedure's fields (domain.fields), the furthest wizard step reached and
    its lifecycle state (domain.lifecycle). `version` detects two saves of the same draft at once."""

    __tablename__ = "requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(40))
    sens: Mapped[str] = mapped_column(String(1))  # C | D
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    owner_person_id: Mapped[str] = mapped_column(String(36), index=True)
    created_by: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(30), index=True)  # lifecycle.STATES
    step: Mapped[int] = mapped_column(Integer)  # 1 Informations .. 4 Confirmation (where to resume)
    values: Mapped[dict] = mapped_column(JSON)
    number: Mapped[str | None] = mapped_column(String(15), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the request entered its current state (the reminders count from there).
    state_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The entered amount (procedures with an amount), copied from `values` to sort the board.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # The client's name when the request was transmitted (company, or the particulier's name):
    # the back office searches and sorts on it without asking the accounts service per row.
    client_name: Mapped[str | None] = mapped_column(String(210), index=True)
    duplicated_from_id: Mapped[str | None] = mapped_column(String(36))
    proof_document_id: Mapped[str | None] = mapped_column(String(36))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_requests_account_state", "account_id", "state"),)


class RequestTransition(Base):
    """One change of state of a request (DM-6): who, when, why."""

    __tablename__ = "request_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by_person_id: Mapped[str | None] = mapped_column(String(36))
    by_role: Mapped[str] = mapped_column(String(20))  # CLIENT | GESTIONNAIRE | SYSTEM
    by_name: Mapped[str | None] = mapped_column(String(210))
    reason: Mapped[str | None] = mapped_column(Text)


class SubmissionKey(Base):
    """An `Idempotency-Key` of a submission: the same key of the same person gives back the same
    request (and number) instead of a second submission."""

    __tablename__ = "submission_keys"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Message(Base):
    """A message of a request's thread (MS-1..MS-6): opened by a gestionnaire (or the reminder
    job), answered by the client. Never edited once sent."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    author_role: Mapped[str] = mapped_column(String(20))  # GESTIONNAIRE | CLIENT | SYSTEM
    author_person_id: Mapped[str | None] = mapped_column(String(36))
    author_name: Mapped[str | None] = mapped_column(String(210))
    subject_code: Mapped[str | None] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(36))
    attachments: Mapped[list] = mapped_column(JSON, default=list)  # document ids
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MessageRead(Base):
    """A person has read a message (absent: unread; « marquer comme non lu » deletes the row)."""

    __tablename__ = "message_reads"

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Member(Base):
    """Read model of accounts.member_changed (members.py): the people of the client accounts as the
    accounts service last published them, kept at their highest revision. Owners' and colleagues'
    names, reassignment candidates and the summary's owner come from here, not from a call."""

    __tablename__ = "members"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    account_kind: Mapped[str] = mapped_column(String(20))
    account_status: Mapped[str] = mapped_column(String(20))
    company_name: Mapped[str | None] = mapped_column(String(120))
    profile: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # invited | active | deleted
    can_submit: Mapped[bool] = mapped_column(Boolean)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    display_name: Mapped[str | None] = mapped_column(String(210))
    email: Mapped[str | None] = mapped_column(String(254))


class RequestDocument(Base):
    """Read model: the documents of the requests, as the documents service's events describe
    them (request_documents.py). One row per document version, the highest revision seen; the
    request detail, the board and the back office read it instead of asking the documents
    service."""

    __tablename__ = "request_documents"
    __table_args__ = (Index("ix_request_documents_request", "request_id", "status"),)

    document_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # pending | attached | replaced | deleted
    kind: Mapped[str] = mapped_column(String(30))
    source_version: Mapped[int | None] = mapped_column(Integer)  # generated PDFs: the request version
    uploaded_at: Mapped[str] = mapped_column(String(40))  # ISO-8601, as received (orders the list)
    state: Mapped[dict] = mapped_column(JSON)  # the DocumentState (contracts/payloads/documents.py)


class SummaryAsked(Base):
    """The last version of each request whose PDF summary was asked of the documents service (the
    command demandes.render_summary, written with the transmission): « Télécharger le
    récapitulatif » serves the summary of that version once the read model has it."""

    __tablename__ = "summaries_asked"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
