"""Links sent by e-mail (activation, password reset, invitation): 256-bit random tokens stored
as SHA-256, single use (compare-and-set), expiring, replaced by a newer link (NF-1)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consignations_shared.clock import as_utc
from consignations_shared.errors import Gone

from .context import token_hash
from .models import LinkToken

ACTIVATION = "activation"
PASSWORD_RESET = "password_reset"
INVITATION = "invitation"

LINK_INVALID = "Ce lien n'est plus valable : il a expiré, a déjà été utilisé ou a été remplacé par un lien plus récent."


@dataclass
class LinkStore:
    session: Session
    now: Callable

    def issue(self, purpose: str, person_id: str, validity: timedelta) -> str:
        now = self.now()
        self.session.execute(
            update(LinkToken)
            .where(LinkToken.purpose == purpose, LinkToken.person_id == person_id,
                   LinkToken.used_at.is_(None), LinkToken.superseded.is_(False))
            .values(superseded=True)
        )
        token = secrets.token_urlsafe(32)
        self.session.add(LinkToken(
            token_hash=token_hash(token), purpose=purpose, person_id=person_id, issued_at=now,
            expires_at=now + validity, superseded=False,
        ))
        self.session.flush()
        return token

    def last_issued_at(self, purpose: str, person_id: str):
        return self.session.execute(
            select(LinkToken.issued_at).where(LinkToken.purpose == purpose, LinkToken.person_id == person_id)
            .order_by(LinkToken.id.desc()).limit(1)
        ).scalar_one_or_none()

    def valid(self, token: object, purpose: str) -> LinkToken:
        """The link's row if it can still be used; Gone otherwise (one message for every case)."""
        if not isinstance(token, str) or not token or len(token) > 200:
            raise Gone(LINK_INVALID, None, "link_invalid")
        link = self.session.execute(
            select(LinkToken).where(LinkToken.token_hash == token_hash(token), LinkToken.purpose == purpose)
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if (link is None or link.used_at is not None or link.superseded
                or as_utc(link.expires_at) <= self.now()):
            raise Gone(LINK_INVALID, None, "link_invalid")
        return link

    def consume(self, link: LinkToken) -> None:
        """Use the link up; a concurrent use of the same link makes this one fail."""
        used = self.session.execute(
            update(LinkToken).where(LinkToken.id == link.id, LinkToken.used_at.is_(None))
            .values(used_at=self.now()).execution_options(synchronize_session=False)
        ).rowcount
        if used != 1:
            self.session.rollback()
            raise Gone(LINK_INVALID, None, "link_invalid")
