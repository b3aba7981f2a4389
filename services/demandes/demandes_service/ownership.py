"""Reassigning a request to another person of the same client account (SPEC DM-8). The new owner
gets the NO-12 e-mail from `demande_reassigned`."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from consignations_shared.contracts.payloads.demandes import DemandeReassigned
from consignations_shared.errors import Conflict, NotFound, ValidationFailed

from .context import DemandesContext, acting, request_to_act_on
from .domain import catalogue, presentation
from .views import people_of_account, view

NOT_REASSIGNABLE = "Seules les demandes brouillons et transmises peuvent être réaffectées."
PARTICULIER_ALONE = "Un compte de particulier n'a qu'un utilisateur : la demande ne peut pas être réaffectée."
UNKNOWN_PERSON = "Cette personne n'est pas un utilisateur actif de votre compte client."
CANNOT_ACT = "Cette personne a un profil « Consultation » : elle ne peut pas prendre en charge une demande."
ALREADY_OWNER = "Cette personne est déjà propriétaire de la demande."
PERSON_REQUIRED = "Choisissez la personne à qui réaffecter la demande."
CHANGED_MEANWHILE = "Cette demande vient d'être modifiée par ailleurs. Rechargez-la."
OWNER_PROFILES = ("ADMINISTRATEUR", "UTILISATEUR")


def candidates(ctx: DemandesContext, person: Any, request_id: Any) -> list[dict[str, Any]]:
    """The people who could take the request over: active Administrateurs and Utilisateurs of
    the account, except its current owner."""
    who = acting(ctx, person)
    request = request_to_act_on(ctx, who, request_id)
    owner = request.owner_person_id
    ctx.session.commit()
    return [{"person_id": p["person_id"], "first_name": p["first_name"], "last_name": p["last_name"],
             "profile": p["profile"]}
            for p in people_of_account(ctx, who.account_id).values()
            if p["status"] == "active" and p["profile"] in OWNER_PROFILES and p["person_id"] != owner]


def reassign(ctx: DemandesContext, person: Any, request_id: Any, new_owner_id: Any) -> dict[str, Any]:
    who = acting(ctx, person)
    if who.account_kind != "ENTREPRISE":
        raise Conflict(PARTICULIER_ALONE)
    if not isinstance(new_owner_id, str) or not new_owner_id:
        raise ValidationFailed(PERSON_REQUIRED, {"person_id": PERSON_REQUIRED})
    request = request_to_act_on(ctx, who, request_id)
    if not presentation.can_reassign(request.state):
        raise Conflict(NOT_REASSIGNABLE)
    if request.owner_person_id == new_owner_id:
        raise Conflict(ALREADY_OWNER)
    version = request.version
    people = people_of_account(ctx, who.account_id)
    target = people.get(new_owner_id)
    if target is None or target["status"] != "active":
        raise NotFound(UNKNOWN_PERSON)
    if target["profile"] not in OWNER_PROFILES:
        raise Conflict(CANNOT_ACT)
    request = request_to_act_on(ctx, who, request_id, lock=True)
    if request.version != version:
        ctx.session.rollback()
        raise Conflict(CHANGED_MEANWHILE)
    previous = request.owner_person_id
    request.owner_person_id = new_owner_id
    request.updated_at = ctx.clock.now()
    ctx.outbox.publish(ctx.session, DemandeReassigned(
        demande_id=request.id, number=request.number, procedure_code=request.procedure_code,
        procedure_label=catalogue.procedure(request.procedure_code).label, account_id=request.account_id,
        owner_person_id=new_owner_id, previous_owner_person_id=previous,
        reassigned_by_person_id=who.person_id, reassigned_at=request.updated_at.isoformat(),
    ))
    try:
        ctx.session.commit()
    except StaleDataError:
        ctx.session.rollback()
        raise Conflict(CHANGED_MEANWHILE) from None
    name = " ".join(p for p in (target.get("first_name"), target.get("last_name")) if p)
    return view(request, who=who, owner_name=name)
