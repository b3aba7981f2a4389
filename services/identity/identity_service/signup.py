"""Company sign-up, authentication steps 1/3 to 3/3 (SPEC ID-1..ID-4).

Pure use cases over a SQLAlchemy session and an outbox writer: no nameko, no Flask. The browser
holds an opaque sign-up token (only its SHA-256 is stored); codes go to the notifier as private
commands in the same transaction as the code they carry (EV-4), and `signup_verified` and
`account_activated` (the administrator can log in: NO-7) are recorded in the same transaction
that marks the sign-up verified (EV-3).
"""
from __future__ import annotations

import base64
import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from consignations_shared.clock import as_utc
from consignations_shared.contracts.payloads.identity import (
    AccountActivated, SendSignupAlreadyRegistered, SendSignupEmailCode, SendSignupSmsCode, SignupVerified,
)
from consignations_shared.errors import Conflict, Gone, ValidationFailed

from .access import ACCESS_VALIDITY
from .context import IdentityContext, token_hash
from .domain import captcha
from .domain.codes import CodePurpose, SIGNUP_CODE_POLICY, generate_email_code, generate_sms_code
from .domain.passwords import check_password_policy, password_policy_error_message
from consignations_shared.validation import check_company_name, normalise_email, normalise_french_mobile
from .models import CaptchaChallenge, Person, Signup
from .throttling import spend_for_address

log = logging.getLogger(__name__)

CAPTCHA_VALIDITY = timedelta(minutes=10)
SIGNUP_VALIDITY = timedelta(hours=24)

PROFILE_ENTREPRISE = "ENTREPRISE"
PROFILE_ADMINISTRATEUR = "ADMINISTRATEUR"
STATUS_SMS_PENDING = "sms_pending"
STATUS_EMAIL_PENDING = "email_pending"
STATUS_VERIFIED = "verified"

CAPTCHA_WRONG = "Le code de sécurité saisi est incorrect. Un nouveau code vous est proposé."
CAPTCHA_EXPIRED = "Le code de sécurité a expiré. Un nouveau code vous est proposé."
CGU_REQUIRED = "Vous devez accepter les conditions générales d'utilisation pour créer votre compte."
ALREADY_REGISTERED = ("Un compte existe déjà avec cette adresse courriel. Connectez-vous, ou choisissez "
                      "« Mot de passe oublié ? » sur la page de connexion.")
SIGNUP_UNKNOWN = "Cette inscription n'existe pas ou a expiré. Veuillez recommencer la création de votre compte."


def mask_mobile(e164: str) -> str:
    """+33612345678 -> « 06 ** ** ** 78 » (shown on the SMS step, not modifiable there)."""
    national = "0" + e164[3:] if e164.startswith("+33") else e164
    return f"{national[:2]} ** ** ** {national[-2:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"


# --- captcha ---------------------------------------------------------------------------------

def new_captcha(ctx: IdentityContext, ip: str | None = None) -> dict[str, Any]:
    spend_for_address(ctx, ctx.limits.captchas, ip)  # each one is an image and a row
    answer, png = captcha.new_challenge()
    now = ctx.clock.now()
    challenge = CaptchaChallenge(
        id=str(uuid.uuid4()), answer=answer, created_at=now, expires_at=now + CAPTCHA_VALIDITY,
    )
    ctx.session.add(challenge)
    ctx.session.commit()
    return {"captcha_id": challenge.id, "image_png_base64": base64.b64encode(png).decode("ascii")}


def captcha_image(ctx: IdentityContext, captcha_id: str) -> str:
    challenge = ctx.session.get(CaptchaChallenge, str(captcha_id))
    if challenge is None or challenge.used_at is not None or as_utc(challenge.expires_at) <= ctx.clock.now():
        raise Gone(CAPTCHA_EXPIRED, {"captcha": CAPTCHA_EXPIRED})
    return base64.b64encode(captcha.render_image(challenge.answer)).decode("ascii")


def burn_captcha(ctx: IdentityContext, captcha_id: Any, answer: Any) -> str | None:
    """Use the challenge up (single use, even when wrong); return an error message or None."""
    if not isinstance(captcha_id, str) or not captcha_id:
        return CAPTCHA_WRONG
    now = ctx.clock.now()
    challenge = ctx.session.get(CaptchaChallenge, captcha_id)
    if challenge is None:
        return CAPTCHA_WRONG
    burnt = ctx.session.execute(
        update(CaptchaChallenge)
        .where(CaptchaChallenge.id == captcha_id, CaptchaChallenge.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not burnt:
        return CAPTCHA_WRONG
    if as_utc(challenge.expires_at) <= now:
        return CAPTCHA_EXPIRED
    return None if captcha.answer_matches(challenge.answer, answer) else CAPTCHA_WRONG


# --- step 1/3: the authentication form --------------------------------------------------------

def start_company_signup(ctx: IdentityContext, form: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
    """Check the form, store the pending sign-up, send the SMS code (ID-2, ID-3).

    An address that already has an account is not revealed here (no enumeration): the flow
    goes on identically and the e-mail step tells the address's owner instead of sending a code.
    """
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for field, check in (("company_name", check_company_name), ("email", normalise_email),
                         ("mobile", normalise_french_mobile)):
        try:
            values[field] = check(form.get(field))
        except ValidationFailed as exc:
            errors.update(exc.fields)
    password = form.get("password")
    if not isinstance(password, str) or not password:
        errors["password"] = "Le mot de passe est obligatoire."
    else:
        failures = check_password_policy(password)
        if failures:
            errors["password"] = password_policy_error_message(failures)
    if form.get("accept_cgu") is not True:
        errors["accept_cgu"] = CGU_REQUIRED
    captcha_error = burn_captcha(ctx, form.get("captcha_id"), form.get("captcha_answer"))
    if captcha_error:
        errors["captcha"] = captcha_error
    if errors:
        ctx.session.commit()  # the captcha stays used
        raise ValidationFailed(None, errors)
    spend_for_address(ctx, ctx.limits.sms, ip)  # before hashing: this form sends an SMS

    now = ctx.clock.now()
    token = secrets.token_urlsafe(32)
    signup = Signup(
        id=str(uuid.uuid4()), token_hash=token_hash(token), profile=PROFILE_ENTREPRISE,
        company_name=values["company_name"], email=values["email"], mobile=values["mobile"],
        password_hash=ctx.hasher.hash(password), cgu_accepted_at=now, status=STATUS_SMS_PENDING,
        created_at=now, expires_at=now + SIGNUP_VALIDITY,
    )
    ctx.session.add(signup)
    _send_sms_code(ctx, signup)
    ctx.session.commit()
    log.info("company sign-up started", extra={"signup_id": signup.id})
    return {"signup_token": token, **_progress(signup)}


def _progress(signup: Signup) -> dict[str, Any]:
    step = {STATUS_SMS_PENDING: "sms_code", STATUS_EMAIL_PENDING: "email_code",
            STATUS_VERIFIED: "verified"}[signup.status]
    return {
        "step": step, "profile": signup.profile, "company_name": signup.company_name,
        "mobile_masked": mask_mobile(signup.mobile), "email": signup.email,
    }


def _send_sms_code(ctx: IdentityContext, signup: Signup) -> None:
    code = ctx.codes.issue(CodePurpose.SIGNUP_SMS, signup.id, SIGNUP_CODE_POLICY, generate_sms_code)
    ctx.outbox.publish(ctx.session, SendSignupSmsCode(
        signup_id=signup.id, mobile=signup.mobile, code=code,
    ))


def _send_email_code(ctx: IdentityContext, signup: Signup) -> None:
    code = ctx.codes.issue(CodePurpose.SIGNUP_EMAIL, signup.id, SIGNUP_CODE_POLICY, generate_email_code)
    already_registered = ctx.session.execute(
        select(Person.id).where(Person.email == signup.email)
    ).first() is not None
    if already_registered:
        # The code is issued (same timing, same answers) but never sent: the owner of the
        # address is told that somebody tried to sign up with it.
        ctx.outbox.publish(ctx.session, SendSignupAlreadyRegistered(
            signup_id=signup.id, email=signup.email,
        ))
        return
    ctx.outbox.publish(ctx.session, SendSignupEmailCode(
        signup_id=signup.id, email=signup.email, company_name=signup.company_name,
        code=code,
    ))


def _pending_signup(ctx: IdentityContext, token: Any, *, lock: bool = False) -> Signup:
    if not isinstance(token, str) or not token:
        raise Gone(SIGNUP_UNKNOWN)
    query = select(Signup).where(Signup.token_hash == token_hash(token))
    if lock:
        query = query.with_for_update()
    signup = ctx.session.execute(query).scalar_one_or_none()
    if signup is None or (signup.status != STATUS_VERIFIED and as_utc(signup.expires_at) <= ctx.clock.now()):
        raise Gone(SIGNUP_UNKNOWN)
    return signup


def signup_progress(ctx: IdentityContext, token: str) -> dict[str, Any]:
    return _progress(_pending_signup(ctx, token))


# --- step 2: SMS code (ID-3) -----------------------------------------------------------------

def resend_sms_code(ctx: IdentityContext, token: str, ip: str | None = None) -> dict[str, Any]:
    signup = _pending_signup(ctx, token, lock=True)
    if signup.status != STATUS_SMS_PENDING:
        raise Conflict("Votre numéro de téléphone mobile est déjà vérifié.")
    ctx.codes.check_resend_allowed(CodePurpose.SIGNUP_SMS, signup.id, SIGNUP_CODE_POLICY)
    spend_for_address(ctx, ctx.limits.sms, ip)
    _send_sms_code(ctx, signup)
    ctx.session.commit()
    return _progress(signup)


def verify_sms_code(ctx: IdentityContext, token: str, code: Any) -> dict[str, Any]:
    signup = _pending_signup(ctx, token, lock=True)
    if signup.status != STATUS_SMS_PENDING:
        raise Conflict("Votre numéro de téléphone mobile est déjà vérifié.")
    ctx.codes.verify(CodePurpose.SIGNUP_SMS, signup.id, _code_text(code), SIGNUP_CODE_POLICY)
    signup.sms_verified_at = ctx.clock.now()
    signup.status = STATUS_EMAIL_PENDING
    _send_email_code(ctx, signup)
    ctx.session.commit()
    log.info("sign-up mobile verified", extra={"signup_id": signup.id})
    return _progress(signup)


# --- step 3: e-mail code (ID-4) --------------------------------------------------------------

def resend_email_code(ctx: IdentityContext, token: str) -> dict[str, Any]:
    signup = _pending_signup(ctx, token, lock=True)
    if signup.status != STATUS_EMAIL_PENDING:
        raise Conflict(_wrong_step_message(signup))
    ctx.codes.check_resend_allowed(CodePurpose.SIGNUP_EMAIL, signup.id, SIGNUP_CODE_POLICY)
    _send_email_code(ctx, signup)
    ctx.session.commit()
    return _progress(signup)


def verify_email_code(ctx: IdentityContext, token: str, code: Any) -> dict[str, Any]:
    signup = _pending_signup(ctx, token, lock=True)
    if signup.status != STATUS_EMAIL_PENDING:
        raise Conflict(_wrong_step_message(signup))
    ctx.codes.verify(CodePurpose.SIGNUP_EMAIL, signup.id, _code_text(code), SIGNUP_CODE_POLICY)
    if ctx.session.execute(select(Person.id).where(Person.email == signup.email)).first() is not None:
        # Another sign-up with this address was completed meanwhile (the code proves the mailbox
        # is theirs: telling them reveals nothing to anyone else).
        ctx.session.rollback()
        raise Conflict(ALREADY_REGISTERED, None, "already_registered")
    now = ctx.clock.now()
    person = Person(
        # The person who creates a company account is its first administrator (SPEC AC-1); the
        # sign-up's kind (ENTREPRISE) travels in signup_verified for the accounts service.
        id=str(uuid.uuid4()), email=signup.email, password_hash=signup.password_hash,
        profile=PROFILE_ADMINISTRATEUR, status="active", created_at=now, valid_until=now + ACCESS_VALIDITY,
    )
    ctx.session.add(person)
    signup.email_verified_at = now
    signup.status = STATUS_VERIFIED
    signup.person_id = person.id
    ctx.outbox.publish(ctx.session, SignupVerified(
        signup_id=signup.id, person_id=person.id, profile=signup.profile,
        company_name=signup.company_name, email=signup.email, mobile=signup.mobile,
        verified_at=now.isoformat(),
    ))
    # The administrator can log in from now on: the same announcement as every other account
    # that becomes usable (a particulier's activation, an invitation accepted), which the
    # notifier turns into « Votre compte est validé » (NO-7). Its profile is the sign-up's kind,
    # as in signup_verified: the accounts service opens the company's account from that event,
    # and has nothing to do with this one.
    ctx.outbox.publish(ctx.session, AccountActivated(
        person_id=person.id, profile=signup.profile, email=signup.email, mobile=signup.mobile,
        activated_at=now.isoformat(),
    ))
    try:
        ctx.session.commit()
    except IntegrityError:  # the other sign-up committed the address between our check and now
        ctx.session.rollback()
        raise Conflict(ALREADY_REGISTERED, None, "already_registered") from None
    log.info("sign-up verified", extra={"signup_id": signup.id, "person_id": person.id})
    return _progress(signup)


def _code_text(code: Any) -> str:
    if not isinstance(code, str) or not code.strip():
        message = "Veuillez saisir le code confidentiel reçu."
        raise ValidationFailed(message, {"code": message})
    return code


def _wrong_step_message(signup: Signup) -> str:
    if signup.status == STATUS_SMS_PENDING:
        return "Veuillez d'abord saisir le code confidentiel reçu par SMS."
    return "Votre inscription est déjà validée."
