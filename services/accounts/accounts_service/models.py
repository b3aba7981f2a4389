"""Accounts database tables: client accounts and the people in them (SPEC section 2)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from consignations_shared.rate_limits import rate_counter_table


class Base(DeclarativeBase):
    pass


class ClientAccount(Base):
    """A « compte client »: a company's (4-step wizard, AC-1) or a private person's (AC-8)."""

    __tablename__ = "client_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # ENTREPRISE | PARTICULIER
    company_name: Mapped[str | None] = mapped_column(String(120))
    notification_email: Mapped[str] = mapped_column(String(254))  # never modifiable (ID-2)
    status: Mapped[str] = mapped_column(String(20))  # draft | active
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signup_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # Wizard (AC-1): the furthest step reached; finalised_at locks steps 1-3.
    wizard_step: Mapped[int] = mapped_column(Integer, default=1)
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Step 1 « Votre structure »
    structure_type: Mapped[str | None] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    address_complement: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    commune: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    siret: Mapped[str | None] = mapped_column(String(14))
    siren: Mapped[str | None] = mapped_column(String(9))
    # Step 3 and the fiche client (AC-3)
    administrator_on_kbis: Mapped[bool | None] = mapped_column(Boolean)
    phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(254))


class AccountMember(Base):
    """A person of a client account with their profile (section 0)."""

    __tablename__ = "account_members"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("client_accounts.id"), index=True)
    profile: Mapped[str] = mapped_column(String(20))  # ADMINISTRATEUR | UTILISATEUR | CONSULTATION | PARTICULIER
    email: Mapped[str] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="active")  # invited | active | deleted
    civility: Mapped[str | None] = mapped_column(String(10))
    last_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    function: Mapped[str | None] = mapped_column(String(100))
    landline: Mapped[str | None] = mapped_column(String(20))
    can_submit: Mapped[bool] = mapped_column(Boolean, default=True)  # AC-7
    welcome_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # AC-2
    deletion_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # AC-6
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[date | None] = mapped_column(Date)
    # The number of the last change of this membership (member_events.py): taken from the one
    # global sequence below, so it grows with every change and orders `members_snapshot`.
    revision: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0, index=True)


class MemberChangeSequence(Base):
    """One row: the number of the last change of any membership (accounts.member_changed). Taken
    by UPDATE, its row stays locked until the change commits, so changes commit in the order of
    their numbers and a snapshot paged by revision misses none."""

    __tablename__ = "member_change_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


# Invitations per administrator and per account (throttling.py, consignations_shared.rate_limits).
rate_counters = rate_counter_table(Base.metadata)
