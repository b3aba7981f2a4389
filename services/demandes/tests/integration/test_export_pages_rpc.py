"""BO-9: demandes.staff_export_page over RPC on the real broker and PostgreSQL: the pages, read by
keyset with small pages, hold exactly the queue (staff_queue) in its order for every sort and
order — PostgreSQL's collation and NULL ordering included —, with the owners' names from the
read model; a client is refused and a forged cursor is a 422."""
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, insert
from sqlalchemy.orm import Session

from consignations_shared.db import get_engine
from consignations_shared.errors import Forbidden, ValidationFailed
from demandes_service.models import Request
from demandes_service.service import DemandesService

from .accounts_stub import member, stub_accounts, stub_documents, wait_until_ready

AGENT = {"id": "agent-1", "email": "agent@caissedesdepots.fr", "profile": "GESTIONNAIRE", "is_staff": True}
OWNER = member("owner-1", "acme", "UTILISATEUR", 1, first_name="Élodie", last_name="Dupont")
ALL_STATES = "SUBMITTED,AWAITING_COMPLEMENT,AWAITING_FUNDS,VALIDATED,REJECTED"
START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
# Names that collations order differently (case, accents, spaces), missing names and amounts, ties.
CLIENTS = ["acme", "ACME SAS", "Ébène", "ebene", "Zèbre", None, "=SUM(A1)", "b c", "bc", "ACME SAS", None]
AMOUNTS = ["10.00", None, "10.00", "2.50", None, "100000.00", "0.01", "10.00", None, "7.77", "10.00"]
STATES = ["SUBMITTED", "AWAITING_COMPLEMENT", "AWAITING_FUNDS", "VALIDATED", "REJECTED"]


@pytest.fixture
def engine(start_service, postgres_database, rpc):
    url = postgres_database("demandes")
    start_service(stub_accounts({"owner-1": OWNER}), metadata=MetaData())
    start_service(stub_documents(), metadata=MetaData())
    start_service(DemandesService, database_url=url)
    assert wait_until_ready(rpc)["status"] == "ready"  # the owner's name is in the read model
    engine = get_engine(url)
    rows = []
    for n, (client, amount) in enumerate(zip(CLIENTS, AMOUNTS)):
        submitted = START + timedelta(minutes=n // 3)  # threes submitted at the same instant
        code = "SAISIE_IMMO_D" if n % 4 == 3 else "AM_EXPERTISE_JUD_C"
        rows.append(dict(id=str(uuid.uuid4()), procedure_code=code, sens=code[-1], account_id="acme",
                         owner_person_id="owner-1", created_by="owner-1", state=STATES[n % 5], step=4, values={},
                         number=f"1026110000{n:05d}", created_at=submitted - timedelta(days=2),
                         updated_at=submitted, submitted_at=submitted, state_changed_at=submitted,
                         validated_at=submitted + timedelta(days=1) if STATES[n % 5] == "VALIDATED" else None,
                         client_name=client, amount=Decimal(amount) if amount else None, version=1))
    with Session(engine) as session:
        session.execute(insert(Request.__table__), rows)
        session.commit()
    return engine


def exported(rpc, query, limit):
    ids, after, calls = [], None, 0
    while True:
        page = rpc.demandes.staff_export_page(AGENT, query, after, limit)
        calls += 1
        ids += [item["id"] for item in page["items"]]
        after = page["next_after"]
        if after is None:
            return ids, calls
        assert calls < 30


def test_the_pages_are_the_queue_in_its_order_on_postgresql(engine, rpc):
    for sort in ("submitted_at", "number", "client_name", "state", "procedure", "amount"):
        for order in ("asc", "desc"):
            query = {"state": ALL_STATES, "sort": sort, "order": order}
            expected = [i["id"] for i in rpc.demandes.staff_queue(AGENT, {**query, "per_page": "100"})["items"]]
            assert len(expected) == len(CLIENTS)
            for limit in (2, 3):
                ids, calls = exported(rpc, query, limit)
                assert ids == expected, (sort, order, limit)
                assert calls == len(expected) // limit + 1


def test_an_item_as_the_export_writes_it(engine, rpc):
    page = rpc.demandes.staff_export_page(AGENT, {"state": "VALIDATED", "sort": "number"}, None, 10)
    item = page["items"][0]
    assert item["number"] == "102611000000003" and item["state"] == "VALIDATED"
    assert item["owner_name"] == "Élodie Dupont" and item["client_name"] == "ebene"
    assert item["amount"] == "TOTAL" and item["procedure_code"] == "SAISIE_IMMO_D"  # no amount field
    assert item["submitted_at"] == "2026-11-02T08:01:00+00:00" and item["decided_at"] == "2026-11-03T08:01:00+00:00"
    assert page["next_after"] is None and page["generated_at"].endswith("+00:00")
    filtered = rpc.demandes.staff_export_page(AGENT, {"client_name": "acme", "state": ALL_STATES}, None, 10)
    assert {i["client_name"] for i in filtered["items"]} == {"acme", "ACME SAS"}


def test_clients_and_forged_cursors_are_refused(engine, rpc):
    client = {"id": "owner-1", "email": "owner-1@example.com", "profile": "UTILISATEUR", "is_staff": False}
    with pytest.raises(Forbidden):
        rpc.demandes.staff_export_page(client, {}, None, 10)
    with pytest.raises(ValidationFailed) as refused:
        rpc.demandes.staff_export_page(AGENT, {"sort": "amount"}, '["1e999999", "x"]', 10)
    assert set(refused.value.fields) == {"after"}
    with pytest.raises(ValidationFailed) as refused:
        rpc.demandes.staff_export_page(AGENT, {}, None, 5000)
    assert set(refused.value.fields) == {"limit"}
