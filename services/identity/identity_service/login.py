"""Login (SPEC ID-6, ID-7, NF-1): one neutral answer for unknown e-mails, wrong passwords and
locked accounts, one argon2 verification on every path (comparable timing), lock-out per
address and throttling per client IP, re-hash of weaker hashes."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from consignations_shared.clock import as_utc
from consignations_shared.contracts.payloads.identity import LoginLocked
from consignations_shared.errors import Forbidden, TooManyRequests, Unauthenticated, ValidationFailed

from . import audit, sessions
from .access import announce_expiry
from .context import IdentityContext
from .domain.lockout import ThrottleState, ip_allowed, is_locked, record_failure
from .models import IpAttempt, LoginThrottle, Person

WRONG_CREDENTIALS = "Adresse courriel ou mot de passe incorrect."
IP_THROTTLED = "Trop de tentatives de connexion. Veuillez réessayer dans quelques minutes."
NOT_ACTIVATED = (
    "Votre compte n'est pas encore activé. Cliquez sur le lien d'activation reçu par courriel "
    "ou demandez un nouveau lien (« Recevez un nouveau lien »)."
)
EXPIRED = "Votre compte est expiré. Veuillez contacter votre administrateur."
MAX_PASSWORD_CHARS = 1024  # longer input is refused before hashing (NF-1 accepts up to 128)
MAX_EMAIL_CHARS = 254  # no address is longer (RFC 5321), nor any column that keeps one


def _email_key(email: Any) -> str:
    return email.strip().lower() if isinstance(email, str) else ""


def _load_throttle(ctx: IdentityContext, key: str) -> tuple[LoginThrottle | None, ThrottleState]:
    """The address's failures; no row (nothing written) for addresses that never failed."""
    row = ctx.session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        return None, ThrottleState()
    state = ThrottleState(
        failures=tuple(datetime.fromisoformat(t) for t in row.failures or ()),
        locked_until=as_utc(row.locked_until) if row.locked_until else None,
        lock_level=row.lock_level or 0,
    )
    return row, state


def _count_ip_attempt(ctx: IdentityContext, ip: str | None) -> bool:
    """Count this attempt for the client address (atomic upsert in a short transaction that
    ends before hashing); False when the address's budget for the window is spent."""
    if not ip:
        return True
    now = ctx.clock.now()
    window = ctx.lockout.ip_window
    slot_seconds = (window / 3).total_seconds()
    slot_start = datetime.fromtimestamp(now.timestamp() // slot_seconds * slot_seconds, tz=now.tzinfo)
    recent = ctx.session.execute(
        select(func.coalesce(func.sum(IpAttempt.attempts), 0))
        .where(IpAttempt.ip == ip, IpAttempt.slot_start > now - window)
    ).scalar_one()
    if not ip_allowed(recent, ctx.lockout):
        return False
    dialect_insert = pg_insert if ctx.session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(IpAttempt).values(ip=ip, slot_start=slot_start, attempts=1)
    ctx.session.execute(statement.on_conflict_do_update(
        index_elements=[IpAttempt.ip, IpAttempt.slot_start],
        set_={"attempts": IpAttempt.attempts + 1},
    ))
    return True  # committed by the caller before hashing, with the person's lookup


def login(ctx: IdentityContext, email: Any, password: Any, ip: str | None = None,
          user_agent: str | None = None) -> dict[str, Any]:
    if not isinstance(email, str) or not email.strip() or not isinstance(password, str) or not password:
        raise ValidationFailed("Veuillez saisir votre adresse courriel et votre mot de passe.", {
            **({} if isinstance(email, str) and email.strip() else {"email": "L'adresse courriel est obligatoire."}),
            **({} if isinstance(password, str) and password else {"password": "Le mot de passe est obligatoire."}),
        })
    key = _email_key(email)
    if not _count_ip_attempt(ctx, ip):
        audit.record(ctx, "login_throttled_ip", email=key[:MAX_EMAIL_CHARS], ip=ip)
        ctx.session.commit()
        # The oldest of the window's three slots leaves it within a third of the window.
        raise TooManyRequests(IP_THROTTLED, retry_after=ctx.lockout.ip_window.total_seconds() / 3)
    if len(key) > MAX_EMAIL_CHARS:
        # No account has such an address: the unknown address's answer and work, and nothing
        # stored under a key no column can hold.
        ctx.session.commit()
        ctx.hasher.dummy_verify(password[:MAX_PASSWORD_CHARS])
        audit.record(ctx, "login_failed", email=key[:MAX_EMAIL_CHARS], ip=ip, detail={"locked": False})
        ctx.session.commit()
        raise Unauthenticated(WRONG_CREDENTIALS, None, "invalid_credentials")
    person = ctx.session.execute(select(Person).where(Person.email == key)).scalar_one_or_none()
    stored_hash = person.password_hash if person is not None and person.status != "deleted" else None
    # No transaction (and so no lock) stays open while the password is hashed.
    ctx.session.commit()

    # Exactly one argon2 verification whatever the case, so timing tells nothing.
    if len(password) > MAX_PASSWORD_CHARS:
        ctx.hasher.dummy_verify("x")
        password_ok = False
    elif stored_hash:
        password_ok = ctx.hasher.verify(stored_hash, password)
    else:
        password_ok = ctx.hasher.dummy_verify(password)

    now = ctx.clock.now()
    throttle, state = _load_throttle(ctx, key)
    if is_locked(state, now) or not password_ok:
        new_state, lock_started = (state, False) if is_locked(state, now) else record_failure(state, now, ctx.lockout)
        if throttle is None:
            throttle = LoginThrottle(email=key)
            ctx.session.add(throttle)
        throttle.failures = [t.isoformat() for t in new_state.failures]
        throttle.locked_until, throttle.lock_level = new_state.locked_until, new_state.lock_level
        audit.record(ctx, "login_failed", person_id=person.id if person else None, email=key, ip=ip,
                     detail={"locked": is_locked(state, now)})
        if lock_started:
            audit.record(ctx, "login_locked", person_id=person.id if person else None, email=key, ip=ip,
                         detail={"until": new_state.locked_until.isoformat(), "level": new_state.lock_level})
            if person is not None:
                ctx.outbox.publish(ctx.session, LoginLocked(
                    person_id=person.id, locked_until=new_state.locked_until.isoformat(),
                    lock_level=new_state.lock_level,
                ))
        ctx.session.commit()
        raise Unauthenticated(WRONG_CREDENTIALS, None, "invalid_credentials")

    # The password is right: from here on, saying why the login is refused reveals nothing new.
    if throttle is not None:
        ctx.session.delete(throttle)
    if person.status in ("pending_activation", "invited"):
        audit.record(ctx, "login_refused_not_activated", person_id=person.id, email=key, ip=ip)
        ctx.session.commit()
        raise Forbidden(NOT_ACTIVATED, None, "account_not_activated")
    if as_utc(person.valid_until) <= now:
        announce_expiry(ctx, person)
        audit.record(ctx, "login_refused_expired", person_id=person.id, email=key, ip=ip)
        ctx.session.commit()
        raise Forbidden(EXPIRED, None, "access_expired")
    if ctx.hasher.needs_rehash(stored_hash):
        person.password_hash = ctx.hasher.hash(password)
    opened = sessions.open_session(ctx, person, ip, user_agent)
    audit.record(ctx, "login_succeeded", person_id=person.id, email=key, ip=ip,
                 detail={"session_id": opened["session_id"]})
    ctx.session.commit()
    return {**opened, "person": sessions.person_view(ctx.session, person)}


def lock_state(ctx: IdentityContext, email: str) -> dict[str, Any]:
    """For operators and tests: the lock of an address."""
    row = ctx.session.get(LoginThrottle, _email_key(email))
    if row is None:
        return {"locked_until": None, "failures": 0}
    return {"locked_until": as_utc(row.locked_until).isoformat() if row.locked_until else None,
            "failures": len(row.failures or [])}

