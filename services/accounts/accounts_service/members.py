"""« Mes utilisateurs » (AC-5), deletion requests (AC-6), the right to submit (AC-7), « Mon
profil » (AC-4), the fiche client (AC-3), the welcome page (AC-2) and document access for the
documents service (AC-9). Every function takes the acting person from the gateway's session."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from consignations_shared import grants
from consignations_shared.contracts.messages import Message
from consignations_shared.contracts.payloads.accounts import (
    AccountUpdated, DeletionRefused, DeletionRequested, MemberDeleted, MemberInvited, MemberUpdated,
    SubmitRightChanged,
)
from consignations_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from consignations_shared.validation import (
    check_person_name, check_text, normalise_email, normalise_french_mobile, normalise_french_phone, optional,
)

from .context import AccountsContext, acting, administrators, display_name, member_in_account, member_view
from .domain.referentials import commune_matches
from .models import AccountMember, ClientAccount
from .throttling import spend_invitation

MAX_ADMINISTRATORS = 2
INVITABLE_PROFILES = ("ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION")
ONLY_ADMIN = ("Vous êtes l'unique Administrateur de ce compte client : ajoutez un autre administrateur "
              "avant de supprimer votre accès.")
NOT_EDITABLE = "Ce champ n'est pas modifiable."


def _refuse_other_fields(form: dict[str, Any], allowed: set[str]) -> None:
    """No mass assignment: a field that may not be changed here is an error, not ignored."""
    extra = set(form) - allowed
    if extra:
        raise ValidationFailed("Certaines informations ne peuvent pas être modifiées.",
                               {field: NOT_EDITABLE for field in sorted(extra)})


def _person_fields(form: dict[str, Any], checks: dict) -> dict[str, Any]:
    values, errors = {}, {}
    for field, check in checks.items():
        if field in form:
            try:
                values[field] = check(form.get(field), field=field)
            except ValidationFailed as exc:
                errors.update(exc.fields)
    if errors:
        raise ValidationFailed(None, errors)
    return values


def _event(ctx, type_: type[Message], member: AccountMember, **extra) -> None:
    ctx.outbox.publish(ctx.session, type_(account_id=member.account_id, person_id=member.person_id, **extra))


# --- AC-5 ------------------------------------------------------------------------------------

def list_members(ctx: AccountsContext, person: Any) -> list[dict[str, Any]]:
    who = acting(ctx, person).require_admin()
    members = ctx.session.query(AccountMember).filter(
        AccountMember.account_id == who.account.id, AccountMember.status != "deleted"
    ).order_by(AccountMember.created_at).all()
    return [member_view(m) for m in members]


def invite_member(ctx: AccountsContext, person: Any, form: dict[str, Any]) -> dict[str, Any]:
    who = acting(ctx, person).require_admin()
    if who.account.kind != "ENTREPRISE":
        raise Forbidden("Un compte de particulier n'a pas d'autres utilisateurs.")
    _refuse_other_fields(form, {"last_name", "first_name", "email", "profile", "mobile", "landline"})
    values = _person_fields(form, {"last_name": check_person_name, "first_name": check_person_name,
                                   "email": normalise_email, "mobile": optional(normalise_french_mobile),
                                   "landline": optional(normalise_french_phone)})
    missing = {f: "Ce champ est obligatoire." for f in ("last_name", "first_name", "email") if not values.get(f)}
    profile = form.get("profile")
    if profile not in INVITABLE_PROFILES:
        missing["profile"] = "Veuillez choisir un profil : Administrateur, Utilisateur ou Consultation."
    if missing:
        raise ValidationFailed(None, missing)
    if profile == "ADMINISTRATEUR" and len(administrators(ctx, who.account.id)) >= MAX_ADMINISTRATORS:
        message = "Un compte client ne peut pas avoir plus de 2 administrateurs."
        raise Conflict(message, {"profile": message}, "too_many_administrators")
    # Every well-formed invitation counts, sent or not, and is committed before identity is
    # asked (no lock held across the RPC): probing addresses costs the budget too.
    spend_invitation(ctx, who.account.id, who.member.person_id)
    ctx.session.commit()
    # Identity answers the same way for an address that already has an account anywhere (no
    # enumeration): the invitation is shown as sent and simply never accepted.
    invited = ctx.identity.invite_person(
        {"email": values["email"], "first_name": values["first_name"], "last_name": values["last_name"],
         "profile": profile}, who.member.person_id, who.account.company_name)
    member = AccountMember(
        person_id=invited["person_id"], account_id=who.account.id, profile=profile, email=values["email"],
        last_name=values["last_name"], first_name=values["first_name"], mobile=values.get("mobile"),
        landline=values.get("landline"), created_at=ctx.clock.now(), status="invited", can_submit=True,
    )
    ctx.session.add(member)
    _event(ctx, MemberInvited, member, profile=profile, email=member.email,
           first_name=member.first_name, last_name=member.last_name, invited_by=who.member.person_id)
    ctx.session.commit()
    return member_view(member)


def update_member(ctx: AccountsContext, person: Any, person_id: Any, form: dict[str, Any]) -> dict[str, Any]:
    """Last name, first name, landline and mobile only (never e-mail nor profile: AC-5)."""
    who = acting(ctx, person).require_admin()
    member = member_in_account(ctx, who, person_id)
    _refuse_other_fields(form, {"last_name", "first_name", "landline", "mobile"})
    values = _person_fields(form, {"last_name": check_person_name, "first_name": check_person_name,
                                   "landline": optional(normalise_french_phone),
                                   "mobile": optional(normalise_french_mobile)})
    for field, value in values.items():
        setattr(member, field, value)
    _event(ctx, MemberUpdated, member, **values)
    ctx.session.commit()
    return member_view(member)


def _delete(ctx: AccountsContext, who, member: AccountMember) -> None:
    ctx.identity.delete_access(member.person_id, who.member.person_id)
    member.status, member.deleted_at, member.deletion_requested_at = "deleted", ctx.clock.now(), None
    _event(ctx, MemberDeleted, member, deleted_by=who.member.person_id)


def delete_member(ctx: AccountsContext, person: Any, person_id: Any) -> dict[str, Any]:
    who = acting(ctx, person).require_admin()
    member = member_in_account(ctx, who, person_id)
    if member.profile == "ADMINISTRATEUR" and len(administrators(ctx, who.account.id, include_invited=False)) <= 1 \
            and member.status == "active":
        raise Conflict(ONLY_ADMIN, None, "only_administrator")
    _delete(ctx, who, member)
    ctx.session.commit()
    return {"status": "deleted", "message": "L'accès a été supprimé."}


def renew_access(ctx: AccountsContext, person: Any, person_id: Any) -> dict[str, Any]:
    """Give a person 18 more months (ID-7), even after expiry."""
    who = acting(ctx, person).require_admin()
    member = member_in_account(ctx, who, person_id)
    renewed = ctx.identity.renew_access(member.person_id, who.member.person_id)
    member.valid_until = _date(renewed.get("valid_until"))
    ctx.session.commit()
    return member_view(member)


def _date(value):
    return datetime.fromisoformat(value).date() if value else None


# --- AC-6 ------------------------------------------------------------------------------------

def request_deletion(ctx: AccountsContext, person: Any) -> dict[str, Any]:
    who = acting(ctx, person)
    if who.is_admin or who.member.profile == "PARTICULIER":
        raise Forbidden("Un administrateur supprime lui-même son accès depuis « Mes utilisateurs ».")
    if who.member.deletion_requested_at is None:
        who.member.deletion_requested_at = ctx.clock.now()
        admins = administrators(ctx, who.account.id, include_invited=False)
        _event(ctx, DeletionRequested, who.member, first_name=who.member.first_name,
               last_name=who.member.last_name, administrator_person_ids=[a.person_id for a in admins])
        ctx.session.commit()
    return {"status": "deletion_requested",
            "message": "Votre demande de suppression a été transmise aux administrateurs de votre compte."}


def decide_deletion(ctx: AccountsContext, person: Any, person_id: Any, accept: Any) -> dict[str, Any]:
    """« GÉRER LA DEMANDE DE SUPPRESSION »: accept (the access is deleted) or refuse."""
    who = acting(ctx, person).require_admin()
    member = member_in_account(ctx, who, person_id)
    if member.deletion_requested_at is None:
        raise Conflict("Cette personne n'a pas demandé la suppression de son accès.", None, "no_deletion_request")
    if not isinstance(accept, bool):
        raise ValidationFailed(None, {"accept": "Valeur attendue : accepter (true) ou refuser (false)."})
    if accept:
        _delete(ctx, who, member)
        answer = {"status": "deleted", "message": "La demande est acceptée : l'accès a été supprimé."}
    else:
        member.deletion_requested_at = None
        _event(ctx, DeletionRefused, member, refused_by=who.member.person_id)
        answer = {"status": "refused", "message": "La demande de suppression a été refusée."}
    ctx.session.commit()
    return answer


# --- AC-7 ------------------------------------------------------------------------------------

def set_submit_right(ctx: AccountsContext, person: Any, person_id: Any, allowed: Any) -> dict[str, Any]:
    who = acting(ctx, person).require_admin()
    member = member_in_account(ctx, who, person_id)
    if member.profile != "UTILISATEUR":
        raise Conflict("Seul le droit de transmettre d'un Utilisateur peut être retiré ou rendu.", None, "not_utilisateur")
    if not isinstance(allowed, bool):
        raise ValidationFailed(None, {"allowed": "Valeur attendue : true ou false."})
    member.can_submit = allowed
    _event(ctx, SubmitRightChanged, member, can_submit=allowed, changed_by=who.member.person_id)
    ctx.session.commit()
    return member_view(member)


# --- AC-4 « Mon profil » ---------------------------------------------------------------------

def my_profile(ctx: AccountsContext, person: Any) -> dict[str, Any]:
    return _profile(acting(ctx, person))


def _profile(who) -> dict[str, Any]:
    return {**member_view(who.member), "account_id": who.account.id, "account_kind": who.account.kind,
            "company_name": who.account.company_name}


def my_profile_and_colleagues(ctx: AccountsContext, person: Any) -> dict[str, Any]:
    """`my_profile` and the names of the people of the same account, in one call (the « Mon
    suivi » board shows each request's owner). Names and profiles only: no contact details."""
    who = acting(ctx, person)
    people = ctx.session.query(AccountMember).filter(AccountMember.account_id == who.account.id).order_by(
        AccountMember.last_name, AccountMember.first_name).all()
    return {"me": _profile(who), "people": [
        {"person_id": m.person_id, "civility": m.civility, "last_name": m.last_name, "first_name": m.first_name,
         "display_name": display_name(m), "profile": m.profile, "status": m.status, "can_submit": m.can_submit}
        for m in people]}


def update_my_profile(ctx: AccountsContext, person: Any, form: dict[str, Any]) -> dict[str, Any]:
    """Last name, first name, function and landline; the mobile and e-mail never change here."""
    who = acting(ctx, person)
    _refuse_other_fields(form, {"last_name", "first_name", "function", "landline"})
    values = _person_fields(form, {
        "last_name": check_person_name, "first_name": check_person_name,
        "function": lambda v, field: check_text(v, field=field, label="La fonction", max_length=100, required=False),
        "landline": optional(normalise_french_phone)})
    for field, value in values.items():
        setattr(who.member, field, value)
    _event(ctx, MemberUpdated, who.member, **values)
    ctx.session.commit()
    return my_profile(ctx, person)


# --- AC-3 fiche client ------------------------------------------------------------------------

FICHE_FIELDS = ("company_name", "service", "address", "address_complement", "postal_code", "commune",
                "phone", "contact_email")


def _fiche(account: ClientAccount) -> dict[str, Any]:
    return {"account_id": account.id, **{f: getattr(account, f) for f in FICHE_FIELDS},
            "notification_email": account.notification_email, "siret": account.siret,
            "siren": account.siren, "country": account.country, "structure_type": account.structure_type}


def fiche(ctx: AccountsContext, person: Any) -> dict[str, Any]:
    who = acting(ctx, person).require_admin()
    return _fiche(who.account)


def update_fiche(ctx: AccountsContext, person: Any, form: dict[str, Any]) -> dict[str, Any]:
    """Structure name, service, postal address, phone, contact e-mail. Nothing else (AC-3)."""
    who = acting(ctx, person).require_admin()
    if who.account.kind != "ENTREPRISE":
        raise Forbidden("Un compte de particulier n'a pas de fiche client.")
    _refuse_other_fields(form, set(FICHE_FIELDS))
    labels = {"company_name": ("Le nom de la structure", 120, True), "service": ("Le service", 100, False),
              "address": ("L'adresse postale", 200, True), "address_complement": ("Le complément d'adresse", 200, False),
              "postal_code": ("Le code postal", 10, True), "commune": ("La commune", 100, True)}
    checks = {f: (lambda v, field, l=l: check_text(v, field=field, label=l[0], max_length=l[1], required=l[2]))
              for f, l in labels.items()}
    checks["phone"] = optional(normalise_french_phone)
    checks["contact_email"] = optional(normalise_email)
    values = _person_fields(form, checks)
    if who.account.country == "FR" and ("postal_code" in values or "commune" in values):
        postal_code = values.get("postal_code", who.account.postal_code)
        commune = values.get("commune", who.account.commune)
        known = commune_matches(postal_code or "", commune or "")
        if known is None:
            raise ValidationFailed(None, {"postal_code": "Ce code postal n'existe pas."})
        if known is False:
            raise ValidationFailed(None, {"commune": "Cette commune ne correspond pas au code postal."})
    for field, value in values.items():
        setattr(who.account, field, value)
    ctx.outbox.publish(ctx.session, AccountUpdated(account_id=who.account.id, **values))
    ctx.session.commit()
    return _fiche(who.account)


# --- AC-2 welcome page ------------------------------------------------------------------------

def welcome(ctx: AccountsContext, person: Any) -> dict[str, Any]:
    """Whether the welcome page is due: once, after finalisation or activation."""
    who = acting(ctx, person)
    due = who.member.welcome_seen_at is None and who.account.status == "active"
    return {"show": due, "account_kind": who.account.kind, "first_name": who.member.first_name}


def welcome_seen(ctx: AccountsContext, person: Any) -> dict[str, Any]:
    who = acting(ctx, person)
    if who.member.welcome_seen_at is None and who.account.status == "active":
        who.member.welcome_seen_at = ctx.clock.now()
        ctx.session.commit()
    return {"show": False}


# --- AC-9 document access: the grant the gateway passes to the documents service -------------

def document_grant(ctx: AccountsContext, grant_key: bytes, person: Any, account_id: Any, action: Any,
                   document_id: Any = None) -> dict[str, str]:
    """{"grant": token} when `authorize_document` allows `person` to `action` the documents of
    `account_id` (consignations_shared.grants); its refusal otherwise."""
    return grants.grant_for(grant_key, ctx.clock.now(), owner_service="accounts", owner_id=account_id,
                            person=person, action=action, document_id=document_id,
                            rule=lambda: authorize_document(ctx, account_id, person, action))


# The account's documents are the administrator's identity document and the company's Kbis (or
# a particulier's own): the portal shows them to administrators only (« Mes documents »), and so
# does this rule, for every action (issue 18): Utilisateur and Consultation neither list, read,
# add nor replace them.
ACCOUNT_DOCUMENT_PROFILES = ("ADMINISTRATEUR", "PARTICULIER")
ACCOUNT_DOCUMENTS_ADMIN_ONLY = "Les documents du compte client sont réservés à ses administrateurs."


def authorize_document(ctx: AccountsContext, account_id: Any, person: Any, action: Any) -> bool:
    """Administrators (and a particulier, for their own account) read and add their account's
    documents; gestionnaires read and review; the account's other members are refused; anyone
    else gets the answer of no document."""
    if isinstance(person, dict) and person.get("is_staff"):
        if action in ("read", "review"):
            return True
        raise Forbidden("Les gestionnaires ne déposent pas de documents dans un compte client.")
    who = acting(ctx, person)
    if who.account.id != account_id:
        raise NotFound("Ce document est introuvable.")
    if who.member.profile not in ACCOUNT_DOCUMENT_PROFILES:
        raise Forbidden(ACCOUNT_DOCUMENTS_ADMIN_ONLY)
    if action in ("read", "write"):
        return True
    raise Forbidden("Votre profil ne permet pas cette action.")
