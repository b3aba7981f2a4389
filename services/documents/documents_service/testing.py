"""Test and benchmark support (not used by the service): stub owner services implementing
`document_grant` with a simple rule (signing grants with the shared key, as the real owners do),
a stub identity that resolves bearer tokens, people, and a client of the internal HTTP API as
the gateway calls it (asking the owners for grants first).

The rule: `acct-of-<person id>` (accounts) and `dem-of-<person id>` (demandes) belong to that
person, who may read and write; gestionnaires (is_staff) may read and review anything.
"""
import base64
import json

import requests

from consignations_shared import grants
from consignations_shared.errors import DomainError, Forbidden, Unauthenticated
from consignations_shared.grants import DocumentGrantKey
from consignations_shared.providers import ServiceClock
from consignations_shared.rpc import rpc


def rule(prefix, owner_id, person, action):
    if person.get("is_staff") and action in ("read", "review"):
        return True
    if owner_id == f"{prefix}-of-{person['id']}" and action in ("read", "write"):
        return True
    raise Forbidden("Vous n'avez pas accès à ce document.")


class _StubOwner:
    prefix = ""
    grant_key = DocumentGrantKey()
    clock = ServiceClock()

    @rpc
    def document_grant(self, person, owner_id, action, document_id=None):
        return grants.grant_for(self.grant_key, self.clock.now(), owner_service=self.name, owner_id=owner_id,
                                person=person, action=action, document_id=document_id,
                                rule=lambda: rule(self.prefix, owner_id, person, action))


class StubAccounts(_StubOwner):
    """accounts' document_grant, simplified: acct-of-<person id> is that person's account."""

    name = "accounts"
    prefix = "acct"


class StubDemandes(_StubOwner):
    name = "demandes"
    prefix = "dem"


def grant_for(rpc_proxy, person, action, *, document_id=None, owner=None):
    """What the gateway does before a documents call: the owner of the document (asked of the
    documents service), then that owner's grant; None when the owner refuses (the documents
    service then refuses the call itself)."""
    try:
        if owner is None:
            found = rpc_proxy.documents.document_owner(document_id)
            owner = (found["service"], found["id"])
        service, owner_id = owner
        return getattr(rpc_proxy, service).document_grant(person, owner_id, action, document_id)["grant"]
    except DomainError:
        return None


ALICE = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}
BOB = {"id": "bob", "email": "bob@example.com", "profile": "PARTICULIER", "is_staff": False}
AGENT = {"id": "agent", "email": "agent@caissedesdepots.fr", "profile": "GESTIONNAIRE", "is_staff": True}




PEOPLE = {person["id"]: person for person in (ALICE, BOB, AGENT)}


class StubIdentity:
    """identity.resolve_session for bearer tokens "token-<person id>" (gateway tests, benchmark)."""

    name = "identity"

    @rpc
    def resolve_session(self, session_token):
        token = str(session_token)
        person = PEOPLE.get(token.removeprefix("token-")) if token.startswith("token-") else None
        if person is None:
            raise Unauthenticated()
        return {"session_id": f"session-{person['id']}", "csrf_hash": "-", "person": person}


def encode(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


class Internal:
    """The documents service's internal HTTP API, as the gateway calls it: with the owner's
    grant (signed here with the shared key by the stub rule; none when the rule refuses)."""

    def __init__(self, container):
        settings = container.config["SERVICE_SETTINGS"]
        self.base = f"http://{container.config['WEB_SERVER_ADDRESS']}"
        self.token = (settings.var_dir / "documents.token").read_text().strip()
        self.grant_key = grants.grant_key(settings)

    def grant(self, owner_service, owner_id, person, action, document_id=None):
        from datetime import datetime, timezone

        prefix = "acct" if owner_service == "accounts" else "dem"
        try:
            rule(prefix, owner_id, person, action)
        except Forbidden:
            return None
        return grants.issue(self.grant_key, owner_service=owner_service, owner_id=owner_id, person_id=person["id"],
                            action=action, document_id=document_id, now=datetime.now(timezone.utc))

    def headers(self, person, metadata=None, token=None, grant=None):
        headers = {"X-Internal-Token": self.token if token is None else token,
                   "X-Correlation-Id": "corr-documents-1"}
        if person is not None:
            headers["X-Acting-Person"] = encode(person)
        if metadata is not None:
            headers["X-Document-Metadata"] = encode(metadata)
        if grant:
            headers["X-Document-Grant"] = grant
        return headers

    def upload(self, data, person=ALICE, token=None, **metadata):
        meta = {"owner_service": "accounts", "owner_id": f"acct-of-{person['id']}", "kind": "RIB",
                "file_name": "rib.pdf", **metadata}
        grant = self.grant(meta["owner_service"], meta["owner_id"], person, "write") if person else None
        return requests.post(self.base + "/internal/documents", data=data, timeout=30,
                             headers=self.headers(person, meta, token, grant))

    def content(self, document_id, person=ALICE, token=None, owner=("accounts", "acct-of-alice")):
        """`owner`: (service, id) of the document, whose grant is asked."""
        grant = self.grant(*owner, person, "read", document_id) if person is not None else None
        return requests.get(f"{self.base}/internal/documents/{document_id}/content", timeout=30,
                            headers=self.headers(person, token=token, grant=grant))
