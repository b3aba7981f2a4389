"""The PDF summary (SPEC DO-7) and the payment proof (DO-8) of a request: the demandes service
applies its own rule (DM-9), then hands the documents service a snapshot of the request
(documents_service/contracts.py) and answers the generated document's metadata; the person
downloads it like any other document."""
from __future__ import annotations

from typing import Any

from consignations_shared.contracts.payloads.demandes import IssuePaymentProof
from consignations_shared.errors import Conflict
from consignations_shared.events import Envelope

from . import members
from .context import DemandesContext, acting, full_name, load_request, request_to_read
from .domain import catalogue, lifecycle, presentation
from .models import Request
from .views import iso, state_label

NO_SUMMARY_FOR_DRAFT = "Le récapitulatif est disponible une fois la demande transmise."
NO_PROOF_YET = "Le justificatif de paiement est disponible une fois la demande validée."


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


def request_snapshot(ctx: DemandesContext, request: Request) -> dict[str, Any]:
    """The snapshot with the owner's name (read model of accounts' events) and the documents,
    asked of the documents service."""
    owner = members.person(ctx.session, request.owner_person_id)
    company_name = members.company_name_of(ctx.session, request.account_id)
    ctx.session.commit()  # nothing held while the documents service answers
    documents = ctx.documents.documents_of_owner("demandes", request.id)
    return snapshot(ctx, request, documents, owner, company_name)


def summary_document(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """« Télécharger le récapitulatif » (transmitted, validated, rejected requests)."""
    who = acting(ctx, person)
    request = request_to_read(ctx, who, request_id)
    if request.state == lifecycle.DRAFT:
        raise Conflict(NO_SUMMARY_FOR_DRAFT)
    return ctx.documents.render_summary(request_snapshot(ctx, request), person)


def proof_document(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """« Télécharger le justificatif » of a validated request (issued at validation; asking again
    gives back the same signed document)."""
    who = acting(ctx, person)
    request = request_to_read(ctx, who, request_id)
    if request.state != lifecycle.VALIDATED:
        raise Conflict(NO_PROOF_YET)
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
