"""Each service's RPC interface, as code (issue 15): a `typing.Protocol` per service listing its
RPC methods with typed parameters and results. Callers never name a method by a string: they hold
a typed proxy built from the interface (`TypedProxy`; in a nameko service
`consignations_shared.rpc.TypedRpcProxy`), so an unknown method fails at attribute access and the
arguments are bound to the interface's signature before anything is sent.

Values cross the wire as JSON: `PersonWire` is the acting person in its wire form
(`contracts.acting.ActingPerson.to_wire()`), results are JSON objects (`Json`) unless stated.
A unit test holds each interface against its nameko service class (same methods, same
parameters and defaults), and derives the RPC graph from the proxies each service declares."""
from __future__ import annotations

import inspect
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Callable, Mapping, TypeVar

from .accounts import AccountsInterface
from .base import Json, PersonWire, ServiceInterface
from .demandes import DemandesInterface
from .documents import DocumentsInterface
from .identity import IdentityInterface
from .notifier import NotifierInterface

__all__ = [
    "INTERFACES", "AccountsInterface", "DemandesInterface", "DocumentsInterface", "IdentityInterface", "Json",
    "NotifierInterface", "PersonWire", "ServiceInterface", "TypedProxy", "interface_of", "rpc_methods", "typed_proxy",
]

INTERFACES: dict[str, type[ServiceInterface]] = {
    iface.service: iface
    for iface in (IdentityInterface, AccountsInterface, DemandesInterface, DocumentsInterface, NotifierInterface)
}

I = TypeVar("I", bound=ServiceInterface)


def interface_of(service: str) -> type[ServiceInterface]:
    return INTERFACES[service]


@lru_cache(maxsize=None)
def rpc_methods(interface: type[ServiceInterface]) -> Mapping[str, inspect.Signature]:
    """The interface's RPC methods and their signatures (without `self`). Computed once per
    interface: a proxy is built for every nameko worker, and inspecting signatures cost more than
    the rest of a worker's set-up (read-only, as it is shared)."""
    methods = {}
    for klass in reversed(interface.__mro__):
        if ServiceInterface not in klass.__mro__:
            continue  # object, Protocol, Generic
        for name, value in vars(klass).items():
            if not name.startswith("_") and inspect.isfunction(value):
                signature = inspect.signature(value)
                methods[name] = signature.replace(parameters=list(signature.parameters.values())[1:])
    return MappingProxyType(methods)


class TypedProxy:
    """Calls of one service's interface through `invoke(method, *args, **kwargs)`.

    `proxy.create_draft(person, code)` checks that `create_draft` is in the interface (else
    AttributeError at once) and that the arguments fit its signature (else TypeError, nothing
    sent), then invokes it."""

    def __init__(self, interface: type[ServiceInterface], invoke: Callable[..., Any]):
        self._interface = interface
        self._invoke = invoke
        self._methods = rpc_methods(interface)

    @property
    def service(self) -> str:
        return self._interface.service

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            signature = self._methods[name]
        except KeyError:
            raise AttributeError(f"the {self._interface.service} service has no RPC method {name!r} "
                                 f"(see {self._interface.__name__})") from None

        def method(*args, **kwargs):
            try:
                signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{self._interface.service}.{name}{signature}: {exc}") from None
            return self._invoke(name, *args, **kwargs)

        method.__name__ = name
        method.__doc__ = getattr(self._interface, name).__doc__
        return method

    def __dir__(self):
        return sorted(self._methods)

    def __repr__(self) -> str:
        return f"<TypedProxy {self._interface.__name__}>"


def typed_proxy(interface: type[I], invoke: Callable[..., Any]) -> I:
    """A proxy typed as the interface itself, for editors and type checkers."""
    return TypedProxy(interface, invoke)  # type: ignore[return-value]
