"""Demandes database tables. The plumbing tables (outbox, processed events) come from the shared library."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String
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
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
