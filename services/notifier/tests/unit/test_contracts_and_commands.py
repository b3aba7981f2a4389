"""Every consumed message has a written contract; operator command `preview`; start-up options."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from consignations_shared.config import load_settings
from consignations_shared.topology import queue_specs
from notifier_service import contracts
from notifier_service.delivery import BackendConfigurationError
from notifier_service.messages import NOTIFICATIONS
from notifier_service.providers import NotifierOptions
from notifier_service.service import NotifierService


def consumed_routing_keys():
    return {spec.routing_key for spec in queue_specs(NotifierService, (1.0,))}


def documented_payloads(doc: str) -> dict[str, dict[str, bool]]:
    """{routing name: {payload key: required}} read from the tables of contracts.py's docstring
    (a key followed by ``?`` is optional; ``(...)`` and ``[...]`` details are skipped)."""
    rows, current = {}, None
    for line in doc.splitlines():
        row = re.match(r"^([a-z_]+(?:\.[a-z_]+)?)\s{2,}\S+\s+(.*)$", line)
        if row:
            current = row.group(1)
            rows[current] = row.group(2)
        elif line.startswith("="):
            current = None
        elif current and line.startswith(" ") and line.strip():
            rows[current] += " " + re.sub(r"^NO-[0-9]+,?\s+", "", line.strip())
    payloads = {}
    for name, text in rows.items():
        braces = re.search(r"\{(.*?)\}(?=\s*(->|$))", text)
        inner = re.sub(r"\[[^\]]*\]", "", re.sub(r"\([^)]*\)", "", braces.group(1))) if braces else ""
        keys = (re.match(r"([a-z_]+)(\?)?", part.strip()) for part in inner.split(","))
        payloads[name] = {k.group(1): k.group(2) is None for k in keys if k}
    return payloads


def test_every_consumed_command_and_event_is_documented_as_its_contract_reads_it():
    """The docstring of contracts.py is the notifier's published contract: each consumed routing
    key has a row whose payload names every key the contract reads, the required ones without
    ``?``, and no key the contract does not know."""
    keys = consumed_routing_keys()
    assert keys == ({c.routing_key for c in contracts.COMMANDS.values()} | set(contracts.EVENTS))
    documented = documented_payloads(contracts.__doc__)
    for contract in [*contracts.COMMANDS.values(), *contracts.EVENTS.values()]:
        name = contract.routing_key.split(".", 1)[1] if contract.routing_key.startswith("notifier.") \
            else contract.routing_key
        payload = documented.get(name)
        assert payload, name
        assert set(payload) == set(contract.required) | set(contract.optional), (name, payload, contract)
        assert all(payload[key] for key in contract.required), (name, payload, contract)
    for name in ("demandes.demande_submitted", "demandes.demande_state_changed", "documents.payment_proof_issued",
                 "demandes.demande_reassigned", "accounts.deletion_requested", "demandes.message_posted",
                 "accounts.person_updated", "identity.signup_verified", "identity.person_invited"):
        assert name in keys


def test_every_contract_names_fields_of_the_declared_payload_type():
    from consignations_shared.contracts.messages import COMMANDS, event_type

    for name, contract in contracts.COMMANDS.items():
        fields = set(COMMANDS[("notifier", name)].model_fields)
        assert set(contract.required) | set(contract.optional) <= fields, name
    for key, contract in contracts.EVENTS.items():
        fields = set(event_type(*key.split(".", 1)).model_fields)
        assert set(contract.required) | set(contract.optional) <= fields, key


def test_a_payload_that_does_not_fit_its_type_is_a_contract_violation():
    from consignations_shared.events import new_envelope
    from notifier_service import dispatch

    envelope = new_envelope("demande_state_changed", {
        "demande_id": "d-1", "number": "102611000001029", "owner_person_id": "p-1", "to_state": "NOWHERE"},
        source="demandes")
    with pytest.raises(contracts.ContractViolation, match="to_state"):
        dispatch._event(envelope, "demandes.demande_state_changed")


def test_contract_requires_non_empty_values():
    contract = contracts.EVENTS["demandes.message_posted"]
    payload = {"demande_id": "d", "number": "102611000001029", "author_role": "GESTIONNAIRE",
               "owner_person_id": "p"}
    assert contracts.require(payload, contract) is payload
    for key in contract.required:
        with pytest.raises(contracts.ContractViolation, match=key):
            contracts.require({**payload, key: ""}, contract)
    assert contracts.demande_number({"number": " 102611000001029 "}, contract) == "102611000001029"


def test_preview_command_renders_every_notification(tmp_path):
    out = tmp_path / "preview"
    env = {**os.environ, "CONSIGNATIONS_VAR_DIR": str(tmp_path / "var"),
           "NOTIFIER_DATABASE_URL": f"sqlite:///{tmp_path / 'notifier.db'}"}
    result = subprocess.run([sys.executable, "-m", "notifier_service", "preview", "--out", str(out),
                             "--portal-url", "https://consignations.example.com"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{len(NOTIFICATIONS)} notifications" in result.stdout
    written = {p.name for p in out.iterdir()}
    for name, notification in NOTIFICATIONS.items():
        assert f"{name}.txt" in written
        assert (f"{name}.html" in written) == (notification.channel == "email")
    index = (out / "index.html").read_text(encoding="utf-8")
    for name, notification in NOTIFICATIONS.items():
        assert f"<td>{notification.spec_id}</td><td>{name}</td>" in index
    assert "Nouveau message sur votre espace Consignations.fr" in index
    assert "https://consignations.example.com/suivi" in (out / "demande_submitted.txt").read_text(encoding="utf-8")
    assert "« GÉRER LA DEMANDE DE SUPPRESSION »" in (out / "access_deletion_requested.html").read_text(encoding="utf-8")
    assert (out / "signup_sms_code.txt").read_text(encoding="utf-8") == "Votre code confidentiel CDC est : 123456\n"


def test_every_spec_notification_from_no_1_to_no_15_is_registered():
    ids = {notification.spec_id for notification in NOTIFICATIONS.values()}
    assert ids == {f"NO-{n}" for n in range(1, 16)}


def options_with(env):
    provider = NotifierOptions()
    settings = load_settings("notifier", {"CONSIGNATIONS_VAR_DIR": os.environ.get("TMPDIR", "/tmp"), **env})
    provider.container = SimpleNamespace(config={"SERVICE_SETTINGS": settings}, service_name="notifier")
    provider.setup()
    return provider


def test_options_are_read_once_at_start():
    default = options_with({})
    assert (default.sms_code_limit_per_hour, default.crash_after_send) == (5, None)
    custom = options_with({"NOTIFIER_SMS_CODE_LIMIT_PER_HOUR": "3",
                           "NOTIFIER_FAULT_CRASH_AFTER_SEND": "signup_sms_code"})
    assert (custom.sms_code_limit_per_hour, custom.crash_after_send) == (3, "signup_sms_code")
    for wrong in ("0", "-1", "many"):
        with pytest.raises(BackendConfigurationError, match="NOTIFIER_SMS_CODE_LIMIT_PER_HOUR"):
            options_with({"NOTIFIER_SMS_CODE_LIMIT_PER_HOUR": wrong})
