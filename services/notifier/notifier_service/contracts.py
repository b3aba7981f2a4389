"""What the notifier consumes: every command and event, its routing key and its payload.

All messages carry the EV-2 envelope ``{event_id, type, version, occurred_at, source,
correlation_id, payload}``; only ``payload`` is described here (version 1 of every type).
``?`` marks an optional key. A message whose payload misses a required key makes its handler
raise :class:`ContractViolation`: it is retried, then parked in the queue's ``.dlq`` where an
operator can read the reason (``x-error``) and replay it once the publisher is fixed. Each
payload is read through its declared type (``consignations_shared.contracts.payloads``, the
source of ``docs/asyncapi.yaml``): a value of the wrong type is a ContractViolation too. The keys
below are what the notifier needs of those types (a unit test holds them against the types).

Recipients of the events that carry only a ``person_id`` are looked up in the notifier's own
``contacts`` table, filled by the identity and accounts events below; an unknown person is asked
once to the identity service (RPC ``identity.person_contact``), and if identity does not answer
the event is retried later, never lost.

Private commands — exchange ``consignations.commands`` (direct), routing key
``notifier.<command>``; they carry codes and links (EV-4), no other system may bind to them:

=================================  ======  =====================================================
command                            NO      payload
=================================  ======  =====================================================
send_signup_sms_code               NO-1    {signup_id, mobile (E.164), code (6 digits)} -> SMS
send_signup_email_code             NO-2    {signup_id, email, company_name?, code}
send_signup_already_registered     NO-2    {signup_id?, email}
send_activation_link               NO-3    {person_id, email, first_name?, last_name?,
                                           link_token, validity_minutes?}
send_password_reset                NO-4    {person_id, email, link_token, code,
                                           validity_minutes?}
send_password_change_code          NO-5    {person_id, email, code, validity_hours?}
send_invitation                    NO-6    {person_id, email, first_name?, last_name?,
                                           link_token, code, company_name?, profile,
                                           validity_hours?}
=================================  ======  =====================================================

Integration events — exchange ``consignations.events`` (topic), routing key
``<source>.<type>``:

===================================  ======  ===================================================
event                                NO      payload -> what the notifier does
===================================  ======  ===================================================
identity.signup_verified             —       {signup_id, person_id, profile, company_name,
                                             email, mobile, verified_at}
                                             -> contact recorded (email, mobile)
identity.account_activated           NO-7    {person_id, profile, email, first_name?,
                                             last_name?, mobile?, activated_at}
                                             -> contact recorded; « Votre compte est validé »
                                             (profile ENTREPRISE: a company's administrator,
                                             told that the account wizard comes next)
identity.person_invited              —       {person_id, email, profile, first_name,
                                             last_name, invited_by?}
                                             -> contact recorded
identity.password_changed            NO-15   {person_id, email, reason ("reset"|"change"),
                                             changed_at} -> contact's e-mail recorded;
                                             security notice
accounts.person_updated              —       {person_id, email?, first_name?, last_name?,
                                             mobile?} -> the keys present are recorded
demandes.demande_submitted           NO-8    {demande_id, number (15 digits), procedure_code,
                                             procedure_label, sens ("C"|"D"),
                                             owner_person_id, account_id, submitted_at}
                                             -> « demande transmise » to the owner, with its
                                             number; récapitulatif in « Mon suivi » (/suivi)
demandes.demande_state_changed       NO-9,   {demande_id, number, procedure_label,
                                     NO-11   owner_person_id, from_state, to_state, reason?,
                                             non_conforming_documents?: [{label, reason}],
                                             changed_at}
                                             -> to_state AWAITING_COMPLEMENT: the documents to
                                             replace and why (NO-9); REJECTED: « Demande
                                             rejetée » with the reason (NO-11); any other
                                             state: nothing
documents.payment_proof_issued       NO-10   {demande_id, number, owner_person_id,
                                             document_id, issued_at}
                                             -> « Justificatif de paiement disponible »,
                                             linking to the proof of that request
                                             (/demandes/<demande_id>/justificatif)
demandes.demande_reassigned          NO-12   {demande_id, number (null for a draft), procedure_label,
                                             owner_person_id (the new owner),
                                             previous_owner_person_id,
                                             reassigned_by_person_id}
                                             -> e-mail to the new owner
accounts.deletion_requested   NO-13   {account_id, person_id, first_name, last_name,
                                             administrator_person_ids: [person_id, ...]}
                                             -> one e-mail to each administrator
                                             (notification id ``<event_id>:<person_id>``),
                                             « GÉRER LA DEMANDE DE SUPPRESSION » in
                                             « Mes utilisateurs » (/utilisateurs)
demandes.message_posted              NO-14   {demande_id, number, message_id, author_role
                                             ("GESTIONNAIRE"|"CLIENT"), subject,
                                             owner_person_id, posted_at}
                                             -> only for GESTIONNAIRE: « Nouveau message sur
                                             votre espace Consignations.fr » with the number;
                                             neither the message nor its subject is copied
                                             (they may carry personal data, MS-5)
===================================  ======  ===================================================

Each notification is recorded under the event id (per recipient for NO-13) and never sent twice
for the same event; every delivery attempt is logged in ``delivery_attempts``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = [
    "COMMANDS",
    "EVENTS",
    "Contract",
    "ContractViolation",
    "demande_number",
    "require",
]


class ContractViolation(ValueError):
    """A consumed message does not carry what its contract promises."""


@dataclass(frozen=True)
class Contract:
    routing_key: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


def _command(name: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Contract:
    return Contract(f"notifier.{name}", required, optional)


COMMANDS: dict[str, Contract] = {
    "send_signup_sms_code": _command("send_signup_sms_code", ("mobile", "code"), ("signup_id",)),
    "send_signup_email_code": _command(
        "send_signup_email_code", ("email", "code"), ("signup_id", "company_name")),
    "send_signup_already_registered": _command(
        "send_signup_already_registered", ("email",), ("signup_id",)),
    "send_activation_link": _command(
        "send_activation_link", ("email", "link_token"),
        ("person_id", "first_name", "last_name", "validity_minutes")),
    "send_password_reset": _command(
        "send_password_reset", ("email", "link_token", "code"), ("person_id", "validity_minutes")),
    "send_password_change_code": _command(
        "send_password_change_code", ("email", "code"), ("person_id", "validity_hours")),
    "send_invitation": _command(
        "send_invitation", ("email", "link_token", "code"),
        ("person_id", "first_name", "last_name", "company_name", "profile", "validity_hours")),
}

EVENTS: dict[str, Contract] = {
    contract.routing_key: contract
    for contract in (
        Contract("identity.signup_verified", ("person_id", "email"),
                 ("signup_id", "profile", "company_name", "mobile", "verified_at")),
        Contract("identity.account_activated", ("person_id", "email"),
                 ("profile", "first_name", "last_name", "mobile", "activated_at")),
        Contract("identity.person_invited", ("person_id", "email"),
                 ("profile", "first_name", "last_name", "invited_by")),
        Contract("identity.password_changed", ("person_id", "email"), ("reason", "changed_at")),
        Contract("accounts.person_updated", ("person_id",),
                 ("email", "first_name", "last_name", "mobile")),
        Contract("demandes.demande_submitted",
                 ("demande_id", "number", "procedure_label", "owner_person_id"),
                 ("procedure_code", "sens", "account_id", "submitted_at")),
        Contract("demandes.demande_state_changed",
                 ("demande_id", "number", "owner_person_id", "to_state"),
                 ("procedure_label", "from_state", "reason", "non_conforming_documents",
                  "changed_at")),
        Contract("documents.payment_proof_issued", ("demande_id", "number", "owner_person_id"),
                 ("document_id", "issued_at")),
        # A draft has no number yet: NO-12 then names the request by its procedure.
        Contract("demandes.demande_reassigned", ("demande_id", "owner_person_id"),
                 ("number", "procedure_label", "previous_owner_person_id", "reassigned_by_person_id")),
        Contract("accounts.deletion_requested",
                 ("person_id", "administrator_person_ids"),
                 ("account_id", "first_name", "last_name")),
        Contract("demandes.message_posted",
                 ("demande_id", "number", "author_role", "owner_person_id"),
                 ("message_id", "subject", "posted_at")),
    )
}


def require(payload: Mapping[str, Any], contract: Contract) -> Mapping[str, Any]:
    """``payload`` if every required key is there and not empty, else ContractViolation."""
    missing = [key for key in contract.required if payload.get(key) in (None, "", [])
               and not (key == "administrator_person_ids" and payload.get(key) == [])]
    if missing:
        raise ContractViolation(f"{contract.routing_key}: payload without {', '.join(missing)}")
    return payload


_NUMBER = re.compile(r"[0-9]{15}")


def demande_number(payload: Mapping[str, Any], contract: Contract) -> str:
    """The request's number (DM-5: 15 digits), as the person reads it; "" for a draft where the
    contract allows it (its number is optional)."""
    number = str(payload.get("number") or "").strip()
    if not number and "number" in contract.optional:
        return ""
    if not _NUMBER.fullmatch(number):
        raise ContractViolation(f"{contract.routing_key}: number is not 15 digits: {number!r}")
    return number
