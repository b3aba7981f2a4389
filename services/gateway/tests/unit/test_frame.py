"""The portal's frame (issue 19): the footer's pages (legal notice, personal data, CGU, CPU,
accessibility statement, cookies) readable without a session and true to the code they describe,
the sign-up forms' links to the conditions, the header's wordmark, user menu and favicon, and
the menu button of narrow screens."""
import json
import re
from html import unescape
from datetime import timedelta
from pathlib import Path

import pytest

from consignations_shared.errors import ServiceUnavailable
from gateway_service import auth
from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings
from gateway_fakes import AnswersByMethod

REPO = Path(__file__).resolve().parents[4]
TEMPLATES = Path(auth.__file__).parent / "templates" / "pages"

INFORMATION = {"/mentions-legales": "Mentions légales", "/donnees-personnelles": "Données personnelles",
               "/conditions-generales-utilisation": "Conditions générales d'utilisation",
               "/conditions-particulieres-utilisation": "Conditions particulières d'utilisation",
               "/accessibilite": "Accessibilité : non conforme", "/gestion-des-cookies": "Gestion des cookies"}
PUBLIC = ["/connexion", "/creer-mon-compte", "/creer-mon-compte/entreprise", "/creer-mon-compte/particulier",
          "/invitation?token=t", "/mot-de-passe-oublie", "/mot-de-passe/reinitialisation?token=t"]

MEMBERSHIP = {"account_id": "acc-1", "account_kind": "PARTICULIER", "profile": "PARTICULIER", "can_submit": True,
              "account_status": "active", "company_name": None}
PERSON = {"id": "p-1", "profile": "PARTICULIER", "is_staff": False, "email": "elodie@exemple.fr",
          "first_name": "Élodie", "last_name": "Dupont", "membership": MEMBERSHIP}
STAFF = {"id": "g-1", "is_staff": True, "first_name": "Anne", "last_name": "Martin", "email": "agent@cdc.fr"}


class FakeServices(AnswersByMethod):
    """The few answers these pages need, by method name; every call recorded."""

    def __init__(self):
        super().__init__({
            "resolve_session": {"session_id": "s-1", "person": PERSON, "csrf_hash": "x"},
            "new_captcha": {"captcha_id": "c-1", "image_png_base64": "iVBORw0KGgo="},
            "invitation_details": {"email": "u@acme.fr", "first_name": "Chloé", "last_name": "Martin",
                                   "profile": "UTILISATEUR", "expires_at": "2026-12-01T00:00:00+00:00"},
            "unread_total": {"unread": 0},
        })


@pytest.fixture
def services():
    return FakeServices()


def _client(services, env=None):
    app = create_app(GatewaySettings.from_env(env or {}), configure_logs=False)
    app.extensions["rpc"] = services
    return app.test_client()


@pytest.fixture
def client(services):
    return _client(services)


@pytest.fixture
def signed_in(client):
    client.set_cookie(auth.SESSION_COOKIE, "token")
    return client


def page(reply) -> str:
    assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
    assert reply.headers["Cache-Control"] == "no-store"
    html = reply.get_data(as_text=True)
    assert html.count("<h1") == 1, "one h1 per page"
    assert " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)  # the CSP
    return unescape(html)  # « d'un » whether a text came from the template or a variable


def footer(html: str) -> str:
    return html[html.index('<footer class="pied">'):]


# --- the footer and its pages -----------------------------------------------------------------

@pytest.mark.parametrize("path", PUBLIC + list(INFORMATION))
def test_every_page_links_the_footer_pages_in_the_seeds_order(client, path):
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', footer(page(client.get(path))))
    assert [(href, text) for href, text in links if href in INFORMATION] == list(INFORMATION.items())


def test_the_error_pages_have_the_footer_and_the_header_too(client):
    reply = client.get("/nulle-part")
    assert reply.status_code == 404 and reply.mimetype == "text/html"
    html = unescape(reply.get_data(as_text=True))
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', footer(html))
    assert [(href, text) for href, text in links if href in INFORMATION] == list(INFORMATION.items())
    assert '<a class="marque" href="/connexion">' in html


@pytest.mark.parametrize("path", INFORMATION)
def test_footer_pages_are_readable_without_a_session_and_ask_no_service(client, services, path):
    html = page(client.get(path))
    assert '<html lang="fr">' in html and "01 58 50 89 88" in html
    assert f'<a href="{path}" aria-current="page">' in footer(html)
    assert services.calls == []  # static texts: nothing to ask, nothing that can fail
    assert "Se déconnecter" not in html


@pytest.mark.parametrize("path", INFORMATION)
def test_a_signed_in_person_keeps_their_menu_on_the_footer_pages(signed_in, services, path):
    html = page(signed_in.get(path))
    assert "Élodie Dupont" in html and "Se déconnecter" in html and 'href="/suivi"' in html
    assert {service for service, _, _ in services.calls} <= {"identity", "demandes"}  # the session, the unread count


def test_footer_pages_answer_even_when_the_session_cannot_be_resolved(signed_in, services):
    services.answers["resolve_session"] = ServiceUnavailable("Le service est momentanément indisponible.")
    html = page(signed_in.get("/mentions-legales"))
    assert "Se déconnecter" not in html and "Directeur de la publication" in html


def test_legal_notice_names_the_publisher_a_role_and_the_configured_host(services):
    html = page(_client(services).get("/mentions-legales"))
    assert "Caisse des Dépôts" in html and "service des consignations" in html
    assert "Le directeur général de la Caisse des Dépôts." in html  # a role, no name
    assert "Caisse des Dépôts, 56 rue de Lille, 75007 Paris" in html  # default host
    html = page(_client(services, {"PORTAL_HOSTING": "Hébergeur SAS, 1 rue du Nuage, 59000 Lille"}).get("/mentions-legales"))
    assert "Hébergeur SAS, 1 rue du Nuage, 59000 Lille" in html


def test_personal_data_page_gives_controller_purposes_rights_and_the_cnil(client):
    html = page(client.get("/donnees-personnelles"))
    for text in ("Responsable du traitement", "délégué à la protection des données", "Créer et gérer votre compte",
                 "Instruire vos demandes", "Conserver vos justificatifs", "Échanger avec le service de gestion",
                 "article 6.1.e du RGPD", "Combien de temps nous les conservons", "Qui peut les consulter",
                 "droit d'accès", "rectification", "opposition", "Commission nationale de l'informatique et des libertés",
                 'href="/gestion-des-cookies"'):
        assert text in html, text


def test_the_retention_periods_stated_are_the_ones_identity_applies(client):
    """The page states the code, session and access lifetimes: the identity service's own."""
    codes = pytest.importorskip("identity_service.domain.codes")
    sessions = pytest.importorskip("identity_service.sessions")
    access = pytest.importorskip("identity_service.access")
    particulier = pytest.importorskip("identity_service.particulier")
    password_flows = pytest.importorskip("identity_service.password_flows")
    invitations = pytest.importorskip("identity_service.invitations")
    html = page(client.get("/donnees-personnelles"))
    assert "pendant 10 minutes (codes reçus par SMS et par courriel à la création du compte), 30 minutes (lien " \
           "d'activation, réinitialisation du mot de passe) ou 48 heures (invitation d'un utilisateur, " \
           "changement de mot de passe depuis votre compte)" in html
    assert codes.SIGNUP_CODE_POLICY.validity == timedelta(minutes=10)
    assert particulier.ACTIVATION_VALIDITY == password_flows.RESET_LINK_VALIDITY == timedelta(minutes=30)
    assert codes.PASSWORD_RESET_CODE_POLICY.validity == timedelta(minutes=30)
    assert codes.INVITATION_CODE_POLICY.validity == codes.PASSWORD_CHANGE_CODE_POLICY.validity == timedelta(hours=48)
    assert invitations.INVITATION_VALIDITY == timedelta(hours=48)
    assert "après 30 minutes sans activité, au plus tard 12 heures après la connexion" in html
    assert sessions.IDLE_TIMEOUT == timedelta(minutes=30) and sessions.ABSOLUTE_LIFETIME == timedelta(hours=12)
    assert "Un accès est valable 18 mois" in html and access.ACCESS_VALIDITY == timedelta(days=548)


def test_terms_of_use_and_processing_terms_link_each_other(client):
    cgu = page(client.get("/conditions-generales-utilisation"))
    cpu = page(client.get("/conditions-particulieres-utilisation"))
    assert 'href="/conditions-particulieres-utilisation"' in cgu and "Identifiants et sécurité" in cgu
    assert 'href="/conditions-generales-utilisation"' in cpu and "Les justificatifs" in cpu
    assert "en cas de refus, vous ne pourrez pas finaliser la création de votre compte" in cpu  # seed 001


def test_accessibility_statement_is_in_the_rgaa_form_and_honest_about_its_audit(client):
    html = page(client.get("/accessibilite"))
    for text in ("Déclaration d'accessibilité", "article 47 de la loi n° 2005-102", "État de conformité",
                 "<strong>non conforme</strong>", "Aucun audit de conformité au RGAA n'a encore été réalisé",
                 "Non-conformités connues", "Dérogations pour charge disproportionnée", "Retour d'information et contact",
                 "Voies de recours", "Défenseur des droits", "Libre réponse 71120"):
        assert text in html, text
    # what the automated audit covers is what tests/browser runs: axe-core, at this version
    lock = REPO / "tests" / "browser" / "axe" / "package.json"
    if lock.exists():
        version = json.loads(lock.read_text())["dependencies"]["axe-core"]
        assert html.count(f"axe-core (version {version})") == 1 and f"axe-core {version}" in html, version
    conftest = REPO / "tests" / "browser" / "conftest.py"
    if conftest.exists():
        tags = re.search(r"AXE_TAGS = \[([^\]]+)\]", conftest.read_text()).group(1)
        assert all(tag in tags for tag in ('"wcag2aa"', '"wcag21aa"', '"wcag22aa"', '"best-practice"'))
        assert "WCAG 2.0, 2.1 et 2.2 de niveaux A et AA" in html


def test_the_footer_says_the_statement_s_status(client):
    html = page(client.get("/connexion"))
    assert '<a href="/accessibilite">Accessibilité : non conforme</a>' in footer(html)


def test_cookies_page_names_the_gateway_s_cookies_and_their_lifetime(client):
    html = page(client.get("/gestion-des-cookies"))
    assert f"<code>{auth.SESSION_COOKIE}</code>" in html and f"<code>{auth.CSRF_COOKIE}</code>" in html
    assert "supprimé à la déconnexion ou à la fermeture du navigateur" in html
    assert "Ni mesure d'audience, ni cookie tiers" in html and "bandeau" in html


def test_the_cookies_are_session_cookies_as_the_page_says(client):
    """No Max-Age nor Expires: both cookies end with the browser session (or at logout)."""
    from flask import Response

    with client.application.test_request_context("/"):
        response = Response()
        auth.set_session_cookies(response, "token", "csrf")
    cookies = response.headers.getlist("Set-Cookie")
    assert [c.split("=")[0] for c in cookies] == [auth.SESSION_COOKIE, auth.CSRF_COOKIE]
    for cookie in cookies:
        assert "Max-Age" not in cookie and "Expires" not in cookie, cookie
    assert "HttpOnly" in cookies[0] and "HttpOnly" not in cookies[1]


def test_no_page_loads_anything_from_another_site(client):
    """« Ni cookie tiers »: the CSP allows this origin only, and no template names another one
    for a script, a style sheet, an image or a frame."""
    assert client.get("/connexion").headers["Content-Security-Policy"].startswith("default-src 'self'")
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r'\b(src|srcset)="(https?:)?//', text), template.name
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), template.name
        assert "<iframe" not in text, template.name


# --- the conditions, readable from the forms that ask to accept them ---------------------------

CGU_LINK = ('<a href="/conditions-generales-utilisation" target="_blank" rel="noopener">conditions générales '
            "d'utilisation (CGU) <span class=\"nouvelle-fenetre\">(nouvelle fenêtre)</span></a>")
CPU_LINK = ('<a href="/conditions-particulieres-utilisation" target="_blank" rel="noopener">conditions particulières '
            "d'utilisation{} <span class=\"nouvelle-fenetre\">(nouvelle fenêtre)</span></a>")


def label_of(html: str, input_id: str) -> str:
    return re.search(rf'<label for="{input_id}">(.*?)</label>', html, re.S).group(1)


@pytest.mark.parametrize("path", ["/creer-mon-compte/entreprise", "/invitation?token=t"])
def test_company_sign_up_and_invitation_link_both_conditions_in_a_new_window(client, path):
    label = label_of(page(client.get(path)), "accept-cgu")
    assert label.startswith("J'ai lu et j'accepte les " + CGU_LINK + " et les " + CPU_LINK.format(" (CPU)")), label


def test_particulier_sign_up_links_the_cgu_and_then_the_cpu_it_asks_apart(client):
    html = page(client.get("/creer-mon-compte/particulier"))
    assert label_of(html, "accept-cgu").startswith("J'ai lu et j'accepte les " + CGU_LINK + " <span class=\"obligatoire\"")
    assert label_of(html, "accept-conditions-particulieres").startswith("J'accepte les " + CPU_LINK.format(""))


def test_every_link_to_a_new_window_says_so_and_keeps_no_opener():
    for template in TEMPLATES.glob("*.html"):
        for link in re.findall(r"<a [^>]*target=\"_blank\"[^>]*>.*?</a>", template.read_text(encoding="utf-8"), re.S):
            assert 'rel="noopener"' in link and "(nouvelle fenêtre)" in link, (template.name, link)


# --- the header: wordmark, user menu, favicon -------------------------------------------------

def header(html: str) -> str:
    return html[html.index('<header class="bandeau">'):html.index("</header>")]


def test_the_wordmark_is_drawn_in_svg_and_leads_home(client, signed_in):
    anonymous = header(page(client.get("/connexion")))
    assert '<a class="marque" href="/connexion">' in anonymous
    assert re.search(r'<svg class="marque-logo"[^>]* role="img" aria-label="Consignations"', anonymous)
    assert re.search(r"<text [^>]*>Consignations</text>", anonymous) and "<img" not in anonymous
    assert "Espace personnel – Caisse des Dépôts" in anonymous
    assert "utilisateur" not in anonymous and "<nav" not in anonymous  # nobody signed in
    assert '<a class="marque" href="/espace">' in header(page(signed_in.get("/mentions-legales")))


def test_a_client_s_header_has_their_menu_and_their_user_menu(signed_in):
    top = header(page(signed_in.get("/gestion-des-cookies")))
    menu = top[top.index('<nav aria-label="Menu de votre espace"'):top.index("</nav>")]
    assert 'href="/suivi"' in menu and "Mon compte" not in menu
    user = top[top.index('<div class="utilisateur">'):]
    assert "Vous êtes connecté(e) : </span>Élodie Dupont</p>" in user
    assert '<a href="/mon-compte">Mon compte</a>' in user and ">Se déconnecter</button>" in user
    assert 'data-api="/api/logout"' in user


def test_a_company_mid_wizard_sees_only_its_name_and_the_logout(signed_in, services):
    draft = {**MEMBERSHIP, "account_kind": "ENTREPRISE", "profile": "ADMINISTRATEUR", "account_status": "draft",
             "company_name": "ACME SAS"}
    services.answers["resolve_session"] = {"session_id": "s-1", "csrf_hash": "x",
                                           "person": {**PERSON, "first_name": None, "last_name": None,
                                                      "membership": draft}}
    top = header(page(signed_in.get("/accessibilite")))
    assert "Vous êtes connecté(e) : </span>ACME SAS</p>" in top and "Se déconnecter" in top
    assert 'href="/suivi"' not in top and "Mon compte" not in top and "Mes utilisateurs" not in top
    assert "<nav" not in top  # no empty menu
    assert "unread_total" not in [method for _, method, _ in services.calls]


def test_a_gestionnaire_s_header_names_them_without_a_client_s_account(signed_in, services):
    services.answers["resolve_session"] = {"session_id": "s-1", "person": STAFF, "csrf_hash": "x"}
    top = header(page(signed_in.get("/mentions-legales")))
    assert '<nav aria-label="Menu du service de gestion"' in top and 'href="/gestion"' in top
    assert "Vous êtes connecté(e) : </span>Anne Martin</p>" in top and "Se déconnecter" in top
    assert "Mon compte" not in top


def test_the_favicon_is_an_svg_served_by_the_gateway_and_linked_by_every_page(client):
    html = page(client.get("/connexion"))
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    from xml.etree import ElementTree

    root = ElementTree.fromstring(icon.get_data())
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 40 40"


# --- narrow screens: the « Menu » button ------------------------------------------------------

STATIC = Path(auth.__file__).parent / "static"


def test_the_menu_button_controls_both_menus_and_is_hidden_until_the_script_runs(signed_in):
    top = header(page(signed_in.get("/mentions-legales")))
    button = re.search(r"<button [^>]*data-menu-button[^>]*>([^<]*)</button>", top)
    assert button and button.group(1) == "Menu"
    assert 'type="button"' in button.group(0) and 'aria-controls="menu-entete"' in button.group(0)
    assert 'aria-expanded="true"' in button.group(0) and " hidden" in button.group(0)  # no script: open menus
    panel = top[top.index(button.group(0)) + len(button.group(0)):]
    assert panel.lstrip().startswith('<div class="menu-entete" id="menu-entete">')  # the sibling the CSS folds
    assert '<nav aria-label="Menu de votre espace"' in panel and '<div class="utilisateur">' in panel


def test_without_a_session_there_is_no_menu_button(client):
    assert "data-menu-button" not in page(client.get("/connexion"))


def test_the_style_sheet_folds_the_menus_behind_the_button_on_narrow_screens_only():
    css = (STATIC / "portal.css").read_text(encoding="utf-8")
    assert re.search(r"(^|\n)\.menu-bouton \{ display: none; \}", css)  # wide screens: no button
    narrow = css[css.index(".menu-bouton { display: none; }"):]
    narrow = narrow[narrow.index("@media (max-width: 760px) {"):narrow.index("\n}\n")]
    assert '.menu-bouton[aria-expanded="false"] + .menu-entete { display: none; }' in narrow
    assert ".menu-bouton { display: inline-flex;" in narrow
    assert "[hidden] { display: none !important; }" in css  # so the button stays hidden without the script


def test_the_script_shows_the_button_folds_the_menus_and_toggles_them():
    js = (STATIC / "portal.js").read_text(encoding="utf-8")
    setup = js[js.index("function setupMenu(button)"):js.index("// --- start")]
    for part in ('getElementById(button.getAttribute("aria-controls"))', "expand(false);", "button.hidden = false;",
                 'button.addEventListener("click", () => expand(button.getAttribute("aria-expanded") !== "true"))',
                 'event.key !== "Escape"'):
        assert part in setup, part
    assert 'for (const button of document.querySelectorAll("[data-menu-button]")) setupMenu(button);' in js
