"""Company sign-up use cases (ID-1..ID-4, NF-1 code rules) on SQLite with a frozen clock."""

import pytest

from consignations_shared.errors import Conflict, Gone, TooManyRequests, ValidationFailed
from sqlalchemy import select

from consignations_shared.testing import outbox_bodies
from identity_service import signup
from identity_service.models import CaptchaChallenge, Person

PASSWORD = "Consign-2026!"


def solved_captcha(ctx):
    challenge = signup.new_captcha(ctx)
    answer = ctx.session.get(CaptchaChallenge, challenge["captcha_id"]).answer
    return {"captcha_id": challenge["captcha_id"], "captcha_answer": answer}


def form(ctx, **overrides):
    return {"company_name": "ACME SAS", "email": "Contact@Acme.example.com", "mobile": "06 12 34 56 78",
            "password": PASSWORD, "accept_cgu": True, **solved_captcha(ctx), **overrides}


def messages(ctx, routing_key):
    return outbox_bodies(ctx.session, routing_key)


def last_code(ctx, command):
    return messages(ctx, f"notifier.{command}")[-1]["payload"]["code"]


def test_full_company_signup_publishes_signup_verified(ctx):
    started = signup.start_company_signup(ctx, form(ctx))
    assert started["step"] == "sms_code" and started["mobile_masked"] == "06 ** ** ** 78"
    token = started["signup_token"]
    [sms] = messages(ctx, "notifier.send_signup_sms_code")
    assert sms["payload"]["mobile"] == "+33612345678" and len(sms["payload"]["code"]) == 6
    assert sms["payload"]["code"].isdigit()

    assert signup.verify_sms_code(ctx, token, sms["payload"]["code"])["step"] == "email_code"
    [mail] = messages(ctx, "notifier.send_signup_email_code")
    assert mail["payload"]["email"] == "contact@acme.example.com"
    assert len(mail["payload"]["code"]) == 6 and mail["payload"]["code"].isalnum()

    assert signup.verify_email_code(ctx, token, mail["payload"]["code"].lower())["step"] == "verified"
    [event] = messages(ctx, "identity.signup_verified")
    assert event["type"] == "signup_verified" and event["source"] == "identity"
    payload = event["payload"]
    assert payload["company_name"] == "ACME SAS" and payload["profile"] == "ENTREPRISE"
    person = ctx.session.get(Person, payload["person_id"])
    assert person.email == "contact@acme.example.com"
    assert ctx.hasher.verify(person.password_hash, PASSWORD)
    # NO-7 (issue 19): the administrator of a new company account gets « Votre compte est validé »
    # like every other new account: identity announces the account usable, which the notifier
    # turns into that e-mail. Before, a company sign-up announced only signup_verified, which the
    # notifier reads for the contact and nothing else.
    [activated] = messages(ctx, "identity.account_activated")
    assert activated["payload"]["person_id"] == payload["person_id"]
    assert activated["payload"]["email"] == "contact@acme.example.com"
    assert activated["payload"]["profile"] == "ENTREPRISE"  # not an invited member: accounts does nothing
    # EV-4: no password, hash, code or token in the integration events.
    text = str(event) + str(activated)
    for secret in (PASSWORD, person.password_hash, token, sms["payload"]["code"], mail["payload"]["code"]):
        assert secret not in text


def test_each_invalid_field_gets_its_french_message(ctx):
    with pytest.raises(ValidationFailed) as refused:
        signup.start_company_signup(ctx, form(ctx, email="pas-une-adresse", mobile="01 23 45 67 89",
                                              password="court", accept_cgu=False, captcha_answer="XXXXX"))
    fields = refused.value.fields
    assert set(fields) == {"email", "mobile", "password", "accept_cgu", "captcha"}
    assert fields["mobile"] == "Numéro de téléphone mobile invalide."
    assert "8 caractères" in fields["password"]
    assert messages(ctx, "notifier.send_signup_sms_code") == []


def test_captcha_is_single_use_even_when_the_form_is_refused(ctx):
    answer = solved_captcha(ctx)
    with pytest.raises(ValidationFailed):
        signup.start_company_signup(ctx, form(ctx, password="x", **answer))
    with pytest.raises(ValidationFailed) as refused:
        signup.start_company_signup(ctx, form(ctx, **answer))
    assert set(refused.value.fields) == {"captcha"}


def test_expired_captcha_is_refused(ctx, clock):
    answer = solved_captcha(ctx)
    clock.advance(minutes=11)
    with pytest.raises(ValidationFailed) as refused:
        signup.start_company_signup(ctx, form(ctx, **answer))
    assert "expiré" in refused.value.fields["captcha"]


def test_sms_code_expires_after_ten_minutes(ctx, clock):
    token = signup.start_company_signup(ctx, form(ctx))["signup_token"]
    code = last_code(ctx, "send_signup_sms_code")
    clock.advance(minutes=10)
    with pytest.raises(Gone) as refused:
        signup.verify_sms_code(ctx, token, code)
    assert refused.value.message.startswith("Le code confidentiel a expiré")


def test_code_valid_until_just_before_ten_minutes(ctx, clock):
    token = signup.start_company_signup(ctx, form(ctx))["signup_token"]
    code = last_code(ctx, "send_signup_sms_code")
    clock.advance(minutes=9, seconds=59)
    assert signup.verify_sms_code(ctx, token, code)["step"] == "email_code"


def test_wrong_codes_count_down_and_the_sixth_attempt_is_refused(ctx):
    token = signup.start_company_signup(ctx, form(ctx))["signup_token"]
    code = last_code(ctx, "send_signup_sms_code")
    wrong = "000000" if code != "000000" else "111111"
    for remaining in (4, 3, 2, 1):
        with pytest.raises(ValidationFailed) as refused:
            signup.verify_sms_code(ctx, token, wrong)
        assert f"Il vous reste {remaining} essai" in refused.value.message
    with pytest.raises(Gone) as fifth:
        signup.verify_sms_code(ctx, token, wrong)
    assert "Trop d'essais" in fifth.value.message
    with pytest.raises(Gone):  # the 6th, even with the right code
        signup.verify_sms_code(ctx, token, code)


def test_resend_invalidates_the_previous_code_and_is_throttled(ctx, clock):
    token = signup.start_company_signup(ctx, form(ctx))["signup_token"]
    first = last_code(ctx, "send_signup_sms_code")
    with pytest.raises(TooManyRequests) as too_soon:
        signup.resend_sms_code(ctx, token)
    assert "30 secondes" in too_soon.value.message
    clock.advance(seconds=30)
    signup.resend_sms_code(ctx, token)
    second = last_code(ctx, "send_signup_sms_code")
    if first != second:
        with pytest.raises(Gone) as refused:
            signup.verify_sms_code(ctx, token, first)
        assert "remplacé" in refused.value.message
    assert signup.verify_sms_code(ctx, token, second)["step"] == "email_code"


def test_a_code_of_one_signup_does_not_open_another(ctx):
    first = signup.start_company_signup(ctx, form(ctx))["signup_token"]
    code_of_first = last_code(ctx, "send_signup_sms_code")
    second = signup.start_company_signup(ctx, form(ctx, email="autre@acme.example.com"))["signup_token"]
    with pytest.raises(ValidationFailed):
        signup.verify_sms_code(ctx, second, code_of_first)
    assert signup.verify_sms_code(ctx, first, code_of_first)["step"] == "email_code"


def test_codes_are_single_use_and_steps_cannot_be_skipped(ctx):
    token = signup.start_company_signup(ctx, form(ctx))["signup_token"]
    with pytest.raises(Conflict):
        signup.verify_email_code(ctx, token, "ABCDEF")
    code = last_code(ctx, "send_signup_sms_code")
    signup.verify_sms_code(ctx, token, code)
    with pytest.raises(Conflict):
        signup.verify_sms_code(ctx, token, code)


def test_unknown_or_expired_signup_token(ctx, clock):
    with pytest.raises(Gone):
        signup.verify_sms_code(ctx, "not-a-token", "123456")
    token = signup.start_company_signup(ctx, form(ctx))["signup_token"]
    clock.advance(hours=24)
    with pytest.raises(Gone):
        signup.signup_progress(ctx, token)


def test_address_with_an_account_gets_a_notice_not_a_code(ctx):
    def sign_up(email):
        token = signup.start_company_signup(ctx, form(ctx, email=email))["signup_token"]
        signup.verify_sms_code(ctx, token, last_code(ctx, "send_signup_sms_code"))
        return token

    token = sign_up("dupont@acme.example.com")
    signup.verify_email_code(ctx, token, last_code(ctx, "send_signup_email_code"))
    codes_sent = len(messages(ctx, "notifier.send_signup_email_code"))

    again = sign_up("DUPONT@acme.example.com")  # same answers as for a new address
    assert signup.signup_progress(ctx, again)["step"] == "email_code"
    assert len(messages(ctx, "notifier.send_signup_email_code")) == codes_sent
    [notice] = messages(ctx, "notifier.send_signup_already_registered")
    assert notice["payload"] == {"signup_id": notice["payload"]["signup_id"], "email": "dupont@acme.example.com"}


def test_two_pending_sign_ups_of_one_address_the_second_is_told_in_french(ctx, clock):
    """Issue 18, finding 8: both past the SMS step before either finished; the second e-mail code
    was a unique-constraint 500, it is a French 409 (and the first account is untouched)."""
    tokens = []
    for _ in range(2):
        token = signup.start_company_signup(ctx, form(ctx, email="meme@acme.example.com"))["signup_token"]
        signup.verify_sms_code(ctx, token, last_code(ctx, "send_signup_sms_code"))
        tokens.append((token, last_code(ctx, "send_signup_email_code")))
    assert signup.verify_email_code(ctx, *tokens[0])["step"] == "verified"
    with pytest.raises(Conflict) as refused:
        signup.verify_email_code(ctx, *tokens[1])
    assert refused.value.code == "already_registered" and "existe déjà" in refused.value.message
    assert len(messages(ctx, "identity.signup_verified")) == 1
    assert len(messages(ctx, "identity.account_activated")) == 1
    assert ctx.session.query(Person).filter_by(email="meme@acme.example.com").count() == 1


def test_password_is_hashed_with_argon2id(ctx):
    signup.start_company_signup(ctx, form(ctx))
    stored = ctx.session.execute(select(signup.Signup.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_the_company_creator_is_its_administrator_and_learns_the_names_of_step_2(ctx):
    """Issue 18 (HTTP details): the session's person of a company's creator said « ENTREPRISE »
    with no name after the wizard's step 2; identity records the administrator profile at
    sign-up, and the names come from its read model of accounts.member_changed (no other event)."""
    from consignations_shared.contracts.payloads.accounts import MemberChanged
    from consignations_shared.events import new_envelope
    from identity_service import memberships, sessions

    token = signup.start_company_signup(ctx, form(ctx))["signup_token"]
    signup.verify_sms_code(ctx, token, last_code(ctx, "send_signup_sms_code"))
    signup.verify_email_code(ctx, token, last_code(ctx, "send_signup_email_code"))
    [event] = messages(ctx, "identity.signup_verified")
    assert event["payload"]["profile"] == "ENTREPRISE"  # the sign-up's kind, for accounts
    person = ctx.session.get(Person, event["payload"]["person_id"])
    assert person.profile == "ADMINISTRATEUR"

    def member_changed(revision, **names):
        change = MemberChanged(account_id="a-1", person_id=person.id, revision=revision, account_kind="ENTREPRISE",
                               account_status="active", profile="ADMINISTRATEUR", status="active",
                               can_submit=True, **names)
        memberships.on_member_changed(ctx.session, new_envelope("member_changed", change.payload(),
                                                                source="accounts"), ctx.clock, ctx.outbox)

    member_changed(1)  # the account is opened: no name yet
    view = sessions.person_view(ctx.session, ctx.session.get(Person, person.id))
    assert (view["first_name"], view["last_name"], view["profile"]) == (None, None, "ADMINISTRATEUR")
    member_changed(2, first_name="Claire", last_name="Dupont")  # the wizard's step 2
    view = sessions.person_view(ctx.session, ctx.session.get(Person, person.id))
    assert (view["first_name"], view["last_name"], view["profile"]) == ("Claire", "Dupont", "ADMINISTRATEUR")
    contact = sessions.person_contact(ctx, person.id)
    assert (contact["first_name"], contact["last_name"]) == ("Claire", "Dupont")
