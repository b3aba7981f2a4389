"""The gateway without broker nor services: a fake RPC client that resolves the test's bearer
tokens to people and answers every other call with the module's ANSWER (or raises it), recording
the calls. A test module declares SESSIONS = {token: person} and ANSWER; modules that need
something else define their own `rpc` / `client` fixtures, which take precedence."""
import sys
from pathlib import Path

import pytest

from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings

sys.path.insert(0, str(Path(__file__).parent))  # gateway_fakes
from gateway_fakes import FakeRpc  # noqa: E402


@pytest.fixture
def rpc(request):
    return FakeRpc(getattr(request.module, "SESSIONS", {}), getattr(request.module, "ANSWER", None))


@pytest.fixture
def client(rpc):
    app = create_app(GatewaySettings.from_env({}), configure_logs=False)
    app.extensions["rpc"] = rpc
    return app.test_client()
