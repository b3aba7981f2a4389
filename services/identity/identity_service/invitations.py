"""Invited people (SPEC ID-10, AC-5) and gestionnaires (BO-4): an e-mail with a link and a
confidential password valid 48 hours; the person types it, chooses their own password (ID-1),
accepts the CGU, « VALIDER »; they can ask for a new code."""
from __future__ import annotations

import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from consignations_shared.clock import as_utc
from consignations_shared.contracts.payloads.identity import AccountActivated, PersonInvited, SendInvitation
from consignations_shared.errors import Conflict, Gone, ValidationFailed

from . import audit
from .access import ACCESS_VALIDITY
from .context import IdentityContext, token_hash
from .domain.codes import EMAIL_CODE_ALPHABET, INVITATION_CODE_POLICY, CodePurpose
from consignations_shared.validation import check_person_name, normalise_email
from .flows_common import collect, password_error, raise_if
from .links import INVITATION, LINK_INVALID, LinkStore
from .memberships import names_of
from .models import LinkToken, Person
from .signup import CGU_REQUIRED

log = logging.getLogger(__name__)

INVITATION_VALIDITY = timedelta(hours=48)
INVITED_PROFILES = ("ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION", "GESTIONNAIRE")
CONFIDENTIAL_PASSWORD_LENGTH = 10
CODE_REQUIRED = "Veuillez saisir le mot de passe confidentiel reçu par courriel."


def _confidential_password() -> str:
    return "".join(secrets.choice(EMAIL_CODE_ALPHABET) for _ in range(CONFIDENTIAL_PASSWORD_LENGTH))


def _send(ctx: IdentityContext, person: Person, company_name: str | None) -> None:
    token = LinkStore(ctx.session, ctx.clock.now).issue(INVITATION, person.id, INVITATION_VALIDITY)
    code = ctx.codes.issue(CodePurpose.INVITATION, person.id, INVITATION_CODE_POLICY, _confidential_password)
    first_name, last_name = names_of(ctx.session, person)  # an administrator may have corrected them since
    ctx.outbox.publish(ctx.session, SendInvitation(
        person_id=person.id, email=person.email, first_name=first_name,
        last_name=last_name, link_token=token, code=code,
        company_name=company_name, profile=person.profile,
        validity_hours=int(INVITATION_VALIDITY.total_seconds() // 3600),
    ))


def _check_profile(value: Any, field: str = "profile") -> str:
    if value not in INVITED_PROFILES:
        raise ValidationFailed(None, {field: "Veuillez choisir un profil : Administrateur, Utilisateur ou Consultation."})
    return value


def invite(ctx: IdentityContext, form: dict[str, Any], invited_by: str | None = None,
           company_name: str | None = None, *, neutral: bool = True) -> dict[str, Any]:
    """Invite a person (`neutral`: an address that has an account gets the answer of an
    invitation sent; the operator's command line says it plainly instead)."""
    errors: dict[str, str] = {}
    values = collect(form, {"last_name": check_person_name, "first_name": check_person_name,
                            "email": normalise_email, "profile": _check_profile}, errors)
    raise_if(errors)
    if ctx.session.execute(select(Person.id).where(Person.email == values["email"])).first() is not None:
        if not neutral:
            message = "Cette adresse courriel est déjà utilisée par un compte."
            raise Conflict(message, {"email": message}, "email_taken")
        # The address has an account (anywhere: another company, a particulier, a gestionnaire):
        # the same answer as an invitation sent, so an administrator learns nothing about it
        # (like sign-up, login and the forgotten password). Nothing is created nor sent; the
        # person id is a new one nobody has, and the invitation is simply never accepted.
        audit.record(ctx, "invitation_not_sent", email=values["email"], actor_id=invited_by,
                     detail={"reason": "address_has_an_account", "profile": values["profile"]})
        ctx.session.commit()
        return {"person_id": str(uuid.uuid4()), "email": values["email"], "profile": values["profile"]}
    now = ctx.clock.now()
    person = Person(
        id=str(uuid.uuid4()), email=values["email"], password_hash=None, profile=values["profile"],
        status="invited", created_at=now, valid_until=now + ACCESS_VALIDITY,
        first_name=values["first_name"], last_name=values["last_name"],
    )
    ctx.session.add(person)
    ctx.session.flush()
    _send(ctx, person, company_name)
    audit.record(ctx, "staff_created" if person.is_staff else "invitation_sent", person_id=person.id,
                 email=person.email, actor_id=invited_by, detail={"profile": person.profile})
    ctx.outbox.publish(ctx.session, PersonInvited(
        person_id=person.id, email=person.email, profile=person.profile,
        first_name=person.first_name, last_name=person.last_name, invited_by=invited_by,
    ))
    ctx.session.commit()
    return {"person_id": person.id, "email": person.email, "profile": person.profile}


def invitation_details(ctx: IdentityContext, token: Any) -> dict[str, Any]:
    link = LinkStore(ctx.session, ctx.clock.now).valid(token, INVITATION)
    person = ctx.session.get(Person, link.person_id)
    first_name, last_name = names_of(ctx.session, person)
    return {"email": person.email, "first_name": first_name, "last_name": last_name,
            "profile": person.profile, "expires_at": as_utc(link.expires_at).isoformat()}


def accept(ctx: IdentityContext, token: Any, code: Any, password: Any, accept_cgu: Any) -> dict[str, Any]:
    links = LinkStore(ctx.session, ctx.clock.now)
    link = links.valid(token, INVITATION)
    person = ctx.session.get(Person, link.person_id)
    errors = {}
    if (problem := password_error(password)):
        errors["password"] = problem
    if accept_cgu is not True:
        errors["accept_cgu"] = CGU_REQUIRED
    if not isinstance(code, str) or not code.strip():
        errors["code"] = CODE_REQUIRED
    raise_if(errors)
    ctx.codes.verify(CodePurpose.INVITATION, person.id, code, INVITATION_CODE_POLICY)
    links.consume(link)
    now = ctx.clock.now()
    person.password_hash = ctx.hasher.hash(password)
    person.status, person.activated_at, person.password_changed_at = "active", now, now
    audit.record(ctx, "invitation_accepted", person_id=person.id, email=person.email)
    first_name, last_name = names_of(ctx.session, person)
    ctx.outbox.publish(ctx.session, AccountActivated(
        person_id=person.id, profile=person.profile, email=person.email,
        first_name=first_name, last_name=last_name, mobile=person.mobile,
        activated_at=now.isoformat(),
    ))
    ctx.session.commit()
    log.info("invitation accepted", extra={"person_id": person.id})
    return {"status": "activated", "message": "Votre compte est validé. Vous pouvez vous connecter.",
            "email": person.email}


def resend(ctx: IdentityContext, token: Any, company_name: str | None = None) -> dict[str, Any]:
    """« Demander un nouveau code »: a new e-mail with a new link and confidential password,
    also from an expired invitation link (not from a used one)."""
    if not isinstance(token, str) or not token:
        raise ValidationFailed(LINK_INVALID)
    link = ctx.session.execute(
        select(LinkToken).where(LinkToken.token_hash == token_hash(token), LinkToken.purpose == INVITATION)
    ).scalar_one_or_none()
    person = ctx.session.get(Person, link.person_id) if link is not None else None
    if link is None or link.used_at is not None or person is None or person.status != "invited":
        raise Gone(LINK_INVALID, None, "link_invalid")
    ctx.codes.check_resend_allowed(CodePurpose.INVITATION, person.id, INVITATION_CODE_POLICY)
    _send(ctx, person, company_name)
    audit.record(ctx, "invitation_sent", person_id=person.id, email=person.email, detail={"resent": True})
    ctx.session.commit()
    return {"status": "invitation_resent",
            "message": "Un nouveau courriel contenant un lien et un mot de passe confidentiel valables 48 heures vous a été envoyé."}
