"""Each service's interface (`consignations_shared.contracts.interfaces`) against its nameko
class, and against every stub that stands for that service in tests and benchmarks (a nameko
class named like the service, wherever it is written); the RPC graph derived from the typed proxies the services declare (it must have no cycle);
no caller names a method by a string."""
from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc, RpcProxy

from consignations_shared.contracts.interfaces import INTERFACES, TypedProxy, rpc_methods
from consignations_shared.rpc import TypedRpcProxy

ROOT = Path(__file__).resolve().parents[2]
SERVICE_MODULES = {"identity": "identity_service.service", "accounts": "accounts_service.service",
                   "demandes": "demandes_service.service", "documents": "documents_service.service",
                   "notifier": "notifier_service.service"}


def service_class(service: str):
    module = importlib.import_module(SERVICE_MODULES[service])
    return next(value for value in vars(module).values()
                if inspect.isclass(value) and getattr(value, "name", None) == service)


def nameko_rpc_methods(cls) -> dict[str, inspect.Signature]:
    methods = {}
    for name, function in inspect.getmembers(cls, inspect.isfunction):
        if any(isinstance(ext, Rpc) for ext in getattr(function, ENTRYPOINT_EXTENSIONS_ATTR, ())):
            signature = inspect.signature(function)
            methods[name] = signature.replace(parameters=list(signature.parameters.values())[1:])
    return methods


# --- stubs ---------------------------------------------------------------------------------------
# Test and benchmark peers written by hand are found in the source, not imported (many are classes
# made inside a fixture or a factory, in test modules that are not importable by name):
# - nameko stubs, named like the service they stand for (documents_service.testing, a stub
#   accounts in demandes' tests...): their RPC methods;
# - in-process fakes given to a use case in place of its typed proxy (unit tests), marked
#   `stands_for = "<service>"`: their public methods, but for those named in `test_helpers`
#   (what the test itself calls to arrange the fake).

STUB_ROOTS = ("services", "shared", "tests", "bench")
_NO_DEFAULT = object()


@dataclass(frozen=True)
class Stub:
    where: str  # path::Class
    service: str
    methods: dict  # name -> inspect.Signature (without self)


def _source_files():
    for root in STUB_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if any(part.startswith(".") or part in ("node_modules", "__pycache__") for part in parts):
                continue
            yield path


def _rpc_decorators(tree) -> set[str]:
    """The names under which the module imported an RPC entrypoint decorator."""
    return {alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module in ("consignations_shared.rpc", "nameko.rpc")
            for alias in node.names if alias.name == "rpc"}


def _signature(function: ast.FunctionDef) -> inspect.Signature:
    args, kind = function.args, inspect.Parameter
    positional = args.posonlyargs + args.args
    defaults = [_NO_DEFAULT] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parameters = [kind(arg.arg, kind.POSITIONAL_ONLY if n < len(args.posonlyargs) else kind.POSITIONAL_OR_KEYWORD,
                       default=kind.empty if default is _NO_DEFAULT else ast.literal_eval(default))
                  for n, (arg, default) in enumerate(zip(positional, defaults))]
    if args.vararg:
        parameters.append(kind(args.vararg.arg, kind.VAR_POSITIONAL))
    parameters += [kind(arg.arg, kind.KEYWORD_ONLY, default=kind.empty if default is None else ast.literal_eval(default))
                   for arg, default in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        parameters.append(kind(args.kwarg.arg, kind.VAR_KEYWORD))
    return inspect.Signature(parameters[1:])  # without self


def _lineage(cls: ast.ClassDef, classes: dict) -> list[ast.ClassDef]:
    """The class, then its bases written in the same module (depth first)."""
    found = [cls]
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in classes and classes[base.id] is not cls:
            found += _lineage(classes[base.id], classes)
    return found


def _class_constant(lineage, attribute: str):
    """The literal assigned to `attribute` in the class body (or a base's), else None."""
    for cls in lineage:
        for node in cls.body:
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attribute for t in node.targets)):
                try:
                    return ast.literal_eval(node.value)
                except ValueError:
                    return None
    return None


def discovered_stubs() -> list[Stub]:
    real = {ROOT / "services" / service / f"{service}_service" / "service.py" for service in SERVICE_MODULES}
    stubs = []
    for path in _source_files():
        if path in real:
            continue
        tree = ast.parse(path.read_text(), str(path))
        decorators = _rpc_decorators(tree)
        classes = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
        for cls in classes.values():
            lineage = _lineage(cls, classes)
            if (service := _class_constant(lineage, "name")) in INTERFACES:  # a nameko stub
                def answers(node, decorators=decorators):
                    return any(isinstance(d, ast.Name) and d.id in decorators for d in node.decorator_list)
            elif (service := _class_constant(lineage, "stands_for")) in INTERFACES:  # an in-process fake
                def answers(node, helpers=set(_class_constant(lineage, "test_helpers") or ())):
                    return not node.name.startswith("_") and node.name not in helpers
            else:
                continue
            methods = {}
            for klass in reversed(lineage):  # a subclass's method overrides its base's
                for node in klass.body:
                    if isinstance(node, ast.FunctionDef) and answers(node):
                        methods[node.name] = _signature(node)
            stubs.append(Stub(f"{path.relative_to(ROOT)}::{cls.name}", service, methods))
    return stubs


STUBS = discovered_stubs()


def declared_proxies(cls) -> dict[str, RpcProxy]:
    return {name: value for name, value in inspect.getmembers(cls) if isinstance(value, RpcProxy)}


def rpc_graph() -> dict[str, set[str]]:
    """service -> the services it calls, from the proxies each nameko class declares (the gateway,
    a pure caller that nobody calls, is left out)."""
    return {service: {proxy.interface.service for proxy in declared_proxies(service_class(service)).values()}
            for service in SERVICE_MODULES}


@pytest.mark.parametrize("service", sorted(SERVICE_MODULES))
def test_interface_matches_the_nameko_service(service):
    interface = INTERFACES[service]
    expected, actual = rpc_methods(interface), nameko_rpc_methods(service_class(service))
    assert set(expected) == set(actual), (
        f"{interface.__name__} lacks {sorted(set(actual) - set(expected))}, "
        f"has in excess {sorted(set(expected) - set(actual))}")
    for name, signature in expected.items():
        declared = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
        implemented = [(p.name, p.kind, p.default) for p in actual[name].parameters.values()]
        assert declared == implemented, f"{service}.{name}: interface {signature}, service {actual[name]}"
        assert signature.return_annotation is not inspect.Signature.empty, f"{service}.{name}: no result type"
        for parameter in signature.parameters.values():
            assert parameter.annotation is not inspect.Parameter.empty, f"{service}.{name}({parameter.name}): untyped"


def test_the_stubs_are_found():
    """The scan is not out of date: the stubs known when it was written are among those found."""
    found = {stub.where for stub in STUBS}
    assert {
        "services/documents/documents_service/testing.py::StubAccounts",
        "services/documents/documents_service/testing.py::StubDemandes",
        "services/documents/documents_service/testing.py::StubIdentity",
        "services/demandes/tests/integration/accounts_stub.py::StubAccounts",
        "services/demandes/tests/integration/accounts_stub.py::StubDocuments",
        "services/demandes/tests/integration/test_submission_rpc.py::StubDocuments",
        "services/notifier/tests/integration/test_request_notifications_service.py::IdentityStub",
        "services/accounts/tests/unit/conftest.py::FakeIdentity",
        "services/accounts/tests/unit/conftest.py::FakeDocuments",
        "services/demandes/tests/unit/conftest.py::FakeDocuments",
    } <= found, sorted(found)
    assert all(stub.methods for stub in STUBS), [stub.where for stub in STUBS if not stub.methods]


@pytest.mark.parametrize("stub", STUBS, ids=lambda stub: stub.where)
def test_a_stub_implements_its_service_interface(stub):
    """A stub answers a subset of its service's methods, each with the interface's parameters
    exactly (names, kinds, defaults): a test against a stub that drifted proves nothing about the
    real peer."""
    expected = rpc_methods(INTERFACES[stub.service])
    excess = sorted(set(stub.methods) - set(expected))
    assert not excess, f"{stub.where} answers {excess}, not in {INTERFACES[stub.service].__name__}"
    for name, signature in stub.methods.items():
        declared = [(p.name, p.kind, p.default) for p in expected[name].parameters.values()]
        implemented = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
        assert declared == implemented, f"{stub.where}.{name}: interface {expected[name]}, stub {signature}"


@pytest.mark.parametrize("service", sorted(SERVICE_MODULES))
def test_every_service_calls_others_through_typed_proxies(service):
    for name, proxy in declared_proxies(service_class(service)).items():
        assert isinstance(proxy, TypedRpcProxy), f"{service}.{name} is an untyped RpcProxy"
        assert proxy.target_service == proxy.interface.service


def test_the_rpc_graph_has_no_cycle():
    graph = rpc_graph()
    cycles = []

    def visit(node, path):
        for target in sorted(graph.get(node, ())):
            if target in path:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            else:
                visit(target, path + [target])

    for start in sorted(graph):
        visit(start, [start])
    assert not cycles, f"the RPC graph has cycles: {sorted(set(cycles))} (graph: {graph})"


def test_services_call_only_methods_of_the_interfaces_they_declare():
    """`ctx.documents.render_summary(...)` / `self.identity.person_contact` in a service's code: the
    method is in the declared proxy's interface (the proxy also checks it at run time)."""
    wrong = []
    for service in SERVICE_MODULES:
        proxies = {name: proxy.interface for name, proxy in declared_proxies(service_class(service)).items()}
        package = ROOT / "services" / service / f"{service}_service"
        for path in package.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                        and isinstance(node.value.value, ast.Name) and node.value.value.id in ("ctx", "self")
                        and node.value.attr in proxies
                        and node.attr not in rpc_methods(proxies[node.value.attr])):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.attr}.{node.attr}")
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Attribute)
                        and isinstance(node.func.value.value, ast.Name) and node.func.value.value.id in ("ctx", "self")
                        and node.func.value.attr in proxies
                        and node.func.attr in (methods := rpc_methods(proxies[node.func.value.attr]))
                        and (problem := _misfits(node, methods[node.func.attr])) is not None):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.value.attr}.{node.func.attr}: "
                                 f"{problem}")
    assert not wrong, wrong


def test_the_gateway_names_no_method_by_a_string():
    """Views call `demandes.create_draft(...)`, never `demandes("create_draft", ...)` nor
    `call("demandes", "create_draft", ...)` (/work/codemod_calls.py converted them)."""
    by_string = []
    package = ROOT / "services" / "gateway" / "gateway_service"
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("identity", "accounts", "demandes", "documents", "call")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                    and path.name != "rpc_calls.py"):
                by_string.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not by_string, by_string


GATEWAY_PROXIES = {"identity": "identity", "accounts": "accounts", "demandes": "demandes",
                   "documents": "documents", "documents_rpc": "documents"}


def _misfits(call: ast.Call, signature: inspect.Signature) -> str | None:
    """Why the call's arguments cannot bind to the signature, when that is known statically."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    try:
        signature.bind(*[None] * len(call.args), **{k.arg: None for k in call.keywords})
    except TypeError as exc:
        return str(exc)
    return None


def test_every_gateway_call_fits_the_interface():
    """`demandes.board(person, query)` in a view: the method exists and the arguments bind (the
    proxy checks the same at run time; this finds it before a request does)."""
    wrong, seen = [], 0
    package = ROOT / "services" / "gateway" / "gateway_service"
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in GATEWAY_PROXIES
                    and path.name != "rpc_calls.py"):
                seen += 1
                methods = rpc_methods(INTERFACES[GATEWAY_PROXIES[node.func.value.id]])
                where = f"{path.relative_to(ROOT)}:{node.lineno} {node.func.value.id}.{node.func.attr}"
                if node.func.attr not in methods:
                    wrong.append(f"{where}: no such method")
                elif (problem := _misfits(node, methods[node.func.attr])) is not None:
                    wrong.append(f"{where}: {problem}")
    assert seen >= 90, f"only {seen} proxy calls found in the gateway: the scan is out of date"
    assert not wrong, wrong


def test_a_typed_proxy_refuses_unknown_methods_and_wrong_arguments():
    sent = []
    demandes = TypedProxy(INTERFACES["demandes"], lambda method, *args, **kwargs: sent.append((method, args, kwargs)))
    demandes.create_draft({"id": "p-1"}, "ARS")
    demandes.submit({"id": "p-1"}, "d-1", idempotency_key="k")
    assert sent == [("create_draft", ({"id": "p-1"}, "ARS"), {}),
                    ("submit", ({"id": "p-1"}, "d-1"), {"idempotency_key": "k"})]
    with pytest.raises(AttributeError, match="no RPC method 'create_drafts'"):
        demandes.create_drafts
    with pytest.raises(TypeError, match="demandes.create_draft"):
        demandes.create_draft({"id": "p-1"})
    with pytest.raises(TypeError):
        demandes.submit({"id": "p-1"}, "d-1", key="k")
    assert len(sent) == 2
    assert "create_draft" in dir(demandes)
