"""Pages of the personal space: where a person lands after login, the company wizard (AC-1), the
welcome page (AC-2), « Mon compte » (AC-4), the fiche client (AC-3) and « Mes utilisateurs »
(AC-5, AC-6, AC-7). Data comes from the same RPCs as the JSON API; the services check rights."""
from __future__ import annotations

from flask import abort, redirect, url_for

from ..auth import current_person
from ..display import french_phone
from ..rpc_calls import accounts, demandes, documents as documents_rpc
from . import bp
from .common import render, signed_in

WIZARD_STEPS = (("structure", "Votre structure"), ("informations", "Vos informations"),
                ("documents", "Vos documents"), ("utilisateurs", "Vos utilisateurs"))
PROFILE_LABELS = {"ADMINISTRATEUR": "Administrateur", "UTILISATEUR": "Utilisateur",
                  "CONSULTATION": "Consultation", "PARTICULIER": "Particulier"}
ACCEPTED_FORMATS = "Formats acceptés : PNG, JPEG ou PDF. Taille maximale : 5 Mo par document."
# The same formats for a file picker's `accept` (the documents service checks the content itself).
ACCEPTED_FILE_TYPES = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


def _account_documents(person: dict, account_id: str) -> list[dict]:
    from ..api.documents import grant

    return documents_rpc.list_documents("accounts", account_id, person, False,
                grant=grant(person, "accounts", account_id, "read"))


@bp.app_template_global()
def profile_label(code: str | None) -> str:
    return PROFILE_LABELS.get(code or "", code or "")


@bp.app_template_filter("date_fr")
def date_fr(value: str | None) -> str:
    """2028-05-01 (or an ISO date-time) → 01/05/2028."""
    if not value or len(value) < 10:
        return value or ""
    year, month, day = value[:10].split("-")
    return f"{day}/{month}/{year}"


@bp.app_template_filter("phone_fr")
def phone_fr(value: str | None) -> str:
    """+33142334455 (as stored) → 01 42 33 44 55 (display.french_phone)."""
    return french_phone(value)


@bp.app_template_global()
def accepted_formats() -> str:
    return ACCEPTED_FORMATS


@bp.app_template_global()
def accepted_file_types() -> str:
    return ACCEPTED_FILE_TYPES


@bp.get("/espace")
def landing():
    """Where login leads: the company wizard until « Valider », then the welcome page once, then
    « Mon compte »."""
    person = current_person()
    if person.get("is_staff"):
        return redirect(url_for("pages.staff_queue"))
    person, me = signed_in()
    if me["account_kind"] == "ENTREPRISE" and me["profile"] == "ADMINISTRATEUR":
        wizard = accounts.wizard_state(person)
        if not wizard["finalised"]:
            step = WIZARD_STEPS[min(max(wizard["wizard_step"], 1), 4) - 1][0]
            return redirect(url_for("pages.wizard", step=step))
    if accounts.welcome(person)["show"]:
        return redirect(url_for("pages.welcome"))
    return redirect(url_for("pages.my_account"))


@bp.get("/creation-compte/<step>")
def wizard(step: str):
    names = [name for name, _ in WIZARD_STEPS]
    if step not in names:
        abort(404)
    person, me = signed_in()
    state = accounts.wizard_state(person)
    if state["finalised"]:
        return redirect(url_for("pages.my_account"))
    number = names.index(step) + 1
    if number > state["wizard_step"]:
        return redirect(url_for("pages.wizard", step=names[state["wizard_step"] - 1]))
    choices = state["choices"]
    options = {"structure_types": [(c["code"], c["label"]) for c in choices["structure_types"]],
               "countries": [(c["code"], c["name"]) for c in choices["countries"]],
               "civilities": [(c["code"], c["label"]) for c in choices["civilities"]]}
    context = {"state": state, "options": options, "number": number, "steps": WIZARD_STEPS, "step": step,
               "account_id": me["account_id"]}
    if step == "utilisateurs":
        context["members"] = [m for m in accounts.list_members(person) if m["person_id"] != person["id"]]
    return render(f"assistant_{step}.html", person=person, me=me, in_wizard=True, **context)


@bp.get("/bienvenue")
def welcome():
    person, me = signed_in()
    page = accounts.welcome(person)
    if not page["show"]:
        return redirect(url_for("pages.my_account"))
    procedures = [{"code": p["code"], "label": p["label"], "sens": p["sens"]}
                  for p in demandes.procedures(person)]
    return render("bienvenue.html", person=person, me=me, page=page, procedures=procedures)


@bp.get("/mon-compte")
def my_account():
    person, me = signed_in()
    documents = []  # « Mes documents » are the account holder's and the administrators' (accounts' rule)
    if me["profile"] in ("PARTICULIER", "ADMINISTRATEUR"):
        documents = [d for d in _account_documents(person, me["account_id"]) if d["status"] == "attached"]
    return render("mon_compte.html", person=person, me=me, documents=documents)


@bp.get("/fiche-client")
def fiche():
    person, me = signed_in()
    return render("fiche_client.html", person=person, me=me, fiche=accounts.fiche(person))


@bp.get("/utilisateurs")
def users():
    person, me = signed_in()
    return render("utilisateurs.html", person=person, me=me, members=accounts.list_members(person))

