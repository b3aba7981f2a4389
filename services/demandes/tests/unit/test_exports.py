"""BO-9: the queue read page after page for the exports (exports.page): the queue's filters,
sort and order, every row once whatever the page size (empty values and equal values
included), the export's columns, and the refusals."""
import json
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from consignations_shared.errors import Forbidden, ValidationFailed
from demandes_service import backoffice, exports
from demandes_service.models import Request

AGENT = {"id": "agent-1", "is_staff": True, "first_name": "Gaston", "last_name": "Lagaffe",
         "email": "gaston@cdc.example"}
START = datetime(2025, 10, 1, 8, 0, tzinfo=timezone.utc)
SORTS = ("submitted_at", "number", "client_name", "state", "procedure", "amount")


@pytest.fixture
def rows(session, accounts):
    """Eleven transmitted requests of two accounts (and a draft, a deleted one): equal amounts,
    equal client names, names and amounts missing, every queue state."""
    accounts.add("alice", "acme", "UTILISATEUR", first_name="Alice", last_name="Martin")
    accounts.add("admin", "acme", "ADMINISTRATEUR", named=False)
    plan = [
        # (procedure, state, client, amount, owner)
        ("AM_EXPERTISE_JUD_C", "SUBMITTED", "ACME SAS", "1500.00", "alice"),
        ("AM_EXPERTISE_JUD_C", "SUBMITTED", "ACME SAS", "1500.00", "admin"),
        ("AM_EXPERTISE_JUD_C", "AWAITING_FUNDS", "Globex", "20.50", "alice"),
        ("AM_EXPERTISE_JUD_C", "AWAITING_COMPLEMENT", None, None, "alice"),
        ("SAISIE_IMMO_D", "SUBMITTED", "ACME SAS", None, "admin"),
        ("SAISIE_IMMO_D", "VALIDATED", "Globex", None, "ghost"),  # an owner the read model does not know
        ("AM_EXPERTISE_JUD_C", "REJECTED", "=HYPERLINK(\"http://x\")", "99999.99", "alice"),
        ("AM_EXPERTISE_JUD_C", "SUBMITTED", None, "1500.00", "alice"),
        ("SAISIE_IMMO_D", "AWAITING_COMPLEMENT", "acme bis", None, "alice"),
        ("AM_EXPERTISE_JUD_C", "VALIDATED", "ACME SAS", "0.01", "admin"),
        ("AM_EXPERTISE_JUD_C", "SUBMITTED", "Zeta", "7.00", "alice"),
    ]
    made = []
    for n, (code, state, client, amount, owner) in enumerate(plan):
        submitted = START + timedelta(hours=n // 2)  # pairs submitted at the same instant
        request = _request(code, state, owner, client, amount, submitted, number=f"1025100000{n:05d}")
        if state == "VALIDATED":
            request.validated_at = submitted + timedelta(days=3)
        if state == "REJECTED":
            request.rejected_at = submitted + timedelta(days=4)
        session.add(request)
        made.append(request)
    session.add(_request("AM_EXPERTISE_JUD_C", "DRAFT", "alice", None, "1.00", None, number=None))
    deleted = _request("AM_EXPERTISE_JUD_C", "SUBMITTED", "alice", "ACME SAS", "1.00", START, number="102510000099999")
    deleted.deleted_at = START
    session.add(deleted)
    session.commit()
    return made


def _request(code, state, owner, client, amount, submitted, *, number):
    sens = "D" if code.endswith("_D") else "C"
    return Request(id=str(uuid.uuid4()), procedure_code=code, sens=sens, account_id="acme", owner_person_id=owner,
                   created_by=owner, state=state, step=4, values={}, number=number,
                   created_at=(submitted or START) - timedelta(days=1), updated_at=submitted or START,
                   submitted_at=submitted, state_changed_at=submitted, client_name=client,
                   amount=Decimal(amount) if amount else None, version=1)


def every_page(ctx, query, limit):
    ids, pages, after = [], 0, None
    while True:
        page = exports.page(ctx, AGENT, query, after, limit)
        pages += 1
        ids += [item["id"] for item in page["items"]]
        after = page["next_after"]
        if after is None:
            return ids, pages
        assert pages < 50


ALL_STATES = "SUBMITTED,AWAITING_COMPLEMENT,AWAITING_FUNDS,VALIDATED,REJECTED"


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 2, 3, 1000])
def test_the_pages_hold_the_queue_in_its_order_each_row_once(ctx, rows, sort, order, limit):
    query = {"state": ALL_STATES, "sort": sort, "order": order}
    expected = [i["id"] for i in backoffice.queue(ctx, AGENT, {**query, "per_page": "100"})["items"]]
    assert len(expected) == 11
    ids, pages = every_page(ctx, query, limit)
    assert ids == expected
    assert pages == len(expected) // limit + 1


def test_the_queue_filters_apply_and_default_to_the_waiting_requests(ctx, rows):
    waiting, _ = every_page(ctx, {}, 2)
    assert waiting == [i["id"] for i in backoffice.queue(ctx, AGENT, {"per_page": "100"})["items"]]
    assert len(waiting) == 8  # SUBMITTED, AWAITING_COMPLEMENT, AWAITING_FUNDS; no draft, nothing deleted
    acme, _ = every_page(ctx, {"client_name": "acme", "state": ALL_STATES, "sort": "number", "order": "desc"}, 2)
    assert acme == [r.id for r in sorted(rows, key=lambda r: r.number, reverse=True)
                    if r.client_name and "acme" in r.client_name.lower()]
    assert every_page(ctx, {"sens": "D", "state": "VALIDATED"}, 5)[0] == [rows[5].id]


def test_the_items_carry_the_export_columns(ctx, rows, clock):
    page = exports.page(ctx, AGENT, {"state": ALL_STATES, "sort": "number"}, None, 20)
    assert page["next_after"] is None and page["generated_at"] == clock.now().isoformat()
    items = {item["number"]: item for item in page["items"]}
    first = items["102510000000000"]
    assert first == {
        "id": rows[0].id, "number": "102510000000000", "procedure_code": "AM_EXPERTISE_JUD_C",
        "procedure_label": "Alsace-Moselle – consigner les provisions pour frais d'expertises judiciaires",
        "sens": "C", "sens_label": "Consignation", "state": "SUBMITTED", "state_label": first["state_label"],
        "created_at": "2025-09-30T08:00:00+00:00", "submitted_at": "2025-10-01T08:00:00+00:00",
        "decided_at": None, "client_name": "ACME SAS", "owner_name": "Alice Martin", "amount": "1500.00"}
    assert first["state_label"]
    assert items["102510000000001"]["owner_name"] == "Administrateur du compte"  # no names: what accounts shows
    assert items["102510000000005"]["owner_name"] is None  # unknown to the read model
    assert items["102510000000004"]["amount"] == "TOTAL"  # a total deconsignation
    assert items["102510000000003"]["amount"] is None and items["102510000000003"]["client_name"] is None
    assert items["102510000000005"]["decided_at"] == "2025-10-04T10:00:00+00:00"  # validated
    assert items["102510000000006"]["decided_at"] == "2025-10-05T11:00:00+00:00"  # rejected
    assert items["102510000000006"]["client_name"] == "=HYPERLINK(\"http://x\")"  # as stored: the writer neutralises


def test_only_gestionnaires_export(ctx, rows, accounts):
    for person in (accounts.people["alice"], {"id": "x", "is_staff": "yes"}, None):
        with pytest.raises(Forbidden):
            exports.page(ctx, person, {}, None, 10)


@pytest.mark.parametrize("query,after,limit,field", [
    ({"colour": "red"}, None, 10, "colour"),
    ({"page": "2"}, None, 10, "page"),  # an export has no pages of the queue's kind
    ({"per_page": "20"}, None, 10, "per_page"),
    ({"sort": "owner"}, None, 10, "sort"),
    ({"state": "DRAFT"}, None, 10, "state"),
    ({}, None, 0, "limit"),
    ({}, None, 1001, "limit"),
    ({}, "not json", 10, "after"),
    ({}, json.dumps(["2025-10-01T08:00:00", "x"]), 10, "after"),  # a date without its offset
    ({"sort": "amount"}, json.dumps(["NaN", "x"]), 10, "after"),
    ({"sort": "amount"}, json.dumps(["douze", "x"]), 10, "after"),
    ({}, json.dumps(["2025-10-01T08:00:00+00:00", ""]), 10, "after"),
    ({}, json.dumps([1, "x"]), 10, "after"),
    ({}, json.dumps({"a": 1}), 10, "after"),
    ({"sort": "amount"}, json.dumps(["1e999999", "x"]), 10, "after"),  # beyond NUMERIC(14, 2)
    ({}, json.dumps(["9999-12-31T23:59:59-14:00", "x"]), 10, "after"),  # beyond datetime once in UTC
    ({"sort": "client_name"}, json.dumps(["a\x00b", "x"]), 10, "after"),
    ({"sort": "client_name"}, json.dumps(["\ud800", "x"]), 10, "after"),
    ({"sort": "client_name"}, json.dumps(["x" * 211, "x"]), 10, "after"),
    ({}, json.dumps([None, "x" * 37]), 10, "after"),
])
def test_refusals_name_the_parameter(ctx, rows, query, after, limit, field):
    with pytest.raises(ValidationFailed) as refused:
        exports.page(ctx, AGENT, query, after, limit)
    assert set(refused.value.fields) == {field}


@pytest.mark.parametrize("sort,value", [("submitted_at", datetime(2025, 10, 1, 10, 0, tzinfo=timezone.utc)),
                                        ("amount", Decimal("1500.00")), ("client_name", "ACME SAS"),
                                        ("number", None)])
def test_a_cursor_reads_back_what_it_wrote(sort, value):
    assert exports.read_cursor(exports.write_cursor(value, "id-1"), sort) == (value, "id-1")


def test_a_naive_database_instant_is_written_as_utc():
    """SQLite gives back naive datetimes, stored in UTC."""
    cursor = exports.write_cursor(datetime(2025, 10, 1, 10, 0), "id-1")
    assert json.loads(cursor) == ["2025-10-01T10:00:00+00:00", "id-1"]
