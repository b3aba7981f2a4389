"""The gateway without broker nor services: a fake RPC client that resolves the test's bearer
tokens to people and answers every other call with the module's ANSWER (or raises it), recording
the calls. A test module declares SESSIONS = {token: person} and ANSWER; modules that need
something else define their own `rpc` / `client` fixtures, which take precedence."""
import pytest

from consignations_shared.errors import Unauthenticated
from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings


class FakeRpc:
    def __init__(self, sessions: dict, answer):
        self.sessions = sessions
        self.calls = []
        self.answer = answer

    def call(self, service, method, *args, correlation_id=None, **kwargs):
        if (service, method) == ("identity", "resolve_session"):
            if args[0] not in self.sessions:
                raise Unauthenticated()
            return {"session_id": "s1", "csrf_hash": "-", "person": self.sessions[args[0]]}
        self.calls.append((service, method, args))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


@pytest.fixture
def rpc(request):
    return FakeRpc(getattr(request.module, "SESSIONS", {}), getattr(request.module, "ANSWER", None))


@pytest.fixture
def client(rpc):
    app = create_app(GatewaySettings.from_env({}), configure_logs=False)
    app.extensions["rpc"] = rpc
    return app.test_client()
