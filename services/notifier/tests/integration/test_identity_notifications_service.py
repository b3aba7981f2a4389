"""Identity notifications through RabbitMQ and PostgreSQL: a private command
(notifier.send_activation_link on consignations.commands) and an integration event
(identity.account_activated on consignations.events) both end as e-mails in the outbox folder."""
import json
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Producer

from consignations_shared.events import COMMANDS_EXCHANGE, EVENTS_EXCHANGE, new_envelope
from consignations_shared.testing import Settled
from notifier_service.delivery import read_outbox
from notifier_service.service import NotifierService

PORTAL = "https://consignations.example.com"


def publish(amqp_uri, exchange, routing_key, envelope):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(envelope), exchange=exchange, routing_key=routing_key,
            content_type="application/json", content_encoding="utf-8", delivery_mode=2)


@pytest.fixture
def outbox_dir(service_env):
    return Path(service_env["CONSIGNATIONS_VAR_DIR"]) / "outbox"


def test_activation_command_and_activated_event_reach_the_outbox(start_service, amqp_uri, outbox_dir):
    start_service(NotifierService, env={"PORTAL_PUBLIC_URL": PORTAL})
    settled = Settled("notifier")

    command = new_envelope("send_activation_link", {
        "person_id": "p-1", "email": "marie.dupont@exemple.fr", "first_name": "Marie",
        "last_name": "Dupont", "link_token": "AB12cd34", "validity_minutes": 30,
    }, source="identity", command=True).to_dict()
    publish(amqp_uri, COMMANDS_EXCHANGE, "notifier.send_activation_link", command)

    events = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)
    event = new_envelope("account_activated", {
        "person_id": "p-1", "profile": "PARTICULIER", "email": "marie.dupont@exemple.fr",
        "first_name": "Marie", "last_name": "Dupont", "activated_at": "2026-11-23T09:15:00+00:00",
    }, source="identity").to_dict()
    publish(amqp_uri, events, "identity.account_activated", event)
    publish(amqp_uri, events, "identity.account_activated", event)  # redelivered: sent once

    assert settled.wait(3) >= 3  # the command, the event and its redelivery handled
    outbox = read_outbox(outbox_dir)
    by_subject = {str(mail["Subject"]): mail for mail in outbox.emails}
    assert len(outbox.emails) == 2
    assert {path.stem for path in outbox.email_paths} == {command["event_id"], event["event_id"]}

    activation = by_subject["Activation de compte – Espace Personnel Consignations"]
    assert activation["To"] == "marie.dupont@exemple.fr"
    assert f"{PORTAL}/activation?token=AB12cd34" in activation.get_body(("plain",)).get_content()
    assert f'href="{PORTAL}/activation?token=AB12cd34"' in activation.get_body(("html",)).get_content()

    activated = by_subject["Votre compte est validé – Espace Personnel Consignations"]
    assert activated["To"] == "marie.dupont@exemple.fr"
    assert "Bonjour Marie Dupont," in activated.get_body(("plain",)).get_content()
    assert f'href="{PORTAL}/"' in activated.get_body(("html",)).get_content()
