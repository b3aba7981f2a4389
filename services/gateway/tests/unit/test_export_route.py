"""BO-9: GET /api/backoffice/demandes/export without broker nor demandes service (a fake RPC
that answers pages by cursor): gestionnaires only, checks before the first byte, every page
asked with the filters and its cursor, the file's headers, and a CSV cut short when demandes
fails midway."""
import csv
import io

import openpyxl
import pytest
import yaml

from consignations_shared.errors import ServiceUnavailable, ValidationFailed
from gateway_fakes import FakeRpc
from gateway_service import exports

CLIENT = {"id": "alice", "email": "alice@example.com", "profile": "ADMINISTRATEUR", "is_staff": False}
AGENT = {"id": "anne", "email": "anne@caissedesdepots.fr", "profile": None, "is_staff": True}
SESSIONS = {"token-alice": CLIENT, "token-anne": AGENT}
STAFF = {"Authorization": "Bearer token-anne"}


def item(n, client_name=None):
    return {"id": f"d{n}", "number": f"1026120000000{n:02d}", "procedure_label": "Saisie", "sens": "D", "sens_label": "Déconsignation",
            "state_label": "Soumise", "created_at": "2026-12-01T09:00:00+00:00",
            "submitted_at": "2026-12-01T10:00:00+00:00", "decided_at": None,
            "client_name": client_name or f"Client {n}", "owner_name": "Élodie Dupont", "amount": f"{n}.50"}


class PagedDemandes(FakeRpc):
    """demandes.staff_export_page by cursor: page 1 (no cursor), then "c2", then "c3" (last)."""

    def __init__(self):
        super().__init__(SESSIONS)
        self.pages = {None: {"items": [item(1, "=HYPERLINK(\"http://x\";\"y\")"), item(2)], "next_after": "c2"},
                      "c2": {"items": [item(3), item(4)], "next_after": "c3"},
                      "c3": {"items": [item(5)], "next_after": None}}
        self.fail_at = None

    def respond(self, service, method, *args):
        person, query, after, limit = args
        if after is not None and after == self.fail_at:
            raise ServiceUnavailable("Le service est momentanément indisponible.")
        if isinstance(self.pages, BaseException):
            raise self.pages
        return {**self.pages[after], "generated_at": "2026-12-07T13:05:00+00:00"}


@pytest.fixture
def rpc():
    return PagedDemandes()  # conftest's `client` serves the gateway with it


def test_a_csv_export_asks_every_page_with_the_filters_and_streams_them(client, rpc):
    reply = client.get("/api/backoffice/demandes/export?format=csv&columns=number,client_name,amount"
                       "&state=SUBMITTED&client_name=acme&sort=number&order=desc", headers=STAFF)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="demandes-20261207-1405.csv"'
    assert reply.headers["Cache-Control"] == "private, no-store"
    assert "Content-Length" not in reply.headers  # streamed
    query = {"state": "SUBMITTED", "client_name": "acme", "sort": "number", "order": "desc"}
    assert len(rpc.calls) == 1  # the answer has started: the next pages are asked as the body is read
    data = reply.get_data()
    assert rpc.calls == [("demandes", "staff_export_page", (AGENT, query, after, exports.PAGE_SIZE))
                         for after in (None, "c2", "c3")]
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert lines[0] == ["Numéro de demande", "Client", "Montant"]
    assert [line[0] for line in lines[1:]] == [f"1026120000000{n:02d}" for n in range(1, 6)]
    assert lines[1][1] == "'=HYPERLINK(\"http://x\";\"y\")" and lines[5][2] == "5,50"


def test_an_xlsx_export_is_a_whole_file(client, rpc):
    reply = client.get("/api/backoffice/demandes/export?format=xlsx", headers=STAFF)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="demandes-20261207-1405.xlsx"'
    data = reply.get_data()
    assert reply.headers["Content-Length"] == str(len(data))
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Demandes"]
    assert [c.value for c in sheet[1]] == [c.header for c in exports.COLUMNS.values()]
    assert [sheet.cell(row=r, column=1).value for r in range(2, 7)] == [f"1026120000000{n:02d}" for n in range(1, 6)]
    assert sheet.cell(row=2, column=8).data_type == "s" and sheet.cell(row=6, column=10).value == 5.5
    assert rpc.calls[0][2][1] == {}  # no filter: the queue's default


@pytest.mark.parametrize("query,field,said", [
    ("format=pdf", "format", "csv ou xlsx"),
    ("columns=number", "format", "csv ou xlsx"),
    ("format=csv&columns=number,assignee", "columns", "« assignee »"),
])
def test_a_wrong_format_or_column_is_refused_before_any_call(client, rpc, query, field, said):
    reply = client.get(f"/api/backoffice/demandes/export?{query}", headers=STAFF)
    assert reply.status_code == 422
    error = reply.get_json()["error"]
    assert list(error["fields"]) == [field] and said in error["message"]
    assert rpc.calls == []


def test_a_refused_filter_is_a_422_before_the_file_starts(client, rpc):
    rpc.pages = ValidationFailed("Ce filtre n'existe pas.", {"colour": "Ce filtre n'existe pas."})
    reply = client.get("/api/backoffice/demandes/export?format=csv&colour=red", headers=STAFF)
    assert reply.status_code == 422 and reply.get_json()["error"]["fields"] == {"colour": "Ce filtre n'existe pas."}
    assert rpc.calls[0][2][1] == {"colour": "red"}


def test_demandes_down_midway_gives_no_xlsx_but_a_503(client, rpc):
    rpc.fail_at = "c3"
    reply = client.get("/api/backoffice/demandes/export?format=xlsx", headers=STAFF)
    assert reply.status_code == 503 and reply.get_json()["error"]["code"] == "service_unavailable"


def test_demandes_down_midway_cuts_the_csv_short(client, rpc):
    rpc.fail_at = "c3"
    reply = client.get("/api/backoffice/demandes/export?format=csv", headers=STAFF, buffered=False)
    assert reply.status_code == 200  # the header line and the first pages are on their way
    with pytest.raises(ServiceUnavailable):
        b"".join(reply.response)  # the server stops there: the client sees an incomplete body


def test_clients_and_anonymous_are_refused_before_any_call(client, rpc):
    refused = client.get("/api/backoffice/demandes/export?format=csv", headers={"Authorization": "Bearer token-alice"})
    assert refused.status_code == 403 and "réservée aux gestionnaires" in refused.get_json()["error"]["message"]
    assert client.get("/api/backoffice/demandes/export?format=csv").status_code == 401
    assert rpc.calls == []


def test_the_route_is_documented_for_gestionnaires_only(client):
    document = yaml.safe_load(client.get("/api/openapi.yaml").get_data(as_text=True))
    operation = document["paths"]["/api/backoffice/demandes/export"]["get"]
    assert operation["x-access"] == ["GESTIONNAIRE"]
    parameters = {p["name"] for p in operation["parameters"]}
    queue = {p["name"] for p in document["paths"]["/api/backoffice/demandes"]["get"]["parameters"]}
    assert parameters == {"format", "columns"} | (queue - {"page", "per_page"})
    for key in exports.COLUMNS:
        assert f"`{key}`" in operation["description"]
