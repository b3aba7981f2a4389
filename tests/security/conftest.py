"""The abuse and security suite (issue 10) runs against the whole system as real processes: the
end-to-end suite's `system` fixture (tests/e2e/conftest.py), reused as it is, and the people of
every role, created once per session through the gateway like real users."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "e2e"
sys.path.insert(0, str(HERE))  # security_helpers
sys.path.insert(0, str(E2E))  # e2e_helpers


def _e2e_conftest():
    """tests/e2e/conftest.py as a module of its own (the suites run with --import-mode=importlib,
    so it is not importable by name)."""
    name = "e2e_system_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, E2E / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


System = _e2e_conftest().System
_e2e_system = _e2e_conftest().system


@pytest.fixture(scope="session")
def _security_environment():
    """Every attempt of this suite comes from 127.0.0.1: the per-address login budget (100 per
    15 minutes by default) would be spent by schemathesis and the brute-force tests long before
    the end. The per-account lockout, which these tests check, is not changed."""
    saved = os.environ.get("IDENTITY_LOGIN_IP_LIMIT")
    os.environ["IDENTITY_LOGIN_IP_LIMIT"] = "100000"
    yield
    if saved is None:
        os.environ.pop("IDENTITY_LOGIN_IP_LIMIT", None)
    else:
        os.environ["IDENTITY_LOGIN_IP_LIMIT"] = saved


@pytest.fixture(scope="session")
def system(_security_environment, amqp_uri, postgres_database, tmp_path_factory):
    """The e2e suite's whole system (same processes, same settings), started once per session."""
    yield from _e2e_system.__wrapped__(amqp_uri, postgres_database, tmp_path_factory)


@pytest.fixture(scope="session")
def world(system):
    """Every role of the matrix, and another company's resources to aim at (security_helpers.World)."""
    from security_helpers import World

    return World.build(system)
