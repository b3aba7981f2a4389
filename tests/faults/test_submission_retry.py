"""What the fault run found in the submission (issue 10), replayed deterministically: a client's
first submission times out at the gateway (503) but commits in the demandes service a moment
later; the retry with the same Idempotency-Key, already past its first look-up of the key, finds
the request transmitted. It must get the first call's answer (same number), not a 409.

The demandes unit tier's fixtures (SQLite, accounts and documents faked) are imported from
services/demandes/tests/unit/conftest.py, not copied."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from consignations_shared.outbox import OutboxWriter
from demandes_service import drafts, submission
from demandes_service.context import DemandesContext

pytestmark = pytest.mark.faults

_path = Path(__file__).resolve().parents[2] / "services" / "demandes" / "tests" / "unit" / "conftest.py"
_spec = importlib.util.spec_from_file_location("demandes_unit_conftest", _path)
_unit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_unit)
engine, session, clock, accounts, documents, ctx = (
    _unit.engine, _unit.session, _unit.clock, _unit.accounts, _unit.documents, _unit.ctx)

SAISIE = {"company_name": "ACME SAS", "legal_form": "SAS", "account_holder": "ACME SAS",
          "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "BNPAFRPPXXX"}


def test_a_retry_that_meets_the_first_call_committing_gets_its_answer(ctx, engine, clock, accounts, documents,
                                                                      monkeypatch):
    alice = accounts.add("alice", "acme", "UTILISATEUR", first_name="Alice", last_name="Martin")
    draft = drafts.create_draft(ctx, alice, "SAISIE_IMMO_D")
    drafts.save_step(ctx, alice, draft["id"], SAISIE, True)
    documents.attach(draft["id"], "RIB")
    first = {}
    replay = submission._replay

    def first_call_commits_meanwhile(ctx_, who, key, request_id):
        answer = replay(ctx_, who, key, request_id)
        if not first:  # the retry has looked its key up (nothing yet): now the first call commits
            ctx_.session.commit()  # (SQLite: one transaction at a time in a process)
            monkeypatch.setattr(submission, "_replay", replay)
            with Session(engine, expire_on_commit=False) as other:
                first.update(submission.submit(DemandesContext(
                    session=other, outbox=OutboxWriter("demandes", clock=clock), clock=clock,
                    documents=documents), alice, request_id, key))
            monkeypatch.setattr(submission, "_replay", first_call_commits_meanwhile)
        return answer

    monkeypatch.setattr(submission, "_replay", first_call_commits_meanwhile)
    retried = submission.submit(ctx, alice, draft["id"], "key-1")
    assert first["state"] == "SUBMITTED"
    assert (retried["id"], retried["number"]) == (draft["id"], first["number"])
