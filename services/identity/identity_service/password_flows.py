"""Forgotten password (SPEC ID-8) and password change from the profile (ID-9).

Forgotten: the same answer whether or not the address has an account; an account gets a link
valid 30 minutes and a confidential code; the reset page asks the e-mail, the new password and
the code; link and code are single use. Change: a code e-mailed to the logged-in person, valid
48 hours. Either way every other session of the person is revoked and a security notice sent.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from consignations_shared.clock import as_utc
from consignations_shared.contracts.payloads.identity import (
    PasswordChanged, PasswordResetRequested, SendPasswordChangeCode, SendPasswordReset,
)
from consignations_shared.errors import NotFound, ValidationFailed

from . import audit, sessions
from .context import IdentityContext
from .domain.codes import (
    PASSWORD_CHANGE_CODE_POLICY, PASSWORD_RESET_CODE_POLICY, CodePurpose, generate_email_code,
)
from consignations_shared.validation import normalise_email
from .flows_common import password_error
from .links import PASSWORD_RESET, LinkStore
from .models import LoginThrottle, Person

log = logging.getLogger(__name__)

RESET_LINK_VALIDITY = timedelta(minutes=30)
FORGOTTEN_ANSWER = {
    "status": "reset_requested",
    "message": (
        "Si un compte correspond à cette adresse courriel, vous allez recevoir un courriel "
        "contenant un lien valable 30 minutes et un code confidentiel pour choisir un nouveau mot de passe."
    ),
}
EMAIL_MISMATCH = "Cette adresse courriel ne correspond pas au lien de réinitialisation."
CODE_REQUIRED = "Veuillez saisir le code confidentiel reçu par courriel."


def request_reset(ctx: IdentityContext, email: Any, ip: str | None = None) -> dict[str, Any]:
    key = normalise_email(email)
    person = ctx.session.execute(
        select(Person).where(Person.email == key, Person.status == "active")
    ).scalar_one_or_none()
    links = LinkStore(ctx.session, ctx.clock.now)
    # Same work on both paths (an audit row is written either way): no timing oracle.
    audit.record(ctx, "password_reset_requested", person_id=person.id if person else None, email=key, ip=ip)
    if person is not None:
        last = links.last_issued_at(PASSWORD_RESET, person.id)
        if last is None or ctx.clock.now() - as_utc(last) >= PASSWORD_RESET_CODE_POLICY.resend_interval:
            token = links.issue(PASSWORD_RESET, person.id, RESET_LINK_VALIDITY)
            code = ctx.codes.issue(CodePurpose.PASSWORD_RESET, person.id, PASSWORD_RESET_CODE_POLICY,
                                   generate_email_code)
            ctx.outbox.publish(ctx.session, SendPasswordReset(
                person_id=person.id, email=person.email, link_token=token, code=code,
                validity_minutes=int(RESET_LINK_VALIDITY.total_seconds() // 60),
            ))
            ctx.outbox.publish(ctx.session, PasswordResetRequested(person_id=person.id))
    ctx.session.commit()
    return dict(FORGOTTEN_ANSWER)


def _set_password(ctx: IdentityContext, person: Person, password: str, reason: str,
                  keep_session_id: str | None = None) -> None:
    now = ctx.clock.now()
    person.password_hash = ctx.hasher.hash(password)
    person.password_changed_at = now
    sessions.revoke_all(ctx, person.id, f"password_{reason}", keep_session_id=keep_session_id)
    throttle = ctx.session.get(LoginThrottle, person.email)
    if throttle is not None:  # proving ownership of the mailbox lifts a lock-out
        throttle.failures, throttle.locked_until, throttle.lock_level = [], None, 0
    audit.record(ctx, "password_reset" if reason == "reset" else "password_changed",
                 person_id=person.id, email=person.email)
    ctx.outbox.publish(ctx.session, PasswordChanged(
        person_id=person.id, email=person.email, reason=reason, changed_at=now.isoformat(),
    ))


def reset_password(ctx: IdentityContext, token: Any, email: Any, password: Any, code: Any) -> dict[str, Any]:
    links = LinkStore(ctx.session, ctx.clock.now)
    link = links.valid(token, PASSWORD_RESET)
    person = ctx.session.get(Person, link.person_id)
    errors = {}
    try:
        if normalise_email(email) != person.email:
            errors["email"] = EMAIL_MISMATCH
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if (problem := password_error(password)):
        errors["password"] = problem
    if not isinstance(code, str) or not code.strip():
        errors["code"] = CODE_REQUIRED
    if errors:
        raise ValidationFailed(None, errors)
    ctx.codes.verify(CodePurpose.PASSWORD_RESET, person.id, code, PASSWORD_RESET_CODE_POLICY)
    links.consume(link)
    _set_password(ctx, person, password, "reset")
    ctx.session.commit()
    log.info("password reset", extra={"person_id": person.id})
    return {"status": "password_reset",
            "message": "Votre mot de passe a bien été modifié. Vous pouvez vous connecter avec votre nouveau mot de passe."}


def _active_person(ctx: IdentityContext, person_id: str) -> Person:
    person = ctx.session.get(Person, str(person_id))
    if person is None or person.status != "active":
        raise NotFound("Cette personne est introuvable.")
    return person


def request_change_code(ctx: IdentityContext, person_id: str, password: Any = None) -> dict[str, Any]:
    """« RECEVOIR UN CODE »: checks the new password early when given, e-mails a 48-hour code."""
    person = _active_person(ctx, person_id)
    if password is not None and (problem := password_error(password)):
        raise ValidationFailed(None, {"password": problem})
    ctx.codes.check_resend_allowed(CodePurpose.PASSWORD_CHANGE, person.id, PASSWORD_CHANGE_CODE_POLICY)
    code = ctx.codes.issue(CodePurpose.PASSWORD_CHANGE, person.id, PASSWORD_CHANGE_CODE_POLICY, generate_email_code)
    ctx.outbox.publish(ctx.session, SendPasswordChangeCode(
        person_id=person.id, email=person.email, code=code,
        validity_hours=int(PASSWORD_CHANGE_CODE_POLICY.validity.total_seconds() // 3600),
    ))
    audit.record(ctx, "password_change_code_sent", person_id=person.id, email=person.email)
    ctx.session.commit()
    return {"status": "code_sent",
            "message": "Un code confidentiel valable 48 heures vient de vous être envoyé par courriel."}


def change_password(ctx: IdentityContext, person_id: str, session_id: str | None, password: Any,
                    code: Any) -> dict[str, Any]:
    """« VALIDER MON NOUVEAU MOT DE PASSE »: the current session stays open, the others close."""
    person = _active_person(ctx, person_id)
    errors = {}
    if (problem := password_error(password)):
        errors["password"] = problem
    if not isinstance(code, str) or not code.strip():
        errors["code"] = CODE_REQUIRED
    if errors:
        raise ValidationFailed(None, errors)
    ctx.codes.verify(CodePurpose.PASSWORD_CHANGE, person.id, code, PASSWORD_CHANGE_CODE_POLICY)
    _set_password(ctx, person, password, "change", keep_session_id=session_id)
    ctx.session.commit()
    return {"status": "password_changed", "message": "Votre mot de passe a bien été modifié."}
