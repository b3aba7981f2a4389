"""BO-9 through the gateway with every service running (issue 17, point 5): two companies submit
three requests — one company's name is a spreadsheet formula —, a gestionnaire rejects one, then
exports the queue as CSV and XLSX with a filter, a sort and chosen columns, and reads both files
back as a spreadsheet would (csv module, openpyxl): the rows, their order, the types of dates and
amounts, the formula kept as text. Clients get 403, nobody 401, an unknown column a French 422."""
import csv
import io
import re
import uuid
from datetime import datetime

import openpyxl
import pytest
import requests

from e2e_helpers import Browser, new_agent, sign_up_company, submitted, wait_account, wait_for

TOKEN = uuid.uuid4().hex[:8]
PIRATE = f'=HYPERLINK("https://pirate.example/{TOKEN}";"Export {TOKEN}")'
HONEST = f"Export {TOKEN} Consignations SAS"
EXPERTISE = {"department": "67", "jurisdiction": "TJ Strasbourg", "case_number": "23/01234",
             "decision_date": "01/02/2025", "plaintiff": "A", "defendant": "B", "consigning_party": "A",
             "expert_name": "Dr X", "amount": "1234.56"}
FILE_NAME = re.compile(r'^attachment; filename="demandes-\d{8}-\d{4}\.(csv|xlsx)"$')
FRENCH_INSTANT = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def company(system, name):
    email = f"export-{uuid.uuid4().hex[:8]}@export.example.com"
    admin = wait_account(Browser(system, email, sign_up_company(system, email, company=name)))
    admin.company_name = name
    return admin


def consignation(browser):
    """An expertise provision (sens C) of 1 234,56 €, with its decision: (id, number)."""
    demande_id, number, _ = submitted(browser, "AM_EXPERTISE_JUD_C", EXPERTISE, kind="OTHER", file_name="decision.pdf")
    return demande_id, number


@pytest.fixture(scope="module")
def world(system):
    pirate, honest = company(system, PIRATE), company(system, HONEST)
    agent = new_agent(system)
    first = submitted(pirate)[:2]
    rejected = submitted(honest)[:2]
    expertise = consignation(honest)
    refused = agent.post(f"/api/backoffice/demandes/{rejected[0]}/reject", json={"reason": "Doublon."})
    assert refused.status_code == 200, refused.text
    # The owners' names as the back office shows them, once demandes' read model has them
    # (accounts' member_changed events; the export reads the same rows).
    def owners():
        names = {demande_id: agent.get(f"/api/backoffice/demandes/{demande_id}").json()["owner_name"]
                 for demande_id, _ in (first, rejected, expertise)}
        return names if all(names.values()) else None

    known = wait_for(owners)
    assert known, "the owners' names never reached demandes' read model"
    return {"pirate": pirate, "honest": honest, "agent": agent, "first": first, "rejected": rejected,
            "expertise": expertise, "owners": known}


def test_a_csv_export_with_a_filter_a_sort_and_chosen_columns(world):
    reply = world["agent"].get("/api/backoffice/demandes/export", params={
        "format": "csv", "client_name": f"export {TOKEN}", "state": "SUBMITTED,REJECTED", "sort": "number",
        "order": "desc", "columns": "number,client_name,state,submitted_at,decided_at,owner,amount"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert FILE_NAME.match(reply.headers["Content-Disposition"]), reply.headers["Content-Disposition"]
    data = reply.content
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.count("\r\n") == text.count("\n") == 4
    header, *lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert header == ["Numéro de demande", "Client", "État", "Date de soumission", "Date de décision", "Propriétaire",
                      "Montant"]
    expertise, rejected, first = lines
    assert [line[0] for line in lines] == [world["expertise"][1], world["rejected"][1], world["first"][1]]
    assert first[1] == "'" + PIRATE  # formula injection neutralised
    assert (rejected[1], expertise[1]) == (HONEST, HONEST)
    assert rejected[4] and FRENCH_INSTANT.match(rejected[4]) and first[4] == expertise[4] == ""
    assert all(FRENCH_INSTANT.match(line[3]) for line in lines)
    assert (expertise[6], rejected[6], first[6]) == ("1234,56", "Total", "Total")
    assert [line[5] for line in lines] == [world["owners"][world[key][0]] for key in ("expertise", "rejected", "first")]
    assert rejected[2] != first[2]  # the state labels of REJECTED and SUBMITTED


def test_an_xlsx_export_has_typed_dates_and_amounts_and_no_formula(world):
    reply = world["agent"].get("/api/backoffice/demandes/export", params={
        "format": "xlsx", "client_name": f"EXPORT {TOKEN}", "columns": "client_name,amount,submitted_at,number,sens"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == XLSX and FILE_NAME.match(reply.headers["Content-Disposition"])
    assert reply.headers["Content-Length"] == str(len(reply.content))
    sheet = openpyxl.load_workbook(io.BytesIO(reply.content))["Demandes"]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == ["Client", "Montant", "Date de soumission", "Numéro de demande", "Sens"]
    # The default state filter (waiting for the back office): the rejected request is not there;
    # the default order: submission first come, first served.
    assert [r[3].value for r in rows[1:]] == [world["first"][1], world["expertise"][1]]
    pirate, expertise = rows[1:]
    assert (pirate[0].value, pirate[0].data_type) == (PIRATE, "s")  # a string, not a formula
    assert pirate[1].value == "Total" and pirate[4].value == "Déconsignation"
    assert expertise[1].value == 1234.56 and expertise[1].data_type == "n" and "€" in expertise[1].number_format
    assert expertise[4].value == "Consignation"
    for row in rows[1:]:
        assert isinstance(row[2].value, datetime) and row[2].is_date
        assert row[3].data_type == "s"  # the 15-digit number stays text


def test_the_export_is_for_gestionnaires_only(system, world):
    for client in (world["pirate"], world["honest"]):
        refused = client.get("/api/backoffice/demandes/export", params={"format": "csv"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["message"] == "Cette page est réservée aux gestionnaires du service des consignations."
    anonymous = requests.get(system.url("/api/backoffice/demandes/export"), params={"format": "xlsx"}, timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"


def test_an_unknown_column_or_filter_is_a_french_422(world):
    reply = world["agent"].get("/api/backoffice/demandes/export", params={"format": "csv",
                                                                          "columns": "number,assignee"})
    assert reply.status_code == 422
    assert reply.json()["error"]["message"].startswith("Colonne inconnue : « assignee ».")
    reply = world["agent"].get("/api/backoffice/demandes/export", params={"format": "csv", "state": "DRAFT"})
    assert reply.status_code == 422 and reply.json()["error"]["fields"] == {"state": "État inconnu."}
