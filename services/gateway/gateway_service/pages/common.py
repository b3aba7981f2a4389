"""What every page needs: rendering with the signed-in person, the way back to the login page,
and errors shown as a page (the JSON API keeps its GW-3 errors)."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import make_response, redirect, render_template, request, url_for

from consignations_shared.errors import DomainError, Unauthenticated

from ..auth import current_person, session_token
from ..rpc_calls import accounts, demandes
from . import bp

PENDING_CODE = "account_pending"


def render(template: str, status: int = 200, **context):
    if context.get("me") and not context.get("in_wizard") and "unread_total" not in context:
        context["unread_total"] = _unread_total(context.get("person"))
    response = make_response(render_template(f"pages/{template}", **context), status)
    # Pages may show personal data: never kept by a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _unread_total(person: dict | None) -> int:
    """The header's count of unread back-office messages (MS-4), as GET /api/messages/unread-count."""
    try:
        return int(demandes.unread_total(person)["unread"]) if person else 0
    except DomainError:
        return 0


def _path_of_this_site(value: str) -> bool:
    """Whether a browser resolving `value` against this portal stays on it. Browsers drop TAB,
    CR and LF anywhere in a URL, trim control characters and spaces at its ends and read « \\ »
    as « / » (WHATWG URL): so no control character nor backslash at all, then one leading « / »
    and no scheme nor host — checked on the text and on its percent-decoded form."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or "\\" in value:
        return False
    if not value.startswith("/") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next(value: str | None, default: str = "/espace") -> str:
    """A return address that is a path of this site only (no open redirect), else `default`."""
    if isinstance(value, str) and 0 < len(value) < 300 and _path_of_this_site(value) \
            and _path_of_this_site(unquote(value)):
        return value
    return default


def signed_in() -> tuple[dict, dict]:
    """(person from the session, « Mon profil » from the accounts service) or Unauthenticated:
    for the pages of the account itself, whose data the accounts service owns."""
    person = current_person()
    return person, accounts.my_profile(person)


def signed_in_member() -> tuple[dict, dict]:
    """(person, me) for the pages of requests, from the session alone: the person and their
    membership of a client account, as identity's read model of accounts' events resolved them,
    so these pages never wait on the accounts service (issue 15). Someone who is in no account
    yet gets the accounts service's own answer (the « compte en cours de création » page)."""
    person = current_person()
    membership = person.get("membership")
    if not membership:
        return signed_in()
    return person, _me_of_session(person, membership)


def _me_of_session(person: dict, membership: dict) -> dict:
    return {"person_id": person["id"], "email": person.get("email"), "first_name": person.get("first_name"),
            "last_name": person.get("last_name"), **membership}


def session_frame() -> dict:
    """The header of a page anyone may read (the footer's pages): the menu of the signed-in
    person, from the session alone; nothing without a session, for someone in no account yet,
    or when the session cannot be resolved now — these pages never fail for want of a service."""
    if not session_token():
        return {}
    try:
        person = current_person()
    except DomainError:
        return {}
    if person.get("is_staff"):
        return {"person": person, "staff": person}
    membership = person.get("membership")
    if not membership:
        return {}
    return {"person": person, "me": _me_of_session(person, membership),
            "in_wizard": membership.get("account_status") != "active"}


@bp.errorhandler(DomainError)
def _page_error(exc: DomainError):
    if isinstance(exc, Unauthenticated):
        return redirect(url_for("pages.login", suite=request.full_path.rstrip("?")))
    if exc.code == PENDING_CODE:
        return render("en_attente.html", 409, message=exc.message)
    return render("erreur.html", exc.status, message=exc.message)


# Errors met outside the pages' own views (web.py): an address that is no page, a method a page
# does not take, an unexpected failure. Shown in the portal's frame, without asking any service
# (the header shows no personal menu), so that the error page itself never fails on a service.
PAGE_ERRORS = {
    404: ("Page introuvable", "Cette page n'existe pas",
          "L'adresse demandée ne correspond à aucune page de l'Espace Personnel Consignations. "
          "Vérifiez-la, ou revenez à votre espace."),
    405: ("Action impossible", "Nous ne pouvons pas afficher cette page",
          "Cette page ne peut pas être utilisée de cette façon. Revenez à votre espace."),
    500: ("Erreur inattendue", "Une erreur inattendue est survenue",
          "Nous n'avons pas pu afficher cette page. Veuillez réessayer dans quelques instants ; si le "
          "problème persiste, contactez nos conseillers."),
}


def error_page(status: int, message: str):
    """The portal's page for an HTTP error of a page address (`message`: the API's sentence, for
    a status without a page wording of its own)."""
    title, heading, text = PAGE_ERRORS.get(status, ("Une erreur est survenue", None, message))
    return render("erreur.html", status, message=text, page_title=title, page_heading=heading)


def page_for_domain_error(exc: DomainError):
    """A service's refusal met outside the pages' views, as the pages answer it."""
    return _page_error(exc)
