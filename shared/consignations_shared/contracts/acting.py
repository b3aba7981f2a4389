"""The acting person: who makes a call, built by the gateway from the session (identity resolves
it, with the person's membership of a client account from its read model of accounts' events),
and validated on entry by every service. No service re-derives it from ids sent by the client.

On the wire it is a JSON object; `id`, `email`, `profile`, `is_staff`, `first_name`, `last_name`
and `session_id` keep the keys the services have always read."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from ..errors import Forbidden, Unauthenticated

Identifier = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
# identity's own profile of the person: how they came (sign-up), what they were invited as, or staff
IdentityProfile = Literal["ENTREPRISE", "PARTICULIER", "ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION",
                          "GESTIONNAIRE"]
MemberProfile = Literal["ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION", "PARTICULIER"]
NO_ACCOUNT = "Aucun compte client n'est associé à votre accès."


class Membership(BaseModel):
    """The person's place in one client account (AC-1..AC-7), as the accounts service published it."""
    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str = Identifier
    account_kind: Literal["ENTREPRISE", "PARTICULIER"]
    profile: MemberProfile
    can_submit: StrictBool = True  # AC-7: an Utilisateur whose right was withdrawn prepares only
    account_status: str = Field(default="active", max_length=20)
    company_name: str | None = Field(default=None, max_length=255)  # shown in pages, prefilled in forms

    @property
    def is_admin(self) -> bool:
        return self.profile == "ADMINISTRATEUR"

    @property
    def read_only(self) -> bool:
        return self.profile == "CONSULTATION"


class ActingPerson(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Identifier
    email: str | None = Field(default=None, max_length=320)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    profile: IdentityProfile | None = None
    is_staff: StrictBool = False
    session_id: str | None = Field(default=None, max_length=64)
    membership: Membership | None = None

    @classmethod
    def from_wire(cls, data: Any) -> "ActingPerson":
        """The acting person sent with a call; Unauthenticated when it is missing or malformed
        (a caller that sends anything else is not the gateway)."""
        if isinstance(data, ActingPerson):
            return data
        if not isinstance(data, dict):
            raise Unauthenticated()
        try:
            person = cls.model_validate(data)
        except ValidationError:
            raise Unauthenticated() from None
        if person.is_staff and person.membership is not None:
            raise Unauthenticated()  # a gestionnaire is never a member of a client account
        return person

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def person_id(self) -> str:
        return self.id

    def client_membership(self) -> Membership:
        """The client account the person acts in; Forbidden for staff and people without one."""
        if self.is_staff or self.membership is None:
            raise Forbidden(NO_ACCOUNT)
        return self.membership

    def require_staff(self) -> "ActingPerson":
        if not self.is_staff:
            raise Forbidden("Cette action est réservée aux gestionnaires du service des consignations.")
        return self


def acting_person(data: Any) -> ActingPerson:
    return ActingPerson.from_wire(data)
