"""The demandes service (issue 2, issue 15): it migrates its own database, starts on the broker,
rebuilds its empty read model of the requests' documents from the documents service's snapshot,
and only then reports ready on its own health endpoint and through RPC."""
import time

import requests
from sqlalchemy import MetaData, create_engine, inspect, select
from sqlalchemy.orm import Session

from consignations_shared.rpc import rpc as rpc_entrypoint
from demandes_service.models import RequestDocument
from demandes_service.service import DemandesService

STATE = {"id": "11111111-1111-4111-8111-111111111111", "lineage_id": "11111111-1111-4111-8111-111111111111",
         "version": 1, "revision": 3, "owner": {"service": "demandes", "id": "req-1"}, "kind": "RIB",
         "kind_label": "RIB", "status": "attached", "review": {"status": "conforme"}, "file_name": "rib.pdf",
         "content_type": "application/pdf", "size": 3, "sha256": "0" * 64,
         "uploaded_at": "2026-11-20T10:00:00+00:00", "uploaded_by": "alice", "generated": False}


class StubDocuments:
    name = "documents"
    pages = []

    @rpc_entrypoint
    def documents_snapshot(self, owner_service, after=None, limit=500):
        self.pages.append(after)
        if after is None:
            return {"documents": [STATE], "next": STATE["id"]}
        return {"documents": [], "next": None}


def test_demandes_service_migrates_rebuilds_its_read_model_and_is_ready(start_service, rpc):
    start_service(StubDocuments, metadata=MetaData())
    container = start_service(DemandesService)
    engine = create_engine(container.config["DATABASE_URL"])
    tables = inspect(engine).get_table_names()
    assert {"outbox", "processed_events", "alembic_version", "request_documents"} <= set(tables)
    deadline = time.monotonic() + 30
    while rpc.demandes.ping()["status"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rpc.demandes.ping() == {"service": "demandes", "status": "ready",
                                   "checks": {"database": "ok", "broker": "ok", "documents_read_model": "ready"}}
    with Session(engine) as session:
        [row] = session.execute(select(RequestDocument)).scalars().all()
        assert (row.document_id, row.request_id, row.revision) == (STATE["id"], "req-1", 3)
    engine.dispose()
    assert StubDocuments.pages == [None, STATE["id"]]
    address = container.config["WEB_SERVER_ADDRESS"]
    assert requests.get(f"http://{address}/health/ready", timeout=5).json()["status"] == "ready"


def test_without_the_documents_service_an_empty_read_model_is_not_ready(start_service, rpc):
    container = start_service(DemandesService, env={"RPC_TIMEOUT": "1"})
    report = rpc.demandes.ping()
    assert report["status"] == "not_ready" and report["checks"]["documents_read_model"] == "rebuilding"
    address = container.config["WEB_SERVER_ADDRESS"]
    assert requests.get(f"http://{address}/health/ready", timeout=5).status_code == 503
