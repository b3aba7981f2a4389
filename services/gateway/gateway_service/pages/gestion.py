"""Back-office pages for gestionnaires (SPEC section 6): the queue of transmitted requests
(BO-1) with links to its exports (BO-9, /api/backoffice/demandes/export), a request's detail with its documents to review (DO-4), history, the decisions the
service allows now (BO-2) and the thread (BO-3, MS-1).

Gestionnaire sessions only: the RPCs are those of /api/backoffice/demandes (the demandes
service refuses anyone else), every change is posted by portal.js to those routes and to
POST /api/documents/{id}/review."""
from __future__ import annotations

from flask import redirect, request, url_for

from consignations_shared.errors import DomainError, Forbidden

from ..auth import current_person
from ..rpc_calls import demandes
from . import bp
from .common import render

STAFF_ONLY = "Cet espace est réservé aux gestionnaires du service des consignations."
QUEUE_FILTERS = ("state", "procedure_code", "sens", "date_from", "date_to", "number", "client_name")
QUEUE_SORTS = (("number", "Numéro"), ("submitted_at", "Date de soumission"), ("client_name", "Client"),
               ("procedure", "Démarche"), ("amount", "Montant"), ("state", "État"))
STATES = (("SUBMITTED,AWAITING_COMPLEMENT,AWAITING_FUNDS", "À traiter (envoyées et en attente)"),
          ("SUBMITTED", "Envoyé"), ("AWAITING_COMPLEMENT", "En attente complément"),
          ("AWAITING_FUNDS", "En attente de fonds"), ("VALIDATED", "Demande validée"),
          ("REJECTED", "Demande rejetée"), ("VALIDATED,REJECTED", "Traitées (validées et rejetées)"))
# A decision = a state the service lists as possible → the route that makes it, its button.
DECISIONS = {
    "AWAITING_COMPLEMENT": ("complement", "Demander un complément", "optional"),
    "AWAITING_FUNDS": ("await-funds", "Mettre en attente de fonds", "optional"),
    "SUBMITTED": ("funds-received", "Fonds reçus", None),
    "VALIDATED": ("validate", "Valider la demande", None),
    "REJECTED": ("reject", "Rejeter la demande", "required"),
}
SUBJECTS = (("COMPLEMENT_REMINDER_1", "Demande en attente de compléments clients – 1ère relance"),
            ("COMPLEMENT_REMINDER_2", "Demande en attente de compléments clients – 2e relance"),
            ("FUNDS_REMINDER_1", "Demande en attente de fonds – 1ère relance"),
            ("FUNDS_REMINDER_2", "Demande en attente de fonds – 2e relance"),
            ("FREE", "Saisie libre"))


def staff() -> dict:
    person = current_person()
    if not person.get("is_staff"):
        raise Forbidden(STAFF_ONLY)
    return person


@bp.app_template_global()
def queue_url(query: dict, **changes) -> str:
    merged = {k: v for k, v in {**query, **changes}.items() if v not in (None, "")}
    return url_for("pages.staff_queue", **merged)


@bp.get("/gestion")
def staff_queue():
    person = staff()
    query = {name: request.args[name][:100] for name in (*QUEUE_FILTERS, "sort", "order", "page")
             if request.args.get(name)}
    problem = None
    try:
        queue = demandes.staff_queue(person, query)
    except DomainError as exc:
        if exc.status != 422:
            raise
        problem, query = exc, {}
        queue = demandes.staff_queue(person, query)
    procedures = [(p["code"], p["label"]) for p in demandes.procedures(person)]
    return render("gestion_file.html", person=person, staff=person, queue=queue, query=query, problem=problem,
                  sorts=QUEUE_SORTS, states=STATES, procedures=procedures,
                  filtered=any(k in query for k in QUEUE_FILTERS),
                  export_query={k: v for k, v in query.items() if k != "page"})  # BO-9: every page


@bp.get("/gestion/demandes/<demande_id>")
def staff_request(demande_id: str):
    person = staff()
    demande = demandes.staff_detail(person, demande_id)
    thread = {"messages": demandes.staff_thread(person, demande_id)}
    decisions = [(state, *DECISIONS[state]) for state in demande["decisions"] if state in DECISIONS]
    return render("gestion_demande.html", person=person, staff=person, demande=demande, thread=thread,
                  decisions=decisions, subjects=SUBJECTS, unread_allowed=True,
                  unread_own_roles=("GESTIONNAIRE", "SYSTEM"))


@bp.get("/gestion/")
def staff_home():
    return redirect(url_for("pages.staff_queue"))
