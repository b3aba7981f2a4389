"""docker-compose.yml, deploy/Dockerfile and deploy/postgres-init.sql agree with the Procfile and
with the code (no Docker needed: the files are parsed, nothing is built or run)."""
from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROCFILE = ROOT / "Procfile"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres-init.sql"
CONFIG_PY = ROOT / "shared" / "consignations_shared" / "config.py"

POSTGRES = "postgres"
RABBITMQ = "rabbitmq"
TOPOLOGY = "topology"
PROXY = "proxy"  # nginx in front of the gateway's gunicorn (deploy/nginx, tests/deploy/test_proxy.py)
INFRASTRUCTURE = {POSTGRES, RABBITMQ, PROXY}


# --- readers -------------------------------------------------------------------------------------

def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def load_procfile() -> dict[str, str]:
    processes = {}
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        processes[name.strip()] = command.strip()
    return processes


def service_ports() -> dict[str, int]:
    """SERVICE_HTTP_PORTS of config.py: the services with their own database and HTTP port."""
    tree = ast.parse(CONFIG_PY.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "SERVICE_HTTP_PORTS" for t in node.targets
        ):
            return dict(ast.literal_eval(node.value))
    raise AssertionError("SERVICE_HTTP_PORTS not found in config.py")


def data_services() -> list[str]:
    return list(service_ports())


def command_words(command) -> list[str]:
    if command is None:
        return []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(word) for word in command]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return {key: "" if value is None else str(value) for key, value in env.items()}


def depends_on(service: dict) -> dict[str, str]:
    """{dependency: condition}; the short list form means service_started."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def healthcheck_command(service: dict) -> str:
    check = service.get("healthcheck") or {}
    if check.get("disable"):
        return ""
    test = check.get("test")
    if isinstance(test, list):
        if not test or test[0] == "NONE":
            return ""
        return " ".join(str(word) for word in test[1:])
    return str(test or "")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends with a line continuation"
    return instructions


def published_ports(service: dict) -> set[tuple[str, str]]:
    """{(host port, container port)} from the short ("8000:8000") and long syntaxes."""
    ports = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.add((str(entry.get("published", "")), str(entry.get("target", ""))))
            continue
        spec = str(entry).split("/")[0]
        parts = spec.split(":")
        if len(parts) == 1:
            ports.add(("", parts[0]))
        else:
            ports.add((parts[-2], parts[-1]))
    return ports


# Quoted UPPER_CASE names in the code that reads the environment.
_QUOTED_NAME = re.compile(r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']""")
_PREFIXED = re.compile(r"""f["']\{prefix\}(_[A-Z0-9_]+)["']""")


def variables_read_by_code() -> set[str]:
    files = [
        CONFIG_PY,
        ROOT / "services" / "gateway" / "gateway_service" / "settings.py",
        ROOT / "deploy" / "gunicorn.conf.py",
        *sorted((ROOT / "shared" / "consignations_shared").rglob("*.py")),
    ]
    for package in sorted((ROOT / "services").glob("*/*_service")):
        files.extend(sorted(package.rglob("*.py")))
    names = set()
    for path in files:
        names.update(_QUOTED_NAME.findall(path.read_text(encoding="utf-8")))
    suffixes = set(_PREFIXED.findall(CONFIG_PY.read_text(encoding="utf-8")))
    assert {"_DATABASE_URL", "_HTTP_ADDRESS"} <= suffixes, suffixes
    names.update(service.upper() + suffix for service in data_services() for suffix in suffixes)
    return names


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def procfile() -> dict[str, str]:
    processes = load_procfile()
    assert processes, "empty Procfile"
    return processes


def app_services(services) -> list[str]:
    return [name for name in services if name not in INFRASTRUCTURE]


# --- Procfile parity -----------------------------------------------------------------------------

def test_data_services_are_procfile_processes(procfile):
    assert set(data_services()) <= set(procfile), "SERVICE_HTTP_PORTS names a process the Procfile lacks"


@pytest.mark.parametrize("process", sorted(load_procfile()))
def test_every_procfile_process_is_a_service_with_the_same_command(services, procfile, process):
    assert process in services, f"{process} (Procfile) is not a compose service"
    assert command_words(services[process].get("command")) == shlex.split(procfile[process])


def test_app_services_use_the_image_built_from_deploy_dockerfile(services):
    for name in app_services(services):
        service = services[name]
        build = service.get("build")
        assert build, f"{name} has no build section"
        dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        context = build.get("context", ".") if isinstance(build, dict) else build
        assert (ROOT / context / dockerfile).resolve() == DOCKERFILE.resolve(), name


def test_topology_is_declared_by_a_one_shot_service(services):
    topology = services[TOPOLOGY]
    assert command_words(topology.get("command")) == ["python", "-m", "consignations_shared.topology"]
    assert str(topology.get("restart", "no")) == "no"
    assert depends_on(topology).get(RABBITMQ) == "service_healthy"


# --- environment ---------------------------------------------------------------------------------

def test_every_app_service_reaches_rabbitmq(services):
    for name in app_services(services):
        uri = environment(services[name]).get("AMQP_URI", "")
        parts = urlsplit(uri)
        assert parts.scheme == "amqp" and parts.hostname == RABBITMQ and (parts.port or 5672) == 5672, (
            f"{name}: AMQP_URI={uri!r} does not point at the {RABBITMQ} service"
        )


@pytest.mark.parametrize("service", data_services())
def test_data_service_database_is_its_own_postgres_database(services, service):
    env = environment(services[service])
    url = env.get(f"{service.upper()}_DATABASE_URL", "")
    parts = urlsplit(url)
    assert parts.scheme.split("+")[0] == "postgresql", f"{service}: {url!r}"
    assert parts.hostname == POSTGRES and (parts.port or 5432) == 5432, f"{service}: {url!r}"
    assert parts.path.lstrip("/") == service, f"{service}: database of {url!r} is not {service!r}"


@pytest.mark.parametrize("service", data_services())
def test_data_service_http_address_listens_on_its_port(services, service):
    address = environment(services[service]).get(f"{service.upper()}_HTTP_ADDRESS", "")
    host, _, port = address.rpartition(":")
    assert host == "0.0.0.0" and port == str(service_ports()[service]), f"{service}: {address!r}"


# A client of another service's own HTTP endpoint needs its address and shared token.
CLIENT_SETTINGS = {"gateway": {"DOCUMENTS_URL", "DOCUMENTS_INTERNAL_TOKEN"},
                   # The owners of documents sign the grants the documents service verifies.
                   "accounts": {"DOCUMENTS_GRANT_KEY"}, "demandes": {"DOCUMENTS_GRANT_KEY"}}


def test_no_service_carries_another_data_service_settings(services):
    prefixes = {service.upper() + "_": service for service in data_services()}
    for name in app_services(services):
        for variable in environment(services[name]):
            if variable in CLIENT_SETTINGS.get(name, ()):
                continue
            for prefix, owner in prefixes.items():
                if variable.startswith(prefix) and owner != name:
                    pytest.fail(f"{name} sets {variable}, a setting of {owner}")


def test_every_environment_variable_is_read_by_the_code(services):
    known = variables_read_by_code()
    unknown = {
        f"{name}: {variable}"
        for name in app_services(services)
        for variable in environment(services[name])
        if variable not in known
    }
    assert not unknown, f"variables no code reads (typo?): {sorted(unknown)}"


def test_identity_secret_key_can_be_set_from_the_outside(services):
    value = environment(services["identity"]).get("IDENTITY_SECRET_KEY", "")
    assert value.startswith("${IDENTITY_SECRET_KEY"), value


def test_notifier_outbox_is_on_a_named_volume(compose, services):
    notifier = services["notifier"]
    outbox = environment(notifier).get("NOTIFIER_OUTBOX_DIR")
    assert outbox, "NOTIFIER_OUTBOX_DIR not set"
    mounts = {}
    for volume in notifier.get("volumes") or []:
        if isinstance(volume, dict):
            mounts[volume.get("target")] = volume.get("source")
        else:
            source, target = str(volume).split(":")[:2]
            mounts[target] = source
    assert outbox in mounts, f"{outbox} is not a mount of notifier"
    assert mounts[outbox] in (compose.get("volumes") or {}), f"{mounts[outbox]} is not a named volume"


# --- start order and health ----------------------------------------------------------------------

def test_every_app_service_depends_on_rabbitmq(services):
    for name in app_services(services):
        deps = depends_on(services[name])
        through_topology = TOPOLOGY in deps and depends_on(services[TOPOLOGY]).get(RABBITMQ) == "service_healthy"
        assert deps.get(RABBITMQ) == "service_healthy" or through_topology, (
            f"{name} does not wait for a healthy {RABBITMQ}"
        )


@pytest.mark.parametrize("service", data_services())
def test_data_service_waits_for_postgres_rabbitmq_and_topology(services, service):
    deps = depends_on(services[service])
    assert deps.get(POSTGRES) == "service_healthy", f"{service}: {deps}"
    assert deps.get(RABBITMQ) == "service_healthy", f"{service}: {deps}"
    assert deps.get(TOPOLOGY) == "service_completed_successfully", f"{service}: {deps}"


def test_infrastructure_has_healthchecks(services):
    assert "pg_isready" in healthcheck_command(services[POSTGRES])
    assert "rabbitmq-diagnostics" in healthcheck_command(services[RABBITMQ])
    assert "ping" in healthcheck_command(services[RABBITMQ])


@pytest.mark.parametrize("process", sorted(load_procfile()))
def test_every_procfile_process_has_a_healthcheck(services, process):
    command = healthcheck_command(services.get(process, {}))
    assert command, f"{process} has no healthcheck"
    if process in data_services():
        port = service_ports()[process]
        assert f"127.0.0.1:{port}/health/ready" in command, f"{process}: {command!r}"


def test_gateway(services):
    gateway = services["gateway"]
    bind = environment(gateway).get("GATEWAY_BIND", "")
    host, _, port = bind.rpartition(":")
    assert host == "0.0.0.0", bind
    assert f"127.0.0.1:{port}/health/live" in healthcheck_command(gateway)
    deps = depends_on(gateway)
    for service in data_services():
        assert deps.get(service) == "service_healthy", f"gateway does not wait for a healthy {service}"


def test_gunicorn_is_reached_only_through_the_reverse_proxy(services):
    """Issue 18, finding 7: the gateway publishes no port; nginx does, forwards to gunicorn with
    the shipped configuration, and the gateway counts it among its trusted proxies."""
    gateway, proxy = services["gateway"], services[PROXY]
    assert not gateway.get("ports"), "gunicorn must not be published: the proxy is the public entry"
    port = environment(gateway)["GATEWAY_BIND"].rpartition(":")[2]
    assert environment(proxy).get("GATEWAY_UPSTREAM") == f"gateway:{port}"
    assert ("8000", "8080") in published_ports(proxy), "the proxy does not publish port 8000"
    mounts = [str(volume) for volume in proxy.get("volumes") or []]
    assert "./deploy/nginx/gateway.conf.template:/etc/nginx/templates/default.conf.template:ro" in mounts
    assert str(proxy["image"]).startswith("nginxinc/nginx-unprivileged:")
    assert depends_on(proxy).get("gateway") == "service_healthy"
    assert int(environment(gateway).get("GATEWAY_TRUSTED_PROXIES", "0")) == 1
    assert "127.0.0.1:8080/health/live" in healthcheck_command(proxy)


# --- image ---------------------------------------------------------------------------------------

def test_dockerfile_installs_pinned_requirements():
    runs = [args for keyword, args in dockerfile_instructions() if keyword == "RUN"]
    pip = [shlex.split(args) for args in runs if "pip install" in args]
    assert any(
        "-r" in words and words[words.index("-r") + 1] == "requirements.txt"
        and "-c" in words and words[words.index("-c") + 1] == "constraints.txt"
        for words in pip
    ), "no `pip install -r requirements.txt -c constraints.txt`"
    copies = " ".join(args for keyword, args in dockerfile_instructions() if keyword == "COPY")
    assert "requirements.txt" in copies and "constraints.txt" in copies


def test_dockerfile_installs_shared_and_every_service_folder():
    runs = [shlex.split(args) for keyword, args in dockerfile_instructions() if keyword == "RUN"]
    installed = set()
    for words in runs:
        for i, word in enumerate(words[:-1]):
            if word == "pip" and words[i + 1] == "install":
                installed.update(w.rstrip("/").removeprefix("./") for w in words[i + 2:] if not w.startswith("-"))
                assert "-e" not in words and "--editable" not in words, "editable install in the image"
    folders = {f"services/{path.parent.name}" for path in (ROOT / "services").glob("*/pyproject.toml")}
    assert folders, "no service folder found"
    missing = ({"shared"} | folders) - installed
    assert not missing, f"not installed in the image: {sorted(missing)}"


def test_dockerfile_runs_unprivileged_with_a_data_directory():
    instructions = dockerfile_instructions()
    assert instructions[0][0] == "FROM" and instructions[0][1].startswith("python:3.11-slim")
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image runs as root"
    env = " ".join(args for keyword, args in instructions if keyword == "ENV")
    assert "CONSIGNATIONS_VAR_DIR=" in env and "PYTHONUNBUFFERED=1" in env
    copies = [args.split() for keyword, args in instructions if keyword == "COPY"]
    assert any(words[0].rstrip("/") == "deploy" for words in copies), "deploy/ (gunicorn.conf.py) not copied"


# --- databases -----------------------------------------------------------------------------------

def test_postgres_init_creates_a_database_per_data_service(services):
    sql = re.sub(r"--[^\n]*", "", INIT_SQL.read_text(encoding="utf-8"))
    created = {name.lower() for name in re.findall(r'CREATE\s+DATABASE\s+"?(\w+)"?', sql, re.IGNORECASE)}
    missing = set(data_services()) - created
    assert not missing, f"no CREATE DATABASE for {sorted(missing)}"
    mounts = [str(v) for v in services[POSTGRES].get("volumes") or []]
    assert any(
        m.split(":")[0] in ("./deploy/postgres-init.sql", "deploy/postgres-init.sql")
        and m.split(":")[1].startswith("/docker-entrypoint-initdb.d/")
        for m in mounts
    ), "deploy/postgres-init.sql is not mounted into /docker-entrypoint-initdb.d"


def test_documents_and_its_owners_share_the_grant_key(services):
    keys = {name: environment(services[name])["DOCUMENTS_GRANT_KEY"] for name in ("documents", "accounts", "demandes")}
    assert len(set(keys.values())) == 1, keys


def test_gateway_and_documents_share_the_internal_token(services):
    gateway, documents = environment(services["gateway"]), environment(services["documents"])
    assert gateway["DOCUMENTS_INTERNAL_TOKEN"] == documents["DOCUMENTS_INTERNAL_TOKEN"]
    assert gateway["DOCUMENTS_URL"] == "http://documents:8104"
