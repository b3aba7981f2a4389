"""The role matrix (issue 10): every operation of the gateway's OpenAPI document × every role
(nobody, particulier, Administrateur, second Administrateur, Utilisateur, Utilisateur without the
right to submit, Consultation, gestionnaire), with path parameters naming another company's
resources (a draft with its document, a person, a gestionnaire's message).

The expectation comes from each operation's `x-access` in the document, so a new route cannot
escape: without `x-access`, or with a path parameter this file cannot fill, its cases fail.
- `public`: answered on the merits for everyone (never 401/403, never 5xx);
- `none`: 405 for everyone;
- a list of profiles: no session → 401; a session of another profile → 403; a listed client
  profile aiming at another company's resource → 404 (it does not exist for them); otherwise
  (a gestionnaire, or a route without a resource) on the merits.
"""
from __future__ import annotations

import re
import uuid

import pytest

from documents_service import samples
from security_helpers import PROFILE, ROLES, openapi_operations, operations as _operations

RESOURCES = ("demande_id", "document_id", "message_id", "person_id")
# Parameters that are not another company's resources.
FIXED_PARAMETERS = {"code": "SAISIE_IMMO_D", "captcha_id": str(uuid.uuid4()), "q": "7500", "token": "x" * 43,
                    "owner_service": "demandes"}
# Refusals that do not depend on the resource aimed at (so they tell nothing about it).
RESOURCE_BLIND = {
    ("post", "/api/demandes/{demande_id}/reassign", "particulier"): {409},  # a particulier has nobody to reassign to
}


def pytest_generate_tests(metafunc):
    if {"path", "method", "role"} <= set(metafunc.fixturenames):
        cases, ids = [], []
        for path, method, operation in _operations():
            for role in ROLES:
                cases.append((path, method, operation, role))
                ids.append(f"{method.upper()} {path} as {role}")
        metafunc.parametrize("path,method,operation,role", cases, ids=ids)


def test_the_served_document_is_the_one_the_matrix_covers(system):
    served = {(path, method) for path, method, _ in openapi_operations(system)}
    assert served == {(path, method) for path, method, _ in _operations()}


def _value(schema: dict, name: str, targets: dict):
    if name in FIXED_PARAMETERS:
        return FIXED_PARAMETERS[name]
    if name == "owner_id":
        return targets["demande_id"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    return {"boolean": True, "integer": schema.get("minimum", 1), "number": 1, "array": [], "object": {}}.get(
        kind, "x")


def _json_body(schema: dict, targets: dict) -> dict:
    body = {}
    for name, prop in (schema.get("properties") or {}).items():
        if name in (schema.get("required") or []):
            body[name] = _value(prop, name, targets)
    return body


def _request(path: str, method: str, operation: dict, targets: dict) -> tuple[str, dict]:
    url = path
    for name in re.findall(r"\{(\w+)\}", path):
        if name in RESOURCES:
            value = targets[name]
        elif name in FIXED_PARAMETERS:
            value = FIXED_PARAMETERS[name]
        else:
            pytest.fail(f"{method.upper()} {path}: no value for the path parameter {name!r}: add it to this file")
        url = url.replace("{" + name + "}", value)
    kwargs: dict = {"params": {}, "allow_redirects": False, "timeout": 30}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query" or not parameter.get("required"):
            continue
        kwargs["params"][parameter["name"]] = _value(parameter.get("schema", {}), parameter["name"], targets)
    content = (operation.get("requestBody") or {}).get("content", {})
    if "multipart/form-data" in content:
        schema = content["multipart/form-data"]["schema"]
        fields = {k: v for k, v in _json_body(schema, targets).items() if k != "file"}
        fields.update({"kind": "RIB"} if "kind" in fields else {})
        kwargs["data"] = fields
        kwargs["files"] = {"file": ("rib.png", samples.png(), "image/png")}
    elif "application/json" in content:
        schema = content["application/json"].get("schema", {})
        kwargs["json"] = _json_body(schema, targets)
    return url, kwargs


def _expected(path: str, method: str, operation: dict, role: str) -> set[int] | str:
    access = operation.get("x-access")
    assert access is not None, f"{method.upper()} {path} has no x-access in the OpenAPI document"
    if access == "none":
        return {405}
    if access == "public":
        return "merits"
    assert isinstance(access, list) and set(access) <= set(PROFILE.values()), access
    if role == "anonymous":
        return {401}
    if PROFILE[role] not in access:
        return {403}
    aims_at_a_resource = any("{" + name + "}" in path for name in RESOURCES) or any(
        p.get("name") == "owner_id" for p in operation.get("parameters", [])) or "owner_id" in str(
        operation.get("requestBody", ""))
    if role != "gestionnaire" and aims_at_a_resource:
        return {404} | RESOURCE_BLIND.get((method, path, role), set())
    return "merits"


def test_role_matrix(world, path, method, operation, role):
    expected = _expected(path, method, operation, role)
    url, kwargs = _request(path, method, operation, world.targets)
    browser = world.people[role]
    if path == "/api/logout" and role != "anonymous":
        # Logging out ends the session: a session of its own, so the role's stays for the next cases.
        from e2e_helpers import Browser

        browser = Browser(world.system, browser.email, browser.password)
    reply = browser.http.request(method.upper(), world.system.url(url), **kwargs)
    where = f"{method.upper()} {url} as {role}: {reply.status_code} {reply.text[:300]}"
    assert reply.status_code < 500, where
    if expected == "merits":
        # Answered on the merits: not refused for want of a session or of a profile (a public
        # route's own 401, the login's invalid_credentials, is an answer on the merits).
        code = reply.json()["error"]["code"] if reply.status_code in (401, 403) else None
        assert code not in ("unauthenticated", "forbidden", "csrf_failed"), where
    else:
        assert reply.status_code in expected, f"expected {sorted(expected)}; {where}"
    if reply.status_code >= 400 and reply.headers.get("Content-Type", "").startswith("application/json"):
        assert set(reply.json()["error"]) == {"code", "message", "fields"}, where
