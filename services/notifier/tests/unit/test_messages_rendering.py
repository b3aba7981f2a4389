"""Rendering of notifications NO-1 and NO-2 (SPEC section 7, ID-3, ID-4)."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone

import pytest

from notifier_service.messages import (
    NOTIFICATIONS,
    RenderingError,
    render_email,
    render_preview,
    render_previews,
    render_sms,
)

SENDER = "Consignations <ne-pas-repondre@consignations.caissedesdepots.fr>"
PORTAL = "https://espace.consignations.example"
NOTIFICATION_ID = "3f0c2b4e-8a51-4b0e-9d3c-5d1f2a6b7c80"

SIGNATURE = "Le service des consignations"
CONTACT = (
    "Nos conseillers sont à votre écoute au 01 58 50 89 88 (prix d'un appel local) "
    "du lundi au vendredi de 9h à 12h et de 13h à 17h"
)
AUTOMATIC = "Ce message est généré automatiquement, merci de ne pas y répondre."
SUBJECT = "Votre code confidentiel – Espace Personnel Consignations"


def _render(company="Société Exemple SAS", code="A7K2QZ", notification_id=NOTIFICATION_ID, **kw):
    return render_email(
        "signup_email_code",
        {"company_name": company, "code": code},
        to="contact@exemple.fr",
        sender=SENDER,
        notification_id=notification_id,
        portal_url=PORTAL,
        **kw,
    )


def _round_trip(message):
    """What a recipient gets: the message serialised for SMTP, then parsed back."""
    return email.message_from_bytes(
        message.as_bytes(policy=email.policy.SMTP), policy=email.policy.default
    )


def _parts(message):
    return [part.get_content_type() for part in message.iter_parts()]


# --- NO-1 -----------------------------------------------------------------------------


def test_sms_code_text_is_exact():
    assert render_sms("signup_sms_code", {"code": "123456"}) == (
        "Votre code confidentiel CDC est : 123456"
    )
    assert render_sms("signup_sms_code", {"code": "004200"}) == (
        "Votre code confidentiel CDC est : 004200"
    )


def test_sms_missing_code_is_an_error():
    with pytest.raises(RenderingError):
        render_sms("signup_sms_code", {})


def test_unknown_or_wrong_channel_notification():
    with pytest.raises(RenderingError):
        render_sms("nope", {"code": "1"})
    with pytest.raises(RenderingError):
        render_sms("signup_email_code", {"code": "1", "company_name": "X"})
    with pytest.raises(RenderingError):
        render_email(
            "signup_sms_code",
            {"code": "123456"},
            to="a@exemple.fr",
            sender=SENDER,
            notification_id="x",
            portal_url=PORTAL,
        )


def test_registry_holds_the_first_notifications():
    assert {"signup_email_code", "signup_sms_code"} <= set(NOTIFICATIONS)
    assert NOTIFICATIONS["signup_sms_code"].channel == "sms"
    assert NOTIFICATIONS["signup_email_code"].channel == "email"


# --- NO-2 -----------------------------------------------------------------------------


def test_email_mime_structure_and_headers():
    message = _round_trip(_render(date=datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)))

    assert message.get_content_type() == "multipart/alternative"
    assert _parts(message) == ["text/plain", "text/html"]  # plain text first
    for part in message.iter_parts():
        assert part.get_content_charset() == "utf-8"

    assert str(message["Subject"]) == SUBJECT
    assert message["From"].addresses[0].addr_spec == (
        "ne-pas-repondre@consignations.caissedesdepots.fr"
    )
    assert message["To"].addresses[0].addr_spec == "contact@exemple.fr"
    assert message["Date"].datetime == datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@consignations.caissedesdepots.fr>")
    assert message["Content-Language"] == "fr"


@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_email_both_parts_hold_code_validity_and_footer(subtype):
    message = _round_trip(_render(code="A7K2QZ"))
    body = message.get_body(preferencelist=(subtype,)).get_content()
    assert "A7K2QZ" in body
    assert "Bonjour Madame, Monsieur," in body
    assert "de la structure « Société Exemple SAS »" in body
    assert "valable 10 minutes" in body
    assert "Ne le communiquez à personne" in body
    assert SIGNATURE in body
    assert CONTACT in body
    assert AUTOMATIC in body


@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_the_code_email_greets_a_person_never_the_company(subtype):
    """Issue 19: « Bonjour ACME SAS, » greeted a company; the e-mail goes to a person, whose name
    is not known yet at this step of a company sign-up (ID-2 asks for none)."""
    for company in ("ACME SAS", ""):
        body = _round_trip(_render(company=company)).get_body(preferencelist=(subtype,)).get_content()
        [greeting] = [line for line in body.splitlines() if "Bonjour" in line]
        assert "Bonjour Madame, Monsieur," in greeting
        assert "ACME" not in greeting
        assert ("de la structure « ACME SAS »" in body) is bool(company)
        assert "structure « »" not in body


def test_message_id_is_stable_for_a_notification():
    first = _render(date=datetime(2026, 1, 1, tzinfo=timezone.utc))
    again = _render(date=datetime(2026, 1, 2, tzinfo=timezone.utc), code="ZZZZZZ")
    other = _render(notification_id="another-notification")
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"] == _round_trip(first)["Message-ID"]
    # ids with characters that do not fit in a Message-ID are hashed, still stably
    odd = _render(notification_id="evt:42/signup email")["Message-ID"]
    assert odd == _render(notification_id="evt:42/signup email")["Message-ID"]
    assert " " not in odd and "/" not in odd


def test_company_name_is_escaped_in_html():
    company = '<script>alert("x")</script> & Fils'
    message = _round_trip(_render(company=company))
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Fils" in html
    assert company in text  # plain text is not HTML: kept as typed


def test_links_come_from_portal_url_only():
    html = _render().get_body(preferencelist=("html",)).get_content()
    assert f'href="{PORTAL}"' in html
    assert html.count("href=") == html.count(f'href="{PORTAL}')
    with pytest.raises(RenderingError):
        render_email(
            "signup_email_code",
            {"company_name": "X", "code": "A7K2QZ", "portal_url": "https://evil.example"},
            to="a@exemple.fr",
            sender=SENDER,
            notification_id="x",
            portal_url=PORTAL,
        )


@pytest.mark.parametrize("portal_url", ["javascript:alert(1)", "/relative", "ftp://x.fr", ""])
def test_invalid_portal_url(portal_url):
    with pytest.raises(RenderingError):
        render_email(
            "signup_email_code",
            {"company_name": "X", "code": "A7K2QZ"},
            to="a@exemple.fr",
            sender=SENDER,
            notification_id="x",
            portal_url=portal_url,
        )


@pytest.mark.parametrize(
    "to",
    ["not an address", "a@", "", "a@exemple.fr, b@exemple.fr", "a@exemple.fr\r\nBcc: c@evil.fr"],
)
def test_invalid_recipient_is_refused(to):
    with pytest.raises(RenderingError):
        render_email(
            "signup_email_code",
            {"company_name": "X", "code": "A7K2QZ"},
            to=to,
            sender=SENDER,
            notification_id="x",
            portal_url=PORTAL,
        )


def test_missing_context_value_is_an_error():
    with pytest.raises(RenderingError):
        render_email(
            "signup_email_code",
            {"company_name": "X"},
            to="a@exemple.fr",
            sender=SENDER,
            notification_id="x",
            portal_url=PORTAL,
        )


def test_preview_writes_html_and_text(tmp_path):
    written = render_preview("signup_email_code", tmp_path)
    assert sorted(p.name for p in written) == ["signup_email_code.html", "signup_email_code.txt"]
    html = (tmp_path / "signup_email_code.html").read_text(encoding="utf-8")
    text = (tmp_path / "signup_email_code.txt").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and f"<title>{SUBJECT}</title>" in html
    assert CONTACT in text and CONTACT in html

    sms = render_preview("signup_sms_code", tmp_path)
    assert [p.name for p in sms] == ["signup_sms_code.txt"]
    assert sms[0].read_text(encoding="utf-8") == "Votre code confidentiel CDC est : 123456\n"

    everything = render_previews(tmp_path / "all")
    assert {p.name for p in everything} >= {
        "signup_email_code.html",
        "signup_email_code.txt",
        "signup_sms_code.txt",
    }
    with pytest.raises(RenderingError):
        render_preview("nope", tmp_path)
