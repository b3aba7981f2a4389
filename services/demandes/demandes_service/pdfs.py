"""The PDF summary (SPEC DO-7) and the payment proof (DO-8) of a request.

The summary of each transmitted version is made off the request path: the transaction that
transmits a version (submission, complement) writes the command `documents.render_summary` with
a snapshot of the request (documents_service/contracts.py); the documents service renders it in
its worker pool, stores it and announces `summary_generated`, which the read model of the
requests' documents records (request_documents.py). « Télécharger le récapitulatif » only looks
the stored document up there; a download that races the rendering waits at most SUMMARY_WAIT
seconds, then answers 503 « Le récapitulatif est en cours de préparation… ».

The proof is asked at validation (the command demandes.issue_payment_proof, consumed here, which
calls documents.issue_payment_proof); its download answers the stored document from the read
model too. The person downloads either like any other document."""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy.exc import IntegrityError

from consignations_shared.contracts.payloads.demandes import IssuePaymentProof, RenderSummary
from consignations_shared.errors import Conflict, ServiceUnavailable
from consignations_shared.events import Envelope
from consignations_shared.grants import grant_for

from . import members, request_documents
from .context import Acting, DemandesContext, acting, full_name, load_request, request_to_read
from .domain import catalogue, lifecycle, presentation
from .models import Request, SummaryAsked
from .views import iso, state_label

NO_SUMMARY_FOR_DRAFT = "Le récapitulatif est disponible une fois la demande transmise."
NO_PROOF_YET = "Le justificatif de paiement est disponible une fois la demande validée."
SUMMARY_BEING_PREPARED = "Le récapitulatif est en cours de préparation, réessayez dans quelques secondes."
SUMMARY_WAIT = 5.0  # seconds a download waits for a summary being rendered
SUMMARY_POLL = 0.1


def snapshot(ctx: DemandesContext, request: Request, documents: list[dict], owner: dict | None,
             company_name: str | None) -> dict[str, Any]:
    procedure = catalogue.procedure(request.procedure_code)
    values = dict(request.values or {})
    lines = [{"label": line["label"], "kind": line["kind"], "section": section["label"],
              "value": values.get(line["name"]) if line["kind"] == "iban" else line["value"]}
             for section in presentation.recap(procedure, values) for line in section["lines"]]
    return {
        "demande_id": request.id, "number": request.number, "version": request.version,
        "procedure_code": procedure.code, "procedure_label": procedure.label, "sens": request.sens,
        "state": request.state, "state_label": state_label(request),
        "dates": {"created_at": iso(request.created_at), "submitted_at": iso(request.submitted_at),
                  "validated_at": iso(request.validated_at), "rejected_at": iso(request.rejected_at)},
        "owner": {"person_id": request.owner_person_id, "name": full_name(owner),
                  "email": (owner or {}).get("email"), "company_name": company_name},
        "fields": lines,
        "documents": [{"label": d.get("kind_label") or d.get("kind"), "file_name": d.get("file_name"),
                       "review_status": (d.get("review") or {}).get("status")}
                      for d in documents if not d.get("generated")],
        "amount": presentation.amount_for_snapshot(procedure, values),
    }


def owner_of(ctx: DemandesContext, request: Request, who: Acting | None = None) -> tuple[dict | None, str | None]:
    """(the owner as the read model of accounts' events shows them, the company name), for a
    snapshot; when the acting person is the owner, what is known of them already."""
    if who is not None and who.person_id == request.owner_person_id:
        return {"display_name": who.name, "email": who.email}, who.company_name
    return (members.person(ctx.session, request.owner_person_id),
            members.company_name_of(ctx.session, request.account_id))


def request_snapshot(ctx: DemandesContext, request: Request) -> dict[str, Any]:
    """The snapshot with the owner's name (read model of accounts' events) and the documents,
    asked of the documents service."""
    owner, company_name = owner_of(ctx, request)
    ctx.session.commit()  # nothing held while the documents service answers
    documents = ctx.documents.documents_of_owner("demandes", request.id)
    return snapshot(ctx, request, documents, owner, company_name)


def ask_for_summary(ctx: DemandesContext, request: Request, documents: list[dict], owner: dict | None,
                    company_name: str | None, person: dict) -> None:
    """In the transaction that transmits a version of the request: the command that has the
    documents service render its summary (made once it is committed, whatever happens next), and
    the version a download then waits for."""
    ctx.session.flush()  # the version this transaction gives the request
    command = RenderSummary(snapshot=snapshot(ctx, request, documents, owner, company_name), person=dict(person))
    ctx.outbox.publish(ctx.session, command)
    asked = ctx.session.get(SummaryAsked, request.id)
    if asked is None:
        ctx.session.add(SummaryAsked(request_id=request.id, version=request.version, asked_at=ctx.clock.now()))
    else:
        asked.version, asked.asked_at = request.version, ctx.clock.now()


def _ask_now(ctx: DemandesContext, request: Request, person: dict) -> int:
    """A transmitted request whose summary was never asked (transmitted before summaries were made
    at transmission): asked now, with the documents the read model knows. The version asked."""
    owner, company_name = owner_of(ctx, request)
    request = load_request(ctx, request.id, lock=True)
    asked = ctx.session.get(SummaryAsked, request.id)
    if asked is not None:  # asked meanwhile
        version = asked.version
        ctx.session.rollback()
        return version
    ask_for_summary(ctx, request, request_documents.documents_of(ctx.session, request.id), owner, company_name,
                    person)
    version = request.version
    try:
        ctx.session.commit()
    except IntegrityError:  # asked at the same moment by another download
        ctx.session.rollback()
        version = ctx.session.get(SummaryAsked, request.id).version
    return version


def summary_document(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """« Télécharger le récapitulatif » (transmitted, validated, rejected requests): the summary
    of the last transmitted version, as stored by the documents service."""
    who = acting(ctx, person)
    request = request_to_read(ctx, who, request_id)
    if request.state == lifecycle.DRAFT:
        raise Conflict(NO_SUMMARY_FOR_DRAFT)
    asked = ctx.session.get(SummaryAsked, request.id)
    version = asked.version if asked is not None else _ask_now(ctx, request, person)
    deadline = time.monotonic() + SUMMARY_WAIT
    while True:
        found = request_documents.summary_of(ctx.session, request.id, version)
        ctx.session.commit()  # the next look sees what the read model has received since
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise ServiceUnavailable(SUMMARY_BEING_PREPARED)
        time.sleep(SUMMARY_POLL)


def proof_document(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """« Télécharger le justificatif » of a validated request (issued at validation; asking again
    gives back the same signed document, from the read model once it has it)."""
    who = acting(ctx, person)
    request = request_to_read(ctx, who, request_id)
    if request.state != lifecycle.VALIDATED:
        raise Conflict(NO_PROOF_YET)
    stored = request_documents.document(ctx.session, request.proof_document_id)
    if stored is not None:
        ctx.session.commit()
        return stored
    return issue_missing_proof(ctx, request, person)


def issue_missing_proof(ctx: DemandesContext, request: Request, person: dict) -> dict[str, Any]:
    """The proof of a validated request (issued once by the documents service, the same document
    afterwards), recorded on the request so the board shows « Justificatif de déconsignation
    disponible »."""
    proof = ctx.documents.issue_payment_proof(request_snapshot(ctx, request), person)
    stored = load_request(ctx, request.id, lock=True)
    if stored is not None and stored.proof_document_id != proof["id"]:
        stored.proof_document_id = proof["id"]
        ctx.session.commit()
    else:
        ctx.session.rollback()
    return proof


def summary_download(ctx: DemandesContext, grant_key: bytes, person: Any, request_id: Any) -> dict[str, Any]:
    """« Télécharger le récapitulatif » in one call: the stored summary (summary_document) and the
    read grant the gateway shows the documents service to stream its bytes (DM-9)."""
    return _with_read_grant(ctx, grant_key, person, request_id, summary_document(ctx, person, request_id))


def proof_download(ctx: DemandesContext, grant_key: bytes, person: Any, request_id: Any) -> dict[str, Any]:
    """« Télécharger le justificatif » in one call, as summary_download."""
    return _with_read_grant(ctx, grant_key, person, request_id, proof_document(ctx, person, request_id))


def _with_read_grant(ctx: DemandesContext, grant_key: bytes, person: Any, request_id: Any,
                     document: dict[str, Any]) -> dict[str, Any]:
    # The person may read the request (summary_document and proof_document checked it, as
    # authorize_document would for « read »): its generated document is theirs to read.
    signed = grant_for(grant_key, ctx.clock.now(), owner_service="demandes", owner_id=request_id, person=person,
                       action="read", document_id=document["id"], rule=lambda: True)
    return {"document": document, "grant": signed["grant"]}


PROOF_COMMAND = IssuePaymentProof.name


def ask_for_proof(ctx: DemandesContext, request: Request, person: dict) -> None:
    """In the validation's transaction: a command to this service to issue the proof (consumed by
    issue_asked_proof), so it cannot be forgotten, whatever happens after the commit."""
    ctx.outbox.publish(ctx.session, IssuePaymentProof(demande_id=request.id, person=person))


def issue_asked_proof(ctx: DemandesContext, asked: Envelope | dict) -> None:
    """The proof asked at validation (the command's envelope or payload). Raises while the
    documents service cannot issue it (the command is retried with back-off, then dead-lettered);
    a repeated command issues nothing more (the documents service issues one proof per request)."""
    command = IssuePaymentProof.read(asked)
    request = load_request(ctx, command.demande_id)
    if request is None or request.state != lifecycle.VALIDATED or request.proof_document_id:
        ctx.session.rollback()
        return
    ctx.session.commit()  # nothing held while the documents service renders and signs
    issue_missing_proof(ctx, request, command.person)
