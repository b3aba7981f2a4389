"""Identity database tables (owned by the identity service only)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from consignations_shared.rate_limits import rate_counter_table


class Base(DeclarativeBase):
    pass


class CaptchaChallenge(Base):
    """A captcha shown once; its answer is compared server-side and the challenge burnt (ID-2).

    The answer is kept in clear: it protects a form for a few minutes, it is nobody's secret.
    """

    __tablename__ = "captcha_challenges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Signup(Base):
    """A sign-up in progress (ID-2..ID-4), reached through an opaque token held by the browser."""

    __tablename__ = "signups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    profile: Mapped[str] = mapped_column(String(20))
    company_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), index=True)
    mobile: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    cgu_accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sms_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    person_id: Mapped[str | None] = mapped_column(String(36))


class ConfidentialCode(Base):
    """A code sent by SMS or e-mail, stored as an HMAC bound to its purpose and subject (NF-1)."""

    __tablename__ = "confidential_codes"
    __table_args__ = (Index("ix_codes_subject", "purpose", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(36))
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)


class Person(Base):
    """Someone who can log in: the credential side of a client person or of a gestionnaire
    (accounts owns the rest). `profile` is ADMINISTRATEUR for the person who created a company
    account (and for invited administrators), PARTICULIER for a private person, UTILISATEUR or
    CONSULTATION when invited, GESTIONNAIRE (BO-4). Names are the ones given to identity (the
    sign-up, the invitation); the ones accounts holds later (the company wizard's step 2, « Mon
    profil ») are read from the memberships read model (`memberships.names_of`)."""

    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # pending_activation | invited | active | deleted
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the expiry of the access was announced (access_expired), so it is announced once.
    expiry_announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_staff(self) -> bool:
        return self.profile == "GESTIONNAIRE"


class Session(Base):
    """A login session (ID-11): only the SHA-256 of its 256-bit token is stored."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_hash: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(30))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LinkToken(Base):
    """A link sent by e-mail (activation, password reset, invitation): random, hashed, single
    use, expiring, superseded by a newer link of the same purpose for the same person."""

    __tablename__ = "link_tokens"
    __table_args__ = (Index("ix_link_tokens_person", "purpose", "person_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[str] = mapped_column(String(36))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginThrottle(Base):
    """Recent login failures of one e-mail address, known or not (NF-1 lock-out)."""

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[list] = mapped_column(JSON, default=list)  # ISO timestamps, newest last
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lock_level: Mapped[int] = mapped_column(Integer, default=0)


class IpAttempt(Base):
    """Login attempts per client address and time slot (per-IP throttling, NF-1)."""

    __tablename__ = "ip_attempts"

    ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SecurityEvent(Base):
    """Audit log of security events (NF-1): logins, failures, locks, password changes, ..."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_time", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    ip: Mapped[str | None] = mapped_column(String(45))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict | None] = mapped_column(JSON)
    correlation_id: Mapped[str | None] = mapped_column(String(64))


class Membership(Base):
    """Read model of accounts.member_changed (memberships.py): the person's place in a client
    account as the accounts service last published it, kept at its highest revision. It fills the
    `membership` of the acting person that `resolve_session` answers (ActingPerson)."""

    __tablename__ = "memberships"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    account_id: Mapped[str] = mapped_column(String(36))
    account_kind: Mapped[str] = mapped_column(String(20))
    account_status: Mapped[str] = mapped_column(String(20))
    profile: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # invited | active | deleted
    can_submit: Mapped[bool] = mapped_column(Boolean)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company_name: Mapped[str | None] = mapped_column(String(255))  # the page header, step 1's prefill


# Per-address limits of captchas and SMS (throttling.py, consignations_shared.rate_limits).
rate_counters = rate_counter_table(Base.metadata)
