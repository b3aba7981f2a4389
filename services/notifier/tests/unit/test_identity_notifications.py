"""Identity notifications NO-3 to NO-7 and NO-15 (SPEC section 7; ID-5, ID-8, ID-9, ID-10):
commands and events become French e-mails (text + HTML) in the outbox, once per event."""
from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.events import new_envelope
from consignations_shared.plumbing import plumbing_metadata
from notifier_service import dispatch
from notifier_service.delivery import OutboxEmailBackend, OutboxSmsBackend, read_outbox
from notifier_service.messages import NOTIFICATIONS, render_previews
from notifier_service.messages.formatting import french_datetime, full_name, profile_label
from notifier_service.models import Base, Notification

PORTAL = "https://consignations.example.com/espace"  # a base path: links must keep it
SIGNATURE = "Le service des consignations"
CONTACT = (
    "Nos conseillers sont à votre écoute au 01 58 50 89 88 (prix d'un appel local) "
    "du lundi au vendredi de 9h à 12h et de 13h à 17h"
)
AUTOMATIC = "Ce message est généré automatiquement, merci de ne pas y répondre."
TOKEN = "tok/en+42=="  # characters that must be URL-encoded in a query string
QUOTED_TOKEN = "tok%2Fen%2B42%3D%3D"


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def make_dispatcher(session, tmp_path):
    return dispatch.Dispatcher(
        session=session, clock=FrozenClock(), sender="Consignations <ne-pas-repondre@consignations.example.com>",
        portal_url=PORTAL, email_backend=OutboxEmailBackend(tmp_path), sms_backend=OutboxSmsBackend(tmp_path),
    )


@dataclass
class Case:
    name: str
    handler: object
    type: str
    command: bool
    payload: dict
    to: str
    subject: str
    link: str
    texts: list[str] = field(default_factory=list)


CASES = [
    Case(
        "activation_link", dispatch.activation_link, "send_activation_link", True,
        {"person_id": "p-1", "email": "marie.dupont@exemple.fr", "first_name": "Marie",
         "last_name": "Dupont", "link_token": TOKEN, "validity_minutes": 30},
        "marie.dupont@exemple.fr",
        "Activation de compte – Espace Personnel Consignations",
        f"{PORTAL}/activation?token={QUOTED_TOKEN}",
        ["Bonjour Marie Dupont,", "ce lien n'est valide que 30 minutes",
         "« Recevez un nouveau lien »"],
    ),
    Case(
        "password_reset", dispatch.password_reset, "send_password_reset", True,
        {"person_id": "p-1", "email": "marie.dupont@exemple.fr", "link_token": TOKEN,
         "code": "739204", "validity_minutes": 30},
        "marie.dupont@exemple.fr",
        "Réinitialisation de votre mot de passe – Espace Personnel Consignations",
        f"{PORTAL}/mot-de-passe/reinitialisation?token={QUOTED_TOKEN}",
        ["739204", "ne sont valables que 30 minutes",
         "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message, "
         "votre mot de passe reste inchangé."],
    ),
    Case(
        "password_change_code", dispatch.password_change_code, "send_password_change_code", True,
        {"person_id": "p-1", "email": "marie.dupont@exemple.fr", "code": "581736", "validity_hours": 48},
        "marie.dupont@exemple.fr",
        "Code confidentiel pour changer votre mot de passe – Espace Personnel Consignations",
        "",  # no link in the body; only the footer's portal link
        ["581736", "valable 48 heures", "« Mes identifiants »"],
    ),
    Case(
        "invitation", dispatch.invitation, "send_invitation", True,
        {"person_id": "p-2", "email": "paul.martin@acme.example.com", "first_name": "Paul",
         "last_name": "Martin", "link_token": TOKEN, "code": "Q7M2X9", "company_name": "ACME SAS",
         "profile": "CONSULTATION", "validity_hours": 48},
        "paul.martin@acme.example.com",
        "Invitation à rejoindre l'Espace Personnel Consignations",
        f"{PORTAL}/invitation?token={QUOTED_TOKEN}",
        ["Bonjour Paul Martin,", "par ACME SAS", "« Consultation »", "Q7M2X9",
         "mot de passe confidentiel est valable 48 heures", "votre propre mot de passe",
         "Conditions Générales d'Utilisation (CGU)", "demander un nouveau code"],
    ),
    Case(
        "account_activated", dispatch.account_activated, "account_activated", False,
        {"person_id": "p-1", "profile": "PARTICULIER", "email": "marie.dupont@exemple.fr",
         "first_name": "Marie", "last_name": "Dupont", "activated_at": "2026-11-23T09:15:00+00:00"},
        "marie.dupont@exemple.fr",
        "Votre compte est validé – Espace Personnel Consignations",
        f"{PORTAL}/",
        ["Bonjour Marie Dupont,", "Votre compte est validé", "vous pouvez maintenant vous connecter"],
    ),
    Case(
        "password_changed", dispatch.password_changed, "password_changed", False,
        {"person_id": "p-1", "email": "marie.dupont@exemple.fr", "reason": "reset",
         "changed_at": "2026-11-23T09:15:00+00:00"},
        "marie.dupont@exemple.fr",
        "Votre mot de passe a été modifié – Espace Personnel Consignations",
        f"{PORTAL}/",
        ["a été réinitialisé le 23 novembre 2026 à 10 h 15", "« Mot de passe oublié ? »",
         "Si vous n'êtes pas à l'origine de ce changement", "sans attendre", "appelez nos conseillers"],
    ),
]


def envelope_for(case: Case, **payload_changes):
    return new_envelope(case.type, {**case.payload, **payload_changes}, source="identity",
                        command=case.command)


def raw_bodies(mail):
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def bodies(mail):
    """What a person reads: the text part, and the HTML part without tags; spaces collapsed."""
    text, html = raw_bodies(mail)
    visible = html_lib.unescape(re.sub(r"<[^>]+>", " ", html))
    return " ".join(text.split()), " ".join(visible.split())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_identity_notification_is_sent_once(case, session, tmp_path):
    envelope = envelope_for(case)
    assert case.handler(make_dispatcher(session, tmp_path), envelope) is True

    [mail] = read_outbox(tmp_path).emails
    assert mail["To"] == case.to
    assert str(mail["Subject"]) == case.subject
    assert mail.get_content_type() == "multipart/alternative"
    text, html = raw_bodies(mail)
    for body in bodies(mail):
        for expected in case.texts:
            assert expected in body, (expected, body)
        assert SIGNATURE in body and CONTACT in body and AUTOMATIC in body
        if case.link:
            assert case.link in body
    if case.link:
        assert f'href="{case.link}"' in html
    # every link points into the configured portal
    assert html.count("href=") == html.count(f'href="{PORTAL}')

    [record] = session.execute(select(Notification)).scalars()
    assert (record.id, record.kind, record.status, record.recipient) == (
        envelope.event_id, case.name, "sent", case.to)

    # the same event delivered again sends nothing
    assert case.handler(make_dispatcher(session, tmp_path), envelope) is False
    assert len(read_outbox(tmp_path).emails) == 1
    assert len(session.execute(select(Notification)).all()) == 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_identity_notification_is_registered_with_its_spec_id(case):
    notification = NOTIFICATIONS[case.name]
    assert notification.channel == "email"
    assert notification.subject == case.subject
    assert notification.spec_id == {
        "activation_link": "NO-3", "password_reset": "NO-4", "password_change_code": "NO-5",
        "invitation": "NO-6", "account_activated": "NO-7", "password_changed": "NO-15",
    }[case.name]


def test_previews_render_every_notification(tmp_path):
    written = {p.name for p in render_previews(tmp_path)}
    for name, notification in NOTIFICATIONS.items():
        if notification.channel == "email":
            assert {f"{name}.html", f"{name}.txt"} <= written
    assert "activation?token=" in (tmp_path / "activation_link.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("profile, company, inviter, label", [
    ("ADMINISTRATEUR", "ACME SAS", "par ACME SAS", "« Administrateur »"),
    ("UTILISATEUR", "ACME SAS", "par ACME SAS", "« Utilisateur »"),
    ("CONSULTATION", None, "Vous êtes invité(e) à rejoindre", "« Consultation »"),
    ("GESTIONNAIRE", "", "par le service des consignations", "« Gestionnaire »"),
    ("GESTIONNAIRE", None, "par le service des consignations", "« Gestionnaire »"),
])
def test_invitation_says_who_invites_and_which_profile(profile, company, inviter, label, session, tmp_path):
    case = CASES[3]
    case.handler(make_dispatcher(session, tmp_path), envelope_for(case, profile=profile, company_name=company))
    [mail] = read_outbox(tmp_path).emails
    for body in bodies(mail):
        assert inviter in body and label in body
        assert "par None" not in body and "par ," not in body


def test_invitation_escapes_names_in_html(session, tmp_path):
    case = CASES[3]
    company = '<script>alert("x")</script> & Fils'
    case.handler(make_dispatcher(session, tmp_path),
                 envelope_for(case, company_name=company, first_name="<b>Paul</b>"))
    [mail] = read_outbox(tmp_path).emails
    text, html = raw_bodies(mail)
    assert "<script>" not in html and "<b>Paul</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Fils" in html
    assert "&lt;b&gt;Paul&lt;/b&gt;" in html
    assert company in text  # plain text is not HTML: kept as typed


def test_account_activated_of_a_company_greets_without_names(session, tmp_path):
    """NO-7 for a company's administrator (identity publishes it with signup_verified, issue 19):
    no names yet, and the account wizard is what comes next."""
    case = CASES[4]
    case.handler(make_dispatcher(session, tmp_path),
                 envelope_for(case, profile="ENTREPRISE", first_name=None, last_name=None))
    [mail] = read_outbox(tmp_path).emails
    for body in bodies(mail):
        assert "Bonjour Madame, Monsieur," in body and "None" not in body
        assert "vous finaliserez la création de votre compte client en quatre étapes" in body


def test_account_activated_of_a_particulier_says_nothing_of_a_company_wizard(session, tmp_path):
    CASES[4].handler(make_dispatcher(session, tmp_path), envelope_for(CASES[4]))
    [mail] = read_outbox(tmp_path).emails
    for body in bodies(mail):
        assert "compte client" not in body


def test_password_changed_by_the_person_says_modified(session, tmp_path):
    case = CASES[5]
    case.handler(make_dispatcher(session, tmp_path),
                 envelope_for(case, reason="change", changed_at="2026-07-01T08:05:00Z"))
    [mail] = read_outbox(tmp_path).emails
    for body in bodies(mail):
        assert "a été modifié le 1er juillet 2026 à 10 h 05" in body  # summer time in Paris


@pytest.mark.parametrize("value, expected", [
    ("2026-11-23T09:15:00+00:00", "le 23 novembre 2026 à 10 h 15"),
    ("2026-11-23T09:15:00Z", "le 23 novembre 2026 à 10 h 15"),
    ("2026-11-23T09:15:00", "le 23 novembre 2026 à 10 h 15"),  # naive: UTC
    ("2026-03-01T07:05:00+00:00", "le 1er mars 2026 à 8 h 05"),
    ("2026-08-15T22:30:00+00:00", "le 16 août 2026 à 0 h 30"),
    (datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc), "le 1er janvier 2027 à 0 h 00"),
])
def test_french_datetime_in_paris_time(value, expected):
    assert french_datetime(value) == expected


def test_labels_and_names():
    assert [profile_label(p) for p in ("ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION", "GESTIONNAIRE")] == [
        "Administrateur", "Utilisateur", "Consultation", "Gestionnaire"]
    assert full_name("Marie", "Dupont") == "Marie Dupont"
    assert full_name(None, "Dupont") == "Dupont"
    assert full_name(None, None) == full_name("", " ") == ""
