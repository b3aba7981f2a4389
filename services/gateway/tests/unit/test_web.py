"""Gateway request plumbing without a broker: GW-3 errors, correlation id, security headers,
and the OpenAPI document covering every route (GW-2)."""
import pytest
import yaml

from consignations_shared.errors import ServiceUnavailable, ValidationFailed
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
        "code": "validation_failed", "message": "Certaines informations saisies sont invalides.",
        "fields": {"email": "Adresse courriel invalide."}}}


def test_only_known_fields_reach_the_service(client, rpc):
    rpc.answer = {"step": "sms_code"}
    client.post("/api/signup/entreprise", json={"email": "a@b.fr", "is_admin": True, "profile": "GESTIONNAIRE"})
    [(_, method, (form,), _)] = rpc.calls
    assert method == "start_company_signup"
    assert "is_admin" not in form and "profile" not in form


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


@pytest.mark.parametrize("kwargs", [{"data": "not json"}, {"json": ["a", "list"]},
                                    {"data": "{broken", "content_type": "application/json"}])
def test_bodies_that_are_not_json_objects_are_refused_in_french(client, kwargs):
    reply = client.post("/api/signup/sms-code", **kwargs)
    assert reply.status_code == 422
    assert "JSON" in reply.get_json()["error"]["message"]


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
