"""The demandes service skeleton (issue 2): it migrates its own database, starts on the broker
and reports ready on its own health endpoint and through RPC. Its features come with issue 5."""
import requests
from sqlalchemy import create_engine, inspect

from demandes_service.service import DemandesService


def test_demandes_service_migrates_starts_and_is_ready(start_service, rpc):
    container = start_service(DemandesService)
    engine = create_engine(container.config["DATABASE_URL"])
    tables = inspect(engine).get_table_names()
    engine.dispose()
    assert {"outbox", "processed_events", "alembic_version"} <= set(tables)
    assert rpc.demandes.ping() == {"service": "demandes", "status": "ready",
                                   "checks": {"database": "ok", "broker": "ok"}}
    address = container.config["WEB_SERVER_ADDRESS"]
    assert requests.get(f"http://{address}/health/ready", timeout=5).json()["status"] == "ready"
