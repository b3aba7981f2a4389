"""A running documents service's stub owners (documents_service.testing)."""
import pytest
from nameko.containers import ServiceContainer

from consignations_shared.config import load_settings
from documents_service.testing import StubAccounts, StubDemandes


@pytest.fixture
def owners(service_env):
    containers = []
    for cls in (StubAccounts, StubDemandes):
        container = ServiceContainer(cls, load_settings(cls.name, service_env).nameko_config())
        container.start()
        containers.append(container)
    yield containers
    for container in containers:
        container.stop()
