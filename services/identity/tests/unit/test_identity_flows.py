"""Particulier sign-up and activation (ID-5), login, lock-out and sessions (ID-6, ID-11, NF-1),
expiry (ID-7), forgotten and changed passwords (ID-8, ID-9), invitations (ID-10, BO-4)."""
import json

import argon2
import pytest
from sqlalchemy import select

from consignations_shared.errors import Conflict, Forbidden, Gone, TooManyRequests, Unauthenticated, ValidationFailed
from identity_service import access, audit, invitations, login, particulier, password_flows, sessions
from identity_service.domain.passwords import PasswordHasher
from identity_service.models import CaptchaChallenge, Person
from identity_service.signup import new_captcha

PASSWORD = "Consign-2026!"
NEW_PASSWORD = "Nouveau-Mdp-42"


def captcha(ctx):
    challenge = new_captcha(ctx)
    return {"captcha_id": challenge["captcha_id"],
            "captcha_answer": ctx.session.get(CaptchaChallenge, challenge["captcha_id"]).answer}


def particulier_form(ctx, **overrides):
    return {"last_name": "Dupont", "first_name": "Élodie", "mobile": "06 12 34 56 78",
            "email": "elodie.dupont@example.com", "password": PASSWORD, "accept_cgu": True,
            "accept_conditions_particulieres": True, **captcha(ctx), **overrides}


def activated_person(ctx, sent, email="elodie.dupont@example.com"):
    particulier.start_particulier_signup(ctx, particulier_form(ctx, email=email))
    token = sent("notifier.send_activation_link")[-1]["payload"]["link_token"]
    particulier.activate(ctx, token)
    return ctx.session.execute(select(Person).where(Person.email == email)).scalar_one()


# --- ID-5 ------------------------------------------------------------------------------------

def test_particulier_signup_sends_an_activation_link_and_activation_publishes(ctx, sent):
    answer = particulier.start_particulier_signup(ctx, particulier_form(ctx))
    assert answer["status"] == "activation_link_sent"
    [command] = sent("notifier.send_activation_link")
    payload = command["payload"]
    assert payload["email"] == "elodie.dupont@example.com" and payload["validity_minutes"] == 30
    assert payload["first_name"] == "Élodie"
    with pytest.raises(Forbidden) as refused:
        login.login(ctx, "elodie.dupont@example.com", PASSWORD)
    assert refused.value.code == "account_not_activated"
    assert particulier.activate(ctx, payload["link_token"])["message"] == "Votre compte est validé."
    [event] = sent("identity.account_activated")
    assert event["payload"]["profile"] == "PARTICULIER"
    assert payload["link_token"] not in json.dumps(event)
    assert login.login(ctx, "Elodie.Dupont@example.com", PASSWORD)["person"]["profile"] == "PARTICULIER"


def test_conditions_particulieres_refused_blocks_creation(ctx, sent):
    with pytest.raises(ValidationFailed) as refused:
        particulier.start_particulier_signup(ctx, particulier_form(ctx, accept_conditions_particulieres=False,
                                                                    first_name="J3an"))
    assert set(refused.value.fields) == {"accept_conditions_particulieres", "first_name"}
    assert sent("notifier.send_activation_link") == []
    assert ctx.session.execute(select(Person)).first() is None


def test_activation_link_expires_after_thirty_minutes_and_can_be_renewed(ctx, sent, clock):
    particulier.start_particulier_signup(ctx, particulier_form(ctx))
    first = sent("notifier.send_activation_link")[-1]["payload"]["link_token"]
    clock.advance(minutes=30)
    with pytest.raises(Gone):
        particulier.activate(ctx, first)
    particulier.resend_activation_link(ctx, token=first)  # « Recevez un nouveau lien »
    second = sent("notifier.send_activation_link")[-1]["payload"]["link_token"]
    assert second != first
    particulier.activate(ctx, second)
    with pytest.raises(Gone):  # single use
        particulier.activate(ctx, second)


def test_new_link_replaces_the_old_one_and_is_throttled(ctx, sent, clock):
    particulier.start_particulier_signup(ctx, particulier_form(ctx))
    first = sent("notifier.send_activation_link")[-1]["payload"]["link_token"]
    particulier.resend_activation_link(ctx, email="elodie.dupont@example.com")
    assert len(sent("notifier.send_activation_link")) == 1  # within 30 s: nothing more sent
    clock.advance(seconds=30)
    answer = particulier.resend_activation_link(ctx, email="ELODIE.dupont@example.com")
    assert answer == particulier.resend_activation_link(ctx, email="inconnu@example.com")
    assert len(sent("notifier.send_activation_link")) == 2
    with pytest.raises(Gone):
        particulier.activate(ctx, first)


def test_signup_with_a_taken_address_answers_the_same_and_warns_the_owner(ctx, sent):
    activated_person(ctx, sent)
    answer = particulier.start_particulier_signup(ctx, particulier_form(ctx, password="Autre-Mdp-99"))
    assert answer == particulier.SIGNUP_ANSWER
    assert len(sent("notifier.send_activation_link")) == 1
    [notice] = sent("notifier.send_signup_already_registered")
    assert notice["payload"]["email"] == "elodie.dupont@example.com"


# --- ID-6, NF-1 ------------------------------------------------------------------------------

def test_wrong_password_and_unknown_address_get_the_same_answer(ctx, sent):
    activated_person(ctx, sent)
    answers = []
    for email, password in (("elodie.dupont@example.com", "Mauvais-1"), ("personne@example.com", PASSWORD)):
        with pytest.raises(Unauthenticated) as refused:
            login.login(ctx, email, password)
        answers.append((refused.value.status, refused.value.to_dict()))
    assert answers[0] == answers[1]
    assert answers[0][1]["message"] == "Adresse courriel ou mot de passe incorrect."


def test_ten_failures_lock_even_the_right_password_then_unlock_after_the_delay(ctx, sent, clock):
    activated_person(ctx, sent)
    for n in range(10):
        with pytest.raises(Unauthenticated):
            login.login(ctx, "ELODIE.DUPONT@example.com" if n % 2 else "elodie.dupont@example.com", "Mauvais-1")
    [locked] = sent("identity.login_locked")
    assert locked["payload"]["lock_level"] == 1
    with pytest.raises(Unauthenticated) as refused:
        login.login(ctx, "elodie.dupont@example.com", PASSWORD)
    assert refused.value.message == "Adresse courriel ou mot de passe incorrect."
    clock.advance(minutes=1)
    assert login.login(ctx, "elodie.dupont@example.com", PASSWORD)["person"]["email"] == "elodie.dupont@example.com"
    assert login.lock_state(ctx, "elodie.dupont@example.com")["failures"] == 0  # success resets


def test_unknown_addresses_are_locked_the_same_way(ctx, sent):
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            login.login(ctx, "personne@example.com", "Mauvais-1")
    assert login.lock_state(ctx, "personne@example.com")["locked_until"] is not None
    assert sent("identity.login_locked") == []  # no event for an address without account


def test_per_ip_throttling(ctx, sent):
    activated_person(ctx, sent)
    for _ in range(100):
        with pytest.raises(Unauthenticated):
            login.login(ctx, f"x{_}@example.com", "Mauvais-1", ip="203.0.113.9")
    with pytest.raises(TooManyRequests):
        login.login(ctx, "elodie.dupont@example.com", PASSWORD, ip="203.0.113.9")
    assert login.login(ctx, "elodie.dupont@example.com", PASSWORD, ip="198.51.100.1")


def test_every_login_path_runs_exactly_one_argon2_verification(ctx, sent):
    """NF-1 / issue 21, the mechanism behind « an unknown address takes as long as a wrong
    password »: every failing path (and the success) hands exactly one argon2id verification to
    the hasher's offload, against a hash made with the same parameters — the dummy hash for
    addresses without an account. Counted at the argon2 call itself, not timed."""
    verified = []

    def counting_offload(fn, *args):
        if getattr(fn, "__name__", "") == "verify":
            verified.append(argon2.extract_parameters(args[0]))
        return fn(*args)

    ctx.hasher = PasswordHasher(time_cost=1, memory_cost=1024, offload=counting_offload)
    activated_person(ctx, sent)
    deleted = activated_person(ctx, sent, email="partie@example.com")
    deleted.status = "deleted"
    ctx.session.commit()
    for email, password in (("elodie.dupont@example.com", PASSWORD), ("elodie.dupont@example.com", "Mauvais-1"),
                            ("personne@example.com", "Mauvais-1"), ("personne@example.com", "x" * 5000),
                            ("partie@example.com", PASSWORD), ("p" * 300 + "@example.com", "Mauvais-1")):
        verified.clear()
        try:
            login.login(ctx, email, password)
        except Unauthenticated:
            pass
        assert verified == [ctx.hasher.parameters], (email[:20], password[:10], verified)


def test_weaker_hash_is_upgraded_at_login(ctx, sent):
    person = activated_person(ctx, sent)
    person.password_hash = PasswordHasher(time_cost=1, memory_cost=512).hash(PASSWORD)
    ctx.session.commit()
    assert ctx.hasher.needs_rehash(person.password_hash)
    login.login(ctx, person.email, PASSWORD)
    assert not ctx.hasher.needs_rehash(person.password_hash)
    assert ctx.hasher.verify(person.password_hash, PASSWORD)


def test_password_of_128_characters_works_and_unicode_is_not_truncated(ctx, sent):
    long_password = "Aa1-" + "é" * 124
    assert len(long_password) == 128
    particulier.start_particulier_signup(ctx, particulier_form(ctx, password=long_password))
    particulier.activate(ctx, sent("notifier.send_activation_link")[-1]["payload"]["link_token"])
    assert login.login(ctx, "elodie.dupont@example.com", long_password)
    with pytest.raises(Unauthenticated):
        login.login(ctx, "elodie.dupont@example.com", long_password[:-1])
    with pytest.raises(ValidationFailed) as refused:
        particulier.start_particulier_signup(ctx, particulier_form(ctx, email="autre@example.com",
                                                                    password=long_password + "x"))
    assert "128" in refused.value.fields["password"]


# --- ID-11 sessions --------------------------------------------------------------------------

def test_sessions_are_new_at_each_login_hashed_and_revoked_by_logout(ctx, sent):
    activated_person(ctx, sent)
    first = login.login(ctx, "elodie.dupont@example.com", PASSWORD)
    second = login.login(ctx, "elodie.dupont@example.com", PASSWORD)
    assert first["session_token"] != second["session_token"] and len(first["session_token"]) >= 43
    stored = ctx.session.execute(select(sessions.Session.token_hash)).scalars().all()
    assert first["session_token"] not in stored
    assert sessions.resolve(ctx, first["session_token"])["person"]["email"] == "elodie.dupont@example.com"
    sessions.close(ctx, first["session_token"])
    with pytest.raises(Unauthenticated):
        sessions.resolve(ctx, first["session_token"])
    assert sessions.resolve(ctx, second["session_token"])


def test_idle_session_expires_after_thirty_minutes(ctx, sent, clock):
    activated_person(ctx, sent)
    token = login.login(ctx, "elodie.dupont@example.com", PASSWORD)["session_token"]
    clock.advance(minutes=29)
    sessions.resolve(ctx, token)
    clock.advance(minutes=29)
    sessions.resolve(ctx, token)  # used in between: still open
    clock.advance(minutes=30)
    with pytest.raises(Unauthenticated) as refused:
        sessions.resolve(ctx, token)
    assert refused.value.code == "session_expired"


# --- ID-7 expiry -----------------------------------------------------------------------------

def test_expired_access_gets_the_exact_message_and_loses_its_sessions(ctx, sent, clock):
    person = activated_person(ctx, sent)
    token = login.login(ctx, person.email, PASSWORD)["session_token"]
    clock.advance(days=548)
    with pytest.raises(Unauthenticated):
        sessions.resolve(ctx, token)
    with pytest.raises(Forbidden) as refused:
        login.login(ctx, person.email, PASSWORD)
    assert refused.value.message == "Votre compte est expiré. Veuillez contacter votre administrateur."
    assert len(sent("identity.access_expired")) == 1  # announced once
    with pytest.raises(Unauthenticated):  # a wrong password still says nothing about expiry
        login.login(ctx, person.email, "Mauvais-1")
    access.renew_access(ctx, person.id, renewed_by="admin-1")
    assert login.login(ctx, person.email, PASSWORD)
    assert sent("identity.access_renewed")[-1]["payload"]["renewed_by"] == "admin-1"


def test_sweep_announces_newly_expired_accesses_once(ctx, sent, clock):
    activated_person(ctx, sent)
    clock.advance(days=549)
    assert access.sweep_expired(ctx) == 1
    assert access.sweep_expired(ctx) == 0


# --- ID-8 forgotten password -----------------------------------------------------------------

def test_forgotten_password_full_flow_revokes_sessions(ctx, sent):
    person = activated_person(ctx, sent)
    token = login.login(ctx, person.email, PASSWORD)["session_token"]
    known = password_flows.request_reset(ctx, person.email)
    assert known == password_flows.request_reset(ctx, "inconnu@example.com")
    [command] = sent("notifier.send_password_reset")
    link, code = command["payload"]["link_token"], command["payload"]["code"]
    assert [e["payload"] for e in sent("identity.password_reset_requested")] == [{"person_id": person.id}]
    with pytest.raises(ValidationFailed) as refused:
        password_flows.reset_password(ctx, link, "autre@example.com", NEW_PASSWORD, code)
    assert "ne correspond pas" in refused.value.fields["email"]
    password_flows.reset_password(ctx, link, person.email, NEW_PASSWORD, code)
    with pytest.raises(Unauthenticated):
        sessions.resolve(ctx, token)
    with pytest.raises(Gone):  # the link is single use
        password_flows.reset_password(ctx, link, person.email, "Encore-1-Autre", code)
    assert login.login(ctx, person.email, NEW_PASSWORD)
    [changed] = sent("identity.password_changed")
    assert changed["payload"]["reason"] == "reset" and NEW_PASSWORD not in json.dumps(changed)


def test_reset_link_expires_after_thirty_minutes(ctx, sent, clock):
    person = activated_person(ctx, sent)
    password_flows.request_reset(ctx, person.email)
    payload = sent("notifier.send_password_reset")[-1]["payload"]
    clock.advance(minutes=30)
    with pytest.raises(Gone):
        password_flows.reset_password(ctx, payload["link_token"], person.email, NEW_PASSWORD, payload["code"])


def test_wrong_reset_code_counts_attempts(ctx, sent):
    person = activated_person(ctx, sent)
    password_flows.request_reset(ctx, person.email)
    payload = sent("notifier.send_password_reset")[-1]["payload"]
    for _ in range(4):
        with pytest.raises(ValidationFailed):
            password_flows.reset_password(ctx, payload["link_token"], person.email, NEW_PASSWORD, "AAAAAA")
    with pytest.raises(Gone):
        password_flows.reset_password(ctx, payload["link_token"], person.email, NEW_PASSWORD, "AAAAAA")
    with pytest.raises(Gone):
        password_flows.reset_password(ctx, payload["link_token"], person.email, NEW_PASSWORD, payload["code"])


def test_reset_lifts_a_lock_out(ctx, sent):
    person = activated_person(ctx, sent)
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            login.login(ctx, person.email, "Mauvais-1")
    password_flows.request_reset(ctx, person.email)
    payload = sent("notifier.send_password_reset")[-1]["payload"]
    password_flows.reset_password(ctx, payload["link_token"], person.email, NEW_PASSWORD, payload["code"])
    assert login.login(ctx, person.email, NEW_PASSWORD)


# --- ID-9 change from the profile ------------------------------------------------------------

def test_password_change_with_a_48_hour_code_keeps_the_current_session(ctx, sent, clock):
    person = activated_person(ctx, sent)
    current = login.login(ctx, person.email, PASSWORD)
    other = login.login(ctx, person.email, PASSWORD)
    with pytest.raises(ValidationFailed):
        password_flows.request_change_code(ctx, person.id, "faible")
    password_flows.request_change_code(ctx, person.id, NEW_PASSWORD)
    [command] = sent("notifier.send_password_change_code")
    assert command["payload"]["validity_hours"] == 48
    password_flows.change_password(ctx, person.id, current["session_id"], NEW_PASSWORD, command["payload"]["code"])
    assert sessions.resolve(ctx, current["session_token"])
    with pytest.raises(Unauthenticated):
        sessions.resolve(ctx, other["session_token"])
    revoked = ctx.session.execute(select(sessions.Session.revoked_reason).where(
        sessions.Session.id == other["session_id"])).scalar_one()
    assert revoked == "password_change"
    assert sent("identity.password_changed")[-1]["payload"]["reason"] == "change"


def test_password_change_code_expires_after_48_hours(ctx, sent, clock):
    person = activated_person(ctx, sent)
    password_flows.request_change_code(ctx, person.id)
    code = sent("notifier.send_password_change_code")[-1]["payload"]["code"]
    clock.advance(hours=47, minutes=59)
    with pytest.raises(ValidationFailed):  # still valid just before 48 h: a wrong code is "incorrect"
        password_flows.change_password(ctx, person.id, None, NEW_PASSWORD, "AAAAAA")
    clock.advance(minutes=1)
    with pytest.raises(Gone):
        password_flows.change_password(ctx, person.id, None, NEW_PASSWORD, code)


# --- ID-10 invitations, BO-4 -----------------------------------------------------------------

def invite(ctx, profile="UTILISATEUR", email="collegue@acme.example.com"):
    return invitations.invite(ctx, {"email": email, "first_name": "Paul", "last_name": "Martin",
                                    "profile": profile}, invited_by="admin-1", company_name="ACME SAS")


def test_invited_person_sets_a_password_with_the_confidential_one(ctx, sent):
    created = invite(ctx)
    [command] = sent("notifier.send_invitation")
    payload = command["payload"]
    assert payload["validity_hours"] == 48 and payload["company_name"] == "ACME SAS"
    assert invitations.invitation_details(ctx, payload["link_token"])["email"] == "collegue@acme.example.com"
    with pytest.raises(ValidationFailed) as refused:
        invitations.accept(ctx, payload["link_token"], payload["code"], NEW_PASSWORD, False)
    assert set(refused.value.fields) == {"accept_cgu"}
    with pytest.raises(ValidationFailed):
        invitations.accept(ctx, payload["link_token"], "WRONGPASS1", NEW_PASSWORD, True)
    invitations.accept(ctx, payload["link_token"], payload["code"], NEW_PASSWORD, True)
    assert login.login(ctx, "collegue@acme.example.com", NEW_PASSWORD)["person"]["id"] == created["person_id"]
    assert sent("identity.account_activated")[-1]["payload"]["profile"] == "UTILISATEUR"


def test_invitation_expires_after_48_hours_and_a_new_code_can_be_asked(ctx, sent, clock):
    invite(ctx)
    old = sent("notifier.send_invitation")[-1]["payload"]
    clock.advance(hours=48)
    with pytest.raises(Gone):
        invitations.accept(ctx, old["link_token"], old["code"], NEW_PASSWORD, True)
    invitations.resend(ctx, old["link_token"])
    new = sent("notifier.send_invitation")[-1]["payload"]
    with pytest.raises(TooManyRequests):
        invitations.resend(ctx, new["link_token"])
    invitations.accept(ctx, new["link_token"], new["code"], NEW_PASSWORD, True)


def test_an_address_with_an_account_gets_the_answer_of_an_invitation_sent(ctx, sent):
    """Issue 18, finding 2: no « email_taken » for an administrator to probe addresses with;
    nothing is created nor sent, the audit log says why."""
    first = invite(ctx)
    again = invite(ctx, email="COLLEGUE@acme.example.com")
    assert set(again) == set(first) and again["person_id"] != first["person_id"]
    assert again["email"] == first["email"] and again["profile"] == first["profile"]
    assert len(sent("notifier.send_invitation")) == 1 and len(sent("identity.person_invited")) == 1
    assert audit.query(ctx.session, kind="invitation_not_sent")[0]["actor_id"] == "admin-1"
    # The administrator may later delete or renew that invitation like any other one.
    assert access.delete_access(ctx, again["person_id"], "admin-1")["status"] == "deleted"
    assert access.renew_access(ctx, again["person_id"], "admin-1")["valid_until"]


def test_the_operator_is_told_plainly_that_an_address_is_taken(ctx, sent):
    invite(ctx)
    with pytest.raises(Conflict):
        invitations.invite(ctx, {"email": "collegue@acme.example.com", "first_name": "Anne", "last_name": "Martin",
                                 "profile": "GESTIONNAIRE"}, invited_by="operator", neutral=False)


def test_invitation_details_give_the_expiry_with_its_time_zone(ctx, sent):
    invite(ctx)
    token = sent("notifier.send_invitation")[-1]["payload"]["link_token"]
    expires_at = invitations.invitation_details(ctx, token)["expires_at"]
    assert expires_at.endswith("+00:00"), expires_at


def test_staff_account_is_a_gestionnaire(ctx, sent):
    invite(ctx, profile="GESTIONNAIRE", email="agent@cdc.example.com")
    payload = sent("notifier.send_invitation")[-1]["payload"]
    invitations.accept(ctx, payload["link_token"], payload["code"], NEW_PASSWORD, True)
    assert login.login(ctx, "agent@cdc.example.com", NEW_PASSWORD)["person"]["is_staff"] is True
    assert audit.query(ctx.session, kind="staff_created")[0]["email"] == "agent@cdc.example.com"


def test_no_secret_in_any_integration_event(ctx, sent):
    person = activated_person(ctx, sent)
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            login.login(ctx, person.email, "Mauvais-1")
    password_flows.request_reset(ctx, person.email)
    reset = sent("notifier.send_password_reset")[-1]["payload"]
    password_flows.reset_password(ctx, reset["link_token"], person.email, NEW_PASSWORD, reset["code"])
    invite(ctx)
    from consignations_shared.plumbing import outbox
    events = [row.body for row in ctx.session.execute(select(outbox.c.body).where(outbox.c.private.is_(False)))]
    assert {e["type"] for e in events} >= {"account_activated", "login_locked", "password_reset_requested",
                                           "password_changed", "person_invited"}
    text = json.dumps(events)
    for secret in (PASSWORD, NEW_PASSWORD, reset["link_token"], reset["code"], person.password_hash):
        assert secret not in text
    assert "password" not in text.replace("password_reset_requested", "").replace("password_changed", "")


def test_audit_log_records_logins_failures_and_locks(ctx, sent):
    person = activated_person(ctx, sent)
    login.login(ctx, person.email, PASSWORD, ip="198.51.100.7")
    with pytest.raises(Unauthenticated):
        login.login(ctx, person.email, "Mauvais-1", ip="198.51.100.7")
    kinds = [entry["kind"] for entry in audit.query(ctx.session, person_id=person.id)]
    assert kinds[:2] == ["login_failed", "login_succeeded"]
    assert audit.query(ctx.session, kind="login_failed")[0]["ip"] == "198.51.100.7"


def test_deleted_access_cannot_log_in_and_loses_its_sessions(ctx, sent):
    person = activated_person(ctx, sent)
    token = login.login(ctx, person.email, PASSWORD)["session_token"]
    access.delete_access(ctx, person.id, deleted_by="admin-1")
    with pytest.raises(Unauthenticated):
        sessions.resolve(ctx, token)
    with pytest.raises(Unauthenticated):
        login.login(ctx, person.email, PASSWORD)
    assert sent("identity.access_deleted")[-1]["payload"] == {"person_id": person.id, "deleted_by": "admin-1"}
