"""Who to write to: contacts learnt from events, the identity service asked only as a fallback.

Events about requests carry a ``person_id``, not an address. The notifier keeps its own
``contacts`` table (person_id -> e-mail, names, mobile), filled by the identity and accounts
events that carry them (``signup_verified``, ``account_activated``, ``person_invited``,
``password_changed``, ``person_updated``). Recording is idempotent and ordered by the event's
``occurred_at``: the same event twice changes nothing, and an older event delivered after a newer
one does not overwrite it.

When a person is unknown (or has no e-mail yet), :meth:`ContactBook.resolve` calls the fallback
(the RPC ``identity.person_contact`` in the service) once and keeps the answer. If the fallback
fails (identity down, timeout), the exception propagates: the handler fails and its message is
retried through the consumer's retry queues, never lost. If identity says the person does not
exist, :class:`UnknownPerson` is raised: retrying cannot help, the caller records a permanent
failure.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consignations_shared.clock import Clock, as_utc
from consignations_shared.errors import NotFound

from .messages.formatting import full_name, parse_instant
from .models import Contact

__all__ = ["ContactBook", "ContactDetails", "UnknownPerson"]

log = logging.getLogger(__name__)

FIELDS = ("email", "first_name", "last_name", "mobile")
_LIMITS = {"email": 254, "first_name": 100, "last_name": 100, "mobile": 32}

# identity.person_contact(person_id) -> {person_id, email, first_name, last_name, mobile, ...}
Fallback = Callable[[str], Mapping[str, Any]]


class UnknownPerson(LookupError):
    """Nobody, not even the identity service, knows how to reach this person."""


@dataclass(frozen=True)
class ContactDetails:
    person_id: str
    email: str
    first_name: str | None
    last_name: str | None
    mobile: str | None

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)


def _clean(field: str, value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > _LIMITS[field]:
        log.warning("contact %s longer than %s characters: ignored", field, _LIMITS[field])
        return None
    return text


class ContactBook:
    def __init__(self, session: Session, clock: Clock, fallback: Fallback | None = None):
        self.session = session
        self.clock = clock
        self.fallback = fallback

    # -- learning --------------------------------------------------------------------------
    def record(self, person_id: str, at: datetime | str, **values: Any) -> Contact:
        """Apply the given fields (only those passed) as known at instant ``at``; no commit.

        ``None`` clears a name or a mobile; an e-mail is never cleared (the notification address
        of an account cannot be removed, only changed).
        """
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown contact fields: {sorted(unknown)}")
        person_id = str(person_id)
        moment = as_utc(parse_instant(at))
        contact = self.session.get(Contact, person_id)
        if contact is None:
            contact = Contact(person_id=person_id, updated_at=moment)
            self.session.add(contact)
        elif as_utc(contact.updated_at) > moment:
            log.info("contact %s: older information (%s) ignored", person_id, moment.isoformat())
            return contact
        for field, raw in values.items():
            value = _clean(field, raw)
            if field == "email" and value is None:
                continue
            setattr(contact, field, value)
        contact.updated_at = moment
        return contact

    def record_and_commit(self, person_id: str, at: datetime | str, **values: Any) -> None:
        """``record`` in its own transaction; a concurrent first insert is retried once."""
        for tries in (1, 2):
            self.record(person_id, at, **values)
            try:
                self.session.commit()
                return
            except IntegrityError:  # the same person inserted by another worker meanwhile
                self.session.rollback()
                if tries == 2:
                    raise

    # -- using -----------------------------------------------------------------------------
    def known(self, person_id: str) -> ContactDetails | None:
        """What the table says (no fallback), or None."""
        contact = self.session.get(Contact, str(person_id))
        if contact is None or not contact.email:
            return None
        return ContactDetails(contact.person_id, contact.email, contact.first_name,
                              contact.last_name, contact.mobile)

    def resolve(self, person_id: str) -> ContactDetails:
        """How to reach ``person_id`` by e-mail: from the table, else from the fallback once.

        Ends the current transaction before calling the fallback (no database transaction is
        held open during an RPC), and commits what the fallback answered. Raises UnknownPerson,
        or whatever the fallback raises when it cannot answer now.
        """
        details = self.known(person_id)
        if details is not None:
            return details
        if self.fallback is None:
            raise UnknownPerson(f"no contact for person {person_id} and no fallback")
        self.session.commit()
        log.info("contact of person %s unknown: asking the identity service", person_id)
        try:
            answer = self.fallback(str(person_id))
        except NotFound as exc:
            raise UnknownPerson(f"person {person_id} unknown to the identity service") from exc
        if not answer or not answer.get("email"):
            raise UnknownPerson(f"person {person_id} has no e-mail address")
        # identity's answer is current: at least as new as anything recorded (clock skew)
        existing = self.session.get(Contact, str(person_id))
        at = self.clock.now()
        if existing is not None:
            at = max(as_utc(at), as_utc(existing.updated_at))
        self.record_and_commit(person_id, at, **{field: answer.get(field) for field in FIELDS})
        details = self.known(person_id)
        if details is None:
            raise UnknownPerson(f"person {person_id} has no usable e-mail address")
        return details
