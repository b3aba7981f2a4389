"""« Mon suivi » (SPEC DM-7): one tab of the person's requests, filtered, sorted and paginated in
the database, with the owners' names (read model of accounts' events) and the unread message counts
(MS-4) of the page; and the detail of one request (DM-8)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select

from consignations_shared.errors import ValidationFailed

from . import request_documents, transitions
from .context import Acting, DemandesContext, acting_with_colleagues, request_to_read
from .domain import catalogue, lifecycle, presentation
from .domain.fields import parse_date
from .domain.lifecycle import PARIS
from .models import Message, MessageRead, Request
from .views import actions_for, iso, name_of, state_label, view

PER_PAGE_DEFAULT, PER_PAGE_MAX = 20, 100
SORTS = ("date", "number", "amount", "state", "procedure", "sens")
TAB_INVALID = "Onglet inconnu (DRAFTS, TRANSMITTED, VALIDATED ou REJECTED)."
SORT_INVALID = "Tri inconnu (date, number, amount, state, procedure ou sens)."
ORDER_INVALID = "Ordre de tri inconnu (asc ou desc)."
PAGE_INVALID = "Le numéro de page doit être un entier positif."
PER_PAGE_INVALID = f"Le nombre de demandes par page doit être compris entre 1 et {PER_PAGE_MAX}."
FILTER_UNKNOWN = "Ce filtre n'existe pas."
STATE_NOT_IN_TAB = "Cet état n'appartient pas à cet onglet."
SENS_INVALID = "Sens inconnu (C ou D)."
NUMBER_FILTER_INVALID = "Le numéro de demande ne contient que des chiffres (15 au plus)."
DATES_REVERSED = "La date de début doit précéder la date de fin."
FILTERS = ("number", "procedure_code", "sens", "state", "date_from", "date_to", "owner_person_id")

# Messages the client has not read yet: those written by the back office (or its reminders).
CLIENT_UNREAD_AUTHORS = ("GESTIONNAIRE", "SYSTEM")


@dataclass(frozen=True)
class BoardQuery:
    tab: str
    page: int
    per_page: int
    sort: str
    descending: bool
    filters: dict[str, Any]


# No number from a query string goes beyond what the database's integers hold (a PostgreSQL
# `integer`): a page of 99999999999999999999 is refused in French, never an overflow (a 500).
LARGEST_NUMBER = 2**31 - 1


def bounded_int(value: Any, default: int, message: str, field: str, low: int, high: int | None = None) -> int:
    high = LARGEST_NUMBER if high is None else min(high, LARGEST_NUMBER)
    if value is None or value == "":
        return default
    if isinstance(value, str) and len(value.strip()) > len(str(LARGEST_NUMBER)) + 1:
        raise ValidationFailed(message, {field: message})  # not even parsed
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number < low or number > high:
        raise ValidationFailed(message, {field: message})
    return number


def parse_query(raw: Any) -> BoardQuery:
    """The board's query string, checked (unknown keys and values are errors, not ignored)."""
    raw = dict(raw or {}) if isinstance(raw, dict) else {}
    errors: dict[str, str] = {}
    tab = raw.pop("tab", None) or lifecycle.TAB_DRAFTS
    if tab not in lifecycle.TAB_LABELS:
        errors["tab"] = TAB_INVALID
    sort = raw.pop("sort", None) or "date"
    if sort not in SORTS:
        errors["sort"] = SORT_INVALID
    order = raw.pop("order", None) or "desc"
    if order not in ("asc", "desc"):
        errors["order"] = ORDER_INVALID
    try:
        page = bounded_int(raw.pop("page", None), 1, PAGE_INVALID, "page", 1)
        per_page = bounded_int(raw.pop("per_page", None), PER_PAGE_DEFAULT, PER_PAGE_INVALID, "per_page", 1, PER_PAGE_MAX)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        page, per_page = 1, PER_PAGE_DEFAULT
    filters: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in FILTERS:
            errors[name] = FILTER_UNKNOWN
        elif value not in (None, ""):
            filters[name] = value
    _check_filters(tab, filters, errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values())) if len(errors) == 1 else
                               "Certains critères de recherche sont invalides.", errors)
    return BoardQuery(tab=tab, page=page, per_page=per_page, sort=sort, descending=order == "desc",
                      filters=filters)


def _check_filters(tab: str, filters: dict[str, Any], errors: dict[str, str]) -> None:
    number = filters.get("number")
    if number is not None and (not isinstance(number, str) or not number.isdigit() or len(number) > 15):
        errors["number"] = NUMBER_FILTER_INVALID
    if "procedure_code" in filters:
        try:
            catalogue.procedure(filters["procedure_code"])
        except Exception:  # NotFound: the same French message in the fields
            errors["procedure_code"] = catalogue.PROCEDURE_UNKNOWN
    if "sens" in filters and filters["sens"] not in ("C", "D"):
        errors["sens"] = SENS_INVALID
    if "state" in filters and (filters["state"] not in lifecycle.TABS or lifecycle.TABS[filters["state"]] != tab):
        errors["state"] = STATE_NOT_IN_TAB
    for name in ("date_from", "date_to"):
        if name in filters:
            try:
                filters[name] = parse_date(filters[name])
            except Exception:  # fields._Invalid carries the French message
                errors[name] = "Date invalide (format attendu : JJ/MM/AAAA)."
    if isinstance(filters.get("date_from"), date) and isinstance(filters.get("date_to"), date) \
            and filters["date_from"] > filters["date_to"]:
        errors["date_to"] = DATES_REVERSED
    if "owner_person_id" in filters and not isinstance(filters["owner_person_id"], str):
        errors["owner_person_id"] = FILTER_UNKNOWN


def paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS)


def _visible(who: Acting):
    """DM-9 as a WHERE clause (the same rule as context.visible_to)."""
    clauses = [Request.account_id == who.account_id, Request.deleted_at.is_(None)]
    if who.read_only:
        clauses.append(Request.state.in_((lifecycle.VALIDATED, lifecycle.REJECTED)))
    elif not who.is_admin:
        clauses.append(Request.owner_person_id == who.person_id)
    return and_(*clauses)


def unread_counts(ctx: DemandesContext, person_id: str, request_ids: list[str], authors=CLIENT_UNREAD_AUTHORS) -> dict[str, int]:
    """{request_id: messages of `authors` that this person has not read}."""
    if not request_ids:
        return {}
    read = exists().where(MessageRead.message_id == Message.id, MessageRead.person_id == person_id)
    rows = ctx.session.execute(
        select(Message.request_id, func.count()).where(
            Message.request_id.in_(request_ids), Message.author_role.in_(authors), ~read)
        .group_by(Message.request_id))
    return {request_id: count for request_id, count in rows}


def board(ctx: DemandesContext, person: Any, raw_query: Any) -> dict[str, Any]:
    query = parse_query(raw_query)
    who, people = acting_with_colleagues(ctx, person)  # one transaction, names from the read model
    date_column_name, date_label = presentation.TAB_DATE[query.tab]
    date_column = getattr(Request, date_column_name)
    tab_states = [s for s, t in lifecycle.TABS.items() if t == query.tab]
    where = [_visible(who), Request.state.in_(tab_states)]
    f = query.filters
    if "number" in f:
        where.append(Request.number.startswith(f["number"]))
    if "procedure_code" in f:
        where.append(Request.procedure_code == f["procedure_code"])
    if "sens" in f:
        where.append(Request.sens == f["sens"])
    if "state" in f:
        where.append(Request.state == f["state"])
    if "date_from" in f:
        where.append(date_column >= paris_midnight(f["date_from"]))
    if "date_to" in f:
        where.append(date_column < paris_midnight(f["date_to"] + timedelta(days=1)))
    if "owner_person_id" in f:
        where.append(Request.owner_person_id == f["owner_person_id"])
    sort_column = {"date": date_column, "number": Request.number, "amount": Request.amount,
                   "state": Request.state, "procedure": Request.procedure_code, "sens": Request.sens}[query.sort]
    ordering = [sort_column.desc().nulls_last() if query.descending else sort_column.asc().nulls_last(),
                Request.created_at.desc(), Request.id]
    tab_counts = dict(ctx.session.execute(
        select(Request.state, func.count()).where(_visible(who)).group_by(Request.state)).all())
    if f:
        total = ctx.session.execute(select(func.count()).select_from(Request).where(*where)).scalar_one()
    else:  # unfiltered, the tab's total is in the tab counts: one statement less per page
        total = sum(tab_counts.get(state, 0) for state in tab_states)
    rows = list(ctx.session.execute(
        select(Request).where(*where).order_by(*ordering)
        .limit(query.per_page).offset((query.page - 1) * query.per_page)).scalars())
    unread = unread_counts(ctx, who.person_id, [r.id for r in rows])
    unread_total = _total_unread(ctx, who)
    ctx.session.commit()
    items = []
    for request in rows:
        procedure = catalogue.procedure(request.procedure_code)
        values = request.values or {}
        items.append({
            "id": request.id, "sens": request.sens, "date": iso(getattr(request, date_column_name)),
            "number": request.number, "procedure_code": request.procedure_code,
            "procedure_label": procedure.label, "amount": presentation.amount_display(procedure, values),
            "state": request.state, "state_label": state_label(request),
            "owner_person_id": request.owner_person_id, "owner_name": name_of(people, request.owner_person_id),
            "unread_messages": unread.get(request.id, 0), "step": request.step,
            "actions": actions_for(who, request),
        })
    tabs = [{"code": code, "label": label,
             "count": sum(n for state, n in tab_counts.items() if lifecycle.TABS.get(state) == code)}
            for code, label in lifecycle.TAB_LABELS.items()
            if not who.read_only or code in (lifecycle.TAB_VALIDATED, lifecycle.TAB_REJECTED)]
    return {
        "tab": query.tab, "tab_label": lifecycle.TAB_LABELS[query.tab], "date_label": date_label,
        "states": [{"code": state, "label": lifecycle.LABELS[state]} for state in tab_states],
        "tabs": tabs, "items": items, "total": total, "page": query.page, "per_page": query.per_page,
        "pages": max(1, -(-total // query.per_page)), "sort": query.sort,
        "order": "desc" if query.descending else "asc", "filters": {k: (v.isoformat() if isinstance(v, date) else v)
                                                                     for k, v in f.items()},
        "unread_total": unread_total,
        # An administrator sees every request of the account: the people they can filter by owner.
        "owners": [{"person_id": pid, "name": name_of(people, pid) or p.get("email") or ""}
                   for pid, p in people.items()
                   if p.get("profile") in ("ADMINISTRATEUR", "UTILISATEUR") and p.get("status") != "deleted"]
        if who.is_admin else [],
    }


def total_unread(ctx: DemandesContext, who: Acting) -> int:
    """The portal header's count: unread back-office messages on every request the person sees."""
    count = _total_unread(ctx, who)
    ctx.session.commit()
    return count


def _total_unread(ctx: DemandesContext, who: Acting) -> int:
    read = exists().where(MessageRead.message_id == Message.id, MessageRead.person_id == who.person_id)
    return ctx.session.execute(
        select(func.count()).select_from(Message).join(Request, Request.id == Message.request_id)
        .where(_visible(who), Message.author_role.in_(CLIENT_UNREAD_AUTHORS), ~read)).scalar_one()


def detail(ctx: DemandesContext, person: Any, request_id: Any) -> dict[str, Any]:
    """The detail of a request (every tab): its data, live summary, history, documents (from the
    read model: no call to the documents service) and actions."""
    who, people = acting_with_colleagues(ctx, person)
    request = request_to_read(ctx, who, request_id)
    history = transitions.history(ctx, request.id)
    unread = unread_counts(ctx, who.person_id, [request.id]).get(request.id, 0)
    documents = request_documents.documents_of(ctx.session, request.id)
    ctx.session.commit()
    return {**view(request, who=who, owner_name=name_of(people, request.owner_person_id)),
            "history": history, "unread_messages": unread, "documents": documents}
