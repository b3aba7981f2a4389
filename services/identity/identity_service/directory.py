"""What identity learns from the accounts service about the people it knows (no nameko here):
`accounts.person_updated` carries names given after the sign-up (the company wizard's step 2,
« Mon profil », an administrator's edit), so the session's person (GET /api/session, and every
service the gateway acts for) shows them. Once per event (idempotent consumer)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.events import Envelope
from consignations_shared.idempotency import first_delivery

from .models import Person

CONSUMER = "identity.on_person_updated"
NAMES = ("first_name", "last_name")


def person_updated(session: Session, envelope: Envelope, clock: Clock) -> bool:
    """Record the names present in the event; False when it was already handled."""
    if not first_delivery(session, CONSUMER, envelope.event_id, clock.now()):
        return False
    payload = envelope.payload
    person = session.get(Person, str(payload.get("person_id")))
    if person is not None:
        for field in NAMES:
            value = payload.get(field)
            if isinstance(value, str) and value.strip():
                setattr(person, field, value.strip()[:100])
    session.commit()
    return True
