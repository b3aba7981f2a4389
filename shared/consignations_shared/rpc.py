"""RPC between services: domain errors that cross the wire, and calls that always time out."""
from __future__ import annotations

import eventlet
from nameko import exceptions as nameko_exceptions
from nameko.rpc import Rpc, RpcProxy

from .config import settings_of
from .errors import DOMAIN_ERRORS, ServiceUnavailable


def register_domain_errors() -> None:
    """Let nameko rebuild our domain errors on the calling side instead of a RemoteError.

    Only the classes of consignations_shared.errors cross RPC: services raise those, never
    subclasses of their own, so every caller can rebuild them.
    """
    for exc_type in DOMAIN_ERRORS:
        nameko_exceptions.registry[nameko_exceptions.get_module_path(exc_type)] = exc_type


register_domain_errors()


class _TimedMethod:
    def __init__(self, method_proxy, timeout: float, label: str):
        self._method_proxy = method_proxy
        self._timeout = timeout
        self._label = label

    def __call__(self, *args, **kwargs):
        reply = self._method_proxy.call_async(*args, **kwargs)
        try:
            with eventlet.Timeout(self._timeout):
                return reply.result()
        except eventlet.Timeout:
            raise ServiceUnavailable(
                f"Le service {self._label} ne répond pas. Veuillez réessayer dans quelques instants."
            ) from None


class _TimedService:
    def __init__(self, service_proxy, timeout: float, label: str):
        self._service_proxy = service_proxy
        self._timeout = timeout
        self._label = label

    def __getattr__(self, name):
        return _TimedMethod(getattr(self._service_proxy, name), self._timeout, self._label)


class TimedRpcProxy(RpcProxy):
    """nameko's RpcProxy with a timeout on every call (SPEC NF-2).

    The correlation id travels with the call as nameko context data.
    """

    def __init__(self, target_service: str, timeout: float | None = None, **kwargs):
        super().__init__(target_service, **kwargs)
        self._timeout = timeout

    def setup(self):
        super().setup()
        # Requests expire in the queue after the timeout: nobody runs a call its caller gave up on.
        self.options.setdefault("expiration", self.timeout)

    @property
    def timeout(self) -> float:
        return self._timeout or settings_of(self.container).rpc_timeout

    def get_dependency(self, worker_ctx):
        timeout = self.timeout
        return _TimedService(super().get_dependency(worker_ctx), timeout, self.target_service)


def rpc(fn=None, **kwargs):
    """nameko's @rpc where our domain errors are expected outcomes (logged as warnings, no trace)."""
    kwargs.setdefault("expected_exceptions", DOMAIN_ERRORS)
    decorator = Rpc.decorator(**kwargs)
    return decorator if fn is None else decorator(fn)
