"""The portal's pages without a broker (GW-4): each renders in French from the same RPCs as the
JSON API, sends people without a session to the login page, posts nowhere but the API, and keeps
to the CSP (no inline script nor style)."""
import re

import pytest

from consignations_shared.errors import Conflict, Forbidden, Gone
from gateway_service.app import create_app
from gateway_service.auth import SESSION_COOKIE
from gateway_service.settings import GatewaySettings

PERSON = {"id": "p-1", "profile": "ENTREPRISE", "is_staff": False, "email": "a@acme.fr",
          "first_name": "Claire", "last_name": "Dupont"}
ME = {"person_id": "p-1", "profile": "ADMINISTRATEUR", "status": "active", "email": "a@acme.fr",
      "civility": "MADAME", "last_name": "Dupont", "first_name": "Claire", "function": "Directrice",
      "mobile": "+33612345678", "landline": None, "can_submit": True, "deletion_requested": False,
      "valid_until": "2028-05-01", "account_id": "acc-1", "account_kind": "ENTREPRISE", "company_name": "ACME SAS"}
WIZARD = {"wizard_step": 4, "finalised": False,
          "structure": {"company_name": "ACME SAS", "structure_type": "AUTRES", "service": None, "address": "1 rue",
                        "address_complement": None, "postal_code": "75002", "commune": "Paris", "country": "FR",
                        "siret": "73282932000074", "siren": "732829320"},
          "administrator": {**ME, "company_name": "ACME SAS"},
          "documents": {"administrator_on_kbis": True, "attached": [
              {"id": "d-1", "kind": "KBIS", "kind_label": "Extrait Kbis", "page": None, "file_name": "kbis.pdf",
               "download_path": "/api/documents/d-1/content", "status": "attached"}]},
          "choices": {"structure_types": [{"code": "AUTRES", "label": "AUTRES"}],
                      "countries": [{"code": "FR", "name": "France"}],
                      "civilities": [{"code": "MADAME", "label": "Madame"}]}}
MEMBERS = [ME, {**ME, "person_id": "p-2", "profile": "UTILISATEUR", "status": "invited", "email": "u@acme.fr",
                "first_name": "Chloé", "last_name": "Martin", "deletion_requested": True}]


class FakeServices:
    """Answers RPCs by method name, as the services would for an administrator mid-wizard."""

    def __init__(self):
        self.calls = []
        self.answers = {
            "resolve_session": {"session_id": "s-1", "person": PERSON, "csrf_hash": "x"},
            "my_profile": ME, "wizard_state": WIZARD, "list_members": MEMBERS,
            "welcome": {"show": True, "account_kind": "ENTREPRISE", "first_name": "Claire"},
            "procedures": [{"code": "SAISIE_IMMO_D", "label": "Déconsigner une saisie immobilière", "sens": "D"}],
            "fiche": {"account_id": "acc-1", "company_name": "ACME SAS", "service": None, "address": "1 rue",
                      "address_complement": None, "postal_code": "75002", "commune": "Paris", "phone": None,
                      "contact_email": None, "notification_email": "a@acme.fr", "siret": "73282932000074",
                      "siren": "732829320", "country": "FR", "structure_type": "AUTRES"},
            "list_documents": WIZARD["documents"]["attached"],
            "new_captcha": {"captcha_id": "c-1", "image_png_base64": "iVBORw0KGgo="},
            "invitation_details": {"email": "u@acme.fr", "first_name": "Chloé", "last_name": "Martin",
                                   "profile": "UTILISATEUR", "expires_at": "2026-12-01T00:00:00+00:00"},
        }

    def call(self, service, method, *args, correlation_id=None, **kwargs):
        self.calls.append((service, method, args))
        answer = self.answers[method]
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def services():
    return FakeServices()


@pytest.fixture
def client(services):
    app = create_app(GatewaySettings.from_env({}), configure_logs=False)
    app.extensions["rpc"] = services
    return app.test_client()


@pytest.fixture
def signed_in(client):
    client.set_cookie(SESSION_COOKIE, "token")
    return client


PUBLIC = ["/connexion", "/creer-mon-compte", "/creer-mon-compte/entreprise", "/creer-mon-compte/entreprise/code-sms",
          "/creer-mon-compte/entreprise/code-courriel", "/creer-mon-compte/entreprise/validation",
          "/creer-mon-compte/particulier", "/creer-mon-compte/particulier/lien-envoye", "/activation?token=t",
          "/invitation?token=t", "/mot-de-passe-oublie", "/mot-de-passe/reinitialisation?token=t"]
MEMBER = ["/creation-compte/structure", "/creation-compte/informations", "/creation-compte/documents",
          "/creation-compte/utilisateurs", "/bienvenue", "/mon-compte", "/fiche-client", "/utilisateurs"]


def _checked(reply):
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    assert reply.mimetype == "text/html" and reply.headers["Cache-Control"] == "no-store"
    html = reply.get_data(as_text=True)
    assert '<html lang="fr">' in html and "01 58 50 89 88" in html  # assistance in the footer
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert " style=" not in html and "<style" not in html  # the CSP allows the style sheet only
    assert "script-src" not in reply.headers["Content-Security-Policy"] or "'unsafe-inline'" not in reply.headers["Content-Security-Policy"]
    for action in re.findall(r'data-api="([^"]+)"', html):
        assert action.startswith("/api/"), action  # every change goes through the JSON API
    for input_id in re.findall(r'<input id="([^"]+)"', html):
        assert f'for="{input_id}"' in html, f"input {input_id} has no label"
    return html


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_render(client, path):
    _checked(client.get(path))


@pytest.mark.parametrize("path", MEMBER)
def test_pages_of_the_personal_space_render(signed_in, path):
    _checked(signed_in.get(path))


@pytest.mark.parametrize("path", MEMBER + ["/espace"])
def test_without_a_session_the_login_page_comes_first(client, path):
    reply = client.get(path)
    assert reply.status_code == 302 and reply.location.startswith("/connexion?suite=")


def test_login_page_has_its_four_call_outs(client):
    html = _checked(client.get("/connexion"))
    for text in ("Se connecter", "Créer mon compte", "Mot de passe oublié ?", "de 9h à 12h et de 13h à 17h"):
        assert text in html


def test_login_goes_back_only_to_this_site(client):
    assert 'data-suite="/utilisateurs"' in client.get("/connexion?suite=/utilisateurs").get_data(as_text=True)
    for evil in ("//evil.example", "https://evil.example", "/\\evil.example"):
        assert 'data-suite="/espace"' in client.get("/connexion", query_string={"suite": evil}).get_data(as_text=True)


def test_landing_follows_the_wizard_then_the_welcome_page(signed_in, services):
    assert signed_in.get("/espace").location == "/creation-compte/utilisateurs"
    services.answers["wizard_state"] = {**WIZARD, "finalised": True}
    assert signed_in.get("/espace").location == "/bienvenue"
    services.answers["welcome"] = {"show": False}
    assert signed_in.get("/espace").location == "/mon-compte"


def test_wizard_step_not_reached_goes_to_the_current_one(signed_in, services):
    services.answers["wizard_state"] = {**WIZARD, "wizard_step": 2}
    assert signed_in.get("/creation-compte/documents").location == "/creation-compte/informations"
    html = _checked(signed_in.get("/creation-compte/informations"))
    assert 'aria-current="step"' in html and "Fil d'Ariane" in html
    assert "Parcourir" in html and "Formats acceptés : PNG, JPEG ou PDF. Taille maximale : 5 Mo" in html


def test_service_refusals_are_french_pages(signed_in, services):
    services.answers["fiche"] = Forbidden("Cette action est réservée aux administrateurs du compte client.")
    reply = signed_in.get("/fiche-client")
    assert reply.status_code == 403 and "réservée aux administrateurs" in reply.get_data(as_text=True)
    services.answers["my_profile"] = Conflict("Votre compte client est en cours de création.", None, "account_pending")
    assert signed_in.get("/mon-compte").status_code == 409


def test_expired_invitation_link_says_so(client, services):
    services.answers["invitation_details"] = Gone("Ce lien a expiré.")
    html = _checked(client.get("/invitation?token=old"))
    assert "Ce lien a expiré." in html and "Demander un nouveau code" in html


def test_error_slots_are_tied_to_their_fields(client):
    html = _checked(client.get("/creer-mon-compte/entreprise"))
    assert 'aria-describedby="email-aide email-erreur"' in html
    assert 'id="email-erreur" data-error-for="email"' in html
    assert 'data-error-for="captcha captcha_answer captcha_id"' in html
