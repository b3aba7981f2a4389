"""Test and benchmark support (not used by the service): stub owner services implementing
`authorize_document` with a simple rule, a stub identity that resolves bearer tokens, people,
and a client of the internal HTTP API as the gateway calls it.

The rule: `acct-of-<person id>` (accounts) and `dem-of-<person id>` (demandes) belong to that
person, who may read and write; gestionnaires (is_staff) may read and review anything.
"""
import base64
import json

import requests

from consignations_shared.errors import Forbidden, Unauthenticated
from consignations_shared.rpc import rpc


def rule(prefix, owner_id, person, action):
    if person.get("is_staff") and action in ("read", "review"):
        return True
    if owner_id == f"{prefix}-of-{person['id']}" and action in ("read", "write"):
        return True
    raise Forbidden("Vous n'avez pas accès à ce document.")


class StubAccounts:
    """accounts' authorize_document, simplified: acct-of-<person id> is that person's account."""

    name = "accounts"

    @rpc
    def authorize_document(self, owner_id, person, action):
        return rule("acct", owner_id, person, action)


class StubDemandes:
    name = "demandes"

    @rpc
    def authorize_document(self, owner_id, person, action):
        return rule("dem", owner_id, person, action)


ALICE = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}
BOB = {"id": "bob", "email": "bob@example.com", "profile": "PARTICULIER", "is_staff": False}
AGENT = {"id": "agent", "email": "agent@caissedesdepots.fr", "profile": "GESTIONNAIRE", "is_staff": True}




PEOPLE = {person["id"]: person for person in (ALICE, BOB, AGENT)}


class StubIdentity:
    """identity.resolve_session for bearer tokens "token-<person id>" (gateway tests, benchmark)."""

    name = "identity"

    @rpc
    def resolve_session(self, token):
        person = PEOPLE.get(str(token).removeprefix("token-")) if str(token).startswith("token-") else None
        if person is None:
            raise Unauthenticated()
        return {"session_id": f"session-{person['id']}", "csrf_hash": "-", "person": person}


def encode(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


class Internal:
    """The documents service's internal HTTP API, as the gateway calls it."""

    def __init__(self, container):
        self.base = f"http://{container.config['WEB_SERVER_ADDRESS']}"
        self.token = (container.config["SERVICE_SETTINGS"].var_dir / "documents.token").read_text().strip()

    def headers(self, person, metadata=None, token=None):
        headers = {"X-Internal-Token": self.token if token is None else token,
                   "X-Correlation-Id": "corr-documents-1"}
        if person is not None:
            headers["X-Acting-Person"] = encode(person)
        if metadata is not None:
            headers["X-Document-Metadata"] = encode(metadata)
        return headers

    def upload(self, data, person=ALICE, token=None, **metadata):
        meta = {"owner_service": "accounts", "owner_id": f"acct-of-{person['id']}", "kind": "RIB",
                "file_name": "rib.pdf", **metadata}
        return requests.post(self.base + "/internal/documents", data=data, timeout=30,
                             headers=self.headers(person, meta, token))

    def content(self, document_id, person=ALICE, token=None):
        return requests.get(f"{self.base}/internal/documents/{document_id}/content", timeout=30,
                            headers=self.headers(person, token=token))
