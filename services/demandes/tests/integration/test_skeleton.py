"""The demandes service migrates its own database, starts on the broker and reports on its own
health endpoint and through RPC; a fresh instance (empty read model) is not ready until it has
rebuilt its members read model from the accounts service's snapshot (issue 15)."""
import requests
from sqlalchemy import MetaData, create_engine, inspect, select
from sqlalchemy.orm import Session

from demandes_service.models import Member
from demandes_service.service import DemandesService

from .accounts_stub import member, stub_accounts, wait_until_ready

PEOPLE = {f"p{n}": member(f"p{n}", "acme", "UTILISATEUR", n + 1, last_name=f"N{n}") for n in range(1203)}


def test_a_fresh_instance_rebuilds_its_read_model_before_it_is_ready(start_service, rpc):
    container = start_service(DemandesService)  # accounts is not up yet
    engine = create_engine(container.config["DATABASE_URL"])
    tables = inspect(engine).get_table_names()
    assert {"outbox", "processed_events", "alembic_version", "members", "read_model_builds"} <= set(tables)
    address = container.config["WEB_SERVER_ADDRESS"]
    assert rpc.demandes.ping() == {"service": "demandes", "status": "not_ready",
                                   "checks": {"database": "ok", "broker": "ok", "read_models": "rebuilding: members"}}
    assert requests.get(f"http://{address}/health/ready", timeout=5).status_code == 503
    start_service(stub_accounts(PEOPLE), metadata=MetaData())
    assert wait_until_ready(rpc, timeout=60)["checks"] == {"database": "ok", "broker": "ok", "read_models": "ok"}
    with Session(engine) as session:  # three pages of 500, all there once ready
        names = {m.person_id: m.last_name for m in session.execute(select(Member)).scalars()}
    engine.dispose()
    assert names == {p: r["last_name"] for p, r in PEOPLE.items()}
    assert requests.get(f"http://{address}/health/ready", timeout=5).json()["status"] == "ready"
