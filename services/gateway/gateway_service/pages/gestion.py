"""Back-office pages for gestionnaires (SPEC section 6): the queue of transmitted requests
(BO-1) with links to its exports (BO-9, /api/backoffice/demandes/export), a request's detail with its documents to review (DO-4), history, the decisions the
service allows now (BO-2) and the thread (BO-3, MS-1).

Gestionnaire sessions only: the RPCs are those of /api/backoffice/demandes (the demandes
service refuses anyone else), every change is posted by portal.js to those routes and to
POST /api/documents/{id}/review."""
from __future__ import annotations

import time

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


# After a gestionnaire's own review (portal.js adds « vu »), the page waits that long at most for
# demandes to learn it from documents' event (milliseconds, unless the machine is very busy).
REVIEW_SHOWN_WITHIN = 2.0  # s
REVIEW_ASKED_EVERY = 0.1  # s


def just_reviewed(raw: str | None) -> tuple[str, str] | None:
    """`vu=<document id>~<reviewed_at>`: the review this gestionnaire has just saved."""
    document_id, _, reviewed_at = (raw or "")[:200].partition("~")
    return (document_id, reviewed_at) if document_id and reviewed_at else None


def shows_review(demande: dict, document_id: str, reviewed_at: str) -> bool:
    return any(doc.get("id") == document_id and (doc.get("review") or {}).get("reviewed_at") == reviewed_at
               for doc in demande.get("documents") or [])


def detail_showing(person: dict, demande_id: str, review: tuple[str, str] | None) -> dict:
    """The request's detail; after the gestionnaire's own review, once it shows that review — the
    demandes service keeps the documents from the documents service's events, so a page asked at
    once could still show the document « à contrôler » — or as it is after REVIEW_SHOWN_WITHIN."""
    demande = demandes.staff_detail(person, demande_id)
    deadline = time.monotonic() + REVIEW_SHOWN_WITHIN
    while review and not shows_review(demande, *review) and time.monotonic() < deadline:
        time.sleep(REVIEW_ASKED_EVERY)
        demande = demandes.staff_detail(person, demande_id)
    return demande


@bp.get("/gestion/demandes/<demande_id>")
def staff_request(demande_id: str):
    person = staff()
    demande = detail_showing(person, demande_id, just_reviewed(request.args.get("vu")))
    thread = {"messages": demandes.staff_thread(person, demande_id)}
    decisions = [(state, *DECISIONS[state]) for state in demande["decisions"] if state in DECISIONS]
    return render("gestion_demande.html", person=person, staff=person, demande=demande, thread=thread,
                  decisions=decisions, subjects=SUBJECTS, unread_allowed=True,
                  unread_own_roles=("GESTIONNAIRE", "SYSTEM"))


@bp.get("/gestion/")
def staff_home():
    return redirect(url_for("pages.staff_queue"))
