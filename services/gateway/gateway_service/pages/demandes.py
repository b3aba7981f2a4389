"""Pages of the requests (SPEC section 3 and 5): « Mon suivi » (DM-7, DM-8), the request wizard
(DM-2..DM-5: Informations, Justificatifs, Récapitulatif, Confirmation), a request's detail with
its documents (DO-5 complement) and its message thread (MS-2, MS-4, MS-5).

Data comes from the same RPCs as /api/demandes, /api/documents and /api/demandes/{id}/messages,
with the person of the session; every change is posted by portal.js to those routes. The
services decide what is allowed (the board's `actions`, the thread's `can_reply`): the pages
only show it."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, redirect, request, url_for

from consignations_shared.errors import DomainError, Forbidden

from ..api.demandes import CLIENTS_ONLY
from ..api.documents import stream_document
from ..auth import current_person
from ..rpc_calls import demandes, documents as documents_rpc
from . import bp
from .common import render, signed_in_member

PARIS = ZoneInfo("Europe/Paris")
TABS = ("DRAFTS", "TRANSMITTED", "VALIDATED", "REJECTED")
# The board's query parameters (openapi/demandes.yaml); the service checks their values.
BOARD_FILTERS = ("number", "procedure_code", "sens", "state", "date_from", "date_to", "owner_person_id")
BOARD_SORTS = (("sens", "Sens"), ("date", None), ("number", "Numéro"), ("amount", "Montant"), ("state", "État"))
# Where a procedure field's `prefill` may take its value from (« Mon profil »).
PREFILL = {"account.company_name": "company_name", "person.last_name": "last_name",
           "person.first_name": "first_name"}


@bp.app_template_filter("datetime_fr")
def datetime_fr(value: str | None) -> str:
    """An ISO date-time → « 23/11/2026 à 10h05 », in French time."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(PARIS)
    return moment.strftime("%d/%m/%Y à %Hh%M")


@bp.app_template_global()
def today_iso() -> str:
    return datetime.now(PARIS).date().isoformat()


def _board_query() -> dict:
    args = request.args
    query = {"tab": args.get("tab", "DRAFTS") if args.get("tab") in TABS else "DRAFTS"}
    for name in ("page", "sort", "order", *BOARD_FILTERS):
        if args.get(name):
            query[name] = args.get(name)[:40]
    return query


def _documents(person: dict, demande_id: str) -> list[dict]:
    """The wizard's documents, fresh from the documents service (just uploaded ones included)."""
    from ..api.documents import grant

    return documents_rpc.list_documents("demandes", demande_id, person, False,
                grant=grant(person, "demandes", demande_id, "read"))


@bp.app_template_global()
def board_url(query: dict, **changes) -> str:
    """The « Mon suivi » address with some parameters changed (tab, sort, page)."""
    merged = {k: v for k, v in {**query, **changes}.items() if v not in (None, "")}
    return url_for("pages.board", **merged)


@bp.get("/suivi")
def board():
    """« Mon suivi »: one tab, sorted, filtered and paginated by the service (DM-7)."""
    person, me = signed_in_member()
    query = _board_query()
    problem = None
    try:
        tab = demandes.board(person, query)
    except DomainError as exc:
        if exc.status != 422:
            raise
        problem = exc
        query = {"tab": query["tab"]}
        tab = demandes.board(person, query)
    procedures = demandes.procedures(person)
    owners = [(o["person_id"], o["name"]) for o in tab.get("owners", [])]  # administrators filter by owner
    return render("suivi.html", person=person, me=me, tab=tab, query=query, problem=problem,
                  sorts=BOARD_SORTS, can_create=me["profile"] != "CONSULTATION",
                  states=[(state["code"], state["label"]) for state in tab.get("states", [])], procedures=procedures,
                  unread_total=tab.get("unread_total"), filtered=any(k in query for k in BOARD_FILTERS),
                  procedure_options=[(p["code"], p["label"]) for p in procedures], owners=owners)


@bp.get("/demandes/nouvelle")
def new_request():
    """« Créer une demande »: the procedure chosen, what it needs, then « Commencer » posts
    POST /api/demandes and opens step 1 of the new draft."""
    person, me = signed_in_member()
    procedures = demandes.procedures(person)
    code = request.args.get("procedure", "")
    chosen = next((p for p in procedures if p["code"] == code), None)
    return render("demande_nouvelle.html", person=person, me=me, procedures=procedures, chosen=chosen)


def _field_rows(procedure: dict, values: dict, me: dict) -> list[dict]:
    """Step 1's sections, each with its fields and their current (or prefilled) value."""
    labels = {s["code"]: s["label"] for s in procedure.get("sections", [])}
    sections: dict = {}
    for field in procedure["fields"]:
        value = values.get(field["name"])
        if value in (None, "") and field.get("prefill") in PREFILL:
            value = me.get(PREFILL[field["prefill"]])
        section = sections.setdefault(field.get("section"), {"code": field.get("section"),
                                                             "label": labels.get(field.get("section")), "fields": []})
        section["fields"].append({**field, "value": value})
    return list(sections.values())


def _document_slots(procedure: dict, demande: dict, documents: list[dict]) -> list[dict]:
    """Step 2: one upload zone per required, expected (for the values entered) and optional kind,
    then « Ajouter un nouveau document » when the procedure allows it."""
    spec = procedure["documents"]
    expected = demande.get("documents_expected") or {}
    attached = [d for d in documents if d["status"] == "attached"]
    slots = []
    for group, required in (("required", True), ("optional", False)):
        for doc in spec.get(group, []):
            slots.append({**doc, "required": required and doc["kind"] in expected.get("required", [doc["kind"]])})
    for doc in spec.get("expected_when", []):
        if doc["kind"] in expected.get("expected", []):
            slots.append({**doc, "required": False, "expected": True})
    if spec.get("additional_allowed"):
        slots.append({"kind": "OTHER", "label": "Ajouter un nouveau document (facultatif)", "help": None,
                      "required": False})
    kinds = {k["code"]: k for k in documents_rpc.document_kinds()}  # recto / verso, dated kinds
    for slot in slots:
        slot["attached"] = [d for d in attached if d["kind"] == slot["kind"]]
        kind = kinds.get(slot["kind"], {})
        slot["page"], slot["dated"] = bool(kind.get("pages")), bool(kind.get("requires_date"))
    return slots


@bp.get("/demandes/<demande_id>/etape/<int:number>")
def request_step(demande_id: str, number: int):
    """The wizard (DM-2): steps 1 to 3 of a draft, step 4 once transmitted."""
    if number not in (1, 2, 3, 4):
        abort(404)
    person, me = signed_in_member()
    demande = demandes.detail(person, demande_id)
    if demande["state"] != "DRAFT":
        if number != 4:
            return redirect(url_for("pages.request_detail", demande_id=demande_id))
    elif number == 4 or number > demande["step"]:
        return redirect(url_for("pages.request_step", demande_id=demande_id, number=min(demande["step"], 3)))
    procedure = demandes.procedure(demande["procedure_code"])
    context = {"person": person, "me": me, "demande": demande, "procedure": procedure, "number": number,
               "steps": [(step["code"], step["label"]) for step in procedure["steps"]]}  # the catalogue's
    if number == 1:
        context["sections"] = _field_rows(procedure, demande.get("values") or {}, me)
    if number in (2, 3):
        documents = _documents(person, demande_id)
        if number == 2:
            context["slots"] = _document_slots(procedure, demande, documents)
        context["documents"] = [d for d in documents if d["status"] == "attached"]
    return render(f"demande_etape{number}.html", **context)


@bp.get("/demandes/<demande_id>")
def request_detail(demande_id: str):
    """« Consulter le détail » (DM-8): data, state, history, documents (non conformes in red with
    their reason, replaced during a complement), and the thread with the reply box."""
    person, me = signed_in_member()
    demande = demandes.detail(person, demande_id)  # its documents from demandes' read model
    documents = [d for d in demande.get("documents", []) if d["status"] == "attached"]
    thread = None
    if demande["state"] != "DRAFT":
        thread = demandes.thread(person, demande_id)
    return render("demande_detail.html", person=person, me=me, demande=demande, documents=documents,
                  thread=thread, unread_allowed=True, unread_own_roles=("CLIENT",))


@bp.get("/demandes/<demande_id>/justificatif")
def request_proof(demande_id: str):
    """« Télécharger mon justificatif » of the NO-10 e-mail: that request's signed payment proof,
    streamed as the board's « Justificatif PDF » link streams it (one call to demandes, then the
    bytes). A link followed from a mailbox: without a session the login page comes first and
    brings the person back here; a refusal (not validated, not theirs) is a page of the portal."""
    person = current_person()
    if person.get("is_staff"):
        raise Forbidden(CLIENTS_ONLY)
    download = demandes.proof_download(person, demande_id)
    return stream_document(download["document"]["id"], person, download["grant"])
