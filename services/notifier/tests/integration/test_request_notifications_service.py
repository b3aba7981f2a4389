"""NO-8 to NO-14 through RabbitMQ and PostgreSQL with the NotifierService running: events of the
demandes, documents and accounts services become one e-mail each (one per administrator for
NO-13), to people the notifier learnt from identity events; an unknown person is asked to the
identity service, and while identity is down the event waits in the dead-letter queue, from
where it is replayed."""
import json
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Producer
from nameko.containers import ServiceContainer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared import dead_letters
from consignations_shared.events import EVENTS_EXCHANGE, new_envelope
from consignations_shared.testing import Settled
from consignations_shared.rpc import rpc
from notifier_service.delivery import read_outbox
from notifier_service.models import Contact, DeliveryAttemptRecord, Notification
from notifier_service.service import NotifierService

PORTAL = "https://consignations.example.com"
EVENTS = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)
NUMBER = "102611000001029"
LABEL = "Déconsigner / récupérer l'allocation de rentrée scolaire"
SUFFIX = " – Espace Personnel Consignations"


def publish(amqp_uri, source, type_, payload):
    envelope = new_envelope(type_, payload, source=source).to_dict()
    republish(amqp_uri, envelope)
    return envelope


def republish(amqp_uri, envelope):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(envelope), exchange=EVENTS, routing_key=f"{envelope['source']}.{envelope['type']}",
            content_type="application/json", content_encoding="utf-8", delivery_mode=2)


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)
    return predicate()


def person():
    return str(uuid.uuid4())


def activated(amqp_uri, person_id, email, first, last, profile="UTILISATEUR"):
    return publish(amqp_uri, "identity", "account_activated", {
        "person_id": person_id, "profile": profile, "email": email, "first_name": first,
        "last_name": last, "mobile": "+33612345678", "activated_at": "2026-11-23T08:00:00+00:00"})


@pytest.fixture
def outbox_dir(service_env):
    return Path(service_env["CONSIGNATIONS_VAR_DIR"]) / "outbox"


def mails_by_subject(outbox_dir):
    found = {}
    for mail in read_outbox(outbox_dir).emails:
        found.setdefault(str(mail["Subject"]), []).append(mail)
    return found


def test_each_request_event_becomes_one_email_to_the_right_person(start_service, amqp_uri, outbox_dir):
    container = start_service(NotifierService, env={"PORTAL_PUBLIC_URL": PORTAL})
    settled = Settled("notifier")
    owner, new_owner, admin_1, admin_2, requester = person(), person(), person(), person(), person()
    # the notifier learns who is who from identity events (and sends their NO-7)
    activated(amqp_uri, owner, "marie.dupont@exemple.fr", "Marie", "Dupont", "PARTICULIER")
    activated(amqp_uri, new_owner, "paul.martin@acme.example.com", "Paul", "Martin")
    activated(amqp_uri, admin_1, "admin.un@acme.example.com", "Alice", "Bernard", "ADMINISTRATEUR")
    activated(amqp_uri, admin_2, "admin.deux@acme.example.com", "Bruno", "Petit", "ADMINISTRATEUR")
    assert wait_for(lambda: len(read_outbox(outbox_dir).emails) == 4)

    request = {"demande_id": str(uuid.uuid4()), "number": NUMBER, "procedure_label": LABEL}
    publish(amqp_uri, "demandes", "demande_state_changed", {  # no e-mail for this state
        **request, "owner_person_id": owner, "from_state": "AWAITING_COMPLEMENT", "to_state": "SUBMITTED",
        "reason": None, "non_conforming_documents": [], "changed_at": "2026-11-23T09:00:00+00:00"})
    publish(amqp_uri, "demandes", "message_posted", {  # a client's reply: no e-mail
        "demande_id": request["demande_id"], "number": NUMBER, "message_id": "m-0", "author_role": "CLIENT",
        "subject": "Réponse", "owner_person_id": owner, "posted_at": "2026-11-23T09:00:00+00:00"})
    submitted = publish(amqp_uri, "demandes", "demande_submitted", {
        **request, "procedure_code": "ARS_D", "sens": "D", "owner_person_id": owner,
        "account_id": str(uuid.uuid4()), "submitted_at": "2026-11-23T09:15:00+00:00"})
    publish(amqp_uri, "demandes", "demande_state_changed", {
        **request, "owner_person_id": owner, "from_state": "SUBMITTED", "to_state": "AWAITING_COMPLEMENT",
        "reason": None, "non_conforming_documents": [{"label": "RIB", "reason": "Titulaire différent."}],
        "changed_at": "2026-11-23T10:00:00+00:00"})
    publish(amqp_uri, "demandes", "demande_state_changed", {
        **request, "owner_person_id": owner, "from_state": "SUBMITTED", "to_state": "REJECTED",
        "reason": "Pièces illisibles.", "non_conforming_documents": [], "changed_at": "2026-11-23T11:00:00+00:00"})
    publish(amqp_uri, "documents", "payment_proof_issued", {
        "demande_id": request["demande_id"], "number": NUMBER, "owner_person_id": owner,
        "document_id": str(uuid.uuid4()), "issued_at": "2026-11-23T12:00:00+00:00"})
    publish(amqp_uri, "demandes", "demande_reassigned", {
        **request, "owner_person_id": new_owner, "previous_owner_person_id": owner,
        "reassigned_by_person_id": admin_1})
    deletion = publish(amqp_uri, "accounts", "deletion_requested", {
        "account_id": str(uuid.uuid4()), "person_id": requester, "first_name": "Jean", "last_name": "Durand",
        "administrator_person_ids": [admin_1, admin_2]})
    publish(amqp_uri, "demandes", "message_posted", {
        "demande_id": request["demande_id"], "number": NUMBER, "message_id": "m-1",
        "author_role": "GESTIONNAIRE", "subject": "Demande en attente de fonds – 1ère relance",
        "owner_person_id": owner, "posted_at": "2026-11-23T13:00:00+00:00"})
    republish(amqp_uri, submitted)  # redelivered: no second e-mail
    republish(amqp_uri, deletion)

    # the four activations and the eleven deliveries after them handled, those that send nothing
    # and the redeliveries included
    assert settled.wait(4 + 11) >= 4 + 11
    by_subject = mails_by_subject(outbox_dir)
    assert len(read_outbox(outbox_dir).emails) == 12
    expected = {
        f"Votre demande n° {NUMBER} a bien été transmise{SUFFIX}": ["marie.dupont@exemple.fr"],
        f"Demande n° {NUMBER} : documents à compléter{SUFFIX}": ["marie.dupont@exemple.fr"],
        f"Demande rejetée – demande n° {NUMBER}{SUFFIX}": ["marie.dupont@exemple.fr"],
        f"Justificatif de paiement disponible – demande n° {NUMBER}{SUFFIX}": ["marie.dupont@exemple.fr"],
        f"Une demande vous a été réaffectée – demande n° {NUMBER}{SUFFIX}": ["paul.martin@acme.example.com"],
        f"Demande de suppression d'accès de Jean Durand{SUFFIX}": ["admin.deux@acme.example.com",
                                                                   "admin.un@acme.example.com"],
        "Nouveau message sur votre espace Consignations.fr": ["marie.dupont@exemple.fr"],
    }
    for subject, recipients in expected.items():
        assert sorted(m["To"] for m in by_subject[subject]) == recipients, subject
        for mail in by_subject[subject]:
            link = ("/utilisateurs" if "suppression" in subject
                    else f"/demandes/{request['demande_id']}/justificatif" if "Justificatif" in subject  # the proof
                    else "/suivi")
            assert f'href="{PORTAL}{link}"' in mail.get_body(("html",)).get_content()
    complement = by_subject[f"Demande n° {NUMBER} : documents à compléter{SUFFIX}"][0]
    assert "- RIB : Titulaire différent." in complement.get_body(("plain",)).get_content()
    rejected = by_subject[f"Demande rejetée – demande n° {NUMBER}{SUFFIX}"][0]
    assert "Motif du rejet : Pièces illisibles." in rejected.get_body(("plain",)).get_content()
    reassigned = by_subject[f"Une demande vous a été réaffectée – demande n° {NUMBER}{SUFFIX}"][0]
    assert "réaffectée par Alice Bernard" in reassigned.get_body(("plain",)).get_content()

    engine = create_engine(container.config["DATABASE_URL"])
    try:
        with Session(engine) as session:
            ids = {n.id for n in session.execute(select(Notification)).scalars()}
            assert {f"{deletion['event_id']}:{admin_1}", f"{deletion['event_id']}:{admin_2}",
                    submitted["event_id"]} <= ids
            attempts = list(session.execute(select(DeliveryAttemptRecord)).scalars())
            assert len(attempts) == 12 and {a.status for a in attempts} == {"sent"}
    finally:
        engine.dispose()


class IdentityStub:
    """Stands for the identity service: answers person_contact like the real one."""

    name = "identity"
    people = {}

    @rpc
    def person_contact(self, person_id):
        from consignations_shared.errors import NotFound

        if person_id not in self.people:
            raise NotFound("Cette personne est introuvable.")
        return {"person_id": person_id, "profile": "UTILISATEUR", "status": "ACTIVE", **self.people[person_id]}


def test_unknown_owner_waits_in_the_dlq_while_identity_is_down_then_is_replayed(
        start_service, amqp_uri, outbox_dir):
    container = start_service(NotifierService, env={"RPC_TIMEOUT": "1"})
    owner = person()
    event = publish(amqp_uri, "documents", "payment_proof_issued", {
        "demande_id": str(uuid.uuid4()), "number": NUMBER, "owner_person_id": owner,
        "document_id": str(uuid.uuid4()), "issued_at": "2026-11-23T12:00:00+00:00"})
    dlq = "notifier.on_payment_proof_issued.dlq"

    def parked():
        [queue] = dead_letters.list_dead_letters([(amqp_uri, dlq)])
        return queue.messages

    assert wait_for(parked, timeout=30)  # 3 attempts (EVENT_RETRY_DELAYS=0.2,0.4), identity silent
    [letter] = parked()
    assert (letter.event_id, letter.attempt) == (event["event_id"], 3)
    assert read_outbox(outbox_dir).emails == []

    IdentityStub.people = {owner: {"email": "marie.dupont@exemple.fr", "first_name": "Marie",
                                   "last_name": "Dupont", "mobile": None}}
    stub = ServiceContainer(IdentityStub, {"AMQP_URI": amqp_uri, "SERIALIZER": "json"})
    stub.start()
    try:
        assert dead_letters.replay(amqp_uri, dlq) == 1
        assert wait_for(lambda: read_outbox(outbox_dir).emails)
    finally:
        stub.stop()
    [mail] = read_outbox(outbox_dir).emails
    assert mail["To"] == "marie.dupont@exemple.fr"
    assert "Bonjour Marie Dupont," in mail.get_body(("plain",)).get_content()
    engine = create_engine(container.config["DATABASE_URL"])
    try:
        with Session(engine) as session:
            saved = session.get(Contact, owner)
            assert (saved.email, saved.first_name) == ("marie.dupont@exemple.fr", "Marie")  # kept for next time
    finally:
        engine.dispose()
