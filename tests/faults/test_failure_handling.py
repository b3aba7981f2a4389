"""The plumbing changes the fault run called for (issue 10), each checked on its own, no broker
nor database: which failures are « the database is unavailable » or the broker lost. That losing
the broker while settling a message or a reply does not stop a service is checked in
shared/tests/unit/test_dropped_connection.py."""
from __future__ import annotations

import sqlite3

import psycopg2
import pytest
from sqlalchemy import exc as sa

from consignations_shared.db import SQLiteBusy, database_unavailable
from consignations_shared.rpc import infrastructure_failure

pytestmark = pytest.mark.faults


def wrapped(error_class, orig, *, invalidated=False):
    return error_class("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize("error, unavailable", [
    (wrapped(sa.OperationalError, psycopg2.OperationalError("terminating connection due to administrator command")),
     True),
    (wrapped(sa.InterfaceError, psycopg2.InterfaceError("connection already closed"), invalidated=True), True),
    (wrapped(sa.OperationalError, sqlite3.OperationalError("database is locked")), True),
    (SQLiteBusy("database is locked"), True),
    (sa.TimeoutError("QueuePool limit reached"), True),
    (wrapped(sa.OperationalError, sqlite3.OperationalError("no such table: requests")), False),
    (wrapped(sa.IntegrityError, psycopg2.IntegrityError("duplicate key value")), False),
    (ValueError("a bug"), False),
])
def test_what_counts_as_the_database_being_unavailable(error, unavailable):
    assert database_unavailable(error) is unavailable


def test_a_lost_broker_is_an_infrastructure_failure_for_rpc():
    from kombu.exceptions import OperationalError

    assert infrastructure_failure(OperationalError("[Errno 111] ECONNREFUSED"))
    assert infrastructure_failure(BrokenPipeError(32, "Broken pipe"))
    assert not infrastructure_failure(KeyError("x"))
