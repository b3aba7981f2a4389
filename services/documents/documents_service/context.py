"""What the documents use cases need, provided by the service (or by a unit test)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared import grants
from consignations_shared.errors import Forbidden, Unauthenticated
from consignations_shared.grants import check_owner
from consignations_shared.outbox import OutboxWriter

from .contracts import ACTIONS
from .storage import Storage

log = logging.getLogger(__name__)

PERSON_KEYS = ("id", "email", "profile", "is_staff", "first_name", "last_name", "session_id")


@dataclass
class DocumentsContext:
    session: Session
    outbox: OutboxWriter
    clock: Clock
    storage: Storage
    workers: Any  # workers.WorkerPool or InlineRunner: .run(task, *args)
    grant_key: bytes  # verifies the owners' grants (consignations_shared.grants)
    work_dir: Path  # incoming uploads and rendered PDFs before they are stored
    signing: dict = field(default_factory=dict)
    signer: dict = field(default_factory=dict)
    locks: Any = None  # per-key locks of generated documents (providers.KeyedLocks)

    def authorize(self, owner_service: str, owner_id: str, person: dict, action: str, grant,
                  document_id: str | None = None) -> None:
        """The owner service's decision, carried by its signed grant (consignations_shared.grants):
        it must name this owner, person, action and document and not be expired; Forbidden otherwise."""
        assert action in ACTIONS
        check_owner(owner_service, owner_id)
        try:
            grants.verify(self.grant_key, grant, owner_service=owner_service, owner_id=owner_id,
                          person_id=person["id"], action=action, document_id=document_id, now=self.clock.now())
        except grants.InvalidGrant as exc:
            log.warning("no valid grant of %s for %s on %s %s (%s): %s", owner_service, action, owner_id,
                        document_id or "", person["id"], exc)
            raise Forbidden() from None


def acting_person(person) -> dict:
    """The person the call is made for, as identity described them; Unauthenticated otherwise."""
    if not isinstance(person, dict) or not isinstance(person.get("id"), str) or not 0 < len(person["id"]) <= 64:
        raise Unauthenticated()
    cleaned = {key: person.get(key) for key in PERSON_KEYS if key in person}
    cleaned["is_staff"] = person.get("is_staff") is True
    return cleaned
