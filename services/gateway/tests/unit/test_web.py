"""Gateway request plumbing without a broker: GW-3 errors, correlation id, security headers,
and the OpenAPI document covering every route (GW-2)."""
import html as html_lib

import pytest
import yaml

from consignations_shared.errors import Conflict, ServiceUnavailable, TooManyRequests, ValidationFailed
from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings


class RecordingRpc:
    """Stands in for the RPC pool: records calls, answers or raises what the test says."""

    def __init__(self):
        self.calls = []
        self.answer = None

    def call(self, service, method, *args, correlation_id=None, **kwargs):
        self.calls.append((service, method, args, correlation_id))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


@pytest.fixture
def rpc():
    return RecordingRpc()


@pytest.fixture
def client(rpc):
    app = create_app(GatewaySettings.from_env({}), configure_logs=False)
    app.extensions["rpc"] = rpc
    return app.test_client()


def test_domain_error_becomes_gw3_json(client, rpc):
    rpc.answer = ValidationFailed(None, {"email": "Adresse courriel invalide."})
    reply = client.post("/api/signup/entreprise", json={"email": "x"})
    assert reply.status_code == 422
    assert reply.get_json() == {"error": {
        "code": "validation_failed", "message": "Un champ est invalide.",
        "fields": {"email": "Adresse courriel invalide."}}}


@pytest.mark.parametrize("error,message", [
    (ValidationFailed("Le code confidentiel est incorrect.", {"code": "Le code confidentiel est incorrect."}),
     "Un champ est invalide."),
    (ValidationFailed(None, {"email": "Adresse courriel invalide.", "mobile": "Numéro invalide.", "cgu": "Requis."}),
     "3 champs sont invalides."),
    (ValidationFailed("Veuillez saisir votre adresse courriel et votre mot de passe.", {"email": "Obligatoire."}),
     "Veuillez saisir votre adresse courriel et votre mot de passe."),  # a summary of its own is kept
    (ValidationFailed("Le corps de la requête est trop imbriqué."), "Le corps de la requête est trop imbriqué."),
    (Conflict("Un compte client ne peut pas avoir plus de 2 administrateurs.",
              {"profile": "Un compte client ne peut pas avoir plus de 2 administrateurs."}),
     "Un compte client ne peut pas avoir plus de 2 administrateurs."),  # not a validation error
])
def test_message_summarises_when_fields_carry_the_detail(client, rpc, error, message):
    """Issue 18: a single-field error no longer repeats the field's sentence in `message`."""
    rpc.answer = error
    reply = client.post("/api/signup/entreprise", json={"email": "x"})
    assert reply.get_json()["error"] == {"code": error.code, "message": message, "fields": error.fields}


def test_every_429_says_when_to_come_back(client, rpc):
    """Issue 18, finding 6: a French 429 with Retry-After, the seconds the service computed
    (they cross RPC as the error's 4th argument), or a minute when it did not say."""
    from nameko.exceptions import deserialize, serialize

    rpc.answer = deserialize(serialize(TooManyRequests("Trop d'images de sécurité.", retry_after=42.2)))
    reply = client.post("/api/captcha")
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "43"
    assert reply.get_json()["error"]["message"] == "Trop d'images de sécurité."
    rpc.answer = deserialize(serialize(TooManyRequests("Trop.")))
    assert client.post("/api/captcha").headers["Retry-After"] == "60"


class _Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_an_announced_oversized_body_is_refused_before_reading_it(client, rpc):
    """Issue 18, finding 7: a Content-Length of 1 GB is a 413 at once, nothing drained."""
    for path in ("/api/signup/sms-code", "/api/documents", "/api/nowhere"):
        reply = client.post(path, content_type="application/json", environ_overrides={
            "wsgi.input": _Unreadable(), "CONTENT_LENGTH": str(1024 ** 3)})
        assert reply.status_code == 413, path
        assert reply.get_json()["error"]["message"] == "Le fichier ou la requête est trop volumineux."
    assert rpc.calls == []


def test_only_known_fields_reach_the_service(client, rpc):
    rpc.answer = {"step": "sms_code"}
    client.post("/api/signup/entreprise", json={"email": "a@b.fr", "is_admin": True, "profile": "GESTIONNAIRE"})
    [(_, method, (form, ip), _)] = rpc.calls
    assert method == "start_company_signup"
    assert "is_admin" not in form and "profile" not in form
    assert ip == "127.0.0.1"  # the per-address SMS budget (issue 18)


def test_unavailable_service_is_a_french_503(client, rpc):
    rpc.answer = ServiceUnavailable()
    reply = client.post("/api/captcha")
    assert reply.status_code == 503
    assert reply.get_json()["error"]["message"].startswith("Le service est momentanément indisponible")


def test_unexpected_error_is_a_500_without_trace(client, rpc):
    rpc.answer = RuntimeError("secret internals")
    reply = client.post("/api/captcha")
    assert reply.status_code == 500
    assert "secret internals" not in reply.get_data(as_text=True)
    assert reply.get_json()["error"]["message"] == "Une erreur inattendue est survenue. Veuillez réessayer plus tard."


def test_correlation_id_is_kept_when_sane_and_replaced_otherwise(client, rpc):
    rpc.answer = {"captcha_id": "c", "image_png_base64": ""}
    reply = client.post("/api/captcha", headers={"X-Correlation-Id": "abc-12345678"})
    assert reply.headers["X-Correlation-Id"] == "abc-12345678"
    assert rpc.calls[-1][3] == "abc-12345678"
    forged = client.post("/api/captcha", headers={"X-Correlation-Id": "x\" injected=1"})
    assert forged.headers["X-Correlation-Id"] != "x\" injected=1"
    assert rpc.calls[-1][3] == forged.headers["X-Correlation-Id"]


def test_security_headers_on_every_response(client):
    for reply in (client.get("/health/live"), client.get("/api/nowhere")):
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]


@pytest.mark.parametrize("kwargs,status", [
    ({"data": "not json"}, 400), ({"json": ["a", "list"]}, 422),
    ({"data": "{broken", "content_type": "application/json"}, 400),
    ({"data": "[" * 100_000, "content_type": "application/json"}, 400),
])
def test_bodies_that_are_not_json_objects_are_refused_in_french(client, kwargs, status):
    """Issue 18: a body that is not JSON at all is a 400 (malformed_body); 422 is for JSON whose
    values are wrong (here: not an object)."""
    reply = client.post("/api/signup/sms-code", **kwargs)
    assert reply.status_code == status
    error = reply.get_json()["error"]
    assert "JSON" in error["message"] and set(error) == {"code", "message", "fields"}
    assert error["code"] == ("malformed_body" if status == 400 else "validation_failed")


def test_every_api_route_is_in_the_openapi_document(client):
    document = yaml.safe_load(client.get("/api/openapi.yaml").get_data(as_text=True))
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    app = client.application
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/health")):
            continue  # portal pages and static files are not the JSON API
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if path == "/":
                continue
            assert (path, method.lower()) in documented, f"{method} {path} missing from openapi.yaml"


@pytest.mark.parametrize("path,api", [("/activation?token=abc", "/api/activation"),
                                      ("/invitation?token=abc", "/api/invitation/accept"),
                                      ("/mot-de-passe/reinitialisation?token=abc", "/api/password/reset")])
def test_pages_of_the_e_mail_links_post_to_the_api(client, path, api):
    page = client.get(path)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert f'data-api="{api}"' in html and 'data-token="abc"' in html
    assert "<script>" not in html  # scripts come from /static (the CSP forbids inline ones)


def test_token_in_the_page_is_escaped(client):
    html = client.get('/activation?token="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)" not in html


def test_the_openapi_document_is_valid_openapi(client):
    """Every fragment merged, the document still validates against the OpenAPI 3 schema (GW-2):
    clients generated from it, and schemathesis, rely on that."""
    from openapi_spec_validator import validate

    validate(yaml.safe_load(client.get("/api/openapi.yaml").get_data(as_text=True)))


def test_the_root_opens_the_portal(client):
    reply = client.get("/")
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/connexion")


# --- pages answer pages, the API answers JSON (issue 19) ----------------------------------------

def _framed_page(reply, status):
    assert reply.status_code == status and reply.mimetype == "text/html"
    html = reply.get_data(as_text=True)
    assert '<header class="bandeau">' in html and "Espace Personnel Consignations" in html  # the header
    assert '<footer class="pied">' in html and "01 58 50 89 88" in html  # the footer
    assert reply.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    return html_lib.unescape(html)


@pytest.mark.parametrize("path", ["/nulle-part", "/demandes/d-1/etape/x", "/suivi/inconnu", "/static/absent.css",
                                  "/demandes/%00"])
def test_an_unknown_page_is_a_french_404_page_in_the_portals_frame(client, rpc, path):
    html = _framed_page(client.get(path), 404)
    assert "<title>Page introuvable – Espace Personnel Consignations</title>" in html
    assert "Cette page n'existe pas" in html and "Revenir à votre espace" in html
    assert rpc.calls == []  # no service asked to show it


@pytest.mark.parametrize("path", ["/api/nowhere", "/api", "/health/nowhere", "/api/demandes/%00"])
def test_the_api_keeps_its_json_404(client, path):
    reply = client.get(path)
    assert reply.status_code == 404 and reply.get_json()["error"] == {
        "code": "not_found", "message": "La ressource demandée est introuvable.", "fields": {}}


def test_an_unexpected_failure_of_a_page_is_a_500_page_in_the_portals_frame(client, rpc):
    rpc.answer = RuntimeError("secret internals")
    reply = client.get("/creer-mon-compte/entreprise")  # asks identity for a captcha, which fails
    html = _framed_page(reply, 500)
    assert "Une erreur inattendue est survenue" in html and "secret internals" not in html
    assert "Traceback" not in html


def test_a_method_a_page_does_not_take_is_a_page_too(client):
    html = _framed_page(client.post("/connexion"), 405)
    assert "Cette page ne peut pas être utilisée de cette façon." in html


def test_a_refusal_before_a_pages_view_is_a_page(client):
    """A query string with a NUL character is refused before any view: a page on a page address,
    GW-3 JSON on the API (tests/security)."""
    html = _framed_page(client.get("/connexion?suite=%00"), 422)
    assert "Le texte saisi contient des caractères non autorisés." in html


def test_the_error_page_failing_falls_back_to_json(client, monkeypatch):
    from gateway_service.pages import common

    def broken(*args, **kwargs):
        raise RuntimeError("template gone")

    monkeypatch.setattr(common, "error_page", broken)
    reply = client.get("/nulle-part")
    assert reply.status_code == 404 and reply.get_json()["error"]["code"] == "not_found"
