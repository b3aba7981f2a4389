"""Calls from views to services, with the request's correlation id."""
from __future__ import annotations

from flask import current_app

from .web import correlation_id


def call(service: str, method: str, *args, **kwargs):
    return current_app.extensions["rpc"].call(service, method, *args, correlation_id=correlation_id(), **kwargs)


def identity(method: str, *args, **kwargs):
    return call("identity", method, *args, **kwargs)


def accounts(method: str, *args, **kwargs):
    return call("accounts", method, *args, **kwargs)


def demandes(method: str, *args, **kwargs):
    return call("demandes", method, *args, **kwargs)
