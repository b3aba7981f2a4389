"""BO-9: the gestionnaires' queue page after page, for the exports the gateway writes (CSV, XLSX).

The rows are the queue's: the same filters, sort and order (`backoffice.selection`,
`backoffice.ordering`), so an export holds what the queue shows, every page of it. Pages are
read by keyset (« the rows after this one in the queue's order »), never by offset: each page
costs the same however far the export has gone, and a request that enters the queue meanwhile
does not shift the rows already read. Each page is its own short transaction: an export is not
a snapshot (a request that changes state during a long export may leave the filtered set, or,
sorted by state, move); sorted by submission date (the default) a request never moves.

A cursor is the last row's sort value and id, as JSON text; the gateway hands it back as it
got it and never reads it."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, or_, select

from consignations_shared.clock import as_utc
from consignations_shared.errors import ValidationFailed

from . import backoffice
from .board import bounded_int
from .context import DemandesContext, full_name, staff_actor
from .domain import catalogue, lifecycle
from .models import Member, Request
from .views import iso

PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 500, 1000
LIMIT_INVALID = f"La taille d'une page d'export doit être comprise entre 1 et {PAGE_SIZE_MAX}."
CURSOR_INVALID = "Le curseur de l'export est invalide : recommencez l'export."
AMOUNT_BOUND = Decimal(10) ** 12  # requests.amount is a NUMERIC(14, 2)

# What a page selects: the row of the export, and every column the queue may sort on.
_SELECTED = (Request.id, Request.number, Request.procedure_code, Request.sens, Request.state,
             Request.proof_document_id, Request.created_at, Request.submitted_at, Request.validated_at,
             Request.rejected_at, Request.client_name, Request.amount,
             Member.first_name, Member.last_name, Member.display_name)


def page(ctx: DemandesContext, person: Any, raw_query: Any, after: Any = None,
         limit: Any = PAGE_SIZE_DEFAULT) -> dict[str, Any]:
    """{items, next_after, generated_at}: at most `limit` rows of the queue filtered and sorted
    by `raw_query` (the queue's parameters, without `page` and `per_page`), after the cursor
    `after` (None: from the start). `next_after` is None on the last page; `generated_at` is the
    service's time (the export's file name)."""
    staff_actor(person)
    raw = dict(raw_query) if isinstance(raw_query, dict) else {}
    errors: dict[str, str] = {}
    sort, order = backoffice.sort_and_order(raw, errors)
    try:
        size = bounded_int(limit, PAGE_SIZE_DEFAULT, LIMIT_INVALID, "limit", 1, PAGE_SIZE_MAX)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        size = PAGE_SIZE_DEFAULT
    cursor = None
    if after is not None and "sort" not in errors:
        cursor = read_cursor(after, sort)
        if cursor is None:
            errors["after"] = CURSOR_INVALID
    where = backoffice.selection(raw, errors)
    if cursor is not None:
        where.append(_after(backoffice.QUEUE_SORTS[sort], order, *cursor))
    rows = ctx.session.execute(
        select(*_SELECTED).outerjoin(Member, Member.person_id == Request.owner_person_id)
        .where(*where).order_by(*backoffice.ordering(sort, order)).limit(size)).all()
    ctx.session.commit()
    last = rows[-1] if len(rows) == size else None
    return {"items": [_item(row) for row in rows],
            "next_after": write_cursor(getattr(last, backoffice.QUEUE_SORTS[sort].key), last.id) if last else None,
            "generated_at": iso(ctx.clock.now())}


def _item(row) -> dict[str, Any]:
    procedure = catalogue.procedure(row.procedure_code)
    decided = {lifecycle.VALIDATED: row.validated_at, lifecycle.REJECTED: row.rejected_at}.get(row.state)
    if not procedure.has_amount:
        amount = "TOTAL"  # a total deconsignation: no amount is entered
    else:
        amount = f"{row.amount:.2f}" if row.amount is not None else None
    return {
        "id": row.id, "number": row.number, "procedure_code": row.procedure_code, "procedure_label": procedure.label,
        "sens": row.sens, "sens_label": lifecycle.sens_label(row.sens), "state": row.state,
        "state_label": lifecycle.label(row.state, proof_available=row.proof_document_id is not None),
        "created_at": iso(row.created_at), "submitted_at": iso(row.submitted_at), "decided_at": iso(decided),
        "client_name": row.client_name,
        "owner_name": full_name({"first_name": row.first_name, "last_name": row.last_name,
                                 "display_name": row.display_name}) or None,
        "amount": amount,
    }


def _after(column, order: str, value: Any, row_id: str):
    """The rows after (value, id) in the queue's order: `column` ascending or descending with
    empty values last, then the id ascending."""
    if value is None:  # among the empty values, which come last
        return and_(column.is_(None), Request.id > row_id)
    beyond = column > value if order == "asc" else column < value
    return or_(beyond, and_(column == value, Request.id > row_id), column.is_(None))


# --- cursors -------------------------------------------------------------------------------------

def write_cursor(value: Any, row_id: str) -> str:
    if isinstance(value, datetime):
        value = as_utc(value).isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    return json.dumps([value, row_id])


def read_cursor(text: Any, sort: str) -> tuple[Any, str] | None:
    """(sort value, id) of a cursor this module wrote for that sort, or None if it is not one
    (nothing the database could refuse gets through: a 422, never a 500)."""
    if not isinstance(text, str) or len(text) > 600:
        return None
    try:
        value, row_id = json.loads(text)
    except (ValueError, TypeError):
        return None
    if not _storable(row_id) or not 0 < len(row_id) <= 36:
        return None
    if value is None:
        return None, row_id
    if not _storable(value) or len(value) > 210:
        return None
    if sort == "submitted_at":
        try:
            moment = datetime.fromisoformat(value)
            return (as_utc(moment), row_id) if moment.tzinfo is not None else None
        except (ValueError, OverflowError):
            return None
    if sort == "amount":
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return None
        return (amount, row_id) if amount.is_finite() and abs(amount) < AMOUNT_BOUND else None
    return value, row_id


def _storable(text: Any) -> bool:
    """A string PostgreSQL takes as a parameter: no NUL, no lone surrogate."""
    if not isinstance(text, str) or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
