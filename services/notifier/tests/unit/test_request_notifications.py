"""Notifications NO-8 to NO-14 (SPEC section 7; DM-5, DM-8, BO-2, DO-8, AC-6, MS-3): events about
requests, documents, messages and users become French e-mails to the people the notifier knows
from earlier events, once per event (and per recipient for NO-13)."""
from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.events import new_envelope
from consignations_shared.plumbing import plumbing_metadata
from notifier_service import dispatch
from notifier_service.contacts import ContactBook
from notifier_service.contracts import ContractViolation
from notifier_service.delivery import OutboxEmailBackend, OutboxSmsBackend, read_outbox
from notifier_service.messages import NOTIFICATIONS
from notifier_service.models import Base, DeliveryAttemptRecord, Notification

PORTAL = "https://consignations.example.com/espace"
SIGNATURE = "Le service des consignations"
CONTACT = (
    "Nos conseillers sont à votre écoute au 01 58 50 89 88 (prix d'un appel local) "
    "du lundi au vendredi de 9h à 12h et de 13h à 17h"
)
AUTOMATIC = "Ce message est généré automatiquement, merci de ne pas y répondre."
SUFFIX = " – Espace Personnel Consignations"

OWNER, NEW_OWNER, ADMIN_1, ADMIN_2, REQUESTER = (
    "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444",
    "55555555-5555-4555-8555-555555555555",
)
PEOPLE = {
    OWNER: ("marie.dupont@exemple.fr", "Marie", "Dupont"),
    NEW_OWNER: ("paul.martin@acme.example.com", "Paul", "Martin"),
    ADMIN_1: ("admin.un@acme.example.com", "Alice", "Bernard"),
    ADMIN_2: ("admin.deux@acme.example.com", "Bruno", "Petit"),
}
NUMBER = "102611000001029"
LABEL = "Déconsigner / récupérer l'allocation de rentrée scolaire"


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def known_people(session):
    book = ContactBook(session, FrozenClock())
    for person_id, (email, first, last) in PEOPLE.items():
        book.record_and_commit(person_id, "2026-01-01T00:00:00+00:00", email=email,
                               first_name=first, last_name=last)


def make_dispatcher(session, tmp_path, **kwargs):
    options = {"email_backend": OutboxEmailBackend(tmp_path), "sms_backend": OutboxSmsBackend(tmp_path),
               **kwargs}
    return dispatch.Dispatcher(
        session=session, clock=FrozenClock(), sender="Consignations <ne-pas-repondre@consignations.example.com>",
        portal_url=PORTAL, **options,
    )


def no_fallback(person_id):
    raise AssertionError(f"the identity service must not be asked for {person_id}")


@dataclass
class Case:
    name: str
    spec_id: str
    handler: object
    source: str
    type: str
    payload: dict
    to: str
    subject: str
    link: str
    texts: list[str] = field(default_factory=list)


CASES = [
    Case("demande_submitted", "NO-8", dispatch.demande_submitted, "demandes", "demande_submitted",
         {"demande_id": "d-1", "number": NUMBER, "procedure_code": "ARS_D", "procedure_label": LABEL,
          "sens": "D", "owner_person_id": OWNER, "account_id": "a-1",
          "submitted_at": "2026-11-23T09:15:00+00:00"},
         "marie.dupont@exemple.fr",
         f"Votre demande n° {NUMBER} a bien été transmise{SUFFIX}",
         f"{PORTAL}/suivi",
         ["Bonjour Marie Dupont,", f"Numéro de demande : {NUMBER}",
          f"Votre demande de déconsignation « {LABEL} » a bien été transmise à la Caisse des Dépôts "
          "le 23 novembre 2026 à 10 h 15", "prise en charge par le service de gestion",
          "Le récapitulatif de votre demande (PDF) est disponible", "« Mon suivi »"]),
    Case("demande_awaiting_complement", "NO-9", dispatch.demande_state_changed, "demandes",
         "demande_state_changed",
         {"demande_id": "d-1", "number": NUMBER, "procedure_label": LABEL, "owner_person_id": OWNER,
          "from_state": "SUBMITTED", "to_state": "AWAITING_COMPLEMENT", "reason": None,
          "non_conforming_documents": [
              {"label": "Relevé d'identité bancaire (RIB)", "reason": "Le titulaire ne correspond pas."},
              {"label": "Acte de naissance", "reason": "Document de plus de 3 mois."}],
          "changed_at": "2026-11-24T09:00:00+00:00"},
         "marie.dupont@exemple.fr",
         f"Demande n° {NUMBER} : documents à compléter{SUFFIX}",
         f"{PORTAL}/suivi",
         ["Bonjour Marie Dupont,", "certains documents transmis n'étaient pas conformes",
          "Relevé d'identité bancaire (RIB) : Le titulaire ne correspond pas.",
          "Acte de naissance : Document de plus de 3 mois.", "« Mon suivi »", "« VALIDER »"]),
    Case("payment_proof_available", "NO-10", dispatch.payment_proof_issued, "documents",
         "payment_proof_issued",
         {"demande_id": "d-1", "number": NUMBER, "owner_person_id": OWNER, "document_id": "doc-9",
          "issued_at": "2026-11-25T09:00:00+00:00"},
         "marie.dupont@exemple.fr",
         f"Justificatif de paiement disponible – demande n° {NUMBER}{SUFFIX}",
         f"{PORTAL}/demandes/d-1/justificatif",  # the proof itself, not « Mon suivi » (issue 19)
         ["Bonjour Marie Dupont,", f"Votre demande n° {NUMBER} a été traitée et validée",
          "Votre justificatif de paiement est disponible", "Télécharger mon justificatif",
          "Signé électroniquement, il a une valeur probante", "« Mon suivi »"]),
    Case("demande_rejected", "NO-11", dispatch.demande_state_changed, "demandes", "demande_state_changed",
         {"demande_id": "d-1", "number": NUMBER, "procedure_label": LABEL, "owner_person_id": OWNER,
          "from_state": "SUBMITTED", "to_state": "REJECTED",
          "reason": "Demande déjà traitée sous le n° 102609000000877.",
          "non_conforming_documents": [], "changed_at": "2026-11-24T09:00:00+00:00"},
         "marie.dupont@exemple.fr",
         f"Demande rejetée – demande n° {NUMBER}{SUFFIX}",
         f"{PORTAL}/suivi",
         [f"Votre demande n° {NUMBER} (« {LABEL} ») a été rejetée par le service de gestion.",
          "Motif du rejet : Demande déjà traitée sous le n° 102609000000877.", "« Demandes rejetées »"]),
    Case("demande_reassigned", "NO-12", dispatch.demande_reassigned, "demandes", "demande_reassigned",
         {"demande_id": "d-1", "number": NUMBER, "procedure_label": LABEL, "owner_person_id": NEW_OWNER,
          "previous_owner_person_id": OWNER, "reassigned_by_person_id": ADMIN_1},
         "paul.martin@acme.example.com",
         f"Une demande vous a été réaffectée – demande n° {NUMBER}{SUFFIX}",
         f"{PORTAL}/suivi",
         ["Bonjour Paul Martin,", f"La demande n° {NUMBER} (« {LABEL} ») vous a été réaffectée par "
          "Alice Bernard", "vous êtes désormais propriétaire de cette demande"]),
    Case("access_deletion_requested", "NO-13", dispatch.access_deletion_requested, "accounts",
         "deletion_requested",
         {"account_id": "a-1", "person_id": REQUESTER, "first_name": "Jean", "last_name": "Durand",
          "administrator_person_ids": [ADMIN_1]},
         "admin.un@acme.example.com",
         f"Demande de suppression d'accès de Jean Durand{SUFFIX}",
         f"{PORTAL}/utilisateurs",
         ["Bonjour Alice Bernard,", "Jean Durand, utilisateur de votre compte, souhaite supprimer son accès",
          "« Mes utilisateurs »", "« GÉRER LA DEMANDE DE SUPPRESSION »", "accepter ou refuser"]),
    Case("new_message", "NO-14", dispatch.message_posted, "demandes", "message_posted",
         {"demande_id": "d-1", "number": NUMBER, "message_id": "m-1", "author_role": "GESTIONNAIRE",
          "subject": "Demande en attente de compléments clients – 1ère relance",
          "owner_person_id": OWNER, "posted_at": "2026-11-24T09:00:00+00:00"},
         "marie.dupont@exemple.fr",
         "Nouveau message sur votre espace Consignations.fr",
         f"{PORTAL}/suivi",
         [f"Vous avez reçu un nouveau message concernant le traitement de votre demande {NUMBER}.",
          "Merci de vous connecter sur votre espace personnel (Mon suivi) afin de visualiser le(s) "
          "message(s) non lu(s) de votre demande."]),
]


def envelope_for(case: Case, **payload_changes):
    return new_envelope(case.type, {**case.payload, **payload_changes}, source=case.source)


def bodies(mail):
    """What a person reads: the text part, and the HTML part without tags; spaces collapsed."""
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    inline = re.sub(r"</?(strong|span|b|em)( [^>]*)?>", "", html)  # words keep their punctuation
    visible = html_lib.unescape(re.sub(r"<[^>]+>", " ", inline))
    return " ".join(text.split()), " ".join(visible.split())


def rows(session, model):
    return list(session.execute(select(model)).scalars())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_request_notification_is_sent_once_to_the_known_person(case, session, tmp_path, known_people):
    envelope = envelope_for(case)
    assert case.handler(make_dispatcher(session, tmp_path, contacts_fallback=no_fallback), envelope)

    [mail] = read_outbox(tmp_path).emails
    assert mail["To"] == case.to
    assert str(mail["Subject"]) == case.subject
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",)).get_content()
    for body in bodies(mail):
        for expected in case.texts:
            assert expected in body, (expected, body)
        assert SIGNATURE in body and CONTACT in body and AUTOMATIC in body
        assert case.link in body
    assert f'href="{case.link}"' in html
    assert html.count("href=") == html.count(f'href="{PORTAL}')  # every link into the portal

    [record] = rows(session, Notification)
    expected_id = envelope.event_id if case.name != "access_deletion_requested" else f"{envelope.event_id}:{ADMIN_1}"
    assert (record.id, record.kind, record.status, record.recipient) == (expected_id, case.name, "sent", case.to)
    [attempt] = rows(session, DeliveryAttemptRecord)
    assert (attempt.notification_id, attempt.attempt, attempt.status, attempt.channel, attempt.recipient) == (
        expected_id, 1, "sent", "email", case.to)

    # the same event delivered again sends nothing
    assert not case.handler(make_dispatcher(session, tmp_path, contacts_fallback=no_fallback), envelope)
    assert len(read_outbox(tmp_path).emails) == 1
    assert len(rows(session, Notification)) == 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_request_notifications_are_registered_with_their_spec_id(case):
    notification = NOTIFICATIONS[case.name]
    assert (notification.channel, notification.spec_id) == ("email", case.spec_id)


@pytest.mark.parametrize("to_state", ["SUBMITTED", "AWAITING_FUNDS", "VALIDATED", "DRAFT"])
def test_other_state_changes_send_nothing(to_state, session, tmp_path, known_people):
    case = CASES[1]
    envelope = envelope_for(case, to_state=to_state)
    assert dispatch.demande_state_changed(make_dispatcher(session, tmp_path, contacts_fallback=no_fallback),
                                          envelope) is False
    assert dispatch.demande_state_changed(make_dispatcher(session, tmp_path, contacts_fallback=no_fallback),
                                          envelope) is False
    assert read_outbox(tmp_path).emails == [] and rows(session, Notification) == []


def test_complement_and_rejection_of_one_request_are_two_notifications(session, tmp_path, known_people):
    d = make_dispatcher(session, tmp_path)
    assert dispatch.demande_state_changed(d, envelope_for(CASES[1]))
    assert dispatch.demande_state_changed(d, envelope_for(CASES[3]))
    assert sorted(str(m["Subject"]) for m in read_outbox(tmp_path).emails) == sorted(
        [CASES[1].subject, CASES[3].subject])


def test_rejection_without_reason_points_to_the_advisers(session, tmp_path, known_people):
    dispatch.demande_state_changed(make_dispatcher(session, tmp_path), envelope_for(CASES[3], reason=None))
    [mail] = read_outbox(tmp_path).emails
    for body in bodies(mail):
        assert "Motif du rejet" not in body and "None" not in body
        assert "Pour connaître le motif du rejet, contactez nos conseillers" in body


def test_complement_lists_documents_escaped_in_html(session, tmp_path, known_people):
    documents = [{"label": "<b>RIB</b>", "reason": "IBAN & BIC illisibles"}]
    dispatch.demande_state_changed(make_dispatcher(session, tmp_path),
                                   envelope_for(CASES[1], non_conforming_documents=documents))
    [mail] = read_outbox(tmp_path).emails
    html = mail.get_body(("html",)).get_content()
    assert "<b>RIB</b>" not in html and "&lt;b&gt;RIB&lt;/b&gt;" in html
    assert "IBAN &amp; BIC illisibles" in html
    assert "- <b>RIB</b> : IBAN & BIC illisibles" in mail.get_body(("plain",)).get_content()


def test_client_messages_send_nothing_and_gestionnaire_messages_never_copy_the_message(
        session, tmp_path, known_people):
    case = CASES[6]
    private = "Mon IBAN est FR7630006000011234567890189"
    assert dispatch.message_posted(make_dispatcher(session, tmp_path),
                                   envelope_for(case, author_role="CLIENT")) is False
    assert read_outbox(tmp_path).emails == []
    assert dispatch.message_posted(make_dispatcher(session, tmp_path),
                                   envelope_for(case, subject=private, body=private, text=private))
    [mail] = read_outbox(tmp_path).emails
    raw = mail.as_string()
    assert "FR7630006000011234567890189" not in raw and "IBAN" not in raw
    assert "relance" not in raw  # not even a standard subject


def test_deletion_request_goes_to_each_administrator_once(session, tmp_path, known_people):
    envelope = envelope_for(CASES[5], administrator_person_ids=[ADMIN_1, ADMIN_2, ADMIN_1])
    assert dispatch.access_deletion_requested(make_dispatcher(session, tmp_path), envelope) == 2
    assert dispatch.access_deletion_requested(make_dispatcher(session, tmp_path), envelope) == 0
    mails = read_outbox(tmp_path).emails
    assert sorted(m["To"] for m in mails) == ["admin.deux@acme.example.com", "admin.un@acme.example.com"]
    assert {r.id for r in rows(session, Notification)} == {
        f"{envelope.event_id}:{ADMIN_1}", f"{envelope.event_id}:{ADMIN_2}"}
    for mail in mails:
        name = "Alice Bernard" if mail["To"] == "admin.un@acme.example.com" else "Bruno Petit"
        assert f"Bonjour {name}," in bodies(mail)[0]


class FlakyBackend:
    """Fails transiently for one address, delivers the others to the outbox."""

    def __init__(self, tmp_path, failing):
        self.outbox = OutboxEmailBackend(tmp_path)
        self.failing = failing

    def send(self, message, notification_id):
        from notifier_service.delivery import TransientDeliveryError

        if message["To"] in self.failing:
            raise TransientDeliveryError("serveur SMTP indisponible")
        self.outbox.send(message, notification_id)


def test_deletion_request_retry_sends_only_to_the_administrator_not_reached(session, tmp_path, known_people):
    from notifier_service.delivery import TransientDeliveryError

    envelope = envelope_for(CASES[5], administrator_person_ids=[ADMIN_1, ADMIN_2])
    flaky = FlakyBackend(tmp_path, {"admin.deux@acme.example.com"})
    with pytest.raises(TransientDeliveryError):
        dispatch.access_deletion_requested(make_dispatcher(session, tmp_path, email_backend=flaky), envelope)
    assert [m["To"] for m in read_outbox(tmp_path).emails] == ["admin.un@acme.example.com"]

    flaky.failing = set()
    retry = make_dispatcher(session, tmp_path, email_backend=flaky, attempt=2)
    assert dispatch.access_deletion_requested(retry, envelope) == 1
    assert sorted(m["To"] for m in read_outbox(tmp_path).emails) == [
        "admin.deux@acme.example.com", "admin.un@acme.example.com"]
    attempts = sorted((a.recipient, a.attempt, a.status) for a in rows(session, DeliveryAttemptRecord))
    assert attempts == [("admin.deux@acme.example.com", 1, "transient_failure"),
                        ("admin.deux@acme.example.com", 2, "sent"),
                        ("admin.un@acme.example.com", 1, "sent")]


def test_deletion_request_without_names_stays_readable(session, tmp_path, known_people):
    dispatch.access_deletion_requested(make_dispatcher(session, tmp_path),
                                       envelope_for(CASES[5], first_name=None, last_name=None))
    [mail] = read_outbox(tmp_path).emails
    assert str(mail["Subject"]) == f"Demande de suppression d'accès{SUFFIX}"
    for body in bodies(mail):
        assert "Un utilisateur de votre compte souhaite supprimer son accès" in body and "None" not in body


def test_reassignment_by_someone_unknown_does_not_name_them(session, tmp_path, known_people):
    dispatch.demande_reassigned(make_dispatcher(session, tmp_path, contacts_fallback=no_fallback),
                                envelope_for(CASES[4], reassigned_by_person_id=REQUESTER))
    [mail] = read_outbox(tmp_path).emails
    for body in bodies(mail):
        assert f"La demande n° {NUMBER} (« {LABEL} ») vous a été réaffectée : vous êtes" in body


def test_submitted_consignation_says_so(session, tmp_path, known_people):
    dispatch.demande_submitted(make_dispatcher(session, tmp_path), envelope_for(CASES[0], sens="C"))
    [mail] = read_outbox(tmp_path).emails
    assert "Votre demande de consignation « " in bodies(mail)[0]


@pytest.mark.parametrize("case_index, changes", [
    (0, {"number": "10261100000102"}),  # 14 digits
    (0, {"number": None}),
    (0, {"owner_person_id": None}),
    (2, {"number": "1026-1100-0001"}),
    (1, {"non_conforming_documents": "RIB"}),
    (1, {"non_conforming_documents": [{"reason": "sans libellé"}]}),
    (5, {"administrator_person_ids": "admin"}),
    (6, {"author_role": None}),
])
def test_a_payload_breaking_its_contract_is_refused(case_index, changes, session, tmp_path, known_people):
    case = CASES[case_index]
    with pytest.raises(ContractViolation):
        case.handler(make_dispatcher(session, tmp_path), envelope_for(case, **changes))
    assert read_outbox(tmp_path).emails == [] and rows(session, Notification) == []


def test_a_reassigned_draft_has_no_number_yet_and_still_reaches_its_new_owner(session, tmp_path, known_people):
    dispatch.demande_reassigned(make_dispatcher(session, tmp_path, contacts_fallback=no_fallback),
                                envelope_for(CASES[4], number=None, reassigned_by_person_id=REQUESTER))
    [mail] = read_outbox(tmp_path).emails
    assert str(mail["Subject"]) == f"Une demande vous a été réaffectée{SUFFIX}"
    for body in bodies(mail):
        assert f"La demande brouillon (« {LABEL} ») vous a été réaffectée" in body and "None" not in body


def test_other_request_notifications_still_need_their_number(session, tmp_path, known_people):
    with pytest.raises(ContractViolation):
        dispatch.demande_submitted(make_dispatcher(session, tmp_path), envelope_for(CASES[0], number=None))


def test_automatic_reminders_are_back_office_messages_too(session, tmp_path, known_people):
    assert dispatch.message_posted(make_dispatcher(session, tmp_path),
                                   envelope_for(CASES[6], author_role="SYSTEM", message_id="m-reminder"))
    [mail] = read_outbox(tmp_path).emails
    assert NUMBER in mail.as_string()


def test_the_proof_link_is_built_from_the_request_id_made_safe(session, tmp_path, known_people):
    """« Télécharger mon justificatif » leads to /demandes/<id>/justificatif of that request; an id
    cannot leave that path (it is quoted)."""
    case = next(c for c in CASES if c.name == "payment_proof_available")
    case.handler(make_dispatcher(session, tmp_path), envelope_for(case, demande_id="../x?y"))
    [mail] = read_outbox(tmp_path).emails
    html = mail.get_body(("html",)).get_content()
    assert f'href="{PORTAL}/demandes/..%2Fx%3Fy/justificatif"' in html
    assert f"{PORTAL}/suivi" not in html
