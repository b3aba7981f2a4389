"""What the documents use cases need, provided by the service (or by a unit test)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.orm import Session

from consignations_shared.clock import Clock
from consignations_shared.errors import (
    DomainError, Forbidden, NotFound, ServiceUnavailable, Unauthenticated, ValidationFailed,
)
from consignations_shared.outbox import OutboxWriter

from .contracts import ACTIONS, OWNER_SERVICES
from .storage import Storage

log = logging.getLogger(__name__)

RIGHTS_UNAVAILABLE = ("Le contrôle de vos droits d'accès est momentanément indisponible. "
                      "Veuillez réessayer dans quelques instants.")
PERSON_KEYS = ("id", "email", "profile", "is_staff", "first_name", "last_name", "session_id", "membership")


@dataclass
class DocumentsContext:
    session: Session
    outbox: OutboxWriter
    clock: Clock
    storage: Storage
    workers: Any  # workers.WorkerPool or InlineRunner: .run(task, *args)
    # (owner_service) -> callable(owner_id, person, action) of that service's authorize_document
    owner_rules: Callable[[str], Callable[..., Any]]
    work_dir: Path  # incoming uploads and rendered PDFs before they are stored
    signing: dict = field(default_factory=dict)
    signer: dict = field(default_factory=dict)
    locks: Any = None  # per-key locks of generated documents (providers.KeyedLocks)

    def authorize(self, owner_service: str, owner_id: str, person: dict, action: str) -> None:
        """The owner service's rule (contracts.py): True, or Forbidden/NotFound."""
        assert action in ACTIONS
        if owner_service not in OWNER_SERVICES:
            raise ValidationFailed(None, {"owner_service": "Propriétaire inconnu (accounts ou demandes)."})
        try:
            allowed = self.owner_rules(owner_service)(owner_id, person, action)
        except (Forbidden, NotFound, Unauthenticated, ServiceUnavailable):
            raise
        except DomainError as exc:
            log.warning("%s refused %s on %s: %s", owner_service, action, owner_id, exc.code)
            raise Forbidden() from None
        except Exception as exc:  # the owner is missing the method, down, broken: no access
            log.error("%s.authorize_document failed: %s: %s", owner_service, type(exc).__name__, exc)
            raise ServiceUnavailable(RIGHTS_UNAVAILABLE) from None
        if allowed is not True:
            raise Forbidden()


def acting_person(person) -> dict:
    """The person the call is made for, as identity described them; Unauthenticated otherwise."""
    if not isinstance(person, dict) or not isinstance(person.get("id"), str) or not 0 < len(person["id"]) <= 64:
        raise Unauthenticated()
    cleaned = {key: person.get(key) for key in PERSON_KEYS if key in person}
    cleaned["is_staff"] = person.get("is_staff") is True
    return cleaned
