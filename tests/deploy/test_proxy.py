"""The reverse proxy shipped in front of the gateway's gunicorn (issue 18, finding 7):
deploy/nginx/gateway.conf.template, used by docker-compose.yml and (as a copy) deploy/k8s. No
nginx needed: the file is parsed, and its values are checked against the gateway's own limits."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "gateway.conf.template"
K8S_COPY = ROOT / "deploy" / "k8s" / "gateway-proxy.conf.template"
UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
SECONDS = {"": 1, "s": 1, "m": 60}


def _blocks(text: str) -> dict[str, list[str]]:
    """Directives by context: 'http' (top level of a conf.d file), 'server', 'location <x>'."""
    contexts, stack = {"http": []}, ["http"]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            stack.append(name)
            contexts.setdefault(name, [])
        elif line == "}":
            stack.pop()
        else:
            contexts[stack[-1]].append(line.rstrip(";"))
    return contexts


def _directives(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.partition(" ")
        found.setdefault(name, []).append(value.strip())
    return found


@pytest.fixture(scope="module")
def config():
    contexts = _blocks(TEMPLATE.read_text(encoding="utf-8"))
    return {name: _directives(lines) for name, lines in contexts.items()}


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()
    return int(number) * UNITS[unit]


def _seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([sm]?)", value.lower()).groups()
    return int(number) * SECONDS[unit]


def test_kubernetes_uses_the_same_file():
    assert K8S_COPY.read_bytes() == TEMPLATE.read_bytes(), "deploy/k8s/gateway-proxy.conf.template differs"


def test_the_body_limit_is_the_gateways(config):
    from gateway_service.app import create_app
    from gateway_service.settings import GatewaySettings

    limit = create_app(GatewaySettings.from_env({}), configure_logs=False).config["MAX_CONTENT_LENGTH"]
    assert _size(config["server"]["client_max_body_size"][0]) == limit


def test_slow_clients_are_cut_off(config):
    server = config["server"]
    assert _seconds(server["client_header_timeout"][0]) <= 15
    assert _seconds(server["client_body_timeout"][0]) <= 30
    assert _seconds(server["send_timeout"][0]) <= 60
    assert _seconds(server["keepalive_timeout"][0]) <= 60
    assert server["reset_timedout_connection"] == ["on"]
    zone = config["http"]["limit_conn_zone"][0]
    assert zone.startswith("$binary_remote_addr ") and server["limit_conn"][0].startswith(zone.split("zone=")[1].split(":")[0])


def test_requests_and_answers_are_buffered(config):
    server = config["server"]
    assert server["proxy_request_buffering"] == ["on"] and server["proxy_buffering"] == ["on"]
    assert _size(server["client_body_buffer_size"][0]) >= 64 * 1024


def test_gunicorn_gets_the_client_address_and_time_to_answer(config):
    server = config["server"]
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in server["proxy_set_header"]
    assert "X-Forwarded-Proto $scheme" in server["proxy_set_header"]
    # Longer than the gateway's own deadlines (RPC 10 s, documents 60 s): their 503 reaches the client.
    assert _seconds(server["proxy_read_timeout"][0]) > 60


def test_it_forwards_to_the_gateway_and_hides_the_metrics(config):
    assert config["upstream gateway"]["server"] == ["${GATEWAY_UPSTREAM}"]
    assert config["server"]["listen"] == ["8080"]
    assert config["location /"]["proxy_pass"] == ["http://gateway"]
    assert config["location = /metrics"]["return"] == ["404"]
    assert config["server"]["server_tokens"] == ["off"]
