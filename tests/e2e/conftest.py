"""The whole system as real processes (the Procfile's commands) on a private RabbitMQ vhost and
private PostgreSQL databases: what the end-to-end tests talk to, over HTTP only."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))  # e2e_helpers

from consignations_shared.testing import listening_socket, logged_http_address, procfile_commands

ROOT = Path(__file__).resolve().parents[2]
DATA_SERVICES = ("identity", "accounts", "demandes", "documents", "notifier")


class System:
    """Ports come from the OS, without a bind/close/reuse race: the gateway serves on a socket
    this process bound and keeps (gunicorn's fd://, passed down; `base_url` is known before it
    starts and stays through a restart); each data service binds port 0 at its first start and
    logs the address (read into `env`, where the gateway finds documents'); a restarted data
    service asks for that same address again."""

    def __init__(self, env: dict, logs: Path, outbox: Path, database_urls: dict[str, str],
                 gateway_socket=None):
        self.env = env
        self.logs = logs
        self.outbox = outbox
        self.database_urls = database_urls
        self.gateway_socket = gateway_socket
        self.base_url = env["PORTAL_PUBLIC_URL"]  # the gateway's socket
        self.commands = procfile_commands(ROOT)
        self.processes: dict[str, subprocess.Popen] = {}
        self._log_offsets: dict[str, int] = {}

    def start(self, name: str) -> None:
        """Starts the process (not waiting for it); `learn_address(name)` after a first start."""
        log = open(self.logs / f"{name}.log", "ab")
        self._log_offsets[name] = log.tell()
        env, pass_fds = self.env, ()
        key = f"{name.upper()}_HTTP_ADDRESS"
        if name in DATA_SERVICES and key not in self.env:
            env = {**self.env, key: "127.0.0.1:0"}
        if name == "gateway" and self.gateway_socket is not None:
            pass_fds = (self.gateway_socket.fileno(),)
        self.processes[name] = subprocess.Popen(
            self.commands[name], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, pass_fds=pass_fds,
        )

    def learn_address(self, name: str, timeout: float = 90) -> None:
        """The address a data service bound at its first start, from its log, into `env`."""
        self.env[f"{name.upper()}_HTTP_ADDRESS"] = logged_http_address(
            self.logs / f"{name}.log", self.processes[name], self._log_offsets[name], timeout)

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def service_url(self, name: str) -> str:
        return f"http://{self.env[name.upper() + '_HTTP_ADDRESS']}"

    def log_text(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = requests.get(self.base_url + "/health/ready", timeout=5)
                if last.status_code == 200:
                    return
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.5)
        raise AssertionError(f"system not ready: {getattr(last, 'text', last)}{self.exited()}")

    def exited(self, lines: int = 40) -> str:
        """For a failure's message: each process that has ended, its exit code and the end of its
        log (the logs folder may be gone by the time someone reads a CI report)."""
        report = ""
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = "\n".join(self.log_text(name).splitlines()[-lines:])
                report += f"\n--- {name} exited with code {process.returncode}; end of its log:\n{tail}"
        return report

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def system(amqp_uri, postgres_database, tmp_path_factory):
    root = tmp_path_factory.mktemp("system")
    var_dir, logs = root / "var", root / "logs"
    logs.mkdir()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "AMQP_URI": amqp_uri,
        "CONSIGNATIONS_VAR_DIR": str(var_dir),
        "GATEWAY_WORKERS": "2",
        "RPC_TIMEOUT": "3",
        "RPC_READ_TIMEOUT": "3",  # reads too: on a loaded CI machine a slow read is not an outage (test_failing_fast)
        "GATEWAY_READINESS_TIMEOUT": "1",
        "EVENT_RETRY_DELAYS": "0.5,1",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        # Every sign-up of the suites comes from 127.0.0.1: the per-address budgets of captchas
        # and sign-up SMS (identity, issue 18) are raised, unless a suite sets its own.
        "IDENTITY_CAPTCHA_IP_LIMIT": os.environ.get("IDENTITY_CAPTCHA_IP_LIMIT", "100000"),
        "IDENTITY_SMS_IP_LIMIT": os.environ.get("IDENTITY_SMS_IP_LIMIT", "100000"),
    }
    database_urls = {}
    for service in DATA_SERVICES:
        database_urls[service] = env[f"{service.upper()}_DATABASE_URL"] = postgres_database(service)
        env.pop(f"{service.upper()}_HTTP_ADDRESS", None)  # each binds port 0 (System.start)
    gateway_socket = listening_socket()
    host, port = gateway_socket.getsockname()[:2]
    env["GATEWAY_BIND"] = f"fd://{gateway_socket.fileno()}"
    env["PORTAL_PUBLIC_URL"] = f"http://{host}:{port}"
    subprocess.run([sys.executable, "-m", "consignations_shared.topology"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    running = System(env, logs, var_dir / "outbox", database_urls, gateway_socket)
    try:
        for name in running.commands:
            if name != "gateway":
                running.start(name)
        for name in running.commands:
            if name in DATA_SERVICES:
                running.learn_address(name)  # documents' before the gateway starts
        running.start("gateway")
        running.wait_ready()
        yield running
    finally:
        for name in list(running.processes):
            running.stop(name)
        gateway_socket.close()
