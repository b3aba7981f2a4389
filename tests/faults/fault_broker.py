"""A RabbitMQ node of the fault suite's own: its own ports, data folder and Erlang cookie.

Stopping and starting the shared broker (``rabbitmqctl stop_app``) would cut every other suite
and every developer system running on this machine; this node only serves the system the fault
suite starts, so its restart is a fault of that system alone (issue 10: « stop/start of a
broker the test owns on another port »). Its data lives on disk like any node's: durable queues
and persistent messages survive ``stop_app``/``start_app``.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from contextlib import closing
from pathlib import Path

from consignations_shared.testing import free_port

RABBITMQ_BIN = Path(os.environ.get("FAULTS_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


class OwnBroker:
    """RabbitMQ cannot listen on a port the OS chooses and say which: its two ports are taken
    free a moment before, and a node that could not bind one of them (another process took it
    meanwhile) is started again on fresh ports (`start`), found by its own AMQP answer, not by
    whatever accepts connections on the port."""

    START_ATTEMPTS = 3

    def __init__(self, root: Path):
        self.root = root
        self.node = f"faults-{uuid.uuid4().hex[:8]}@localhost"
        self.process: subprocess.Popen | None = None
        home = root / "home"
        home.mkdir(parents=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16).upper())
        cookie.chmod(0o400)
        (root / "rabbitmq-env.conf").write_text("")
        (root / "enabled_plugins").write_text("[].\n")
        self._home = home
        self._choose_ports()

    def _choose_ports(self) -> None:
        self.port = free_port()
        self.dist_port = free_port()
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "vm_memory_high_watermark.relative = 0.2\n"
            "disk_free_limit.absolute = 50MB\n"
        )
        root, home = self.root, self._home
        self.env = {
            **os.environ,
            "HOME": str(home),  # the cookie the node and rabbitmqctl share
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(root / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(root / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(root / "log"),
            "RABBITMQ_PID_FILE": str(root / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def ctl(self, *args: str, timeout: float = 120) -> None:
        # rabbitmqctl boots an Erlang VM of its own: on two cores saturated by the load it took
        # 20 s to reach the node; a higher priority (when allowed) makes the fault happen on time.
        subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", self.node, *args], env=self.env,
                       check=True, capture_output=True, timeout=timeout, preexec_fn=_higher_priority)

    def start(self, timeout: float = 90) -> None:
        if not (RABBITMQ_BIN / "rabbitmq-server").exists():
            raise RuntimeError(f"the fault suite runs a RabbitMQ node of its own: no rabbitmq-server in "
                               f"{RABBITMQ_BIN} (install rabbitmq-server, or set FAULTS_RABBITMQ_BIN)")
        for attempt in range(1, self.START_ATTEMPTS + 1):
            log = open(self.root / "server.log", "ab")
            since = log.tell()
            self.process = subprocess.Popen([str(RABBITMQ_BIN / "rabbitmq-server")], env=self.env, cwd=self.root,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                self.wait_answering(timeout)
                return
            except RuntimeError:
                if self.process.poll() is None or attempt == self.START_ATTEMPTS or not self._port_was_taken(since):
                    raise
            self._choose_ports()  # another process took a port between its choice and the node's bind

    def _port_was_taken(self, since: int) -> bool:
        """The node's boot failed on a port in use (its output since `since`, or its log files)."""
        with open(self.root / "server.log", "rb") as log:
            log.seek(since)
            texts = [log.read()]
        texts += [path.read_bytes() for path in (self.root / "log").glob("*.log")]
        return any(b"eaddrinuse" in text.lower() for text in texts)

    def answers(self) -> bool:
        """The node answers AMQP on its port (the protocol header gets the broker's
        connection.start, not just an accepted connection)."""
        try:
            with closing(socket.create_connection(("127.0.0.1", self.port), timeout=1)) as connection:
                connection.sendall(b"AMQP\x00\x00\x09\x01")
                return connection.recv(7)[:3] == b"\x01\x00\x00"  # a method frame on channel 0
        except OSError:
            return False

    def wait_answering(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"RabbitMQ node {self.node} exited: see {self.root / 'server.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {self.node} not answering after {timeout} s")
            time.sleep(0.2)

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.wait_answering()

    def close(self) -> None:
        if self.process is None:
            return
        try:
            self.ctl("stop", timeout=60)
        except (subprocess.SubprocessError, OSError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)  # its own session: beam and epmd helpers it spawned
            self.process.wait()
        self.process = None
        shutil.rmtree(self.root / "mnesia", ignore_errors=True)  # the data; its log stays with the run


def _higher_priority() -> None:
    try:
        os.nice(-10)
    except OSError:  # not root: the CLI's own pace
        pass
