"""Submissions over RPC on the real broker and PostgreSQL (DM-5), with stub accounts and documents
services (accounts: the snapshot demandes rebuilds its read model from): 24 people submit at the same moment and get distinct consecutive numbers, one event
each; the same Idempotency-Key sent twice at once gives one number; the board shows the result."""
import re

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session

from consignations_shared.db import get_engine
from consignations_shared.errors import NotFound
from consignations_shared.plumbing import outbox
from consignations_shared.rpc import rpc as rpc_entrypoint
from demandes_service.models import Request
from demandes_service.service import DemandesService

from .accounts_stub import acting, member, stub_accounts, wait_until_ready

SUBMITTERS = 24
SAISIE = {"company_name": "ACME SAS", "legal_form": "SAS", "account_holder": "ACME SAS",
          "iban": "FR7630006000011234567890189", "bic": "BNPAFRPPXXX"}
PEOPLE = {f"p{n}": member(f"p{n}", "acme", "UTILISATEUR", n + 1, first_name="Agent", last_name=f"N{n}")
          for n in range(SUBMITTERS)}
PEOPLE["intruder"] = member("intruder", "globex", "UTILISATEUR", SUBMITTERS + 1)


ASKED_DOCUMENTS_OF = []  # the requests whose documents the stub was asked for


class StubDocuments:
    name = "documents"

    @rpc_entrypoint
    def documents_of_owner(self, owner_service, owner_id):
        ASKED_DOCUMENTS_OF.append(owner_id)
        return [{"id": "rib-" + owner_id, "kind": "RIB", "status": "attached", "page": None, "review": None,
                 "generated": False, "file_name": "rib.pdf", "kind_label": "RIB"}]

    @rpc_entrypoint
    def documents_snapshot(self, owner_service, after=None, limit=500):
        return {"documents": [], "next": None}  # demandes' read model starts empty


def person(person_id):
    return acting(PEOPLE[person_id], "UTILISATEUR")


def documents_event_reached(engine, request_id):
    """What the documents service's document_attached event gives demandes' read model: then the
    submission checks the documents without calling the documents service."""
    from demandes_service import request_documents

    import uuid

    document_id = str(uuid.uuid4())
    state = {"id": document_id, "lineage_id": document_id, "version": 1, "revision": 2,
             "owner": {"service": "demandes", "id": request_id}, "kind": "RIB", "kind_label": "RIB", "page": None,
             "status": "attached", "review": {"status": "pending", "reason": None}, "file_name": "rib.pdf",
             "content_type": "application/pdf", "size": 3, "sha256": "0" * 64,
             "uploaded_at": "2025-10-15T09:00:00+00:00", "uploaded_by": request_id, "generated": False,
             "download_path": f"/api/documents/{document_id}/content"}
    with Session(engine) as session:
        request_documents.apply_states(session, [state])
        session.commit()


@pytest.fixture
def demandes(start_service, postgres_database, rpc):
    start_service(stub_accounts(PEOPLE), metadata=MetaData())
    start_service(StubDocuments, metadata=MetaData())
    url = postgres_database("demandes")
    start_service(DemandesService, database_url=url)
    assert wait_until_ready(rpc)["status"] == "ready"
    return get_engine(url)


@pytest.mark.parametrize("read_model_knows", [False, True], ids=["documents-asked", "read-model"])
def test_concurrent_submitters_get_distinct_consecutive_numbers(demandes, rpc, amqp_uri, read_model_knows):
    drafts = {}
    for person_id in PEOPLE:
        if person_id == "intruder":
            continue
        draft = rpc.demandes.create_draft(person(person_id), "SAISIE_IMMO_D")
        rpc.demandes.save_step(person(person_id), draft["id"], SAISIE, True)
        drafts[person_id] = draft["id"]
        if read_model_knows:
            documents_event_reached(demandes, draft["id"])
    start = eventlet.event.Event()

    def submit(person_id, key=None):
        start.wait()
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=30) as proxy:
            return proxy.demandes.submit(person(person_id), drafts[person_id], key)

    threads = [eventlet.spawn(submit, person_id) for person_id in drafts]
    eventlet.sleep(0)
    start.send(True)
    numbers = [thread.wait()["number"] for thread in threads]
    asked = set(ASKED_DOCUMENTS_OF) & set(drafts.values())
    assert asked == (set() if read_model_knows else set(drafts.values()))
    month = numbers[0][:6]
    assert re.fullmatch(r"10\d{4}", month)
    assert sorted(numbers) == [f"{month}{n:09d}" for n in range(1, SUBMITTERS + 1)]  # no gap, no duplicate
    with Session(demandes) as session:
        submitted_events = session.execute(select(func.count()).select_from(outbox)
                                           .where(outbox.c.routing_key == "demandes.demande_submitted")).scalar_one()
        assert submitted_events == SUBMITTERS
        assert session.execute(select(func.count()).select_from(Request)
                               .where(Request.state == "SUBMITTED")).scalar_one() == SUBMITTERS
    page = rpc.demandes.board(person("p3"), {"tab": "TRANSMITTED"})
    assert [i["number"] for i in page["items"]] and page["items"][0]["owner_name"] == "Agent N3"
    assert page["items"][0]["amount"] == "Total" and page["items"][0]["state_label"] == "Envoyé"


@pytest.mark.parametrize("read_model_knows", [False, True], ids=["documents-asked", "read-model"])
def test_the_same_key_twice_at_once_gives_one_submission(demandes, rpc, amqp_uri, read_model_knows):
    draft = rpc.demandes.create_draft(person("p1"), "SAISIE_IMMO_D")
    rpc.demandes.save_step(person("p1"), draft["id"], SAISIE, True)
    if read_model_knows:
        documents_event_reached(demandes, draft["id"])
    start = eventlet.event.Event()

    def submit():
        start.wait()
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=30) as proxy:
            return proxy.demandes.submit(person("p1"), draft["id"], "retry-of-the-same-click")

    threads = [eventlet.spawn(submit) for _ in range(5)]
    eventlet.sleep(0)
    start.send(True)
    numbers = {thread.wait()["number"] for thread in threads}
    assert len(numbers) == 1
    assert (draft["id"] in ASKED_DOCUMENTS_OF) is not read_model_knows
    with Session(demandes) as session:
        assert session.execute(select(func.count()).select_from(outbox)
                               .where(outbox.c.routing_key == "demandes.demande_submitted")).scalar_one() == 1
    with pytest.raises(NotFound):  # another account's draft, asked directly over RPC
        rpc.demandes.submit(person("intruder"), draft["id"], None)
    with pytest.raises(NotFound):
        rpc.demandes.detail(person("intruder"), draft["id"])
