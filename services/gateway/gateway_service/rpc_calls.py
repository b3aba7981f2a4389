"""Calls from views to services, with the request's correlation id, through typed proxies built
from each service's interface (`consignations_shared.contracts.interfaces`): views write
`demandes.create_draft(person, code)`; an unknown method fails at attribute access and the
arguments are bound to the interface's signature before anything is sent."""
from __future__ import annotations

from functools import partial

from flask import current_app

from consignations_shared.contracts.interfaces import (
    AccountsInterface, DemandesInterface, DocumentsInterface, IdentityInterface, typed_proxy,
)

from .web import correlation_id


def call(service: str, method: str, *args, **kwargs):
    return current_app.extensions["rpc"].call(service, method, *args, correlation_id=correlation_id(), **kwargs)


identity = typed_proxy(IdentityInterface, partial(call, "identity"))
accounts = typed_proxy(AccountsInterface, partial(call, "accounts"))
demandes = typed_proxy(DemandesInterface, partial(call, "demandes"))
documents = typed_proxy(DocumentsInterface, partial(call, "documents"))
