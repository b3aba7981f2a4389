"""Accounts database tables: client accounts and the people in them (SPEC section 2)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ClientAccount(Base):
    """A company's « compte client ». Created as a draft when its sign-up is verified; the
    4-step wizard (AC-1) completes it."""

    __tablename__ = "client_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # ENTREPRISE | PARTICULIER
    company_name: Mapped[str | None] = mapped_column(String(120))
    notification_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20))  # draft | active
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signup_id: Mapped[str] = mapped_column(String(36), unique=True)


class AccountMember(Base):
    """A person of a client account with their profile (section 0)."""

    __tablename__ = "account_members"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("client_accounts.id"), index=True)
    profile: Mapped[str] = mapped_column(String(20))  # ADMINISTRATEUR | UTILISATEUR | CONSULTATION
    email: Mapped[str] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
