"""Health/readiness of every process (GW-5) and a stopped service answered by a 503 (NF-2)."""
import requests


def test_gateway_and_every_service_report_ready(system):
    ready = requests.get(system.url("/health/ready"), timeout=10)
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert set(body["services"]) == {"identity", "accounts", "demandes", "documents", "notifier"}
    assert all(s["checks"] == {"database": "ok", "broker": "ok", **({"read_models": "ok"} if name in (
        "identity", "demandes") else {})} for name, s in body["services"].items())  # rebuilt from accounts
    for service in body["services"]:
        own = requests.get(system.service_url(service) + "/health/ready", timeout=5)
        assert own.status_code == 200 and own.json()["status"] == "ready"
        assert requests.get(system.service_url(service) + "/health/live", timeout=5).status_code == 200


def test_stopped_service_gives_a_french_503_then_recovers(system):
    system.stop("identity")
    try:
        # RPC_TIMEOUT is 3 s here; a hung worker would trip the client timeout instead.
        refused = requests.post(system.url("/api/captcha"), timeout=15)
        assert refused.status_code == 503
        assert refused.json()["error"] == {
            "code": "service_unavailable",
            "message": "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants.",
            "fields": {},
        }
        assert requests.get(system.url("/health/live"), timeout=5).status_code == 200
        not_ready = requests.get(system.url("/health/ready"), timeout=15)
        assert not_ready.status_code == 503
        assert not_ready.json()["services"]["identity"]["status"] == "unavailable"
    finally:
        system.start("identity")
    system.wait_ready()
    assert requests.post(system.url("/api/captcha"), timeout=15).status_code == 201
