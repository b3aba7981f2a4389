"""Company sign-up through the gateway with all six services running (issue 2 acceptance):
codes are read from the outbox folder, as a person following the README would."""
import json
import re
import uuid

import requests

from e2e_helpers import emails_to, scalar, sms_to, solved_captcha, wait_for

EMAIL_CODE = re.compile(r"^\s+([A-Z0-9]{6})\s*$", re.M)


def test_company_signup_end_to_end(system):
    session = requests.Session()
    email = f"direction-{uuid.uuid4().hex[:6]}@acme.example.com"
    mobile = "+33781234567"
    correlation_id = f"e2e-{uuid.uuid4().hex}"
    before = len(sms_to(system, mobile))

    started = session.post(system.url("/api/signup/entreprise"), headers={"X-Correlation-Id": correlation_id}, json={
        "company_name": "ACME SAS", "email": email, "mobile": "07 81 23 45 67", "password": "Consign-2026!",
        "accept_cgu": True, **solved_captcha(system, session),
    })
    assert started.status_code == 201, started.text
    assert started.headers["X-Correlation-Id"] == correlation_id
    body = started.json()
    assert body["step"] == "sms_code" and body["mobile_masked"] == "07 ** ** ** 67"
    token = body["signup_token"]

    sms = wait_for(lambda: sms_to(system, mobile)[before:])
    assert sms, "no SMS in the outbox"
    text_ = sms[-1]["text"]
    assert re.fullmatch(r"Votre code confidentiel CDC est : \d{6}", text_)
    wrong = session.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": "000000" if not text_.endswith("000000") else "111111"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"]["code"] == "Le code confidentiel est incorrect. Il vous reste 4 essais."
    assert wrong.json()["error"]["message"] == "Un champ est invalide."
    verified_sms = session.post(system.url("/api/signup/sms-code"), json={"signup_token": token, "code": text_[-6:]})
    assert verified_sms.status_code == 200 and verified_sms.json()["step"] == "email_code"

    mails = wait_for(lambda: emails_to(system, email))
    assert mails, "no e-mail in the outbox"
    mail = mails[-1]
    assert mail["Subject"] == "Votre code confidentiel – Espace Personnel Consignations"
    assert mail.get_content_type() == "multipart/alternative"
    plain = mail.get_body(("plain",)).get_content()
    assert "Le service des consignations" in plain and "01 58 50 89 88" in plain
    code = EMAIL_CODE.search(plain).group(1)
    done = session.post(system.url("/api/signup/email-code"), json={"signup_token": token, "code": code.lower()})
    assert done.status_code == 200 and done.json()["step"] == "verified"

    # signup_verified reached the accounts service: a draft client account with its administrator.
    account = wait_for(lambda: scalar(
        system.database_urls["accounts"],
        "SELECT a.status FROM client_accounts a JOIN account_members m ON m.account_id = a.id "
        "WHERE a.notification_email = :email AND m.profile = 'ADMINISTRATEUR'", email=email))
    assert account == "draft"

    # The correlation id of the HTTP request is on the log lines of the services it reached.
    identity_lines = [json.loads(l) for l in system.log_text("identity").splitlines() if correlation_id in l]
    assert identity_lines and all(line["correlation_id"] == correlation_id for line in identity_lines)
    assert wait_for(lambda: correlation_id in system.log_text("notifier"))


def test_refusals_are_french_json_errors(system):
    session = requests.Session()
    not_json = session.post(system.url("/api/signup/entreprise"), data="company=x")
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "malformed_body"
    assert not_json.json()["error"]["message"].startswith("Le corps de la requête doit être au format JSON")
    invalid = session.post(system.url("/api/signup/entreprise"), json={"email": "x", "password": "court"})
    assert invalid.status_code == 422
    error = invalid.json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) >= {"company_name", "email", "mobile", "password", "accept_cgu", "captcha"}
    unknown = session.post(system.url("/api/signup/sms-code"), json={"signup_token": "nope", "code": "123456"})
    assert unknown.status_code == 410
    assert "n'existe pas ou a expiré" in unknown.json()["error"]["message"]
    missing = session.get(system.url("/api/nothing-here"))
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "La ressource demandée est introuvable."
    assert missing.headers["X-Content-Type-Options"] == "nosniff"
    assert "Traceback" not in invalid.text
