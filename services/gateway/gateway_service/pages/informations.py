"""The footer's pages (issue 19): « Mentions légales », « Données personnelles », the CGU and
CPU the sign-up forms ask to accept, the accessibility statement and the cookies page. Static
French texts in the portal's frame, readable by anyone without a session; a signed-in person
keeps their menu (from the session alone: these pages ask no service about their content)."""
from __future__ import annotations

from flask import current_app

from ..auth import CSRF_COOKIE, SESSION_COOKIE
from . import bp
from .common import render, session_frame

# RGAA: « non conforme » as long as no audit result in force measures the criteria (no RGAA
# audit has been made; the browser suite's axe-core checks are not one). Shown in the footer
# of every page and in the statement, from here only.
ACCESSIBILITY_STATUS = "non conforme"

# (endpoint, footer label), in the seeds' order (seed 001, « Page d'accueil »).
FOOTER_LINKS = (
    ("pages.legal_notice", "Mentions légales"),
    ("pages.personal_data", "Données personnelles"),
    ("pages.terms_of_use", "Conditions générales d'utilisation"),
    ("pages.processing_terms", "Conditions particulières d'utilisation"),
    ("pages.accessibility", f"Accessibilité : {ACCESSIBILITY_STATUS}"),
    ("pages.cookies", "Gestion des cookies"),
)


@bp.app_template_global()
def footer_links() -> tuple[tuple[str, str], ...]:
    return FOOTER_LINKS


@bp.get("/mentions-legales")
def legal_notice():
    return render("mentions_legales.html", hosting=current_app.config["SETTINGS"].portal_hosting, **session_frame())


@bp.get("/donnees-personnelles")
def personal_data():
    return render("donnees_personnelles.html", **session_frame())


@bp.get("/conditions-generales-utilisation")
def terms_of_use():
    return render("cgu.html", **session_frame())


@bp.get("/conditions-particulieres-utilisation")
def processing_terms():
    return render("cpu.html", **session_frame())


@bp.get("/accessibilite")
def accessibility():
    return render("accessibilite.html", conformity=ACCESSIBILITY_STATUS, **session_frame())


@bp.get("/gestion-des-cookies")
def cookies():
    return render("cookies.html", session_cookie=SESSION_COOKIE, csrf_cookie=CSRF_COOKIE, **session_frame())
