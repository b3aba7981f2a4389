"""The portal's pages without a broker (GW-4): each renders in French from the same RPCs as the
JSON API, sends people without a session to the login page, posts nowhere but the API, and keeps
to the CSP (no inline script nor style)."""
import re

import pytest

from consignations_shared.errors import Conflict, Forbidden, Gone
from gateway_service.app import create_app
from gateway_service.auth import SESSION_COOKIE
from gateway_service.settings import GatewaySettings
from gateway_fakes import AnswersByMethod

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


PROCEDURE = {
    "code": "ARS_D", "label": "Déconsigner / récupérer l'allocation de rentrée scolaire", "sens": "D",
    "audience": "PARTICULIER", "summary_notice": "La déconsignation totale…",
    "steps": [{"code": "INFORMATIONS", "label": "Informations"}, {"code": "JUSTIFICATIFS", "label": "Justificatifs"},
              {"code": "RECAPITULATIF", "label": "Récapitulatif"}, {"code": "CONFIRMATION", "label": "Confirmation"}],
    "sections": [{"code": "IDENTITY", "label": "Votre identité"}, {"code": "ADDRESS", "label": "Votre adresse"}],
    "fields": [
        {"name": "last_name", "label": "Nom", "type": "text", "section": "IDENTITY", "mandatory": True, "help": None,
         "required_when": None, "prefill": "person.last_name", "max_length": 100},
        {"name": "birth_date", "label": "Date de naissance", "type": "date", "section": "IDENTITY", "mandatory": True,
         "help": "Si vous êtes nés avant le 1er janvier 1998…", "required_when": None, "prefill": None, "max": "today"},
        {"name": "legal_form", "label": "Forme juridique", "type": "legal_form", "section": "IDENTITY", "mandatory": False,
         "help": "Saisissez les 3 premières lettres", "required_when": None, "prefill": None},
        {"name": "tax_residence", "label": "Résidence fiscale ?", "type": "boolean", "section": "ADDRESS",
         "mandatory": True, "help": None, "required_when": None, "prefill": None},
        {"name": "residence_country", "label": "Pays de résidence", "type": "country", "section": "ADDRESS",
         "mandatory": False, "help": None, "required_when": {"field": "tax_residence", "equals": False}, "prefill": None,
         "choices": [{"value": "FR", "label": "France"}, {"value": "BE", "label": "Belgique"}]},
        {"name": "department", "label": "Département", "type": "choice", "section": "ADDRESS", "mandatory": False,
         "help": None, "required_when": None, "prefill": None, "choices": [{"value": "67", "label": "Bas-Rhin"}]},
    ],
    "documents": {"required": [{"kind": "RIB", "label": "Relevé d'identité bancaire", "help": "À votre nom."}],
                  "optional": [], "additional_allowed": True,
                  "expected_when": [{"kind": "RESIDENCE_ABROAD", "field": "tax_residence", "equals": False, "help": None}]},
}
RECAP = [{"code": "IDENTITY", "label": "Votre identité",
          "lines": [{"name": "last_name", "label": "Nom", "kind": "text", "value": "Non renseigné"}]}]
DEMANDE = {"id": "d-1", "procedure_code": "ARS_D", "procedure_label": PROCEDURE["label"], "sens": "D",
           "state": "DRAFT", "state_label": "Demande enregistrée", "tab": "DRAFTS", "step": 2, "values": {},
           "number": None, "owner_person_id": "p-1", "owner_name": "Claire Dupont", "amount": "Total", "recap": RECAP,
           "documents_expected": {"required": ["RIB"], "expected": ["RESIDENCE_ABROAD"], "optional": []},
           "actions": ["detail", "resume", "duplicate", "delete", "reassign"], "history": [], "unread_messages": 0,
           "submitted_at": None}
BOARD = {"tab": "DRAFTS", "tab_label": "Demandes brouillons", "date_label": "Date d'enregistrement",
         "states": [{"code": "DRAFT", "label": "Demande enregistrée"}],
         "tabs": [{"code": c, "label": l, "count": n} for c, l, n in (
             ("DRAFTS", "Demandes brouillons", 1), ("TRANSMITTED", "Demandes transmises", 0),
             ("VALIDATED", "Demandes validées", 0), ("REJECTED", "Demandes rejetées", 0))],
         "items": [{"id": "d-1", "sens": "D", "date": "2026-11-20T10:00:00+00:00", "number": None,
                    "procedure_code": "ARS_D", "procedure_label": "ARS", "amount": "Total", "state": "DRAFT",
                    "state_label": "Demande enregistrée", "owner_person_id": "p-1", "owner_name": "Claire Dupont",
                    "unread_messages": 2, "step": 2,
                    "actions": ["detail", "resume", "duplicate", "delete", "summary", "proof", "reassign", "complete"]}],
         "total": 41, "page": 1, "per_page": 20, "pages": 3, "sort": "date", "order": "desc", "filters": {},
         "unread_total": 3,
         "owners": [{"person_id": "p-1", "name": "Claire Dupont"}, {"person_id": "p-2", "name": "Chloé Martin"}]}
THREAD = {"demande_id": "d-2", "number": "102611000000001", "can_reply": True, "can_attach": True,
          "max_attachments": 5, "messages": [
    {"id": "m-1", "author_role": "GESTIONNAIRE", "author": "Service des consignations", "subject_code": "FREE",
     "subject": "RIB illisible", "body": "Merci de renvoyer le RIB.", "attachments": ["doc-1", "doc-0"],
     "attachment_files": [{"id": "doc-1", "file_name": "rib.pdf", "kind_label": "RIB",
                           "download_path": "/api/documents/doc-1/content"},
                          {"id": "doc-0", "file_name": None, "kind_label": None,
                           "download_path": "/api/documents/doc-0/content"}],
     "posted_at": "2026-11-21T09:00:00+00:00", "read": False}]}
SUBMITTED = {**DEMANDE, "id": "d-2", "state": "AWAITING_COMPLEMENT", "state_label": "En attente complément",
             "tab": "TRANSMITTED", "number": "102611000000001", "actions": ["detail", "summary", "complete"],
             "history": [{"to_label": "Envoyé", "at": "2026-11-20T10:00:00+00:00", "by": "Claire Dupont",
                          "by_role_label": "Client", "reason": None}], "submitted_at": "2026-11-20T10:00:00+00:00"}
RIB = {"id": "doc-1", "kind": "RIB", "kind_label": "Relevé d'identité bancaire (RIB)", "page": None,
       "file_name": "rib.pdf", "download_path": "/api/documents/doc-1/content", "status": "attached",
       "generated": False, "review": {"status": "non_conforme", "reason": "RIB illisible"}}
STAFF = {"id": "g-1", "is_staff": True, "first_name": "Anne", "last_name": "Martin", "email": "agent@cdc.fr"}


class FakeServices(AnswersByMethod):
    """Answers RPCs by method name, as the services would for an administrator mid-wizard."""

    def __init__(self):
        super().__init__({
            "resolve_session": {"session_id": "s-1", "person": PERSON, "csrf_hash": "x"},
            "my_profile": ME, "wizard_state": WIZARD, "list_members": MEMBERS,
            "welcome": {"show": True, "account_kind": "ENTREPRISE", "first_name": "Claire"},
            "procedures": [{"code": "SAISIE_IMMO_D", "label": "Déconsigner une saisie immobilière", "sens": "D"}],
            "fiche": {"account_id": "acc-1", "company_name": "ACME SAS", "service": None, "address": "1 rue",
                      "address_complement": None, "postal_code": "75002", "commune": "Paris", "phone": None,
                      "contact_email": None, "notification_email": "a@acme.fr", "siret": "73282932000074",
                      "siren": "732829320", "country": "FR", "structure_type": "AUTRES"},
            "list_documents": WIZARD["documents"]["attached"],
            "document_grant": {"grant": "signed-by-the-owner"},
            "new_captcha": {"captcha_id": "c-1", "image_png_base64": "iVBORw0KGgo="},
            "unread_total": {"unread": 3}, "board": BOARD, "procedure": PROCEDURE, "detail": DEMANDE,
            "document_kinds": [{"code": "RIB", "pages": [], "requires_date": False},
                               {"code": "IDENTITY", "pages": ["recto", "verso"], "requires_date": False}],
            "thread": THREAD,
            "staff_queue": {"items": [{"id": "d-2", "number": "102611000000001", "sens": "D", "procedure_code": "ARS_D",
                                       "procedure_label": "ARS", "client_name": "ACME SAS",
                                       "submitted_at": "2026-11-20T10:00:00+00:00", "state": "SUBMITTED",
                                       "state_label": "Envoyé", "amount": "Total", "unread_messages": 1}],
                            "total": 1, "page": 1, "per_page": 20, "pages": 1, "sort": "submitted_at", "order": "asc"},
            "staff_detail": {**SUBMITTED, "state": "SUBMITTED", "client_name": "ACME SAS", "documents": [RIB],
                             "decisions": ["AWAITING_COMPLEMENT", "REJECTED", "VALIDATED"], "can_review": True},
            "staff_thread": THREAD["messages"],
            "invitation_details": {"email": "u@acme.fr", "first_name": "Chloé", "last_name": "Martin",
                                   "profile": "UTILISATEUR", "expires_at": "2026-12-01T00:00:00+00:00"},
        })


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
          "/creation-compte/utilisateurs", "/bienvenue", "/mon-compte", "/fiche-client", "/utilisateurs",
          "/suivi", "/suivi?tab=TRANSMITTED&sort=number&order=asc&page=2", "/demandes/nouvelle",
          "/demandes/nouvelle?procedure=SAISIE_IMMO_D", "/demandes/d-1/etape/1", "/demandes/d-1/etape/2",
          "/demandes/d-1"]


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
    kept = client.get("/connexion", query_string={"suite": "/demandes?tab=DRAFTS&page=2"}).get_data(as_text=True)
    assert 'data-suite="/demandes?tab=DRAFTS&amp;page=2"' in kept
    for evil in ("//evil.example", "https://evil.example", "/\\evil.example"):
        assert 'data-suite="/espace"' in client.get("/connexion", query_string={"suite": evil}).get_data(as_text=True)


@pytest.mark.parametrize("evil", [
    "/\t/evil.example/x", "/\n/evil.example", "/\r/evil.example", "\t//evil.example", " //evil.example",
    "/%09/evil.example/x", "/%2F/evil.example", "/%5Cevil.example", "/\x01/evil.example", "/\x7f/evil.example",
    "/\\/evil.example", "javascript:alert(1)", "/x\\..\\..\\evil",
])
def test_login_return_address_follows_the_browsers_url_parsing(client, evil):
    """Issue 18, finding 1: browsers drop TAB, CR and LF inside URLs and read a backslash as a
    slash, so « /<TAB>/evil.example » is « //evil.example » for them: refused, like encoded forms."""
    page = client.get("/connexion", query_string={"suite": evil}).get_data(as_text=True)
    assert 'data-suite="/espace"' in page, evil


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


# --- requests: « Mon suivi », the wizard, detail and messages; the back office -------------------

def test_board_shows_tabs_counts_columns_unread_dot_and_actions(signed_in, services):
    html = _checked(signed_in.get("/suivi"))
    assert ("board", ({"tab": "DRAFTS"},)) in [(m, a[1:]) for _, m, a in services.calls]
    for text in ("Demandes brouillons <span class=\"compteur-onglet\">(1)</span>", "Demandes transmises",
                 "Demandes validées", "Demandes rejetées", "Date d&#39;enregistrement", "Propriétaire", "Messages",
                 "Claire Dupont", "Total", "Demande enregistrée", "Créer une demande"):
        assert text in html, text
    assert 'class="pastille"' in html and "2<span class=\"visually-hidden\"> messages non lus" in html
    for label in ("Détail", "Reprendre", "Dupliquer", "Supprimer", "Récapitulatif PDF", "Justificatif PDF",
                  "Réaffecter", "Compléter"):
        assert f"</span> {label}<span class=\"visually-hidden\">" in html, label
    assert 'href="/demandes/d-1/etape/2"' in html and 'data-api="/api/demandes/d-1" data-method="DELETE"' in html
    assert 'data-confirm="popin-supprimer"' in html and 'id="popin-reaffecter"' in html
    assert 'href="/api/demandes/d-1/summary.pdf"' in html and 'href="/api/demandes/d-1/proof.pdf"' in html
    assert 'aria-sort="descending"' in html and "page 1 sur 3" in html and "Page suivante" in html
    assert "Mon suivi" in html and "3<span class=\"visually-hidden\"> messages non lus" in html  # header


def test_board_passes_sort_filters_and_page_to_the_service(signed_in, services):
    signed_in.get("/suivi?tab=VALIDATED&sort=number&order=asc&page=2&number=1026&unknown=x")
    query = [a[1] for _, m, a in services.calls if m == "board"][-1]
    assert query == {"tab": "VALIDATED", "sort": "number", "order": "asc", "page": "2", "number": "1026"}


def test_board_filter_refused_by_the_service_is_shown(signed_in, services):
    from consignations_shared.errors import ValidationFailed

    answers = iter([ValidationFailed("Date invalide.", {"date_from": "La date est invalide."}), BOARD])

    def board(*args, **kwargs):
        answer = next(answers)
        if isinstance(answer, BaseException):
            raise answer
        return answer
    services.answers["board"] = None
    original = services.call
    services.call = lambda service, method, *a, **k: board() if method == "board" else original(service, method, *a, **k)
    html = _checked(signed_in.get("/suivi?date_from=x"))
    assert "La date est invalide." in html and 'role="alert"' in html


def test_new_request_page_posts_the_draft_to_the_api(signed_in):
    html = _checked(signed_in.get("/demandes/nouvelle?procedure=SAISIE_IMMO_D"))
    assert 'data-api="/api/demandes" data-hook="created"' in html and 'value="SAISIE_IMMO_D"' in html


def test_step_one_is_generated_from_the_procedure(signed_in, services):
    html = _checked(signed_in.get("/demandes/d-1/etape/1"))
    assert 'aria-label="Fil d\'Ariane : votre demande"' in html and 'aria-current="step">Étape 1 : Informations' in html
    assert 'href="/demandes/d-1/etape/2">Étape 2 : Justificatifs' in html  # reached
    assert "Étape 3 : Récapitulatif" in html and 'href="/demandes/d-1/etape/3"' not in html
    assert 'data-api="/api/demandes/d-1/informations" data-method="PUT" data-wrap="values" data-keep="complete"' in html
    assert "<legend>Votre identité</legend>" in html and "<legend>Votre adresse</legend>" in html
    assert 'id="demande-last-name" name="last_name" value="Dupont"' in html  # prefilled from the profile
    assert 'type="date" max="' in html and 'id="demande-birth-date-aide"' in html
    assert 'aria-describedby="demande-birth-date-aide demande-birth-date-erreur"' in html
    assert 'data-error-for="birth_date"' in html
    assert 'list="demande-legal-form-liste" data-legal-forms' in html
    assert "data-when-field=\"tax_residence\" data-when-equals='false'" in html
    assert '<option value="67">Bas-Rhin</option>' in html
    # a country is chosen from the service's list, by its French name
    assert '<select id="demande-residence-country" name="residence_country" autocomplete="country"' in html
    assert '<option value="BE">Belgique</option>' in html and 'maxlength="2"' not in html
    assert 'name="complete" value="true" data-type="bool" data-next="/demandes/d-1/etape/2"' in html
    assert 'data-recap-line="last_name"' in html and "La déconsignation totale" in html
    for text in ("Enregistrer", "Suivant", "Récapitulatif"):
        assert text in html
    # the breadcrumb's steps are the catalogue's, as the service answers them
    steps = [{**step, "label": step["label"] + " (catalogue)"} for step in PROCEDURE["steps"]]
    services.answers["procedure"] = {**PROCEDURE, "steps": steps}
    html = _checked(signed_in.get("/demandes/d-1/etape/1"))
    assert 'aria-current="step">Étape 1 : Informations (catalogue)' in html and "Étape 4 : Confirmation (catalogue)" in html


def test_step_two_offers_the_procedure_documents(signed_in, services):
    services.answers["list_documents"] = [{**RIB, "review": None}]
    html = _checked(signed_in.get("/demandes/d-1/etape/2"))
    assert "rib.pdf" in html and 'data-api="/api/documents/doc-1" data-method="DELETE"' in html
    assert '<button type="submit" form="confirmer-justificatifs">Suivant</button>' in html
    assert 'data-owner-service="demandes" data-owner-id="d-1" data-kind="RIB"' in html
    assert 'data-kind="RESIDENCE_ABROAD"' in html and 'data-kind="OTHER"' in html  # expected, additional
    assert "À votre nom." in html and "Parcourir" in html
    assert 'data-api="/api/demandes/d-1/justificatifs/confirm"' in html
    assert 'data-api="/api/demandes/d-1/step" data-method="PUT"' in html and 'value="1" data-type="int"' in html


def test_steps_not_reached_and_transmitted_requests_are_redirected(signed_in, services):
    assert signed_in.get("/demandes/d-1/etape/3").location == "/demandes/d-1/etape/2"
    assert signed_in.get("/demandes/d-1/etape/4").location == "/demandes/d-1/etape/2"
    services.answers["detail"] = SUBMITTED
    assert signed_in.get("/demandes/d-2/etape/1").location == "/demandes/d-2"


def test_step_three_submits_with_an_idempotency_key_after_the_pop_in(signed_in, services):
    services.answers["detail"] = {**DEMANDE, "step": 3}
    services.answers["list_documents"] = [{**RIB, "review": None}]
    html = _checked(signed_in.get("/demandes/d-1/etape/3"))
    assert 'data-api="/api/demandes/d-1/submit" data-idempotency data-confirm="popin-transmettre"' in html
    assert '<button type="submit" form="transmettre">Transmettre</button>' in html
    assert '<dialog id="popin-transmettre"' in html and ">Oui</button>" in html and "Transmettre" in html
    assert "rib.pdf" in html


def test_step_four_gives_the_number_and_the_summary(signed_in, services):
    services.answers["detail"] = {**SUBMITTED, "state": "SUBMITTED", "step": 4}
    html = _checked(signed_in.get("/demandes/d-2/etape/4"))
    assert "Votre demande a été prise en compte." in html and "102611000000001" in html
    assert 'href="/api/demandes/d-2/summary.pdf">Télécharger le récapitulatif de ma demande' in html


def test_detail_shows_documents_in_red_with_replace_and_the_thread(signed_in, services):
    services.answers["detail"] = {**SUBMITTED, "documents": [RIB]}  # demandes' read model of its documents
    services.answers["list_documents"] = ValueError("the detail does not ask the documents service")
    html = _checked(signed_in.get("/demandes/d-2"))
    assert 'class="non-conforme"' in html and "Document non conforme : RIB illisible" in html
    assert 'data-owner-service="demandes" data-owner-id="d-2" data-kind="RIB" data-replace="doc-1"' in html
    assert 'data-api="/api/demandes/d-2/complete"' in html and ">Valider</button>" in html
    assert "Messagerie instantanée" in html and "Merci de renvoyer le RIB." in html and "RIB illisible" in html
    assert 'data-api="/api/messages/m-1/unread"' in html and "Marquer comme non lu" in html
    assert '<span class="nouveau">Nouveau</span>' in html
    assert 'data-api="/api/demandes/d-2/messages"' in html
    assert 'aria-describedby="reponse-message-aide reponse-message-erreur"' in html and 'data-error-for="body"' in html
    assert "données à caractère personnel" in html
    # MS-6: attachments by file name (an older version by its place), the reply may join files
    assert '<a href="/api/documents/doc-1/content" download>rib.pdf<' in html
    assert '<a href="/api/documents/doc-0/content" download>Pièce jointe 2<' in html
    assert 'id="reponse-fichiers" type="file" multiple' in html and 'data-owner-id="d-2" data-max="5"' in html
    assert 'data-error-for="attachments file kind owner_id owner_service" data-input="reponse-fichiers"' in html
    services.answers["thread"] = {**THREAD, "can_attach": False}
    assert 'id="reponse-fichiers"' not in _checked(signed_in.get("/demandes/d-2"))


def test_gestionnaires_land_on_their_queue(client, services):
    client.set_cookie(SESSION_COOKIE, "token")
    services.answers["resolve_session"] = {"session_id": "s-1", "person": STAFF, "csrf_hash": "x"}
    assert client.get("/espace").location == "/gestion"
    html = _checked(client.get("/gestion?state=SUBMITTED&sort=number"))
    assert "File des demandes transmises" in html and "102611000000001" in html and "ACME SAS" in html
    assert [a[1] for _, m, a in services.calls if m == "staff_queue"][-1] == {"state": "SUBMITTED", "sort": "number"}
    assert 'aria-sort="ascending"' in html and "Menu du service de gestion" in html
    # BO-9: the exports of what is shown, every page of it.
    assert '<a href="/api/backoffice/demandes/export?format=xlsx&amp;state=SUBMITTED&amp;sort=number" download>' in html
    assert '<a href="/api/backoffice/demandes/export?format=csv&amp;state=SUBMITTED&amp;sort=number" download>' in html
    html = _checked(client.get("/gestion?page=2"))
    assert 'href="/api/backoffice/demandes/export?format=csv" download>' in html and "Télécharger la file" in html


def test_back_office_detail_reviews_decides_and_writes(client, services):
    client.set_cookie(SESSION_COOKIE, "token")
    services.answers["resolve_session"] = {"session_id": "s-1", "person": STAFF, "csrf_hash": "x"}
    html = _checked(client.get("/gestion/demandes/d-2"))
    assert 'data-api="/api/documents/doc-1/review" data-hook="review"' in html and "Non conforme : RIB illisible" in html
    assert "data-when-field=\"status\" data-when-equals='\"non_conforme\"'" in html
    for route in ("complement", "validate", "reject"):
        assert f'data-api="/api/backoffice/demandes/d-2/{route}"' in html, route
    assert "funds-received" not in html  # only the decisions the service lists
    assert 'data-confirm="popin-validate"' in html and 'data-confirm="popin-reject"' in html
    assert 'data-api="/api/backoffice/demandes/d-2/messages"' in html
    for subject in ("Demande en attente de compléments clients – 1ère relance", "Demande en attente de fonds – 2e relance",
                    "Saisie libre"):
        assert subject in html
    assert "data-when-field=\"subject_code\" data-when-equals='\"FREE\"'" in html
    assert 'name="attachments" type="checkbox" value="doc-1" data-array' in html  # MS-6
    assert '<a href="/api/documents/doc-1/content" download>rib.pdf<' in html  # the thread names its files


def test_clients_do_not_see_the_back_office(signed_in):
    reply = signed_in.get("/gestion")
    assert reply.status_code == 403 and "réservé aux gestionnaires" in reply.get_data(as_text=True)


def test_every_procedure_of_the_catalogue_renders_its_steps(signed_in, services):
    """Steps 1 and 2 generated from each real definition (every field type, required_when, documents)."""
    catalogue = pytest.importorskip("demandes_service.domain.catalogue")
    procedures = pytest.importorskip("demandes_service.procedures")
    for procedure in catalogue.all_procedures():
        definition = procedures.get(procedure.code)  # as the RPC answers it (countries listed)
        services.answers["procedure"] = definition
        services.answers["detail"] = {**DEMANDE, "procedure_code": procedure.code, "step": 2}
        html = _checked(signed_in.get("/demandes/d-1/etape/1"))
        for field in definition["fields"]:
            assert f'name="{field["name"]}"' in html, (procedure.code, field["name"])
            assert f'data-error-for="{field["name"]}"' in html, (procedure.code, field["name"])
            if field["type"] == "country":
                assert '<option value="DE">Allemagne</option>' in html, (procedure.code, field["name"])
        html = _checked(signed_in.get("/demandes/d-1/etape/2"))
        for doc in definition["documents"]["required"]:
            assert f'data-kind="{doc["kind"]}"' in html, (procedure.code, doc["kind"])


def test_administrators_filter_by_owner_and_consultation_only_reads(signed_in, services):
    html = _checked(signed_in.get("/suivi?owner_person_id=p-2"))
    assert '<option value="p-2" selected>Chloé Martin</option>' in html
    assert [a[1] for _, m, a in services.calls if m == "board"][-1] == {"tab": "DRAFTS", "owner_person_id": "p-2"}
    services.answers["my_profile"] = {**ME, "profile": "CONSULTATION"}
    services.answers["board"] = {**BOARD, "owners": [], "items": [{**BOARD["items"][0], "actions": ["detail", "summary"]}]}
    html = _checked(signed_in.get("/suivi"))
    assert "Créer une demande" not in html and 'id="filtre-owner-person-id"' not in html
    assert "Détail<span" in html and "Dupliquer<span" not in html and "Supprimer<span" not in html


def test_pages_of_requests_need_only_the_session_and_the_demandes_service(signed_in, services):
    """Issue 15: with the membership identity resolved in the session, « Mon suivi », a new request,
    the wizard and the detail ask neither accounts (names, profile, owners come from the session and
    demandes' read models) nor, for the detail, documents."""
    membership = {"account_id": "acc-1", "account_kind": "ENTREPRISE", "profile": "ADMINISTRATEUR",
                  "can_submit": True, "account_status": "active", "company_name": "ACME SAS"}
    services.answers["resolve_session"] = {"session_id": "s-1", "csrf_hash": "x",
                                           "person": {**PERSON, "membership": membership}}
    services.calls.clear()
    html = _checked(signed_in.get("/suivi?owner_person_id=p-2"))
    assert '<option value="p-2" selected>Chloé Martin</option>' in html
    _checked(signed_in.get("/demandes/nouvelle?procedure=SAISIE_IMMO_D"))
    _checked(signed_in.get("/demandes/d-1/etape/1"))
    _checked(signed_in.get("/demandes/d-2"))
    asked = {service for service, _, _ in services.calls}
    assert asked <= {"identity", "demandes"}, sorted(services.calls)


# --- « Télécharger mon justificatif » of the NO-10 e-mail (issue 19) ----------------------------

def test_the_proof_link_of_the_email_streams_that_requests_proof(signed_in, services):
    from .test_documents_api import FakeDocuments

    documents = signed_in.application.extensions["documents_client"] = FakeDocuments()
    services.answers["proof_download"] = {"document": {"id": "proof-1", "kind": "PAYMENT_PROOF"},
                                          "grant": "grant-demandes-d-2-read-proof-1"}
    reply = signed_in.get("/demandes/d-2/justificatif")
    assert reply.status_code == 200 and reply.data == b"%PDF-1.7 bytes"
    assert reply.headers["Content-Type"] == "application/pdf"
    assert [(m, a) for _, m, a in services.calls if m != "resolve_session"] == [("proof_download", (PERSON, "d-2"))]
    assert documents.downloads == [("proof-1", PERSON, "grant-demandes-d-2-read-proof-1")]


def test_the_proof_link_without_a_session_logs_in_then_comes_back(client, services):
    reply = client.get("/demandes/d-2/justificatif")
    assert reply.status_code == 302
    assert reply.location == "/connexion?suite=/demandes/d-2/justificatif"
    assert [m for _, m, _ in services.calls] == []


def test_a_refused_proof_link_is_a_page_of_the_portal(signed_in, services):
    services.answers["proof_download"] = Conflict("Le justificatif de paiement est disponible une fois la demande validée.")
    reply = signed_in.get("/demandes/d-2/justificatif")
    assert reply.status_code == 409 and reply.mimetype == "text/html"
    assert "Le justificatif de paiement est disponible une fois la demande validée." in reply.get_data(as_text=True)
    signed_in.application.extensions["rpc"].answers["resolve_session"] = {
        "session_id": "s-1", "person": STAFF, "csrf_hash": "x"}
    reply = signed_in.get("/demandes/d-2/justificatif")
    assert reply.status_code == 403 and "service de gestion" in reply.get_data(as_text=True)


# --- phone numbers shown as people write them (issue 19) ----------------------------------------

def test_phone_numbers_are_shown_in_the_french_format_they_were_typed_in(signed_in, services):
    """Typed « 01 42 33 44 55 », stored +33142334455 (E.164): the forms show them back in the
    national format, and post that (the services read it as before)."""
    services.answers["my_profile"] = {**ME, "landline": "+33142334455", "mobile": "+33612345678"}
    html = _checked(signed_in.get("/mon-compte"))
    assert 'value="01 42 33 44 55"' in html and 'value="06 12 34 56 78"' in html
    assert "+33142334455" not in html and "+33612345678" not in html
    services.answers["fiche"] = {**services.answers["fiche"], "phone": "+33142334455"}
    assert 'value="01 42 33 44 55"' in _checked(signed_in.get("/fiche-client"))
    services.answers["list_members"] = [ME, {**MEMBERS[1], "landline": "+33142334455"}]  # a colleague's form
    html = _checked(signed_in.get("/utilisateurs"))
    assert 'value="01 42 33 44 55"' in html and 'value="06 12 34 56 78"' in html
    assert "+33142334455" not in html and "+33612345678" not in html
    services.answers["wizard_state"] = {**WIZARD, "wizard_step": 2}
    html = _checked(signed_in.get("/creation-compte/informations"))
    assert 'value="06 12 34 56 78"' in html and "+33612345678" not in html


def test_after_a_review_the_detail_waits_until_demandes_shows_it(client, services, monkeypatch):
    """The documents service saves a review; demandes learns it from its event a moment later:
    the page asked with « vu » (portal.js, after the gestionnaire's own review) asks demandes
    again until the review is there, instead of showing the document « à contrôler »."""
    from gateway_service.pages import gestion

    monkeypatch.setattr(gestion, "REVIEW_ASKED_EVERY", 0)
    client.set_cookie(SESSION_COOKIE, "token")
    services.answers["resolve_session"] = {"session_id": "s-1", "person": STAFF, "csrf_hash": "x"}
    reviewed = {**RIB, "review": {"status": "non_conforme", "reason": "RIB coupé",
                                  "reviewed_at": "2026-12-07T12:00:00+00:00", "reviewed_by": "g-1"}}
    stale = services.answers["staff_detail"]
    answers = iter([stale, stale, {**stale, "documents": [reviewed]}])
    calls = []

    def staff_detail(*args):
        calls.append(args)
        return next(answers)

    monkeypatch.setattr(gestion.demandes, "staff_detail", staff_detail)
    html = _checked(client.get("/gestion/demandes/d-2?vu=doc-1~2026-12-07T12:00:00%2B00:00"))
    assert "Non conforme : RIB coupé" in html and len(calls) == 3

    calls.clear()
    answers = iter([stale])
    _checked(client.get("/gestion/demandes/d-2"))  # without « vu »: asked once
    assert len(calls) == 1


def test_a_review_demandes_does_not_show_in_time_leaves_the_page_as_it_is(client, services, monkeypatch):
    from gateway_service.pages import gestion

    class Clock:  # the page's time: it moves only when the page sleeps
        now = 0.0

        def monotonic(self):
            return self.now

        def sleep(self, seconds):
            self.now += seconds

    monkeypatch.setattr(gestion, "time", Clock())
    client.set_cookie(SESSION_COOKIE, "token")
    services.answers["resolve_session"] = {"session_id": "s-1", "person": STAFF, "csrf_hash": "x"}
    html = _checked(client.get("/gestion/demandes/d-2?vu=doc-1~2026-12-07T12:00:00%2B00:00"))
    assert "Non conforme : RIB illisible" in html  # what demandes knows, after the bounded wait
    asked = [m for _, m, _ in services.calls if m == "staff_detail"]
    assert len(asked) == 1 + round(gestion.REVIEW_SHOWN_WITHIN / gestion.REVIEW_ASKED_EVERY)  # 2 s, every 100 ms
    assert gestion.just_reviewed("doc-1") is None and gestion.just_reviewed("~x") is None
    assert gestion.just_reviewed("doc-1~2026-12-07T12:00:00+00:00") == ("doc-1", "2026-12-07T12:00:00+00:00")
