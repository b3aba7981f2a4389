"""Accounts service entrypoints (thin: parse, call the use case, shape the reply).

Every RPC that reads or changes account data takes `person`, the acting person as the gateway
resolved it from the session; the use cases check it here, in the service that owns the data."""
from consignations_shared.consumer import consume_event
from consignations_shared.contracts.interfaces import DocumentsInterface, IdentityInterface
from consignations_shared.grants import DocumentGrantKey
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock, Settings
from consignations_shared.rpc import TypedRpcProxy, rpc

from . import member_events, members, opening, wizard
from .context import AccountsContext
from .throttling import InvitationLimits
from .domain import referentials


class AccountsService(HealthEndpoints):
    name = "accounts"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
    settings = Settings()
    grant_key = DocumentGrantKey()  # signs the grants of its documents (AC-9)
    identity = TypedRpcProxy(IdentityInterface)
    documents = TypedRpcProxy(DocumentsInterface)

    def _context(self) -> AccountsContext:
        return AccountsContext(session=self.db, outbox=self.outbox, clock=self.clock,
                               identity=self.identity, documents=self.documents,
                               limits=InvitationLimits.from_settings(self.settings))

    # --- events --------------------------------------------------------------------------------
    @consume_event("identity", "signup_verified")
    def on_signup_verified(self, envelope):
        member_events.track(self.db, self.outbox)
        opening.open_draft_account(self.db, envelope, self.clock, self.outbox)

    @consume_event("identity", "account_activated")
    def on_account_activated(self, envelope):
        member_events.track(self.db, self.outbox)
        opening.on_account_activated(self.db, envelope, self.clock, self.outbox)

    # --- reference data -----------------------------------------------------------------------
    @rpc
    def communes(self, query):
        return referentials.suggest(query)

    @rpc
    def account_of_person(self, person_id):
        return opening.account_of_person(self.db, person_id)

    @rpc
    def directories(self, account_ids):
        return opening.directories(self.db, account_ids)

    @rpc
    def members_snapshot(self, after_revision=0, limit=500):
        """Every membership as accounts.member_changed carries it, paged by revision, to rebuild
        the read models of the other services (consignations_shared.read_models)."""
        return member_events.members_snapshot(self.db, after_revision, limit)

    # --- wizard (AC-1) -------------------------------------------------------------------------
    @rpc
    def wizard_state(self, person):
        return wizard.state(self._context(), person)

    @rpc
    def save_wizard_structure(self, person, form, complete=False):
        return wizard.save_structure(self._context(), person, form, complete)

    @rpc
    def save_wizard_administrator(self, person, form, complete=False):
        return wizard.save_administrator(self._context(), person, form, complete)

    @rpc
    def save_wizard_documents(self, person, form, complete=False):
        return wizard.save_documents(self._context(), person, form, complete)

    @rpc
    def finalise_account(self, person):
        return wizard.finalise(self._context(), person)

    # --- people (AC-2..AC-7) ------------------------------------------------------------------
    @rpc
    def welcome(self, person):
        return members.welcome(self._context(), person)

    @rpc
    def welcome_seen(self, person):
        return members.welcome_seen(self._context(), person)

    @rpc
    def fiche(self, person):
        return members.fiche(self._context(), person)

    @rpc
    def update_fiche(self, person, form):
        return members.update_fiche(self._context(), person, form)

    @rpc
    def my_profile(self, person):
        return members.my_profile(self._context(), person)

    @rpc
    def my_profile_and_colleagues(self, person):
        return members.my_profile_and_colleagues(self._context(), person)

    @rpc
    def update_my_profile(self, person, form):
        return members.update_my_profile(self._context(), person, form)

    @rpc
    def list_members(self, person):
        return members.list_members(self._context(), person)

    @rpc
    def invite_member(self, person, form):
        return members.invite_member(self._context(), person, form)

    @rpc
    def update_member(self, person, person_id, form):
        return members.update_member(self._context(), person, person_id, form)

    @rpc
    def delete_member(self, person, person_id):
        return members.delete_member(self._context(), person, person_id)

    @rpc
    def renew_member_access(self, person, person_id):
        return members.renew_access(self._context(), person, person_id)

    @rpc
    def set_submit_right(self, person, person_id, allowed):
        return members.set_submit_right(self._context(), person, person_id, allowed)

    @rpc
    def request_deletion(self, person):
        return members.request_deletion(self._context(), person)

    @rpc
    def decide_deletion(self, person, person_id, accept):
        return members.decide_deletion(self._context(), person, person_id, accept)

    @rpc
    def document_grant(self, person, owner_id, action, document_id=None):
        """For the gateway, before a documents call (AC-9): the signed grant, or the refusal."""
        return members.document_grant(self._context(), self.grant_key, person, owner_id, action, document_id)
