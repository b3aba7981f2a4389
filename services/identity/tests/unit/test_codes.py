"""SPEC ID-3, ID-4 and NF-1: confidential codes (generation, hashing, expiry, attempts, resend)."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace as dataclasses_replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from types import SimpleNamespace

import pytest

from consignations_shared.clock import FrozenClock
from identity_service.domain import codes
from identity_service.domain.codes import (
    EMAIL_CODE_ALPHABET,
    SIGNUP_CODE_POLICY,
    CodePolicy,
    CodePurpose,
    CodeRefusal,
    CodeState,
    codes_match,
    evaluate_attempt,
    evaluate_resend,
    generate_email_code,
    generate_sms_code,
    hash_code,
    issue_code,
    refusal_message,
    supersede,
)

KEY = b"k" * 32
SIGNUP_ID = "0b6f4f4e-6a55-4a8e-9d59-6d3c8f0f7a10"

EXPIRED_MESSAGE = "Le code confidentiel a expiré. Demandez un nouveau code confidentiel."
TOO_MANY_MESSAGE = (
    "Trop d'essais erronés : ce code confidentiel n'est plus valable. "
    "Demandez un nouveau code confidentiel."
)
RESEND_MESSAGE = "Veuillez patienter 30 secondes avant de demander un nouveau code confidentiel."


@pytest.fixture
def clock():
    return FrozenClock(datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc))


# --- generation -------------------------------------------------------------------------------

def test_sms_code_is_six_digits():
    for _ in range(200):
        assert re.fullmatch(r"[0-9]{6}", generate_sms_code())


def test_sms_code_keeps_leading_zeros(monkeypatch):
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: 42)
    assert generate_sms_code() == "000042"


def test_email_code_alphabet_is_unambiguous():
    assert set("0O1IL").isdisjoint(EMAIL_CODE_ALPHABET)
    assert set(EMAIL_CODE_ALPHABET) == set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    assert len(set(EMAIL_CODE_ALPHABET)) == len(EMAIL_CODE_ALPHABET) == 31


def test_email_code_is_six_alphanumeric_characters():
    samples = {generate_email_code() for _ in range(300)}
    assert len(samples) > 290  # random, not constant
    for code in samples:
        assert len(code) == 6
        assert set(code) <= set(EMAIL_CODE_ALPHABET)
    assert any(c.isdigit() for code in samples for c in code)
    assert any(c.isalpha() for code in samples for c in code)


# --- hashing ----------------------------------------------------------------------------------

def test_hash_is_hex_sha256_and_deterministic():
    digest = hash_code(KEY, CodePurpose.SIGNUP_SMS, SIGNUP_ID, "123456")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hash_code(KEY, "signup_sms", SIGNUP_ID, "123456")
    assert "123456" not in digest


def test_hash_is_bound_to_key_purpose_subject_and_code():
    base = hash_code(KEY, "signup_sms", SIGNUP_ID, "123456")
    assert base != hash_code(b"other-key", "signup_sms", SIGNUP_ID, "123456")
    assert base != hash_code(KEY, "signup_email", SIGNUP_ID, "123456")
    assert base != hash_code(KEY, "signup_sms", "another-signup", "123456")
    assert base != hash_code(KEY, "signup_sms", SIGNUP_ID, "123457")
    # no ambiguity between the parts
    assert hash_code(KEY, "ab", "c", "D") != hash_code(KEY, "a", "bc", "D")


def test_email_codes_are_compared_case_and_space_insensitively():
    stored = hash_code(KEY, "signup_email", SIGNUP_ID, "K7MZ3Q")
    assert codes_match(stored, KEY, "signup_email", SIGNUP_ID, "k7mz3q")
    assert codes_match(stored, KEY, "signup_email", SIGNUP_ID, "  K7M Z3Q\n")
    assert not codes_match(stored, KEY, "signup_email", SIGNUP_ID, "K7MZ3R")


def test_codes_match_refuses_other_flow_subject_or_garbage():
    stored = hash_code(KEY, "signup_sms", SIGNUP_ID, "123456")
    assert codes_match(stored, KEY, "signup_sms", SIGNUP_ID, "123456")
    assert not codes_match(stored, KEY, "password_reset", SIGNUP_ID, "123456")
    assert not codes_match(stored, KEY, "signup_sms", "someone-else", "123456")
    assert not codes_match(stored, b"wrong-key", "signup_sms", SIGNUP_ID, "123456")
    assert not codes_match("", KEY, "signup_sms", SIGNUP_ID, "123456")
    assert not codes_match("é" * 64, KEY, "signup_sms", SIGNUP_ID, "123456")
    assert not codes_match(stored, KEY, "signup_sms", SIGNUP_ID, None)
    assert not codes_match(stored, KEY, "signup_sms", SIGNUP_ID, "12\x003456")


def test_hash_needs_a_key():
    with pytest.raises(ValueError):
        hash_code(b"", "signup_sms", SIGNUP_ID, "123456")
    with pytest.raises(ValueError):
        hash_code("text-key", "signup_sms", SIGNUP_ID, "123456")


# --- policy and state -------------------------------------------------------------------------

def test_signup_policy_matches_nf1():
    assert SIGNUP_CODE_POLICY == CodePolicy(
        validity=timedelta(minutes=10), max_attempts=5, resend_interval=timedelta(seconds=30)
    )
    assert codes.PASSWORD_CHANGE_CODE_POLICY.validity == timedelta(hours=48)
    assert codes.PASSWORD_RESET_CODE_POLICY.validity == timedelta(minutes=30)
    with pytest.raises(ValueError):
        CodePolicy(validity=timedelta(0))
    with pytest.raises(ValueError):
        CodePolicy(validity=timedelta(minutes=1), max_attempts=0)


def test_issue_code_sets_expiry(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    assert state == CodeState(issued_at=clock.now(), expires_at=clock.now() + timedelta(minutes=10))
    with pytest.raises(ValueError):
        issue_code(datetime(2026, 3, 2, 10, 0), policy=SIGNUP_CODE_POLICY)  # naive


def test_state_converts_from_row_and_mapping():
    naive = datetime(2026, 3, 2, 10, 0)
    row = SimpleNamespace(issued_at=naive, expires_at=naive + timedelta(minutes=10), attempts=2,
                          used_at=None, superseded=False, code_hash="x")
    state = CodeState.from_row(row)
    assert state.issued_at == datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    assert state.attempts == 2 and state.used_at is None and state.superseded is False
    assert CodeState.from_row(state.to_dict()) == state
    used = CodeState.from_row({**state.to_dict(), "used_at": naive, "superseded": 1})
    assert used.used_at == state.issued_at and used.superseded is True


# --- attempts ---------------------------------------------------------------------------------

def test_right_code_within_validity_is_accepted_once(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    clock.advance(minutes=3)
    outcome = evaluate_attempt(state, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert outcome.accepted and outcome.reason is None and outcome.changed
    assert outcome.state.used_at == clock.now()
    again = evaluate_attempt(outcome.state, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert not again.accepted
    assert again.reason is CodeRefusal.ALREADY_USED
    assert again.message == (
        "Ce code confidentiel a déjà été utilisé. Demandez un nouveau code confidentiel."
    )
    assert not again.changed


def test_expiry_at_exactly_ten_minutes(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    clock.advance(timedelta(minutes=10) - timedelta(microseconds=1))
    assert evaluate_attempt(state, True, clock.now(), policy=SIGNUP_CODE_POLICY).accepted
    clock.advance(microseconds=1)
    outcome = evaluate_attempt(state, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert not outcome.accepted
    assert outcome.reason is CodeRefusal.EXPIRED
    assert outcome.message == EXPIRED_MESSAGE
    assert not outcome.changed and outcome.state == state


def test_wrong_code_after_expiry_does_not_count_an_attempt(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    clock.advance(minutes=11)
    outcome = evaluate_attempt(state, False, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert outcome.reason is CodeRefusal.EXPIRED and outcome.state.attempts == 0


def test_wrong_codes_count_down_then_fifth_invalidates(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    for expected_remaining in (4, 3, 2, 1):
        outcome = evaluate_attempt(state, False, clock.now(), policy=SIGNUP_CODE_POLICY)
        assert not outcome.accepted and outcome.changed
        assert outcome.reason is CodeRefusal.INCORRECT
        assert outcome.remaining_attempts == expected_remaining
        noun = "essai" if expected_remaining == 1 else "essais"
        assert outcome.message == (
            f"Le code confidentiel est incorrect. Il vous reste {expected_remaining} {noun}."
        )
        state = outcome.state
    fifth = evaluate_attempt(state, False, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert fifth.reason is CodeRefusal.TOO_MANY_ATTEMPTS
    assert fifth.message == TOO_MANY_MESSAGE
    assert fifth.state.attempts == 5 and fifth.changed
    # sixth attempt: refused even with the right code, nothing changes
    sixth = evaluate_attempt(fifth.state, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert not sixth.accepted
    assert sixth.reason is CodeRefusal.TOO_MANY_ATTEMPTS
    assert sixth.message == TOO_MANY_MESSAGE
    assert not sixth.changed and sixth.state == fifth.state


def test_right_code_after_four_wrong_is_accepted(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    for _ in range(4):
        state = evaluate_attempt(state, False, clock.now(), policy=SIGNUP_CODE_POLICY).state
    assert state.attempts == 4
    assert evaluate_attempt(state, True, clock.now(), policy=SIGNUP_CODE_POLICY).accepted


def test_superseded_code_is_refused_even_when_right(clock):
    old = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    clock.advance(seconds=45)
    old = supersede(old)
    new = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    outcome = evaluate_attempt(old, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert not outcome.accepted and outcome.reason is CodeRefusal.SUPERSEDED
    assert "remplacé par un nouveau code" in outcome.message
    assert evaluate_attempt(new, True, clock.now(), policy=SIGNUP_CODE_POLICY).accepted


def test_no_code(clock):
    outcome = evaluate_attempt(None, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert not outcome.accepted and outcome.reason is CodeRefusal.NO_CODE
    assert outcome.state is None and outcome.message


def test_attempt_needs_aware_now(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    with pytest.raises(ValueError):
        evaluate_attempt(state, True, datetime(2026, 3, 2, 10, 1), policy=SIGNUP_CODE_POLICY)


def test_max_attempts_comes_from_the_policy(clock):
    policy = CodePolicy(validity=timedelta(minutes=10), max_attempts=2)
    state = issue_code(clock.now(), policy=policy)
    first = evaluate_attempt(state, False, clock.now(), policy=policy)
    assert first.reason is CodeRefusal.INCORRECT and first.remaining_attempts == 1
    second = evaluate_attempt(first.state, False, clock.now(), policy=policy)
    assert second.reason is CodeRefusal.TOO_MANY_ATTEMPTS


# --- resend -----------------------------------------------------------------------------------

def test_resend_within_30_seconds_is_refused(clock):
    issued = clock.now()
    assert evaluate_resend(None, clock.now(), policy=SIGNUP_CODE_POLICY).allowed
    clock.advance(seconds=29)
    decision = evaluate_resend(issued, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert not decision.allowed
    assert decision.reason is CodeRefusal.RESEND_TOO_SOON
    assert decision.message == RESEND_MESSAGE
    assert decision.retry_after == timedelta(seconds=1)
    clock.advance(seconds=1)
    assert evaluate_resend(issued, clock.now(), policy=SIGNUP_CODE_POLICY).allowed


def test_resend_accepts_naive_stored_time_as_utc(clock):
    naive_issue = clock.now().replace(tzinfo=None)
    clock.advance(seconds=10)
    assert not evaluate_resend(naive_issue, clock.now(), policy=SIGNUP_CODE_POLICY).allowed


# --- messages ---------------------------------------------------------------------------------

def test_every_refusal_has_a_distinct_french_message():
    messages = [refusal_message(reason, remaining_attempts=2) for reason in CodeRefusal]
    assert len(set(messages)) == len(CodeRefusal)
    assert all("code confidentiel" in message for message in messages)
    assert refusal_message(CodeRefusal.INCORRECT) == "Le code confidentiel est incorrect."


def test_sms_codes_cover_the_six_digit_range(monkeypatch):
    bounds = []
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: bounds.append(n) or n - 1)
    assert generate_sms_code() == "999999"
    assert bounds == [1_000_000]


def test_codes_are_upper_cased_not_lower_cased():
    assert codes.normalise_code(" ab c\t7 ") == "ABC7"
    with pytest.raises(TypeError):
        codes.normalise_code(None)


def test_refusals_keep_the_stored_state(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    used = dataclasses_replace(state, used_at=clock.now())
    outcome = evaluate_attempt(used, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert outcome.accepted is False and outcome.state == used and not outcome.changed
    superseded = supersede(state)
    outcome = evaluate_attempt(superseded, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert outcome.accepted is False and outcome.state == superseded
    assert evaluate_attempt(None, True, clock.now(), policy=SIGNUP_CODE_POLICY).remaining_attempts == 0


def test_remaining_attempts_follow_the_policy(clock):
    policy = CodePolicy(validity=timedelta(minutes=10), max_attempts=3, resend_interval=timedelta(seconds=1))
    outcome = evaluate_attempt(issue_code(clock.now(), policy=policy), False, clock.now(), policy=policy)
    assert outcome.remaining_attempts == 2 and outcome.state.attempts == 1
    refused = evaluate_resend(issue_code(clock.now(), policy=policy).issued_at, clock.now(), policy=policy)
    assert refused.allowed is False
    assert refused.message == "Veuillez patienter 1 seconde avant de demander un nouveau code confidentiel."
    assert refusal_message(CodeRefusal.RESEND_TOO_SOON, resend_interval=timedelta(seconds=2)) == \
        "Veuillez patienter 2 secondes avant de demander un nouveau code confidentiel."


def test_a_policy_needs_one_attempt_and_no_negative_resend_interval():
    CodePolicy(validity=timedelta(minutes=1), max_attempts=1, resend_interval=timedelta(0))
    with pytest.raises(ValueError):
        CodePolicy(validity=timedelta(minutes=1), max_attempts=0, resend_interval=timedelta(0))
    with pytest.raises(ValueError):
        CodePolicy(validity=timedelta(minutes=1), max_attempts=1, resend_interval=timedelta(seconds=-1))


def test_a_row_without_attempts_has_none_and_keeps_its_expiry(clock):
    row = {"issued_at": clock.now(), "expires_at": clock.now() + timedelta(minutes=10), "attempts": None,
           "used_at": None, "superseded": 0}
    state = CodeState.from_row(row)
    assert state.attempts == 0 and state.expires_at == clock.now() + timedelta(minutes=10)


def test_an_accepted_code_tells_the_attempts_that_were_left(clock):
    state = issue_code(clock.now(), policy=SIGNUP_CODE_POLICY)
    wrong = evaluate_attempt(state, False, clock.now(), policy=SIGNUP_CODE_POLICY)
    right = evaluate_attempt(wrong.state, True, clock.now(), policy=SIGNUP_CODE_POLICY)
    assert right.accepted is True and right.remaining_attempts == 4


def test_the_hash_is_the_hmac_of_the_versioned_nul_separated_parts():
    expected = hmac.new(KEY, b"consignations-code-v1\x00signup\x00" + SIGNUP_ID.encode() + b"\x00K7P2QX",
                        hashlib.sha256).hexdigest()
    assert hash_code(KEY, "signup", SIGNUP_ID, " k7p2 qx ") == expected
    with pytest.raises(ValueError):
        hash_code(KEY, "signup", "a\x00b", "K7P2QX")


def test_codes_match_refuses_a_stored_hash_that_is_not_text():
    assert codes_match(123, KEY, "signup", SIGNUP_ID, "K7P2QX") is False


def test_now_must_be_an_aware_datetime():
    class NoOffset(tzinfo):
        def utcoffset(self, dt):
            return None

    for now in (date(2026, 3, 2), datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 2, 10, 0, tzinfo=NoOffset())):
        with pytest.raises(ValueError):
            issue_code(now, policy=SIGNUP_CODE_POLICY)
