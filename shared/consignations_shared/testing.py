"""pytest fixtures for integration and end-to-end tests against the real RabbitMQ and PostgreSQL.

Every test session gets its own RabbitMQ virtual host and its own PostgreSQL databases, so test
suites can run in parallel with each other and with a running development system.
Loaded by the top-level conftest.py.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import uuid
from contextlib import closing, contextmanager

import pytest

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL_PREFIX = os.environ.get("TEST_POSTGRES_URL_PREFIX", "postgresql+psycopg2://postgres@127.0.0.1:5432/")
AMQP_BASE = os.environ.get("TEST_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672/")


def free_port() -> int:
    """A port free a moment ago. Racy between parallel suites (another process may take it before
    the server binds it): tests use a server bound to port 0 read back (`start_service`,
    `logged_http_address`, `smtp_controller`), an inherited socket (`listening_socket`), or
    `refusing_port()` for « nothing listens there ». Left for what can do neither (the fault
    suite's RabbitMQ node, which starts again on fresh ports when one was taken; benchmarks)."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def refusing_port(host: str = "127.0.0.1"):
    """A port where connections are refused for as long as the block runs: bound by this process
    (so nobody else can take it) but never listening — no bind/close/reuse race."""
    with closing(socket.socket()) as sock:
        sock.bind((host, 0))
        yield sock.getsockname()[1]


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on a port the OS chose, for a child process to inherit as a file
    descriptor (`Popen(..., pass_fds=[sock.fileno()])`; gunicorn: `GATEWAY_BIND=fd://<fileno>`):
    the port is known before the child starts and nobody can take it meanwhile, nor between a
    stop and a restart of the child while the socket is held. Close it when done."""
    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen(128)
    return sock


_STARTED = re.compile(rb"health on http://([^/\s\"]+)/health/ready")


def logged_http_address(log_path, process=None, since: int = 0, timeout: float = 60.0) -> str:
    """The address a service process started with `<SERVICE>_HTTP_ADDRESS=127.0.0.1:0` listens on,
    from the line its runner logs once started (consignations_shared.runner), after byte `since`
    of its log (a restart appends to the same log). Polls (bounded); fails if the process ended."""
    from pathlib import Path

    deadline = time.monotonic() + timeout
    while True:
        try:
            with Path(log_path).open("rb") as log:
                log.seek(since)
                found = _STARTED.search(log.read())
        except FileNotFoundError:
            found = None
        if found:
            return found.group(1).decode()
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{log_path}: the process ended (code {process.returncode}) before it listened")
        if time.monotonic() > deadline:
            raise AssertionError(f"{log_path}: no « health on http://... » line after {timeout} s")
        time.sleep(0.1)


def smtp_controller(handler, host: str = "127.0.0.1", **kwargs):
    """An aiosmtpd Controller (not started) listening on a port the OS chooses: it binds port 0
    and `controller.port` is read back from its socket before aiosmtpd's own start-up check
    connects to it — no port taken from a closed socket, so no race with parallel suites."""
    from aiosmtpd.controller import Controller

    class PortZeroController(Controller):
        def _trigger_server(self):
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    return PortZeroController(handler, hostname=host, port=0, **kwargs)


def procfile_commands(root) -> dict[str, list[str]]:
    """The processes of the Procfile at `root` (e2e tests and benchmarks start exactly these)."""
    import shlex
    from pathlib import Path

    commands = {}
    for line in (Path(root) / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if command.strip():
            commands[name.strip()] = shlex.split(command)
    return commands


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def amqp_uri():
    """A fresh RabbitMQ virtual host for this test session."""
    vhost = f"test-{uuid.uuid4().hex[:12]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield AMQP_BASE + vhost
    try:
        rabbitmqctl("delete_vhost", vhost)
    except subprocess.SubprocessError:
        pass


def pg_admin_execute(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(PG_ADMIN_DSN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


@pytest.fixture(scope="session")
def postgres_database():
    """Factory: a new, empty PostgreSQL database URL per call, dropped at the end of the session."""
    created: list[str] = []

    def create(label: str = "db") -> str:
        name = f"test_{uuid.uuid4().hex[:10]}_{label}"
        pg_admin_execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return PG_URL_PREFIX + name

    yield create
    from consignations_shared.db import dispose_engine

    for name in created:
        dispose_engine(PG_URL_PREFIX + name)
        try:
            pg_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:
            pass


@pytest.fixture
def service_env(amqp_uri, tmp_path):
    """Environment for services under test: fast retries, private var dir, test vhost."""
    return {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "CONSIGNATIONS_VAR_DIR": str(tmp_path / "var"),
        "EVENT_RETRY_DELAYS": "0.2,0.4",
        "RPC_TIMEOUT": "5",
    }


@pytest.fixture
def start_service(service_env, postgres_database):
    """Factory: run a nameko service class in this process against RabbitMQ and PostgreSQL.

    Migrations of `<name>_service.migrations` are applied (or `metadata` is created for test
    services that have no migrations); returns the running container. Its HTTP server binds a
    port the OS chooses: `container.config["WEB_SERVER_ADDRESS"]` is the address it listens on.
    """
    from nameko.containers import ServiceContainer

    from consignations_shared.config import load_settings
    from consignations_shared.db import get_engine
    from consignations_shared.health import bound_http_address
    from consignations_shared.migrations import upgrade
    from consignations_shared.plumbing import plumbing_metadata

    containers = []

    def start(service_cls, *, env: dict | None = None, metadata=None, database_url: str | None = None):
        name = service_cls.name
        prefix = name.upper()
        url = database_url or postgres_database(name)
        environment = {
            **service_env,
            f"{prefix}_DATABASE_URL": url,
            f"{prefix}_HTTP_ADDRESS": "127.0.0.1:0",
            **(env or {}),
        }
        settings = load_settings(name, environment)
        if metadata is not None:
            plumbing_metadata.create_all(get_engine(url))
            metadata.create_all(get_engine(url))
        else:
            upgrade(f"{name}_service.migrations", url)
        container = ServiceContainer(service_cls, settings.nameko_config())
        container.start()
        containers.append(container)
        address = bound_http_address(container)
        if address is not None:
            container.config["WEB_SERVER_ADDRESS"] = address
        return container

    yield start
    from consignations_shared.db import dispose_engine

    for container in reversed(containers):
        try:
            container.stop()
        except Exception:
            container.kill()
        # Give the connections back: PostgreSQL allows ~100 and suites run in parallel.
        dispose_engine(container.config["DATABASE_URL"])


@pytest.fixture
def rpc(amqp_uri):
    """A standalone RPC client on the test vhost: rpc.identity.method(...)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    import consignations_shared.rpc  # noqa: F401  (domain errors cross RPC as themselves)

    with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=15) as proxy:
        yield proxy


class MessageSpy:
    """Binds a private queue to an exchange and collects what is published there."""

    def __init__(self, amqp_uri: str, exchange, routing_key: str):
        from kombu import Connection, Queue

        self.connection = Connection(amqp_uri)
        self.queue = Queue(
            f"spy-{uuid.uuid4().hex[:8]}", exchange=exchange, routing_key=routing_key,
            exclusive=True, auto_delete=True,
        )
        self.messages = []
        self.consumer = self.connection.Consumer(self.queue, callbacks=[self._on_message], accept=["json"])
        self.consumer.consume()

    def _on_message(self, body, message):
        self.messages.append((body, message))
        message.ack()

    def wait_for(self, count: int = 1, timeout: float = 10.0):
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            try:
                self.connection.drain_events(timeout=0.2)
            except socket.timeout:
                pass
        return [body for body, _ in self.messages]

    def close(self):
        try:
            self.consumer.cancel()
        finally:
            self.connection.release()


@pytest.fixture
def spy(amqp_uri):
    """Factory: spy(exchange, routing_key) -> MessageSpy (closed after the test)."""
    spies = []

    def make(exchange, routing_key: str) -> MessageSpy:
        from kombu import Exchange

        if isinstance(exchange, str):
            from consignations_shared.events import COMMANDS_EXCHANGE

            exchange = Exchange(exchange, type="direct" if exchange == COMMANDS_EXCHANGE else "topic", durable=True)
        with __import__("kombu").Connection(amqp_uri) as connection:
            exchange(connection.default_channel).declare()
        made = MessageSpy(amqp_uri, exchange, routing_key)
        spies.append(made)
        return made

    yield make
    for made in spies:
        made.close()


class Settled:
    """Messages the consumers of this process finished with — handled or dead-lettered, not the
    retries in between — counted from the moment it is made (the
    `consignations_events_consumed_total` metric, so for services started in the test process by
    `start_service`). `wait(n)` returns once n more were settled: the positive marker that closes
    an absence check (« the redelivery sent nothing », « no retry came back ») instead of a
    sleep. Consumers handle several messages at once, so a marker message's own effect does not
    prove that the messages sent before it were handled; their count does."""

    def __init__(self, service: str, queue: str | None = None):
        self.service = service
        self.queue = queue
        self.start = self._total()

    def _total(self) -> float:
        from consignations_shared.metrics import DEAD_LETTERED, EVENTS_CONSUMED, HANDLED

        total = 0.0
        for family in EVENTS_CONSUMED.collect():
            for sample in family.samples:
                labels = sample.labels
                if (sample.name.endswith("_total") and labels["service"] == self.service
                        and labels["outcome"] in (HANDLED, DEAD_LETTERED)
                        and self.queue in (None, labels["queue"])):
                    total += sample.value
        return total

    def count(self) -> int:
        return int(self._total() - self.start)

    def wait(self, count: int, timeout: float = 15.0) -> int:
        """Polls (bounded) until `count` messages were settled; returns how many were."""
        deadline = time.monotonic() + timeout
        while self.count() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.count()


def use_clock(container, clock) -> None:
    """Replace the clock of a running service (ServiceClock provider) by `clock`."""
    from consignations_shared.providers import ServiceClock

    for dependency in container.dependencies:
        if isinstance(dependency, ServiceClock):
            dependency.clock = clock
            return
    raise LookupError(f"{container.service_name} has no ServiceClock")


def outbox_bodies(session, routing_key: str) -> list[dict]:
    """Unit tests: the envelopes a use case left in the outbox under `routing_key`, oldest first."""
    from sqlalchemy import select

    from consignations_shared.plumbing import outbox

    rows = session.execute(select(outbox.c.body).where(outbox.c.routing_key == routing_key).order_by(outbox.c.id))
    return [row.body for row in rows]
