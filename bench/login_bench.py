"""Login benchmark (issue 3, SPEC NF-3): is password hashing the only limit, and does it never
stall the identity service's event loop?

Prints, in one run on this machine:
  1. raw argon2id verifications per second (NF-1 parameters) with as many threads as the
     identity service gives to hashing (IDENTITY_HASH_CONCURRENCY, default: cores - 1, so the
     event loop, broker and database keep a core), and with one thread per core;
  2. successful logins per second through the gateway (HTTP -> gunicorn -> RPC -> identity ->
     argon2 in eventlet's thread pool -> session written) and the ratio to (1) at the service's
     hash concurrency — goal >= 0.8 (the pipeline costs little beside the hash itself);
  3. p50/p99 of an unrelated identity RPC (person_contact, one database read) when idle and
     while the logins run, and the ratio of the p99s — goal <= 3 (hashing off the hub).

    .venv/bin/python bench/login_bench.py [--seconds 15] [--clients 8] [--database postgres|sqlite]

It starts its own identity service and gateway (the Procfile's commands) on a private RabbitMQ
vhost and a private database, and removes them afterwards.
"""
from __future__ import annotations

import argparse
import os

import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from benchkit import clean_up, ms, new_database, new_vhost, pct
from consignations_shared.testing import free_port, procfile_commands

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Consign-2026!"


def raw_argon2_rate(seconds: float, threads: int) -> float:
    from identity_service.domain.passwords import PasswordHasher

    hasher = PasswordHasher()
    stored = hasher.hash(PASSWORD)
    count = [0] * threads
    deadline = time.perf_counter() + seconds

    def work(i):
        while time.perf_counter() < deadline:
            hasher.verify(stored, PASSWORD)
            count[i] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(count) / (time.perf_counter() - started)




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--hash-concurrency", type=int, default=None,
                        help="IDENTITY_HASH_CONCURRENCY for the service (default: its own, cores - 1)")
    args = parser.parse_args()
    from identity_service.providers import default_hash_concurrency

    hash_threads = args.hash_concurrency or int(os.environ.get("IDENTITY_HASH_CONCURRENCY") or default_hash_concurrency())

    vhost = new_vhost()
    workdir = Path(tempfile.mkdtemp(prefix="login-bench-"))
    db_name = None
    if args.database == "postgres":
        db_name, database_url = new_database()
    else:
        database_url = f"sqlite:///{workdir}/identity.db"
    gateway = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
           "CONSIGNATIONS_VAR_DIR": str(workdir), "IDENTITY_DATABASE_URL": database_url,
           "IDENTITY_HTTP_ADDRESS": f"127.0.0.1:{free_port()}", "GATEWAY_BIND": gateway,
           "IDENTITY_LOGIN_IP_LIMIT": "100000000", "LOG_LEVEL": "WARNING",
           "IDENTITY_HASH_CONCURRENCY": str(hash_threads),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    processes = []
    try:
        cores = os.cpu_count() or 1
        raw = raw_argon2_rate(args.seconds / 2, hash_threads)
        print(f"raw argon2id verifications, {hash_threads} thread(s) (the service's hash concurrency): {raw:.1f}/s")
        raw_all = raw if hash_threads == cores else raw_argon2_rate(args.seconds / 2, cores)
        print(f"raw argon2id verifications, {cores} threads (every core, nothing else running): {raw_all:.1f}/s")

        subprocess.run([sys.executable, "-m", "identity_service", "migrate"], env=env, check=True)
        people = seed_people(database_url, args.clients)
        for name in ("identity", "gateway"):
            processes.append(subprocess.Popen(procfile_commands(ROOT)[name], cwd=ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_ready(f"http://{gateway}", env)

        from nameko.standalone.rpc import ClusterRpcProxy
        with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, timeout=30) as rpc:
            idle = rpc_latencies(rpc, people[0][0], args.seconds / 3)
            busy: list[float] = []
            sampler = threading.Thread(target=lambda: busy.extend(
                rpc_latencies(rpc, people[0][0], args.seconds, own_client=env["AMQP_URI"])))
            sampler.start()
            rate, tool = load(f"http://{gateway}", [email for _, email in people], args.seconds, args.clients)
            sampler.join()

        print(f"logins through the gateway ({args.clients} connections, {tool}, {args.database}): {rate:.1f} logins/s")
        print(f"  ratio to raw argon2 at the service's hash concurrency: {rate / raw:.2f} (goal >= 0.8)")
        print(f"  ratio to raw argon2 on every core: {rate / raw_all:.2f} (the broker, database, gateway "
              f"and load generator share these {cores} cores)")
        print(f"unrelated identity RPC (person_contact), idle:   p50 {ms(idle, 50)} ms, p99 {ms(idle, 99)} ms ({len(idle)} calls)")
        print(f"unrelated identity RPC, during logins:           p50 {ms(busy, 50)} ms, p99 {ms(busy, 99)} ms ({len(busy)} calls)")
        print(f"  p99 ratio busy/idle: {pct(busy, 99) / pct(idle, 99):.2f} (goal <= 3)")
    finally:
        clean_up(processes, vhost, db_name)
    return 0


def seed_people(database_url: str, count: int) -> list[tuple[str, str]]:
    """Active people with the production hash parameters, written directly (benchmark setup)."""
    from sqlalchemy.orm import Session

    from consignations_shared.db import get_engine
    from identity_service.domain.passwords import PasswordHasher
    from identity_service.models import Person

    hasher, now = PasswordHasher(), datetime.now(timezone.utc)
    people = [(str(uuid.uuid4()), f"bench-{n}@example.com") for n in range(count)]
    with Session(get_engine(database_url)) as session:
        for person_id, email in people:
            session.add(Person(id=person_id, email=email, password_hash=hasher.hash(PASSWORD),
                               profile="PARTICULIER", status="active", created_at=now,
                               valid_until=now + timedelta(days=548), activated_at=now))
        session.commit()
    return people


def wait_ready(base: str, env: dict) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.post(base + "/api/login", json={"email": "x@example.com", "password": "y"}, timeout=5).status_code == 401:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("identity/gateway did not start")


def rpc_latencies(rpc, person_id: str, seconds: float, own_client: str | None = None) -> list[float]:
    if own_client:  # from another thread: a client of its own (standalone clients are not shared)
        from nameko.standalone.rpc import ClusterRpcProxy
        with ClusterRpcProxy({"AMQP_URI": own_client}, timeout=30) as proxy:
            time.sleep(1)  # let the load start
            return rpc_latencies(proxy, person_id, seconds - 2)
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        rpc.identity.person_contact(person_id)
        latencies.append(time.perf_counter() - started)
        time.sleep(0.01)
    return latencies


WRK_SCRIPT = """
local emails = {%s}
local i = 0
request = function()
  i = i + 1
  local body = '{"email":"' .. emails[(i %% #emails) + 1] .. '","password":"%s","session":"bearer"}'
  return wrk.format("POST", "/api/login", {["Content-Type"] = "application/json"}, body)
end
"""


def load(base: str, emails: list[str], seconds: float, connections: int) -> tuple[float, str]:
    """Successful logins per second: wrk (a C load generator, light on the shared CPUs) when
    installed, else Python threads."""
    import re
    import shutil

    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % (", ".join(f'"{e}"' for e in emails), PASSWORD))
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "30s",
                              "-s", script.name, base], capture_output=True, text=True, check=True).stdout
        total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out).groups()[:2]
        unit = re.search(r"\d+ requests in [\d.]+(m?s)", out).group(1)
        elapsed = float(total[1]) / (1000 if unit == "ms" else 1)
        failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        ok = int(total[0]) - (int(failed.group(1)) if failed else 0)
        return ok / elapsed, "wrk"
    stop, done = threading.Event(), []

    def client(email):
        session = requests.Session()
        while not stop.is_set():
            reply = session.post(f"{base}/api/login", json={"email": email, "password": PASSWORD,
                                                             "session": "bearer"}, timeout=60)
            if reply.status_code == 200:
                done.append(time.perf_counter())

    with ThreadPoolExecutor(connections) as pool:
        for n in range(connections):
            pool.submit(client, emails[n % len(emails)])
        time.sleep(2)
        start_count, started = len(done), time.perf_counter()
        time.sleep(seconds)
        rate = (len(done) - start_count) / (time.perf_counter() - started)
        stop.set()
    return rate, "python threads"



if __name__ == "__main__":
    sys.exit(main())
