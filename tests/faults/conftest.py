"""The fault suite runs the end-to-end system of tests/e2e (its `system` fixture and System class,
imported from there, not copied) on a RabbitMQ node of its own (fault_broker.py), so restarting that
broker cuts this system only."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # fault_broker.py, fault_checker.py, fault_driver.py

_spec = importlib.util.spec_from_file_location("e2e_system_conftest", HERE.parent / "e2e" / "conftest.py")
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)  # also puts tests/e2e on sys.path (e2e_helpers)

System = _e2e.System
system = _e2e.system  # the fixture: every process of the Procfile, on the broker below

from fault_broker import OwnBroker  # noqa: E402


@pytest.fixture(scope="session")
def own_broker(tmp_path_factory):
    broker = OwnBroker(tmp_path_factory.mktemp("rabbitmq") / "node")
    broker.start()
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture(scope="session")
def amqp_uri(own_broker):
    """Overrides consignations_shared.testing's (a vhost of the shared broker): the system of
    this suite talks to its own broker only."""
    return own_broker.uri
