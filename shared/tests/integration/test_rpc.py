"""Service-to-service calls time out (NF-2) and carry the caller's correlation id (NF-4)."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from consignations_shared.errors import ServiceUnavailable

from plumbing_services import CallerService, SlowService  # noqa: E402


@pytest.fixture
def start_service_nodb(service_env):
    """These services have no database: run them as plain nameko containers."""
    from nameko.containers import ServiceContainer

    from consignations_shared.config import load_settings

    containers = []

    def start(service_cls):
        settings = load_settings(service_cls.name, service_env)
        container = ServiceContainer(service_cls, settings.nameko_config())
        container.start()
        containers.append(container)

    yield start
    for container in containers:
        container.stop()


def test_service_to_service_call_times_out_and_correlation_id_travels(start_service_nodb, amqp_uri):
    start_service_nodb(SlowService)
    start_service_nodb(CallerService)
    correlation_id = f"test-{uuid.uuid4()}"
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data={"correlation_id": correlation_id},
                         timeout=10) as rpc:
        answer = rpc.caller.call_slow(0)
        assert answer == {"callee_saw": correlation_id, "caller_saw": correlation_id}
        with pytest.raises(ServiceUnavailable) as refused:
            rpc.caller.call_slow(1.5)  # callee sleeps 1.5 s, the caller's proxy waits 0.5 s
        assert refused.value.status == 503
        assert "ne répond pas" in refused.value.message
