"""BO-9: exports of the gestionnaires' queue, CSV or XLSX (rules only: no Flask, no RPC).

- The columns a gestionnaire may choose (`COLUMNS`, by key, headers in French); by default all.
- Rows come page after page (`pages`) from `demandes.staff_export_page` and are written as they
  come: a CSV is a stream of chunks, one per page (`csv_chunks`); an XLSX is written row by row
  into a temporary file with XlsxWriter in constant_memory mode (`xlsx_file`), then streamed
  (`file_chunks`). Memory holds a page of rows and a row of the sheet, whatever the row count.
- Cells: dates in French time (CSV « 07/12/2026 14:05 »; XLSX true dates), amounts in euros
  (CSV « 1234,56 »; XLSX numbers shown « 1 234,56 € »), texts as entered.
- Formula injection: a text cell starting with = + - @, a tab or a carriage return is prefixed
  with a single quote in CSV (`neutralised`); in XLSX every text is written as a string, never
  as a formula (nor as a number or a link guessed from the text).
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

import xlsxwriter

from consignations_shared.errors import ValidationFailed

PARIS = ZoneInfo("Europe/Paris")
PAGE_SIZE = 500  # rows per call to demandes.staff_export_page (it allows up to 1000)
CHUNK = 64 * 1024
XLSX_MAX_ROWS = 1_048_576 - 1  # a sheet's rows, less the header
BOM = "\ufeff".encode("utf-8")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

CSV_DATE = "%d/%m/%Y %H:%M"
XLSX_DATE = "dd/mm/yyyy hh:mm"
# Shown « 1 234,56 € » by a spreadsheet in French (the format code is written in Excel's
# locale-independent syntax: `,` groups thousands, `.` is the decimal separator).
XLSX_EUROS = '#,##0.00\\ "€"'
TOTAL = "Total"  # the amount of a total deconsignation (no amount is entered)
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")

FORMAT_INVALID = "Format inconnu (csv ou xlsx)."
FORMAT_MESSAGE = "Choisissez le format de l'export : csv ou xlsx."
TOO_MANY_ROWS = ("L'export dépasse le nombre de lignes d'une feuille XLSX (1 048 575 demandes) : "
                 "filtrez la file ou choisissez le format CSV.")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text | datetime | amount
    width: int  # XLSX column width, in characters
    read: Callable[[dict], Any]


def _instant(field: str) -> Callable[[dict], datetime | None]:
    def read(row: dict) -> datetime | None:
        """The instant in French time, without its offset (spreadsheets have no time zones)."""
        value = row.get(field)
        return datetime.fromisoformat(value).astimezone(PARIS).replace(tzinfo=None) if value else None
    return read


def _amount(row: dict) -> Decimal | str | None:
    value = row.get("amount")
    if value == "TOTAL":
        return TOTAL
    return Decimal(value) if value not in (None, "") else None


COLUMNS: dict[str, Column] = {c.key: c for c in (
    Column("number", "Numéro de demande", "text", 18, lambda r: r.get("number")),
    Column("procedure", "Démarche", "text", 60, lambda r: r.get("procedure_label")),
    Column("sens", "Sens", "text", 16, lambda r: r.get("sens_label")),  # demandes' label
    Column("state", "État", "text", 34, lambda r: r.get("state_label")),
    Column("created_at", "Date de création", "datetime", 17, _instant("created_at")),
    Column("submitted_at", "Date de soumission", "datetime", 17, _instant("submitted_at")),
    Column("decided_at", "Date de décision", "datetime", 17, _instant("decided_at")),
    Column("client_name", "Client", "text", 40, lambda r: r.get("client_name")),
    Column("owner", "Propriétaire", "text", 28, lambda r: r.get("owner_name")),
    Column("amount", "Montant", "amount", 16, _amount),
)}


def parse_request(format_value: Any, columns_value: Any) -> tuple[str, list[Column]]:
    """(format, columns) of an export, or a French 422 naming what is wrong: the format (csv
    or xlsx, required) and the columns (keys separated by commas; none: every column)."""
    errors: dict[str, str] = {}
    message = ""
    if format_value not in MEDIA_TYPES:
        errors["format"], message = FORMAT_INVALID, FORMAT_MESSAGE
    keys = [k.strip() for k in str(columns_value or "").split(",") if k.strip()]
    unknown = [k for k in keys if k not in COLUMNS]
    if unknown:
        named = ", ".join(f"« {k[:40]} »" for k in unknown[:5])
        errors["columns"] = (f"Colonne inconnue : {named}." if len(unknown) == 1 else f"Colonnes inconnues : {named}.")
        message = f"{errors['columns']} Colonnes possibles : {', '.join(COLUMNS)}."
    if errors:
        if len(errors) > 1:
            message = "Le format et les colonnes de l'export sont invalides."
        raise ValidationFailed(message, errors)
    chosen = list(dict.fromkeys(keys)) or list(COLUMNS)  # each once, in the order asked
    return format_value, [COLUMNS[k] for k in chosen]


def neutralised(text: str) -> str:
    """A text a spreadsheet would read as a formula (= + - @, or a tab or carriage return before
    one) is kept as text: a single quote before it (OWASP « CSV injection »)."""
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text


def file_name(generated_at: str, export_format: str) -> str:
    """demandes-AAAAMMJJ-HHMM.<format>, in French time."""
    moment = datetime.fromisoformat(generated_at).astimezone(PARIS)
    return f"demandes-{moment:%Y%m%d-%H%M}.{export_format}"


def pages(first: dict, fetch: Callable[[str], dict]) -> Iterator[list[dict]]:
    """The rows of each page, the first one given, the next ones fetched with `next_after`."""
    page = first
    while True:
        yield page["items"]
        if not page.get("next_after"):
            return
        page = fetch(page["next_after"])


# --- CSV ----------------------------------------------------------------------------------------

def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(CSV_DATE)
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    return neutralised(str(value))


def csv_chunks(columns: list[Column], rows_by_page: Iterable[list[dict]]) -> Iterator[bytes]:
    """UTF-8 with a BOM, `;` between cells, CRLF after each line (what a spreadsheet in French
    opens without an import wizard): the header line, then one chunk per page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    yield BOM + buffer.getvalue().encode("utf-8")
    for rows in rows_by_page:
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow([csv_cell(c.read(row)) for c in columns])
        if buffer.tell():
            yield buffer.getvalue().encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------------

def write_xlsx(target: IO[bytes], columns: list[Column], rows: Iterable[dict]) -> int:
    """One sheet « Demandes », written row by row (constant_memory: a row is flushed to a
    temporary file when the next one starts); returns the number of rows."""
    workbook = xlsxwriter.Workbook(target, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False})
    try:
        sheet = workbook.add_worksheet("Demandes")
        header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        formats = {"datetime": workbook.add_format({"num_format": XLSX_DATE}),
                   "amount": workbook.add_format({"num_format": XLSX_EUROS})}
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, column.header, header)
        sheet.freeze_panes(1, 0)
        count = 0
        for count, row in enumerate(rows, start=1):
            if count > XLSX_MAX_ROWS:
                raise ValidationFailed(TOO_MANY_ROWS)
            for index, column in enumerate(columns):
                value = column.read(row)
                if value is None:
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(count, index, value, formats["datetime"])
                elif isinstance(value, Decimal):
                    sheet.write_number(count, index, float(value), formats["amount"])
                else:
                    sheet.write_string(count, index, str(value))  # a string, never a formula
        sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    finally:
        workbook.close()
    return count


def xlsx_file(columns: list[Column], rows: Iterable[dict]) -> IO[bytes]:
    """The XLSX in an anonymous temporary file (gone once closed), rewound."""
    target = tempfile.TemporaryFile()
    try:
        write_xlsx(target, columns, rows)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return target


def file_chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes, then the file closed (also when the client leaves before the end)."""
    try:
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()
