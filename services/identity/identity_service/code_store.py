"""Confidential codes kept in the database, applying the pure rules of domain.codes.

Used by every flow that sends a code (sign-up SMS and e-mail now; reset, change and invitation
later): issue (superseding the previous code), resend throttling, and verification persisted
with a compare-and-set so two concurrent attempts never both use a code (NF-1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consignations_shared.errors import Gone, TooManyRequests, ValidationFailed

from .domain.codes import (
    CodePolicy, CodeRefusal, CodeState, codes_match, evaluate_attempt, evaluate_flow_attempts,
    evaluate_new_code, evaluate_resend, hash_code, issue_code, refusal_message,
)
from .models import ConfidentialCode


@dataclass
class CodeStore:
    session: Session
    secret_key: bytes
    now: Callable

    def _latest(self, purpose: str, subject_id: str) -> ConfidentialCode | None:
        return self.session.execute(
            select(ConfidentialCode)
            .where(ConfidentialCode.purpose == purpose, ConfidentialCode.subject_id == subject_id)
            .order_by(ConfidentialCode.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)  # the row as committed, not as cached
        ).scalar_one_or_none()

    def _matches_a_replaced_code(self, purpose: str, subject_id: str, submitted: str) -> bool:
        replaced = self.session.execute(
            select(ConfidentialCode.code_hash).where(
                ConfidentialCode.purpose == purpose, ConfidentialCode.subject_id == subject_id,
                ConfidentialCode.superseded.is_(True),
            )
        ).scalars()
        return any(codes_match(h, self.secret_key, purpose, subject_id, submitted) for h in replaced)

    def _flow(self, purpose: str, subject_id: str, policy: CodePolicy) -> list[tuple]:
        """(issued at, wrong attempts) of the flow's codes issued within its window."""
        return [tuple(row) for row in self.session.execute(
            select(ConfidentialCode.issued_at, ConfidentialCode.attempts).where(
                ConfidentialCode.purpose == purpose, ConfidentialCode.subject_id == subject_id,
                ConfidentialCode.issued_at > self.now() - policy.flow_window,
            )
        )]

    def check_resend_allowed(self, purpose: str, subject_id: str, policy: CodePolicy) -> None:
        """A new code may be sent: 30 s after the last one, and within the flow's number of codes."""
        latest = self._latest(purpose, subject_id)
        decision = evaluate_resend(latest.issued_at if latest else None, self.now(), policy=policy)
        if not decision.allowed:
            raise TooManyRequests(decision.message, retry_after=decision.retry_after.total_seconds())
        flow = evaluate_new_code([issued for issued, _ in self._flow(purpose, subject_id, policy)], self.now(),
                                 policy=policy)
        if not flow.allowed:
            raise TooManyRequests(flow.message, retry_after=flow.retry_after.total_seconds())

    def issue(self, purpose: str, subject_id: str, policy: CodePolicy, generate: Callable[[], str]) -> str:
        """A new code for (purpose, subject); the previous ones stop working."""
        now = self.now()
        self.session.execute(
            update(ConfidentialCode)
            .where(
                ConfidentialCode.purpose == purpose,
                ConfidentialCode.subject_id == subject_id,
                ConfidentialCode.used_at.is_(None),
                ConfidentialCode.superseded.is_(False),
            )
            .values(superseded=True)
        )
        code = generate()
        state = issue_code(now, policy=policy)
        self.session.add(ConfidentialCode(
            purpose=purpose, subject_id=subject_id,
            code_hash=hash_code(self.secret_key, purpose, subject_id, code),
            issued_at=state.issued_at, expires_at=state.expires_at, attempts=0, superseded=False,
        ))
        self.session.flush()
        return code

    def verify(self, purpose: str, subject_id: str, submitted: str, policy: CodePolicy) -> None:
        """Consume the code or raise; a counted wrong attempt is committed before raising.
        Wrong codes are also counted across the flow's codes: past its budget, even the right
        code is refused until the window frees guesses (a new code brings no new guesses)."""
        flow = evaluate_flow_attempts(self._flow(purpose, subject_id, policy), self.now(), policy=policy)
        if not flow.allowed:
            raise TooManyRequests(flow.message, {"code": flow.message},
                                  retry_after=flow.retry_after.total_seconds())
        row = self._latest(purpose, subject_id)
        state = CodeState.from_row(row) if row is not None else None
        matches = row is not None and codes_match(
            row.code_hash, self.secret_key, purpose, subject_id, submitted or ""
        )
        if row is not None and not matches and self._matches_a_replaced_code(purpose, subject_id, submitted or ""):
            # A real but older code: say so instead of counting it as a guess.
            message = refusal_message(CodeRefusal.SUPERSEDED)
            raise Gone(message, {"code": message})
        outcome = evaluate_attempt(state, matches, self.now(), policy=policy)
        if outcome.changed:
            result = self.session.execute(
                update(ConfidentialCode)
                .where(
                    ConfidentialCode.id == row.id,
                    ConfidentialCode.attempts == row.attempts,
                    ConfidentialCode.used_at.is_(None),
                )
                .values(attempts=outcome.state.attempts, used_at=outcome.state.used_at)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                # Another attempt on the same code was recorded first: this one does not count.
                self.session.rollback()
                raise Gone("Ce code confidentiel vient d'être utilisé. Demandez un nouveau code confidentiel.",
                           {"code": "Ce code confidentiel n'est plus valable."})
        if outcome.accepted:
            return
        self.session.commit()  # the counted attempt survives the refusal
        if outcome.reason is CodeRefusal.INCORRECT:
            raise ValidationFailed(outcome.message, {"code": outcome.message})
        raise Gone(outcome.message, {"code": outcome.message})
