"""deploy/k8s and deploy/rabbitmq agree with the Procfile, docker-compose.yml and the code (unit
tier: the files are parsed, no cluster and no broker are needed).

- Every Procfile process has a Deployment running the same command, a Service, probes on its
  health endpoints and resource requests and limits; data services migrate with their own
  `migrate` command in an init container.
- Every variable docker-compose sets for a process is set for its Deployment (COMPOSE_ONLY lists
  the documented exceptions); every variable of a Deployment is read by the code; ConfigMap and
  Secret keys are the variables' names; secrets come from the Secret only.
- The autoscalers target existing Deployments; kustomization.yaml lists every manifest.
- deploy/rabbitmq/definitions.json is what deploy/rabbitmq/generate.py builds from
  consignations_shared.topology, and covers every queue of `queue_specs` as a quorum queue with
  a dead-letter policy.
"""
from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
RABBITMQ = ROOT / "deploy" / "rabbitmq"
RUNNER_PY = ROOT / "shared" / "consignations_shared" / "runner.py"


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The Procfile, docker-compose.yml and code readers of test_compose.py (one parser for both tests).
compose_checks = _load_module("_deploy_compose_checks", Path(__file__).with_name("test_compose.py"))
generate = _load_module("_deploy_rabbitmq_generate", RABBITMQ / "generate.py")

PROCESSES = sorted(compose_checks.load_procfile())
DATA_SERVICES = compose_checks.data_services()
PORTS = compose_checks.service_ports()
GATEWAY = "gateway"
GATEWAY_PORT = 8000
AUTOSCALED = {"gateway", "notifier"}

# Variables docker-compose sets that the Kubernetes manifests deliberately do not, with the reason.
# (Values differ anyway: host names, ports of the compose network, development backends.)
COMPOSE_ONLY: dict[tuple[str, str], str] = {}

# Variables that must come from the Secret, never from the ConfigMap or a literal value.
SECRET_NAME = re.compile(r"(^AMQP_URI$|_DATABASE_URL$|PASSWORD|SECRET|TOKEN$|^AWS_ACCESS_KEY_ID$)")


# --- readers -------------------------------------------------------------------------------------

def read_env_file(path: Path) -> dict[str, str]:
    """kustomize `envs:` files: KEY=VALUE lines, # comments."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
        assert key not in values, f"{path.name}: {key} twice"
        values[key] = value
    return values


def load_kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))


def load_resources() -> list[dict]:
    documents = []
    for name in load_kustomization()["resources"]:
        with (K8S / name).open(encoding="utf-8") as handle:
            documents.extend(doc for doc in yaml.safe_load_all(handle) if doc)
    return documents


def generator(kind: str) -> dict:
    """The settings' generator of `kind` (from env files; the proxy's file is another one)."""
    generators = [g for g in load_kustomization().get(kind) or [] if g.get("envs")]
    assert len(generators) == 1, f"expected one {kind} of settings"
    return generators[0]


def generated_values(kind: str) -> tuple[str, dict[str, str]]:
    spec = generator(kind)
    values = {}
    for env_file in spec.get("envs") or []:
        values.update(read_env_file(K8S / env_file))
    return spec["name"], values


def main_container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    named = [c for c in containers if c["name"] == deployment["metadata"]["name"]]
    assert len(named) == 1, f"{deployment['metadata']['name']}: no container of the same name"
    return named[0]


def all_containers(deployment: dict) -> list[dict]:
    pod = deployment["spec"]["template"]["spec"]
    return list(pod.get("initContainers") or []) + list(pod["containers"])


PROXY = "proxy"  # the gateway pod's nginx (deploy/nginx/gateway.conf.template, test_proxy.py)


def app_containers(deployment: dict) -> list[dict]:
    """The containers that run the image of deploy/Dockerfile (all but the gateway's proxy)."""
    return [c for c in all_containers(deployment) if c["name"] != PROXY]


def container_command(container: dict) -> list[str]:
    return [str(w) for w in (container.get("command") or [])] + [str(w) for w in (container.get("args") or [])]


def env_names(container: dict) -> list[str]:
    return [item["name"] for item in container.get("env") or []]


def env_item(container: dict, name: str) -> dict:
    items = [item for item in container.get("env") or [] if item["name"] == name]
    assert len(items) == 1, f"{container['name']}: {name} set {len(items)} times"
    return items[0]


def literal_env(container: dict, name: str) -> str:
    item = env_item(container, name)
    assert "value" in item, f"{container['name']}: {name} is expected as a literal value"
    return str(item["value"])


def container_port(container: dict, name: str = "http") -> int:
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    assert name in ports, f"{container['name']}: no port named {name}"
    return int(ports[name])


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def resources() -> list[dict]:
    return load_resources()


def of_kind(resources, kind: str) -> dict[str, dict]:
    found = {}
    for doc in resources:
        if doc.get("kind") == kind:
            name = doc["metadata"]["name"]
            assert name not in found, f"two {kind} named {name}"
            found[name] = doc
    return found


@pytest.fixture(scope="module")
def deployments(resources) -> dict[str, dict]:
    return of_kind(resources, "Deployment")


@pytest.fixture(scope="module")
def compose_services() -> dict:
    return compose_checks.load_compose()["services"]


# --- kustomization -------------------------------------------------------------------------------

def test_kustomization_lists_every_manifest_and_nothing_else():
    listed = set(load_kustomization()["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present, f"not listed: {sorted(present - listed)}, missing: {sorted(listed - present)}"


def test_one_image_for_every_container(deployments):
    images = {c["image"] for d in deployments.values() for c in app_containers(d)}
    assert len(images) == 1, images
    (image,) = images
    assert image in {entry["name"] for entry in load_kustomization().get("images") or []}, (
        f"{image} is not set by kustomization.yaml images"
    )


# --- Procfile parity -----------------------------------------------------------------------------

def test_every_deployment_is_a_procfile_process(deployments):
    assert set(deployments) == set(PROCESSES)


@pytest.mark.parametrize("process", PROCESSES)
def test_every_process_runs_the_procfile_command(deployments, process):
    assert process in deployments, f"{process} (Procfile) has no Deployment"
    procfile = compose_checks.load_procfile()[process]
    assert container_command(main_container(deployments[process])) == shlex.split(procfile)


@pytest.mark.parametrize("process", PROCESSES)
def test_every_process_has_a_service_on_its_port(resources, deployments, process):
    deployment = deployments[process]
    service = of_kind(resources, "Service").get(process)
    assert service, f"{process} has no Service"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = service["spec"]["selector"]
    assert selector and all(labels.get(k) == v for k, v in selector.items()), f"{process}: selector {selector}"
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    port = container_port(main_container(deployment))
    assert port == PORTS.get(process, GATEWAY_PORT)
    # The gateway's Service goes through its reverse proxy (test_the_gateway_service_goes_through_nginx).
    target = (PROXY,) if process == GATEWAY else (port, "http")
    assert any(p["port"] == port and p.get("targetPort") in target for p in service["spec"]["ports"])


# --- environment ---------------------------------------------------------------------------------

@pytest.mark.parametrize("process", PROCESSES)
def test_every_compose_variable_is_set_in_kubernetes(compose_services, deployments, process):
    compose_env = compose_checks.environment(compose_services[process])
    k8s_env = set(env_names(main_container(deployments[process])))
    missing = {name for name in compose_env if name not in k8s_env and (process, name) not in COMPOSE_ONLY}
    assert not missing, f"{process}: set by docker-compose.yml, not by deploy/k8s: {sorted(missing)}"


def test_every_kubernetes_variable_is_read_by_the_code(deployments):
    known = compose_checks.variables_read_by_code()
    unknown = {
        f"{name}/{container['name']}: {variable}"
        for name, deployment in deployments.items()
        for container in app_containers(deployment)
        for variable in env_names(container)
        if variable not in known
    }
    assert not unknown, f"variables no code reads (typo?): {sorted(unknown)}"


def test_config_and_secret_keys_are_variable_names_and_used():
    known = compose_checks.variables_read_by_code()
    config_name, config = generated_values("configMapGenerator")
    secret_name, secrets = generated_values("secretGenerator")
    assert not set(config) & set(secrets), "a key both in the ConfigMap and the Secret"
    assert not set(config) - known, f"ConfigMap keys no code reads: {sorted(set(config) - known)}"
    assert not set(secrets) - known, f"Secret keys no code reads: {sorted(set(secrets) - known)}"
    leaked = {key for key in config if SECRET_NAME.search(key)}
    assert not leaked, f"secrets in the ConfigMap: {sorted(leaked)}"
    used = {
        (ref["name"], ref["key"])
        for deployment in load_resources() if deployment.get("kind") == "Deployment"
        for container in all_containers(deployment)
        for item in container.get("env") or []
        for ref in [(item.get("valueFrom") or {}).get("configMapKeyRef") or
                    (item.get("valueFrom") or {}).get("secretKeyRef") or {}]
        if ref
    }
    unused = {(config_name, k) for k in config} | {(secret_name, k) for k in secrets}
    assert not unused - used, f"keys no Deployment uses: {sorted(unused - used)}"


def test_every_reference_names_the_variable_and_the_right_source(deployments):
    config_name, config = generated_values("configMapGenerator")
    secret_name, secrets = generated_values("secretGenerator")
    for name, deployment in deployments.items():
        for container in all_containers(deployment):
            where = f"{name}/{container['name']}"
            assert not container.get("envFrom"), f"{where}: envFrom gives a process every setting"
            for item in container.get("env") or []:
                variable, source = item["name"], item.get("valueFrom") or {}
                if "configMapKeyRef" in source:
                    ref = source["configMapKeyRef"]
                    assert ref["name"] == config_name and ref["key"] == variable, f"{where}: {item}"
                    assert variable in config, f"{where}: {variable} not in {config_name}"
                    assert not SECRET_NAME.search(variable), f"{where}: {variable} is a secret"
                elif "secretKeyRef" in source:
                    ref = source["secretKeyRef"]
                    assert ref["name"] == secret_name and ref["key"] == variable, f"{where}: {item}"
                    assert variable in secrets, f"{where}: {variable} not in {secret_name}"
                else:
                    assert "value" in item, f"{where}: {item}"
                    assert not SECRET_NAME.search(variable), f"{where}: {variable} written in the manifest"


@pytest.mark.parametrize("service", DATA_SERVICES)
def test_data_service_listens_on_its_port_with_its_own_database(deployments, service):
    container = main_container(deployments[service])
    address = literal_env(container, f"{service.upper()}_HTTP_ADDRESS")
    host, _, port = address.rpartition(":")
    assert host == "0.0.0.0" and int(port) == PORTS[service] == container_port(container), address
    assert env_item(container, f"{service.upper()}_DATABASE_URL")["valueFrom"]["secretKeyRef"]
    _, secrets = generated_values("secretGenerator")
    url = urlsplit(secrets[f"{service.upper()}_DATABASE_URL"])
    assert url.scheme.split("+")[0] == "postgresql" and url.path.lstrip("/") == service, url.geturl()


def test_no_service_carries_another_data_service_settings(deployments):
    prefixes = {service.upper() + "_": service for service in DATA_SERVICES}
    for name, deployment in deployments.items():
        allowed = compose_checks.CLIENT_SETTINGS.get(name, set())
        for variable in env_names(main_container(deployment)):
            for prefix, owner in prefixes.items():
                if variable.startswith(prefix) and owner != name and variable not in allowed:
                    pytest.fail(f"{name} sets {variable}, a setting of {owner}")


def test_gateway_binds_its_port_and_reaches_documents(resources, deployments):
    gateway = main_container(deployments[GATEWAY])
    host, _, port = literal_env(gateway, "GATEWAY_BIND").rpartition(":")
    assert host == "0.0.0.0" and int(port) == container_port(gateway) == GATEWAY_PORT
    documents_url = urlsplit(literal_env(gateway, "DOCUMENTS_URL"))
    service = of_kind(resources, "Service")[documents_url.hostname]
    assert documents_url.hostname == "documents"
    assert any(p["port"] == documents_url.port == PORTS["documents"] for p in service["spec"]["ports"])
    documents = main_container(deployments["documents"])
    assert env_item(gateway, "DOCUMENTS_INTERNAL_TOKEN") == env_item(documents, "DOCUMENTS_INTERNAL_TOKEN")


def test_the_gateway_service_goes_through_nginx(resources, deployments):
    """Issue 18, finding 7: gunicorn is never exposed alone. The gateway pod runs nginx with the
    shipped configuration (a ConfigMap made of the same file as docker-compose's), the Service
    targets nginx's port, nginx forwards to gunicorn inside the pod, and the gateway counts it
    (after the ingress) among its trusted proxies."""
    pod = deployments[GATEWAY]["spec"]["template"]["spec"]
    [proxy] = [c for c in pod["containers"] if c["name"] == PROXY]
    gateway = main_container(deployments[GATEWAY])
    [service_port] = of_kind(resources, "Service")[GATEWAY]["spec"]["ports"]
    assert service_port["targetPort"] == PROXY and container_port(proxy, PROXY) == 8080
    assert literal_env(proxy, "GATEWAY_UPSTREAM") == f"127.0.0.1:{container_port(gateway)}"
    images = {entry["name"]: entry for entry in load_kustomization()["images"]}
    assert images[proxy["image"]]["newName"].endswith("nginxinc/nginx-unprivileged")
    [generated] = [g for g in load_kustomization()["configMapGenerator"] if g["name"] == "gateway-proxy"]
    assert generated["files"] == ["gateway-proxy.conf.template"]
    assert (K8S / "gateway-proxy.conf.template").read_bytes() == (ROOT / "deploy" / "nginx" / "gateway.conf.template").read_bytes()
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in proxy["volumeMounts"]}
    template = volumes[mounts["/etc/nginx/templates"]]["configMap"]
    assert template["name"] == "gateway-proxy" and template["items"] == [
        {"key": "gateway-proxy.conf.template", "path": "default.conf.template"}]
    assert "/etc/nginx/conf.d" in mounts and "/tmp" in mounts  # read-only root filesystem
    assert proxy["securityContext"]["readOnlyRootFilesystem"] is True
    _, config = generated_values("configMapGenerator")
    assert int(config["GATEWAY_TRUSTED_PROXIES"]) == 2  # the ingress, then this nginx


def test_documents_storage_is_a_claim_or_s3(resources, deployments):
    config_name, config = generated_values("configMapGenerator")
    documents = deployments["documents"]
    container = main_container(documents)
    backend = config.get("DOCUMENTS_STORAGE", "local")
    if backend == "s3":
        assert config.get("DOCUMENTS_S3_BUCKET"), "DOCUMENTS_STORAGE=s3 needs DOCUMENTS_S3_BUCKET"
        return
    assert backend == "local", backend
    storage_dir = literal_env(container, "DOCUMENTS_STORAGE_DIR")
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts") or []}
    assert storage_dir in mounts, f"{storage_dir} is not a mount of documents"
    volumes = {v["name"]: v for v in documents["spec"]["template"]["spec"]["volumes"]}
    claim = volumes[mounts[storage_dir]].get("persistentVolumeClaim", {}).get("claimName")
    claims = of_kind(resources, "PersistentVolumeClaim")
    assert claim in claims, f"documents stores its files on {mounts[storage_dir]}, not on a claim"
    replicas = documents["spec"].get("replicas", 1)
    assert replicas == 1 or "ReadWriteMany" in claims[claim]["spec"]["accessModes"], (
        "several documents pods on one volume need ReadWriteMany"
    )


def test_identity_and_documents_secrets_are_shared_by_every_pod(deployments):
    # Unset, each pod would generate its own (identity.secret, documents.token, a signing key).
    identity = main_container(deployments["identity"])
    assert env_item(identity, "IDENTITY_SECRET_KEY")["valueFrom"]["secretKeyRef"]
    documents = main_container(deployments["documents"])
    assert env_item(documents, "DOCUMENTS_INTERNAL_TOKEN")["valueFrom"]["secretKeyRef"]
    for name in ("documents", "accounts", "demandes"):  # grants: signed by the owners, verified by documents
        assert env_item(main_container(deployments[name]), "DOCUMENTS_GRANT_KEY")["valueFrom"]["secretKeyRef"]
    assert {"DOCUMENTS_SIGNING_PKCS12", "DOCUMENTS_SIGNING_CERT"} & set(env_names(documents))


# --- start: migrations and topology --------------------------------------------------------------

def test_runner_has_a_migrate_command():
    source = RUNNER_PY.read_text(encoding="utf-8")
    assert '"migrate"' in source and 'if command == "migrate"' in source


@pytest.mark.parametrize("service", DATA_SERVICES)
def test_data_service_migrates_then_declares_the_topology_before_start(compose_services, deployments, service):
    init = deployments[service]["spec"]["template"]["spec"].get("initContainers") or []
    commands = [container_command(c) for c in init]
    assert ["python", "-m", f"{service}_service", "migrate"] in commands, f"{service}: {commands}"
    migrate = init[commands.index(["python", "-m", f"{service}_service", "migrate"])]
    main = main_container(deployments[service])
    database = f"{service.upper()}_DATABASE_URL"
    assert env_item(migrate, database) == env_item(main, database), f"{service}: migrate uses another database"
    topology = compose_checks.command_words(compose_services[compose_checks.TOPOLOGY]["command"])
    assert topology in commands, f"{service}: no init container runs {topology}"
    assert env_item(init[commands.index(topology)], "AMQP_URI") == env_item(main, "AMQP_URI")


# --- probes, resources, autoscaling --------------------------------------------------------------

@pytest.mark.parametrize("process", PROCESSES)
def test_probes_point_at_the_health_endpoints(deployments, process):
    container = main_container(deployments[process])
    port = container_port(container)
    paths = {}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = (container.get(probe) or {}).get("httpGet")
        assert get, f"{process}: no HTTP {probe}"
        assert get["port"] in (port, "http"), f"{process}: {probe} on port {get['port']}"
        paths[probe] = get["path"]
    assert paths["livenessProbe"] == "/health/live" and paths["startupProbe"] == "/health/live", paths
    if process in DATA_SERVICES:
        assert paths["readinessProbe"] == "/health/ready", paths
    else:
        # The gateway's /health/ready asks every service: see deploy/k8s/gateway.yaml.
        assert paths["readinessProbe"] in ("/health/live", "/health/ready"), paths


@pytest.mark.parametrize("process", PROCESSES)
def test_pods_are_annotated_for_prometheus_on_their_own_port(deployments, process):
    container = main_container(deployments[process])
    annotations = deployments[process]["spec"]["template"]["metadata"].get("annotations") or {}
    assert annotations.get("prometheus.io/scrape") == "true", f"{process}: not scraped"
    assert annotations.get("prometheus.io/path") == "/metrics"
    assert int(annotations.get("prometheus.io/port", 0)) == container_port(container)


@pytest.mark.parametrize("process", PROCESSES)
def test_every_container_has_requests_and_limits(deployments, process):
    for container in all_containers(deployments[process]):
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(resources.get(section) or {})
            assert not missing, f"{process}/{container['name']}: no {section} for {sorted(missing)}"


@pytest.mark.parametrize("process", PROCESSES)
def test_containers_run_unprivileged(deployments, process):
    pod = deployments[process]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in all_containers(deployments[process]):
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, container["name"]


def test_autoscalers_target_the_gateway_and_the_notifier(resources, deployments):
    autoscalers = of_kind(resources, "HorizontalPodAutoscaler")
    targets = {}
    for name, hpa in autoscalers.items():
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["name"] in deployments, f"{name}: target {ref}"
        assert 1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"], name
        targets[ref["name"]] = hpa
    assert set(targets) == AUTOSCALED, sorted(targets)
    for name in AUTOSCALED:
        deployment = deployments[name]
        assert "replicas" not in deployment["spec"], f"{name}: replicas fights the autoscaler"
        for metric in targets[name]["spec"]["metrics"]:
            if metric["type"] == "Resource":
                resource = metric["resource"]["name"]
                assert resource in main_container(deployment)["resources"]["requests"], (
                    f"{name}: utilisation of {resource} needs a request"
                )


# --- RabbitMQ definitions ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def definitions() -> dict:
    return json.loads((RABBITMQ / "definitions.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def code_specs():
    from consignations_shared.topology import SERVICE_CLASSES, load_service_class, queue_specs

    delays = generate._default_retry_delays()
    return [spec for path in SERVICE_CLASSES.values() for spec in queue_specs(load_service_class(path), delays)]


def test_definitions_are_generated_from_the_code():
    current = (RABBITMQ / "definitions.json").read_text(encoding="utf-8")
    assert current == generate.render(generate.build()), (
        "deploy/rabbitmq/definitions.json is out of date: run .venv/bin/python deploy/rabbitmq/generate.py"
    )


def test_the_services_connect_to_the_definitions_virtual_host(definitions):
    (vhost,) = definitions["vhosts"]
    assert vhost["default_queue_type"] == vhost["metadata"]["default_queue_type"] == "quorum"
    _, secrets = generated_values("secretGenerator")
    assert unquote(urlsplit(secrets["AMQP_URI"]).path.lstrip("/")) == vhost["name"]
    for kind in ("exchanges", "queues", "bindings", "policies"):
        assert {item["vhost"] for item in definitions[kind]} == {vhost["name"]}, kind


def test_definitions_declare_the_exchanges_of_the_code(definitions):
    from consignations_shared.events import COMMANDS_EXCHANGE, EVENTS_EXCHANGE

    exchanges = {x["name"]: x for x in definitions["exchanges"]}
    expected = {EVENTS_EXCHANGE: "topic", COMMANDS_EXCHANGE: "direct", "nameko-rpc": "topic"}
    for name, kind in expected.items():
        assert name in exchanges and exchanges[name]["type"] == kind and exchanges[name]["durable"], name


def effective_policy(definitions: dict, queue: str) -> dict:
    """The policy RabbitMQ applies to a queue: the matching one of highest priority."""
    matching = [
        p for p in definitions["policies"]
        if p["apply-to"] in ("queues", "all", "quorum_queues") and re.search(p["pattern"], queue)
    ]
    assert matching, f"no policy for {queue}"
    top = max(p["priority"] for p in matching)
    best = [p for p in matching if p["priority"] == top]
    assert len(best) == 1, f"{queue}: policies of equal priority {[p['name'] for p in best]}"
    return best[0]["definition"]


def test_every_queue_of_the_code_is_a_quorum_queue_with_a_dead_letter_policy(definitions, code_specs):
    assert code_specs, "no consumer found"
    queues = {q["name"]: q for q in definitions["queues"]}
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}

    def quorum(name: str, arguments: dict | None = None) -> dict:
        assert name in queues, f"{name} is not in definitions.json"
        queue = queues[name]
        assert queue["durable"] and not queue["auto_delete"], name
        assert queue["arguments"].get("x-queue-type") == "quorum", f"{name} is not a quorum queue"
        # Same arguments as the code declares, or the broker refuses the service's declaration.
        assert {k: v for k, v in queue["arguments"].items() if k != "x-queue-type"} == (arguments or {}), name
        return queue

    for spec in code_specs:
        quorum(spec.name)
        assert (spec.exchange.name, spec.name, spec.routing_key) in bindings, f"{spec.name} is not bound"
        policy = effective_policy(definitions, spec.name)
        assert policy.get("dead-letter-exchange") == "" and policy.get("dead-letter-routing-key") == spec.dlq_name, (
            f"{spec.name}: dead-letters to {policy}"
        )
        assert policy.get("delivery-limit", 0) > 0, f"{spec.name}: no delivery limit"
        for retry in spec.retry_queues():
            quorum(retry.name, dict(retry.queue_arguments))
            assert retry.queue_arguments["x-dead-letter-routing-key"] == spec.name
        quorum(spec.dlq_name)


def test_every_rpc_queue_is_a_quorum_queue(definitions):
    from consignations_shared.topology import SERVICE_CLASSES

    queues = {q["name"]: q for q in definitions["queues"]}
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}
    for service in SERVICE_CLASSES:
        queue = queues.get(f"rpc-{service}")
        assert queue and queue["arguments"].get("x-queue-type") == "quorum", f"rpc-{service}"
        assert ("nameko-rpc", f"rpc-{service}", f"{service}.*") in bindings
        assert effective_policy(definitions, f"rpc-{service}").get("delivery-limit", 0) > 0


def test_the_event_log_is_a_stream_of_every_event_with_the_documented_retention(definitions):
    from consignations_shared.events import EVENTS_EXCHANGE

    queues = {q["name"]: q for q in definitions["queues"]}
    log = queues["consignations.events.log"]
    assert log["durable"] and not log["auto_delete"]
    # The services' declaration (event_log.declare, with no EVENT_LOG_* set) has the same arguments,
    # or the broker would refuse it.
    assert log["arguments"] == {"x-queue-type": "stream", "x-max-age": "400D", "x-max-length-bytes": 20_000_000_000,
                                "x-stream-max-segment-size-bytes": 100_000_000}
    assert [(b["source"], b["routing_key"]) for b in definitions["bindings"]
            if b["destination"] == "consignations.events.log"] == [(EVENTS_EXCHANGE, "#")]
    # No policy of the event queues (delivery limits, dead-lettering) applies to the stream.
    assert not [p["name"] for p in definitions["policies"] if re.search(p["pattern"], "consignations.events.log")]
