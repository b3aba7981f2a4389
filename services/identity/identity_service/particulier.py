"""Private-person sign-up and activation (SPEC ID-5): form, CGU and conditions particulières,
captcha, activation link valid 30 minutes, « Recevez un nouveau lien », « Votre compte est validé».

Whether the address already has an account is never told: the answer is the same, and the
address's owner receives a notice instead of a link (or a new link if the account is still
waiting for activation).
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from consignations_shared.clock import as_utc

from . import audit
from .access import ACCESS_VALIDITY
from .context import IdentityContext, token_hash
from consignations_shared.contracts.payloads.identity import (
    AccountActivated, SendActivationLink, SendSignupAlreadyRegistered,
)
from consignations_shared.validation import check_person_name, normalise_email, normalise_french_mobile
from .flows_common import collect, password_error, raise_if
from .links import ACTIVATION, LinkStore
from .models import LinkToken, Person
from .signup import CGU_REQUIRED, burn_captcha

log = logging.getLogger(__name__)

ACTIVATION_VALIDITY = timedelta(minutes=30)
RESEND_INTERVAL = timedelta(seconds=30)
CONDITIONS_REQUIRED = (
    "Vous devez accepter les conditions particulières pour créer votre compte : "
    "en cas de refus, la création de votre compte n'est pas possible."
)
SIGNUP_ANSWER = {
    "status": "activation_link_sent",
    "message": (
        "Un courriel d'activation vous a été envoyé. Cliquez sur le lien qu'il contient dans les "
        "30 minutes pour activer votre compte."
    ),
}
RESEND_ANSWER = {
    "status": "activation_link_sent",
    "message": "Si un compte en attente d'activation correspond, un nouveau lien vient de lui être envoyé.",
}


def _send_link(ctx: IdentityContext, person: Person) -> None:
    links = LinkStore(ctx.session, ctx.clock.now)
    token = links.issue(ACTIVATION, person.id, ACTIVATION_VALIDITY)
    ctx.outbox.publish(ctx.session, SendActivationLink(
        person_id=person.id, email=person.email, first_name=person.first_name,
        last_name=person.last_name, link_token=token,
        validity_minutes=int(ACTIVATION_VALIDITY.total_seconds() // 60),
    ))
    audit.record(ctx, "activation_link_sent", person_id=person.id, email=person.email)


def _may_resend(ctx: IdentityContext, person: Person) -> bool:
    last = LinkStore(ctx.session, ctx.clock.now).last_issued_at(ACTIVATION, person.id)
    return last is None or ctx.clock.now() - as_utc(last) >= RESEND_INTERVAL


def start_particulier_signup(ctx: IdentityContext, form: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values = collect(form, {
        "last_name": check_person_name, "first_name": check_person_name,
        "email": normalise_email, "mobile": normalise_french_mobile,
    }, errors)
    if (problem := password_error(form.get("password"))):
        errors["password"] = problem
    if form.get("accept_cgu") is not True:
        errors["accept_cgu"] = CGU_REQUIRED
    if form.get("accept_conditions_particulieres") is not True:
        errors["accept_conditions_particulieres"] = CONDITIONS_REQUIRED
    if (captcha_error := burn_captcha(ctx, form.get("captcha_id"), form.get("captcha_answer"))):
        errors["captcha"] = captcha_error
    if errors:
        ctx.session.commit()  # the captcha stays used
        raise_if(errors)

    password_hash = ctx.hasher.hash(form["password"])  # on every path: same time either way
    now = ctx.clock.now()
    existing = ctx.session.execute(select(Person).where(Person.email == values["email"])).scalar_one_or_none()
    if existing is None:
        person = Person(
            id=str(uuid.uuid4()), email=values["email"], password_hash=password_hash,
            profile="PARTICULIER", status="pending_activation", created_at=now,
            valid_until=now + ACCESS_VALIDITY, first_name=values["first_name"],
            last_name=values["last_name"], mobile=values["mobile"],
        )
        ctx.session.add(person)
        ctx.session.flush()
        _send_link(ctx, person)
        audit.record(ctx, "signup_started", person_id=person.id, email=person.email, ip=ip)
    elif existing.status == "pending_activation":
        if _may_resend(ctx, existing):
            _send_link(ctx, existing)
    else:
        ctx.outbox.publish(ctx.session, SendSignupAlreadyRegistered(
            signup_id=None, email=existing.email,
        ))
    ctx.session.commit()
    return dict(SIGNUP_ANSWER)


def activate(ctx: IdentityContext, token: Any) -> dict[str, Any]:
    links = LinkStore(ctx.session, ctx.clock.now)
    link = links.valid(token, ACTIVATION)
    person = ctx.session.get(Person, link.person_id)
    links.consume(link)
    now = ctx.clock.now()
    person.status, person.activated_at = "active", now
    audit.record(ctx, "account_activated", person_id=person.id, email=person.email)
    ctx.outbox.publish(ctx.session, AccountActivated(
        person_id=person.id, profile=person.profile, email=person.email,
        first_name=person.first_name, last_name=person.last_name, mobile=person.mobile,
        activated_at=now.isoformat(),
    ))
    ctx.session.commit()
    log.info("account activated", extra={"person_id": person.id})
    return {"status": "activated", "message": "Votre compte est validé.", "email": person.email}


def resend_activation_link(ctx: IdentityContext, email: Any = None, token: Any = None) -> dict[str, Any]:
    """« Recevez un nouveau lien »: by address, or from an expired link. Always the same answer."""
    person = None
    if isinstance(token, str) and token:
        link = ctx.session.execute(
            select(LinkToken).where(LinkToken.token_hash == token_hash(token), LinkToken.purpose == ACTIVATION)
        ).scalar_one_or_none()
        person = ctx.session.get(Person, link.person_id) if link is not None else None
    elif isinstance(email, str) and email.strip():
        person = ctx.session.execute(
            select(Person).where(Person.email == email.strip().lower())
        ).scalar_one_or_none()
    if person is not None and person.status == "pending_activation" and _may_resend(ctx, person):
        _send_link(ctx, person)
        ctx.session.commit()
    return dict(RESEND_ANSWER)
