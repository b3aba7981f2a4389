"""The accounts service as demandes needs it now (issue 15): only `members_snapshot`, from which a
fresh demandes instance rebuilds its members read model before it says it is ready; the documents
service likewise (only `documents_snapshot`); and the acting people the gateway would send
(ActingPerson with the membership identity resolved)."""
from __future__ import annotations

import time

from consignations_shared.contracts.payloads.accounts import MemberChanged
from consignations_shared.rpc import rpc as rpc_entrypoint


def member(person_id, account_id, profile, revision, **extra) -> dict:
    return MemberChanged(**{
        "account_id": account_id, "person_id": person_id, "revision": revision, "account_kind": "ENTREPRISE",
        "account_status": "active", "company_name": "ACME SAS", "profile": profile, "status": "active",
        "can_submit": True, "email": f"{person_id}@example.com", **extra}).payload()


def stub_accounts(records: dict[str, dict]):
    class StubAccounts:
        name = "accounts"

        @rpc_entrypoint
        def members_snapshot(self, after_revision=0, limit=500):
            items = sorted((r for r in records.values() if r["revision"] > after_revision),
                           key=lambda r: r["revision"])[:limit]
            return {"items": items, "next_after_revision": items[-1]["revision"] if items else after_revision}

    return StubAccounts


def acting(record: dict, profile: str = "ENTREPRISE", **extra) -> dict:
    """The acting person of a member record, as resolve_session answers it."""
    membership = None if record["status"] == "deleted" else {
        "account_id": record["account_id"], "account_kind": record["account_kind"], "profile": record["profile"],
        "can_submit": record["can_submit"], "account_status": record["account_status"]}
    return {"id": record["person_id"], "email": record["email"], "profile": profile, "is_staff": False,
            "membership": membership, **extra}


def wait_until_ready(rpc, timeout: float = 30.0) -> dict:
    """Poll demandes' readiness (bounded): ready once its read model is rebuilt."""
    deadline = time.monotonic() + timeout
    report = rpc.demandes.ping()
    while report["status"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.1)
        report = rpc.demandes.ping()
    return report


def stub_documents(states: list[dict] = ()):
    """The documents service as a fresh demandes needs it: `documents_snapshot` of `states` (one
    page, then an empty one); the pages asked are recorded in `pages`."""
    class StubDocuments:
        name = "documents"
        pages: list = []

        @rpc_entrypoint
        def documents_snapshot(self, owner_service, after=None, limit=500):
            StubDocuments.pages.append(after)
            if after is None and states:
                return {"documents": list(states), "next": states[-1]["id"]}
            return {"documents": [], "next": None}

    return StubDocuments
