"""The company account wizard (SPEC AC-1): four steps, each saved by « Enregistrer » (what was
typed is checked) or « Suivant » (the step must also be complete); going back is allowed until
« Valider » finalises the account, after which steps 1-3 are locked (the fiche client remains)."""
from __future__ import annotations

from typing import Any

from consignations_shared.contracts.payloads.accounts import AccountFinalised, MemberUpdated
from consignations_shared.errors import Conflict, Forbidden, ValidationFailed
from consignations_shared.validation import check_person_name, check_text, normalise_french_mobile, optional

from .context import AccountsContext, acting, member_view
from .domain.referentials import STRUCTURE_TYPES, countries
from .domain.structure import STRUCTURE_FIELDS, check_structure

LOCKED = "Votre compte client est finalisé : cette étape ne peut plus être modifiée. Utilisez la fiche client."
NOT_YET = "Veuillez d'abord compléter les étapes précédentes."
CIVILITIES = {"MADAME": "Madame", "MONSIEUR": "Monsieur"}
DOCUMENT_KINDS = {"identity": "IDENTITY", "kbis": "KBIS", "delegation": "DELEGATION_SIGNATURE"}


def _wizard_owner(ctx: AccountsContext, person: Any):
    who = acting(ctx, person).require_admin()
    if who.account.kind != "ENTREPRISE":
        raise Forbidden("Le parcours de création concerne les comptes d'entreprise.")
    return who


def _editable(who, step: int) -> None:
    if who.account.finalised_at is not None:
        raise Conflict(LOCKED, None, "wizard_finalised")
    if step > who.account.wizard_step:
        raise Conflict(NOT_YET, None, "wizard_step_not_reached")


def _documents(ctx: AccountsContext, account_id: str) -> list[dict]:
    if ctx.documents is None:
        return []
    return [d for d in ctx.documents.documents_of_owner("accounts", account_id) if d.get("status") == "attached"]


def state(ctx: AccountsContext, person: Any) -> dict[str, Any]:
    who = _wizard_owner(ctx, person)
    account, member = who.account, who.member
    return {
        "wizard_step": account.wizard_step,
        "finalised": account.finalised_at is not None,
        "structure": {"company_name": account.company_name,
                      **{f: getattr(account, f) for f in STRUCTURE_FIELDS}, "siren": account.siren},
        "administrator": {**member_view(member), "company_name": account.company_name},
        "documents": {"administrator_on_kbis": account.administrator_on_kbis,
                      "attached": _documents(ctx, account.id)},
        "choices": {"structure_types": [{"code": c, "label": l} for c, l in STRUCTURE_TYPES.items()],
                    "countries": list(countries()), "civilities": [{"code": c, "label": l} for c, l in CIVILITIES.items()]},
    }


def _advance(account, step: int, complete: bool) -> None:
    if complete:
        account.wizard_step = max(account.wizard_step, step + 1)


def save_structure(ctx: AccountsContext, person: Any, form: dict[str, Any], complete: bool) -> dict[str, Any]:
    who = _wizard_owner(ctx, person)
    _editable(who, 1)
    if "company_name" in form or "siren" in form:
        raise ValidationFailed(None, {k: "Ce champ n'est pas modifiable." for k in ("company_name", "siren") if k in form})
    values, errors = check_structure(form, complete=complete)
    if errors:
        raise ValidationFailed(None, errors)
    for field, value in values.items():
        setattr(who.account, field, value)
    _advance(who.account, 1, complete)
    ctx.session.commit()
    return state(ctx, person)


def save_administrator(ctx: AccountsContext, person: Any, form: dict[str, Any], complete: bool) -> dict[str, Any]:
    who = _wizard_owner(ctx, person)
    _editable(who, 2)
    read_only = {"email", "company_name", "profile"} & set(form)
    if read_only:
        raise ValidationFailed(None, {k: "Ce champ n'est pas modifiable." for k in read_only})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    civility = form.get("civility")
    if civility in (None, ""):
        values["civility"] = None
        if complete:
            errors["civility"] = "Veuillez indiquer votre civilité."
    elif not isinstance(civility, str) or civility not in CIVILITIES:
        errors["civility"] = "Civilité invalide."
    else:
        values["civility"] = civility
    for field, check in (("last_name", check_person_name), ("first_name", check_person_name),
                         ("mobile", normalise_french_mobile)):
        try:
            values[field] = (check if complete else optional(check))(form.get(field), field=field)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    try:
        values["function"] = check_text(form.get("function"), field="function", label="La fonction",
                                        max_length=100, required=complete)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if complete and not any(d.get("kind") == "IDENTITY" for d in _documents(ctx, who.account.id)):
        errors["identity_document"] = "Veuillez télécharger votre pièce d'identité."
    if errors:
        raise ValidationFailed(None, errors)
    for field, value in values.items():
        setattr(who.member, field, value)
    named = {field: values[field] for field in ("first_name", "last_name", "mobile") if values.get(field)}
    if named:  # the notifier learns the names (identity and demandes read them from member_changed)
        ctx.outbox.publish(ctx.session, MemberUpdated(account_id=who.account.id,
                                                      person_id=who.member.person_id, **named))
    _advance(who.account, 2, complete)
    ctx.session.commit()
    return state(ctx, person)


def save_documents(ctx: AccountsContext, person: Any, form: dict[str, Any], complete: bool) -> dict[str, Any]:
    who = _wizard_owner(ctx, person)
    _editable(who, 3)
    on_kbis = form.get("administrator_on_kbis")
    errors: dict[str, str] = {}
    if on_kbis is not None and not isinstance(on_kbis, bool):
        errors["administrator_on_kbis"] = "Valeur attendue : oui ou non."
    elif on_kbis is not None:
        who.account.administrator_on_kbis = on_kbis
    if complete:
        attached = _documents(ctx, who.account.id)
        if who.account.administrator_on_kbis is None:
            errors["administrator_on_kbis"] = "Indiquez si l'administrateur est nommé sur l'extrait Kbis ou l'avis de situation SIRENE."
        if not any(d.get("kind") == "KBIS" for d in attached):
            errors["kbis"] = ("L'extrait Kbis ou l'avis de situation SIRENE de moins de 3 mois est obligatoire.")
        if who.account.administrator_on_kbis is False and not any(d.get("kind") == "DELEGATION_SIGNATURE" for d in attached):
            errors["delegation"] = ("L'administrateur n'étant pas nommé sur le Kbis, joignez une délégation de signature.")
    if errors:
        ctx.session.rollback()
        raise ValidationFailed(None, errors)
    _advance(who.account, 3, complete)
    ctx.session.commit()
    return state(ctx, person)


def finalise(ctx: AccountsContext, person: Any) -> dict[str, Any]:
    """« Valider » (step 4): every step complete; the account becomes active, steps 1-3 lock."""
    who = _wizard_owner(ctx, person)
    if who.account.finalised_at is not None:
        raise Conflict("Votre compte client est déjà finalisé.", None, "wizard_finalised")
    if who.account.wizard_step < 4:
        raise Conflict(NOT_YET, None, "wizard_step_not_reached")
    now = ctx.clock.now()
    who.account.finalised_at, who.account.status = now, "active"
    ctx.outbox.publish(ctx.session, AccountFinalised(
        account_id=who.account.id, company_name=who.account.company_name,
        siret=who.account.siret, country=who.account.country,
        administrator_person_id=who.member.person_id, finalised_at=now.isoformat(),
    ))
    ctx.session.commit()
    return state(ctx, person)
