"""Issue 18, findings 5 and 6: limits per client address (captchas, SMS-sending flows) counted in
the database, and per flow (codes sent, wrong codes across the codes of one sign-up), on SQLite
with a frozen clock (no sleeps)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from consignations_shared.errors import Gone, TooManyRequests, ValidationFailed
from consignations_shared.rate_limits import RateLimit, retry_after, spend
from consignations_shared.testing import outbox_bodies
from identity_service import signup
from identity_service.models import CaptchaChallenge, rate_counters
from identity_service.throttling import AddressLimits

PASSWORD = "Consign-2026!"


def _captcha(ctx, ip="198.51.100.7"):
    challenge = signup.new_captcha(ctx, ip)
    answer = ctx.session.get(CaptchaChallenge, challenge["captcha_id"]).answer
    return {"captcha_id": challenge["captcha_id"], "captcha_answer": answer}


def _form(ctx, mobile="06 12 34 56 78", ip="198.51.100.7"):
    return {"company_name": "ACME SAS", "email": "contact@acme.example.com", "mobile": mobile,
            "password": PASSWORD, "accept_cgu": True, **_captcha(ctx, ip)}


def test_captchas_are_limited_per_client_address_then_allowed_again(ctx, clock):
    ctx.limits = AddressLimits(captchas=RateLimit("captcha_per_address", 3, timedelta(minutes=10), "Trop."))
    for _ in range(3):
        signup.new_captcha(ctx, "198.51.100.7")
    with pytest.raises(TooManyRequests) as refused:
        signup.new_captcha(ctx, "198.51.100.7")
    assert refused.value.status == 429 and 1 <= refused.value.retry_after <= 600
    assert ctx.session.query(CaptchaChallenge).count() == 3  # the refused one made no row
    signup.new_captcha(ctx, "203.0.113.9")  # another address has its own budget
    clock.advance(seconds=refused.value.retry_after)
    signup.new_captcha(ctx, "198.51.100.7")


def test_the_default_captcha_limit_is_thirty_per_ten_minutes(ctx):
    for _ in range(30):
        signup.new_captcha(ctx, "198.51.100.7")
    with pytest.raises(TooManyRequests) as refused:
        signup.new_captcha(ctx, "198.51.100.7")
    assert "images de sécurité" in refused.value.message


def test_one_address_cannot_send_sign_up_sms_to_many_numbers(ctx, clock):
    ctx.limits = replace(ctx.limits, sms=RateLimit("sms_per_address", 2, timedelta(hours=1), "Trop de SMS."))
    started = [signup.start_company_signup(ctx, _form(ctx, f"06 12 34 56 7{n}"), "198.51.100.7") for n in range(2)]
    with pytest.raises(TooManyRequests) as refused:
        signup.start_company_signup(ctx, _form(ctx, "06 12 34 56 79"), "198.51.100.7")
    assert refused.value.message == "Trop de SMS." and refused.value.retry_after > 0
    clock.advance(seconds=31)
    with pytest.raises(TooManyRequests):  # a resend sends an SMS too
        signup.resend_sms_code(ctx, started[0]["signup_token"], "198.51.100.7")
    assert len(outbox_bodies(ctx.session, "notifier.send_signup_sms_code")) == 2
    clock.advance(hours=1)
    signup.resend_sms_code(ctx, started[0]["signup_token"], "198.51.100.7")


def test_the_counts_are_shared_by_every_worker_through_the_database(ctx, clock):
    """Two contexts on the same database (two replicas) spend the same budget."""
    rule = RateLimit("test", 2, timedelta(minutes=1), "Non.")
    spend(ctx.session, rate_counters, rule, "k", clock.now())
    ctx.session.commit()
    from sqlalchemy.orm import Session

    with Session(ctx.session.get_bind()) as other:
        spend(other, rate_counters, rule, "k", clock.now())
        other.commit()
        with pytest.raises(TooManyRequests):
            spend(other, rate_counters, rule, "k", clock.now())
        other.commit()  # the refused unit was given back even when the caller commits
    clock.advance(minutes=1)
    spend(ctx.session, rate_counters, rule, "k", clock.now())


def test_retry_after_counts_until_the_oldest_slot_leaves_the_window(clock):
    rule = RateLimit("test", 2, timedelta(minutes=6), "Non.")
    now = clock.now()
    slots = [(now - timedelta(minutes=5), 1), (now - timedelta(minutes=1), 1), (now, 1)]
    assert retry_after(slots, rule, now) == 60


def _started(ctx, ip=None):
    return signup.start_company_signup(ctx, _form(ctx, ip=ip or "198.51.100.7"), ip)["signup_token"]


def _last_sms(ctx):
    return outbox_bodies(ctx.session, "notifier.send_signup_sms_code")[-1]["payload"]["code"]


def test_a_sign_up_gets_at_most_five_new_codes(ctx, clock):
    token = _started(ctx)
    for _ in range(5):
        clock.advance(seconds=30)
        signup.resend_sms_code(ctx, token)
    clock.advance(seconds=30)
    with pytest.raises(TooManyRequests) as refused:
        signup.resend_sms_code(ctx, token)
    assert "nouveau code confidentiel" in refused.value.message
    assert len(outbox_bodies(ctx.session, "notifier.send_signup_sms_code")) == 6


def test_wrong_codes_are_counted_across_the_codes_of_one_sign_up(ctx, clock):
    token = _started(ctx)
    for _ in range(2):  # 2 codes × 5 wrong guesses: the flow's 10 guesses
        right = _last_sms(ctx)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for _ in range(5):
            with pytest.raises((ValidationFailed, Gone)):  # incorrect, then « trop d'essais »
                signup.verify_sms_code(ctx, token, wrong)
        clock.advance(seconds=30)
        signup.resend_sms_code(ctx, token)
    with pytest.raises(TooManyRequests) as refused:  # a fresh code, but no guess left
        signup.verify_sms_code(ctx, token, _last_sms(ctx))
    assert "essais erronés" in refused.value.message and refused.value.fields == {"code": refused.value.message}

    other = _started(ctx, "203.0.113.9")  # another sign-up of the same person has its own budget
    assert signup.verify_sms_code(ctx, other, _last_sms(ctx))["step"] == "email_code"
