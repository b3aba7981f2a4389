"""The read model of the requests' documents (request_documents.py), fed by the documents
service's events, and the grant demandes signs for the documents service (document_rights)."""
import pytest
from sqlalchemy.orm import Session, sessionmaker

from consignations_shared import grants, read_models
from consignations_shared.contracts.payloads.documents import DocumentAttached, DocumentReviewed, DocumentUploaded
from consignations_shared.errors import Forbidden, NotFound
from consignations_shared.events import new_envelope
from demandes_service import backoffice, board, document_rights, drafts, request_documents, submission
from demandes_service.models import RequestDocument

from .test_backoffice_and_threads import AGENT, SAISIE, people, review, submitted  # noqa: F401 (fixtures)


def state(document_id="d1", request_id="req-1", revision=1, status="pending", owner="demandes", **changes):
    return {"id": document_id, "lineage_id": document_id, "version": 1, "revision": revision,
            "owner": {"service": owner, "id": request_id}, "kind": "RIB", "kind_label": "RIB", "page": None,
            "status": status, "review": {"status": "pending", "reason": None}, "file_name": "rib.pdf",
            "content_type": "application/pdf", "size": 3, "sha256": "0" * 64,
            "uploaded_at": "2025-10-15T09:00:00+00:00", "uploaded_by": "alice", "generated": False,
            "download_path": f"/api/documents/{document_id}/content", **changes}


def envelope(message_type, states, **fields):
    base = {"document_id": states[0]["id"], "lineage_id": states[0]["id"], "version": 1, "owner_service": "demandes",
            "owner_id": states[0]["owner"]["id"], "kind": "RIB"}
    message = message_type(**base, **fields, documents=states)
    return new_envelope(message_type.name, message.payload(), source="documents")


UPLOADED = dict(content_type="application/pdf", size=3, sha256="0" * 64, uploaded_by="alice")


def test_each_event_applies_once_and_the_highest_revision_wins(session, clock):
    uploaded = envelope(DocumentUploaded, [state()], **UPLOADED)
    assert request_documents.on_event(session, clock, uploaded, DocumentUploaded)
    attached = envelope(DocumentAttached, [state(revision=2, status="attached")], attached_by="alice")
    assert request_documents.on_event(session, clock, attached, DocumentAttached)
    assert [d["status"] for d in request_documents.documents_of(session, "req-1")] == ["attached"]
    assert not request_documents.on_event(session, clock, attached, DocumentAttached)  # same event id
    late = envelope(DocumentUploaded, [state(revision=1, status="pending")], **UPLOADED)  # an older state, late
    assert request_documents.on_event(session, clock, late, DocumentUploaded)
    [shown] = request_documents.documents_of(session, "req-1")
    assert shown["status"] == "attached" and "revision" not in shown
    reviewed = envelope(DocumentReviewed, [state(revision=3, status="attached",
                                                 review={"status": "non_conforme", "reason": "Illisible"})],
                        review_status="non_conforme", reason="Illisible", reviewed_by="agent")
    request_documents.on_event(session, clock, reviewed, DocumentReviewed)
    assert request_documents.documents_of(session, "req-1")[0]["review"]["reason"] == "Illisible"


def test_other_owners_and_superseded_versions_are_not_current(session):
    request_documents.apply_states(session, [
        state("d1", status="replaced", revision=2), state("d2", status="attached"), state("d3", status="deleted"),
        state("d4", owner="accounts", request_id="acct-1")])
    session.commit()
    assert [d["id"] for d in request_documents.documents_of(session, "req-1")] == ["d2"]
    assert session.get(RequestDocument, "d4") is None
    assert request_documents.document(session, "d3") is None and request_documents.document(session, "d2")["id"] == "d2"


def test_the_read_model_is_rebuilt_from_the_snapshot_pages_by_the_shared_mechanism(engine):
    pages = {None: {"documents": [state("d1"), state("d2", revision=2, status="attached")], "next": "d2"},
             "d2": {"documents": [state("d3", request_id="req-2"), state("d4", owner="accounts")], "next": None}}
    asked = []

    def documents_snapshot(owner_service, after, limit):
        asked.append((owner_service, after, limit))
        return pages[after]

    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with sessions() as session:  # a live event newer than the snapshot's state of d2
        request_documents.apply_states(session, [state("d2", revision=5, status="deleted")])
        session.commit()
    assert read_models.rebuild(sessions, request_documents.MODEL, documents_snapshot) == 4
    assert asked == [("demandes", None, 500), ("demandes", "d2", 500)]
    with sessions() as session:
        assert read_models.is_built(session, "request_documents")
        assert [d["id"] for d in request_documents.documents_of(session, "req-1")] == ["d1"]
        assert [d["id"] for d in request_documents.documents_of(session, "req-2")] == ["d3"]
        assert session.get(RequestDocument, "d4") is None
        assert not request_documents.apply(session, request_documents.DocumentState.model_validate(state("d1")))


def test_the_service_and_the_operator_command_rebuild_both_read_models(engine, monkeypatch, capsys):
    from demandes_service import cli, members
    from demandes_service.service import DemandesService

    assert DemandesService.read_models.models == (members.MODEL, request_documents.MODEL)
    snapshots = {"members_snapshot": lambda after_revision, limit: {"items": [], "next_after_revision": 0},
                 "documents_snapshot": lambda owner_service, after, limit: {"documents": [state()], "next": None}}
    monkeypatch.setattr(read_models, "snapshot_caller",
                        lambda amqp_uri, timeout, model: snapshots[model.snapshot_method])
    settings = type("Settings", (), {"database_url": str(engine.url), "amqp_uri": "amqp://", "rpc_timeout": 1.0})()
    assert cli.COMMANDS["rebuild-read-models"](settings, []) == 0
    out = capsys.readouterr().out
    assert "members: 0 records from accounts.members_snapshot" in out
    assert "request_documents: 1 records from documents.documents_snapshot" in out
    with Session(engine) as session:
        assert [d["id"] for d in request_documents.documents_of(session, "req-1")] == ["d1"]


def test_the_detail_and_the_back_office_read_the_documents_without_the_documents_service(
        ctx, documents, people, submitted):  # noqa: F811
    documents.documents_of_owner = None  # any call to the documents service would fail
    assert [d["kind"] for d in board.detail(ctx, people["alice"], submitted["id"])["documents"]] == ["RIB"]
    assert [d["kind"] for d in backoffice.detail(ctx, AGENT, submitted["id"])["documents"]] == ["RIB"]


def test_a_complement_asks_for_the_summary_of_the_new_version(ctx, documents, people, submitted):  # noqa: F811
    from consignations_shared.events import command_routing_key
    from consignations_shared.testing import outbox_bodies

    review(documents, submitted["id"], "non_conforme", "Illisible")
    backoffice.request_complement(ctx, AGENT, submitted["id"])
    rib = documents.by_owner[submitted["id"]][0]
    rib["status"] = "replaced"
    documents.attach(submitted["id"], "RIB", replaces_document_id=rib["id"])
    documents.by_owner[submitted["id"]].remove(rib)
    submission.complete(ctx, people["alice"], submitted["id"])
    asked = [b["payload"]["snapshot"] for b in outbox_bodies(ctx.session, command_routing_key("documents", "render_summary"))]
    assert [s["state"] for s in asked] == ["SUBMITTED", "SUBMITTED"] and asked[1]["version"] > asked[0]["version"]


def test_the_grant_is_signed_for_what_the_rule_allows(ctx, documents, people):  # noqa: F811
    key = b"demandes-unit-key"
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    token = document_rights.document_grant(ctx, key, people["alice"], draft["id"], "write", "doc-1")["grant"]
    grants.verify(key, token, owner_service="demandes", owner_id=draft["id"], person_id="alice", action="write",
                  document_id="doc-1", now=ctx.clock.now())
    with pytest.raises(NotFound):
        document_rights.document_grant(ctx, key, people["other_admin"], draft["id"], "read")
    with pytest.raises(Forbidden) as refused:
        document_rights.document_grant(ctx, key, people["alice"], draft["id"], "review")
    assert refused.value.message == document_rights.PROFILE_CANNOT
    drafts.save_step(ctx, people["alice"], draft["id"], SAISIE, True)
    documents.attach(draft["id"], "RIB")
    submission.submit(ctx, people["alice"], draft["id"])
    with pytest.raises(Forbidden) as refused:
        document_rights.document_grant(ctx, key, people["alice"], draft["id"], "write")
    assert refused.value.message == document_rights.LOCKED
