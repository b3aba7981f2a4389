"""The demandes service migrates its own database, starts on the broker and reports on its own
health endpoint and through RPC; a fresh instance (empty read models) is not ready until it has
rebuilt its members read model from the accounts service's snapshot and its read model of the
requests' documents from the documents service's snapshot (issue 15)."""
import requests
from sqlalchemy import MetaData, create_engine, inspect, select
from sqlalchemy.orm import Session

from demandes_service.models import Member, RequestDocument
from demandes_service.service import DemandesService

from .accounts_stub import member, stub_accounts, stub_documents, wait_until_ready

PEOPLE = {f"p{n}": member(f"p{n}", "acme", "UTILISATEUR", n + 1, last_name=f"N{n}") for n in range(1203)}
STATE = {"id": "11111111-1111-4111-8111-111111111111", "lineage_id": "11111111-1111-4111-8111-111111111111",
         "version": 1, "revision": 3, "owner": {"service": "demandes", "id": "req-1"}, "kind": "RIB",
         "kind_label": "RIB", "status": "attached", "review": {"status": "conforme"}, "file_name": "rib.pdf",
         "content_type": "application/pdf", "size": 3, "sha256": "0" * 64,
         "uploaded_at": "2026-11-20T10:00:00+00:00", "uploaded_by": "alice", "generated": False}
READY = {"database": "ok", "broker": "ok", "read_models": "ok"}



def test_a_fresh_instance_rebuilds_its_read_models_before_it_is_ready(start_service, rpc):
    container = start_service(DemandesService)  # accounts and documents are not up yet
    engine = create_engine(container.config["DATABASE_URL"])
    tables = inspect(engine).get_table_names()
    assert {"outbox", "processed_events", "alembic_version", "members", "read_model_builds",
            "request_documents"} <= set(tables)
    address = container.config["WEB_SERVER_ADDRESS"]
    assert rpc.demandes.ping() == {"service": "demandes", "status": "not_ready",
                                   "checks": {"database": "ok", "broker": "ok", "read_models": "rebuilding: members, request_documents"}}
    assert requests.get(f"http://{address}/health/ready", timeout=5).status_code == 503
    start_service(stub_accounts(PEOPLE), metadata=MetaData())
    documents = stub_documents([STATE])
    start_service(documents, metadata=MetaData())
    assert wait_until_ready(rpc, timeout=60)["checks"] == READY
    with Session(engine) as session:  # three pages of 500 members, all there once ready
        names = {m.person_id: m.last_name for m in session.execute(select(Member)).scalars()}
        [row] = session.execute(select(RequestDocument)).scalars().all()
    engine.dispose()
    assert names == {p: r["last_name"] for p, r in PEOPLE.items()}
    assert (row.document_id, row.request_id, row.revision) == (STATE["id"], "req-1", 3)
    assert documents.pages == [None, STATE["id"]]
    assert requests.get(f"http://{address}/health/ready", timeout=5).json()["status"] == "ready"
