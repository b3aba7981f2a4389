"""The portal's frame in a real browser (issue 19): (6) the footer's six pages reached from the
login page and audited, the CGU opened from the sign-up form in a new window without losing what
was typed, and a particulier's header at 390 px: one « Menu » button folds the menus (open
without JavaScript), and at 1200 px the menus sit beside the wordmark, no button."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from e2e_helpers import sign_up_particulier

FOOTER = [("Mentions légales", "Mentions légales"), ("Données personnelles", "Données personnelles"),
          ("Conditions générales d'utilisation", "Conditions générales d'utilisation de l'espace personnel"),
          ("Conditions particulières d'utilisation", "Conditions particulières d'utilisation : le traitement de vos demandes"),
          ("Accessibilité : non conforme", "Déclaration d'accessibilité"),
          ("Gestion des cookies", "Gestion des cookies")]
PHONE = {"width": 390, "height": 844}


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_footer_pages_and_the_conditions_from_the_sign_up_form(system, person):
    visitor = person("6-pied-de-page")
    page = visitor.open("/connexion")
    for link, heading in FOOTER:
        page.get_by_role("contentinfo").get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_role("contentinfo").get_by_role("link", name=link, exact=True)).to_have_attribute("aria-current", "page")
        visitor.shot(link)
    page.set_viewport_size(PHONE)
    assert no_horizontal_overflow(page)
    visitor.shot("cookies-telephone")
    page.set_viewport_size({"width": 1200, "height": 900})

    # The CGU from the particulier's sign-up: a new window; the form keeps what was typed.
    page = visitor.open("/creer-mon-compte/particulier")
    page.locator("#last-name").fill("Dupont")
    with visitor.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile(r"^conditions générales d'utilisation \(CGU\) \(nouvelle fenêtre\)$")).click()
    conditions = opened.value
    expect(conditions.get_by_role("heading", level=1)).to_contain_text("Conditions générales d'utilisation")
    conditions.close()
    expect(page.locator("#last-name")).to_have_value("Dupont")
    visitor.shot("inscription-particulier")


def test_the_menu_button_at_390_px(system, person, browser):
    email = f"menu-{uuid.uuid4().hex[:8]}@cadre.example.com"
    sign_up_particulier(system, email, last_name="Dupont", first_name="Élodie")
    someone = person("6-menu-telephone")
    page = someone.open("/connexion?suite=/mentions-legales")
    page.get_by_label("Adresse courriel").fill(email)
    page.get_by_label("Mot de passe").fill("Consign-2026!")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile("/mentions-legales$"), timeout=30_000)

    # Wide: menu and user menu beside the wordmark, no button.
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("img", name="Consignations")).to_be_visible()
    expect(banner).to_contain_text("Élodie Dupont")
    expect(banner.get_by_role("link", name="Mon compte")).to_be_visible()
    expect(banner.get_by_role("button", name="Menu", exact=True)).to_be_hidden()
    someone.shot("entete-1200")

    # A phone: one line of header, the menus behind « Menu ».
    page.set_viewport_size(PHONE)
    button = banner.get_by_role("button", name="Menu", exact=True)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(banner.get_by_role("link", name="Mon suivi")).to_be_hidden()
    expect(banner.get_by_role("button", name="Se déconnecter")).to_be_hidden()
    assert banner.bounding_box()["height"] < 110, banner.bounding_box()
    assert no_horizontal_overflow(page)
    someone.shot("menu-replie")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    for link in ("Mon suivi", "Mon compte"):
        expect(banner.get_by_role("link", name=link)).to_be_visible()
    expect(banner.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert no_horizontal_overflow(page)
    someone.shot("menu-deplie")
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()

    # Without JavaScript: no button, the menus are an open list.
    plain = browser.new_context(java_script_enabled=False, locale="fr-FR", viewport=PHONE)
    try:
        plain.add_cookies(someone.context.cookies())
        bare = plain.new_page()
        bare.goto(system.url("/mentions-legales"))
        expect(bare.get_by_role("banner").get_by_role("link", name="Mon suivi")).to_be_visible()
        expect(bare.get_by_role("banner").get_by_role("button", name="Menu", exact=True)).to_have_count(0)
        expect(bare.get_by_role("banner").get_by_role("link", name="Mon compte")).to_be_visible()
    finally:
        plain.close()
