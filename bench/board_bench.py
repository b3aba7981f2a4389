"""« Mon suivi » benchmark (issue 5, SPEC DM-7 and DM-5): the tracking board under load, and the
request numbering under concurrent submitters.

Prints, in one run on this machine (nothing is asserted):
  1. p50/p99 latency and throughput of `GET /api/demandes` with N concurrent clients (default 16)
     through the real gateway (gunicorn -> the session cache or identity.resolve_session ->
     demandes.board, which reads names from its own read model: one transaction), for one client account of
     1,000 requests: the TRANSMITTED tab (first page, 20 per page, default sort), a filtered and
     sorted query (TRANSMITTED, sort=amount asc, page 7) and the DRAFTS tab; next to a bare
     Flask JSON endpoint returning the same page's bytes, served by the same gunicorn command
     and settings (deploy/gunicorn.conf.py, GATEWAY_WORKERS / GATEWAY_THREADS) in the same run —
     goal: p99 <= 50 ms; the ratio of throughputs board/bare;
  2. where the time of one board call goes, one client at a time: the HTTP call against the
     RPCs it makes, each timed alone with a standalone RPC client;
  3. numbering (numbering.allocate) under S concurrent submitters (default 20 OS threads, each
     with its own database session), R rounds (default 50; every round starts on a barrier, one
     transaction in ten rolls back as a failed submission would): gaps and duplicates among the
     committed numbers (must be 0) and allocations per second.

    .venv/bin/python bench/board_bench.py [--seconds 15] [--clients 16] [--submitters 20] [--rounds 50]

It starts its own identity, accounts and demandes services and the gateway (the Procfile's
commands; documents and notifier are not needed by the board) on a private RabbitMQ vhost and
private PostgreSQL databases, seeds them directly, and removes everything afterwards. PostgreSQL
only: the embedded SQLite default serialises each service's transactions (one writer per file),
which is not what production runs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from benchkit import clean_up, ms, new_database, new_vhost, pct
from consignations_shared.testing import free_port, procfile_commands

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Consign-2026!"
SERVICES = ("identity", "accounts", "demandes")
COMPANY = "ACME Bench SAS"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
SAISIE = {"company_name": COMPANY, "legal_form": "SAS", "account_holder": COMPANY, "iban": IBAN,
          "bic": "BNPAFRPPXXX", "transfer_label": "Saisie 2024"}
EXPERTISE = {"department": "67", "jurisdiction": "TJ Strasbourg", "case_number": "23/01234",
             "decision_date": "01/02/2025", "plaintiff": "A", "defendant": "B", "consigning_party": "A",
             "expert_name": "Dr X", "amount": "1500"}
QUERIES = (("TRANSMITTED, first page, default sort", {"tab": "TRANSMITTED"}),
           ("TRANSMITTED, sort=amount asc, page 7", {"tab": "TRANSMITTED", "sort": "amount", "order": "asc", "page": "7"}),
           ("DRAFTS, first page", {"tab": "DRAFTS"}))
BARE_APP = '''
import json
from pathlib import Path

from flask import Flask, jsonify

PAGE = json.loads((Path(__file__).parent / "page.json").read_text(encoding="utf-8"))
app = Flask(__name__)
app.json.ensure_ascii = False


@app.get("/api/demandes")
def board():
    return jsonify(PAGE)
'''


# --- seeding (directly in the services' databases, after their migrations) --------------------

def seed(urls: dict[str, str]) -> dict:
    """One ENTREPRISE account of 5 people (the administrator can log in) and its 1,000 requests
    with back-office messages, some read. Returns the ids the benchmark needs."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from accounts_service.member_events import track
    from accounts_service.models import AccountMember, ClientAccount
    from consignations_shared.db import get_engine
    from consignations_shared.outbox import OutboxWriter
    from demandes_service.domain import catalogue, fields, lifecycle
    from demandes_service.models import Message, MessageRead, Request, RequestNumber
    from identity_service.domain.passwords import PasswordHasher
    from identity_service.models import Person

    rng, now = random.Random(5), datetime.now(timezone.utc)
    account_id, admin_id = str(uuid.uuid4()), str(uuid.uuid4())
    names = [("Anne", "Admin"), ("Alice", "Martin"), ("Bob", "Durand"), ("Chloé", "Petit"), ("David", "Moreau")]
    people = [admin_id] + [str(uuid.uuid4()) for _ in names[1:]]
    email = "admin@acme-bench.example.com"

    with Session(get_engine(urls["identity"])) as session:
        session.add(Person(id=admin_id, email=email, password_hash=PasswordHasher().hash(PASSWORD),
                           profile="ENTREPRISE", status="active", created_at=now, first_name="Anne",
                           last_name="Admin", valid_until=now + timedelta(days=548), activated_at=now))
        session.commit()

    with Session(get_engine(urls["accounts"])) as session:
        # As the accounts service writes them: every new member publishes accounts.member_changed
        # (numbered), from which identity and demandes build their read models.
        track(session, OutboxWriter("accounts"))
        session.add(ClientAccount(id=account_id, kind="ENTREPRISE", company_name=COMPANY, status="active",
                                  notification_email=email, created_at=now - timedelta(days=400),
                                  wizard_step=4, finalised_at=now - timedelta(days=400)))
        session.flush()
        for n, (person_id, (first, last)) in enumerate(zip(people, names)):
            session.add(AccountMember(person_id=person_id, account_id=account_id, email=email if n == 0 else
                                      f"{first.lower()}@acme-bench.example.com",
                                      profile="ADMINISTRATEUR" if n == 0 else "UTILISATEUR", status="active",
                                      first_name=first, last_name=last, civility="MME" if n % 2 == 0 else "M",
                                      created_at=now - timedelta(days=400), can_submit=True))
        session.commit()

    values = {}
    for code, form in (("SAISIE_IMMO_D", SAISIE), ("AM_EXPERTISE_JUD_C", EXPERTISE)):
        procedure = catalogue.procedure(code)
        values[code] = (procedure.sens, fields.to_json(fields.require_valid(procedure, form, complete=True)))
    # 700 transmitted, 200 drafts, 60 validated, 40 rejected
    plan = (["SUBMITTED"] * 500 + ["AWAITING_COMPLEMENT"] * 120 + ["AWAITING_FUNDS"] * 80 + ["DRAFT"] * 200
            + ["VALIDATED"] * 60 + ["REJECTED"] * 40)
    rows = []
    for state in plan:
        code = "AM_EXPERTISE_JUD_C" if state == "AWAITING_FUNDS" or rng.random() < 0.6 else "SAISIE_IMMO_D"
        sens, stored = values[code]
        stored = dict(stored)
        if "amount" in stored:
            stored["amount"] = f"{rng.randint(100, 250_000)}.{rng.randint(0, 99):02d}"
        created = now - timedelta(days=rng.uniform(1, 365), minutes=rng.randint(0, 1440))
        owner = rng.choice(people)
        row = dict(id=str(uuid.uuid4()), procedure_code=code, sens=sens, account_id=account_id,
                   owner_person_id=owner, created_by=owner, state=state, step=4, values=stored, number=None,
                   created_at=created, updated_at=created, submitted_at=None, validated_at=None,
                   rejected_at=None, state_changed_at=created, amount=stored.get("amount"),
                   client_name=None, version=1)
        if state == "DRAFT":
            row["step"] = rng.randint(1, 3)
            row["updated_at"] = row["state_changed_at"] = created + timedelta(hours=rng.uniform(0, 48))
        else:
            submitted = created + timedelta(hours=rng.uniform(0.1, 24))
            row.update(submitted_at=submitted, updated_at=submitted, state_changed_at=submitted, client_name=COMPANY)
            if state != "SUBMITTED":
                changed = submitted + timedelta(days=rng.uniform(1, 20))
                row.update(updated_at=changed, state_changed_at=changed)
                if state == "VALIDATED":
                    row["validated_at"] = changed
                elif state == "REJECTED":
                    row["rejected_at"] = changed
        rows.append(row)
    sequences: dict[str, int] = {}
    for row in sorted((r for r in rows if r["submitted_at"]), key=lambda r: r["submitted_at"]):
        month = lifecycle.yymm(row["submitted_at"])
        sequences[month] = sequences.get(month, 0) + 1
        row["number"] = lifecycle.format_number(month, sequences[month])

    messages, reads = [], []
    for row in rows:
        if not row["submitted_at"] or rng.random() > 0.4:
            continue
        for k in range(rng.randint(1, 3)):
            message_id = str(uuid.uuid4())
            author = rng.choice(("GESTIONNAIRE", "GESTIONNAIRE", "SYSTEM", "CLIENT"))
            messages.append(dict(
                id=message_id, request_id=row["id"], author_role=author,
                author_person_id=None if author == "SYSTEM" else (row["owner_person_id"] if author == "CLIENT" else str(uuid.uuid4())),
                author_name={"GESTIONNAIRE": "Service des consignations", "SYSTEM": None, "CLIENT": "Client"}[author],
                subject_code=None, subject="Votre demande", body="Merci de compléter votre dossier. " * 4,
                in_reply_to=None, attachments=[], posted_at=row["submitted_at"] + timedelta(days=k + 1)))
            if author != "CLIENT" and rng.random() < 0.5:
                reads.append(dict(message_id=message_id, person_id=admin_id, read_at=now))

    with Session(get_engine(urls["demandes"])) as session:
        session.execute(insert(Request.__table__), rows)
        session.execute(insert(RequestNumber.__table__), [{"yymm": m, "last_sequence": s} for m, s in sequences.items()])
        session.execute(insert(Message.__table__), messages)
        session.execute(insert(MessageRead.__table__), reads)
        session.commit()
    counts = {state: plan.count(state) for state in dict.fromkeys(plan)}
    print(f"seeded: 1 ENTREPRISE account, 5 people, {len(rows)} requests {counts}, {len(messages)} messages "
          f"({len(reads)} read by the administrator)")
    return {"email": email, "account_id": account_id, "person_id": admin_id}


def analyze(urls: dict[str, str]) -> None:
    """Planner statistics for the rows just inserted: what autovacuum gives a live database
    within a minute, and what the queries are planned with in steady state (without it,
    PostgreSQL plans the unread-count anti-join for one row and takes ~40 ms instead of ~1)."""
    from sqlalchemy import text

    from consignations_shared.db import get_engine

    for url in urls.values():
        with get_engine(url).connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


# --- processes --------------------------------------------------------------------------------

def wait_for(what: str, check, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{what} did not start")


def login(base: str, email: str) -> str:
    reply = requests.post(base + "/api/login", json={"email": email, "password": PASSWORD, "session": "bearer"},
                          timeout=30)
    reply.raise_for_status()
    return reply.json()["session_token"]


# --- CPU accounting (Linux /proc): where the cores went during a measured window ---------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            for child in children.read_text().split():
                pids.extend(_tree(int(child)))
        except OSError:
            pass
    return pids


def _named(command: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def cpu_probe(started: dict[str, int]):
    """A function returning {what: CPU seconds so far}: the processes this benchmark started
    (with their children), PostgreSQL and RabbitMQ (every client's, not only ours), this
    process (the load generator) and the whole machine."""
    if not Path("/proc/stat").exists():
        return None

    def probe() -> dict[str, dict]:
        """{what: {pid: CPU seconds so far}}: see cpu_used."""
        values = {name: {p: _cpu_of(p) for p in _tree(pid)} for name, pid in started.items()}
        values["postgres*"] = {p: _cpu_of(p) for p in _named("postgres")}
        values["rabbitmq*"] = {p: _cpu_of(p) for p in _named("beam.smp")}
        own = os.times()
        values["loadgen"] = {0: own.user + own.system}
        total = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        values["machine"] = {0: (sum(total) - total[3] - total[4]) / TICK}  # minus idle and iowait
        return values

    return probe


def cpu_used(before: dict[str, dict], after: dict[str, dict]) -> dict[str, float]:
    """CPU seconds of each group between two probes: the processes alive at both, plus those
    started in between (a process that exited in between is not counted)."""
    return {name: sum(cpu - before[name].get(pid, 0.0) for pid, cpu in pids.items())
            for name, pids in after.items()}


# --- load ---------------------------------------------------------------------------------------

def closed_loop(connect, call, clients: int, seconds: float, probe=None, warmup: float = 2) -> dict:
    """N Python threads, each with a connection of its own (`connect()`, a context manager),
    calling `call(connection)` back to back (True when the call succeeded); the calls that end
    within the measured window (after the warm-up) count."""
    stop = threading.Event()
    samples: list[tuple[float, float, bool]] = []
    lock = threading.Lock()

    def client():
        mine = []
        with connect() as connection:
            while not stop.is_set():
                started = time.perf_counter()
                succeeded = call(connection)
                mine.append((started, time.perf_counter(), succeeded))
        with lock:
            samples.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(clients)]
    for worker in workers:
        worker.start()
    time.sleep(warmup)
    cpu_before = probe() if probe else {}
    begin = time.perf_counter()
    time.sleep(seconds)
    end = time.perf_counter()
    cpu_after = probe() if probe else {}
    stop.set()
    for worker in workers:
        worker.join()
    counted = [(s, e, ok) for s, e, ok in samples if begin <= e <= end]
    latencies = [e - s for s, e, ok in counted if ok]
    return {"latencies": latencies, "errors": sum(1 for *_, ok in counted if not ok),
            "rate": len(latencies) / (end - begin),
            "cpu": {k: v / (end - begin) for k, v in cpu_used(cpu_before, cpu_after).items()}}


def load(url: str, params: dict, headers: dict, clients: int, seconds: float, probe=None, warmup: float = 2) -> dict:
    """`closed_loop` over HTTP: one session per thread, GET `url`; a 200 is a success."""
    return closed_loop(requests.Session,
                       lambda session: session.get(url, params=params, headers=headers, timeout=60).status_code == 200,
                       clients, seconds, probe, warmup)


def serial(call, count: int) -> list[float]:
    call()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


# --- numbering ------------------------------------------------------------------------------

def numbering_run(database_url: str, submitters: int, rounds: int) -> dict:
    """`submitters` OS threads, each with its own session, allocate one number per round (all
    released together by a barrier); one transaction in ten rolls back after allocating."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from demandes_service import numbering
    from demandes_service.domain import lifecycle
    from demandes_service.models import RequestNumber

    engine = create_engine(database_url, pool_size=submitters, max_overflow=0)
    now = datetime.now(timezone.utc)
    month = lifecycle.yymm(now)
    with Session(engine) as session:
        before = session.execute(select(RequestNumber.last_sequence).where(RequestNumber.yymm == month)).scalar() or 0
    barrier = threading.Barrier(submitters)
    committed: list[str] = []
    rolled_back: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def submitter(n: int):
        rng = random.Random(n)
        with Session(engine) as session:
            for _ in range(rounds):
                barrier.wait()
                try:
                    number = numbering.allocate(session, datetime.now(timezone.utc))
                    if rng.random() < 0.1:
                        session.rollback()
                        with lock:
                            rolled_back.append(number)
                    else:
                        session.commit()
                        with lock:
                            committed.append(number)
                except Exception as exc:  # counted and shown, never hidden
                    session.rollback()
                    with lock:
                        failures.append(repr(exc))

    threads = [threading.Thread(target=submitter, args=(n,)) for n in range(submitters)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with Session(engine) as session:
        after = session.execute(select(RequestNumber.last_sequence).where(RequestNumber.yymm == month)).scalar()
    engine.dispose()
    if lifecycle.yymm(datetime.now(timezone.utc)) != month:
        print("  (the month changed during the run: the gap count below is not meaningful)")
    expected = {lifecycle.format_number(month, before + k) for k in range(1, len(committed) + 1)}
    return {"committed": len(committed), "rolled_back": len(rolled_back), "failures": failures,
            "duplicates": len(committed) - len(set(committed)), "gaps": len(expected - set(committed)),
            "counter": (before, after), "rate": (len(committed) + len(rolled_back)) / elapsed,
            "commit_rate": len(committed) / elapsed, "elapsed": elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per load (after 2 s of warm-up)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--submitters", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    run_started = time.perf_counter()

    vhost = new_vhost()
    workdir = Path(tempfile.mkdtemp(prefix="board-bench-"))
    databases, urls = [], {}
    for name in SERVICES:
        db_name, urls[name] = new_database(f"bench_{name}")
        databases.append(db_name)
    gateway, bare = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {**os.environ, "AMQP_URI": amqp_uri, "CONSIGNATIONS_VAR_DIR": str(workdir), "GATEWAY_BIND": gateway,
           "IDENTITY_LOGIN_IP_LIMIT": "100000000", "LOG_LEVEL": "WARNING",
           "DOCUMENTS_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for name in SERVICES:
        env[f"{name.upper()}_DATABASE_URL"] = urls[name]
        env[f"{name.upper()}_HTTP_ADDRESS"] = f"127.0.0.1:{free_port()}"
    processes: list[subprocess.Popen] = []
    try:
        for name in SERVICES:
            subprocess.run([sys.executable, "-m", f"{name}_service", "migrate"], env=env, check=True)
        ids = seed(urls)
        analyze(urls)
        commands = procfile_commands(ROOT)
        for name in (*SERVICES, "gateway"):
            processes.append(subprocess.Popen(commands[name], cwd=ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        started = {name: process.pid for name, process in zip((*SERVICES, "gateway"), processes)}
        base = f"http://{gateway}"
        wait_for("identity/gateway", lambda: requests.post(
            base + "/api/login", json={"email": "x@example.com", "password": "y"}, timeout=5).status_code == 401)
        token = login(base, ids["email"])
        headers = {"Authorization": f"Bearer {token}"}
        wait_for("accounts/demandes", lambda: requests.get(
            base + "/api/demandes", params=QUERIES[0][1], headers=headers, timeout=15).status_code == 200)

        # The bare endpoint serves the bytes of the board's first page, under the same gunicorn.
        page = requests.get(base + "/api/demandes", params=QUERIES[0][1], headers=headers, timeout=15)
        (workdir / "page.json").write_text(page.text, encoding="utf-8")
        (workdir / "bare_board.py").write_text(BARE_APP, encoding="utf-8")
        bare_command = [*commands["gateway"][:-1], "bare_board:app"]
        processes.append(subprocess.Popen(bare_command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          env={**env, "GATEWAY_BIND": bare, "PYTHONPATH": str(workdir)}))
        wait_for("bare Flask app", lambda: requests.get(f"http://{bare}/api/demandes", timeout=5).status_code == 200)
        probe = cpu_probe({**started, "bare app": processes[-1].pid})
        sizes = {label: len(requests.get(base + "/api/demandes", params=q, headers=headers, timeout=15).content)
                 for label, q in QUERIES}

        workers, threads = os.environ.get("GATEWAY_WORKERS", "2"), os.environ.get("GATEWAY_THREADS", "8")
        print(f"machine: {os.cpu_count()} cores; gunicorn (deploy/gunicorn.conf.py): {workers} workers x {threads} "
              f"threads; {args.clients} clients (Python threads, requests.Session each); PostgreSQL; "
              f"{args.seconds:g} s measured per row after 2 s warm-up")
        results = [("bare Flask JSON (same gunicorn)", len(page.content),
                    load(f"http://{bare}/api/demandes", {}, {}, args.clients, args.seconds, probe))]
        for label, query in QUERIES:
            results.append((f"board {label}", sizes[label],
                            load(base + "/api/demandes", query, headers, args.clients, args.seconds, probe)))
        bare_rate = results[0][2]["rate"]
        print()
        print(f"{'endpoint':<52} {'bytes':>6} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>7} {'vs bare':>7} {'errors':>6}")
        for label, size, result in results:
            lat = result["latencies"] or [float("nan")]
            print(f"{label:<52} {size:>6} {ms(lat, 50):>7} {ms(lat, 99):>7} {result['rate']:>7.1f} "
                  f"{result['rate'] / bare_rate:>7.2f} {result['errors']:>6}")
        worst = max(pct(r["latencies"] or [float("inf")], 99) for _, _, r in results[1:]) * 1000
        print(f"goal: board p99 <= 50 ms -> worst board p99 {worst:.1f} ms ({'met' if worst <= 50 else 'NOT met'})")
        if probe:
            columns = [k for k in results[0][2]["cpu"] if k != "machine"] + ["machine"]
            print()
            print(f"CPU during each measured window, in cores busy on average ({os.cpu_count()} cores; * = every "
                  f"client's, not only this benchmark's; others = the machine minus the listed processes; "
                  f"ms/req = CPU of the listed processes per request):")
            print(f"{'endpoint':<44} " + " ".join(f"{c:>9}" for c in columns) + f" {'others':>7} {'ms/req':>7}")
            for label, _, result in results:
                cpu = result["cpu"]
                listed = sum(v for k, v in cpu.items() if k != "machine")
                per_request = listed / result["rate"] * 1000 if result["rate"] else float("nan")
                print(f"{label[:44]:<44} " + " ".join(f"{cpu[c]:>9.2f}" for c in columns)
                      + f" {cpu['machine'] - listed:>7.2f} {per_request:>7.1f}")

        # Where one board call's time goes (one client at a time).
        from nameko.standalone.rpc import ClusterRpcProxy

        http = requests.Session()
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=30) as rpc:
            person = rpc.identity.resolve_session(token)["person"]
            steps = [
                ("HTTP GET board (TRANSMITTED), through the gateway",
                 lambda: http.get(base + "/api/demandes", params=QUERIES[0][1], headers=headers, timeout=15)),
                ("HTTP GET bare Flask JSON", lambda: http.get(f"http://{bare}/api/demandes", timeout=15)),
                ("RPC demandes.board (TRANSMITTED), standalone client",
                 lambda: rpc.demandes.board(person, QUERIES[0][1])),
                ("  RPC identity.resolve_session (the gateway, first)", lambda: rpc.identity.resolve_session(token)),
                ("  RPC demandes.procedure (no database: RPC floor)", lambda: rpc.demandes.procedure("SAISIE_IMMO_D")),
            ]
            print()
            print("one client at a time, 100 calls each:")
            print(f"{'call':<56} {'p50 ms':>7} {'p90 ms':>7}")
            for label, call in steps:
                times = serial(call, 100)
                print(f"{label:<56} {ms(times, 50):>7} {ms(times, 90):>7}")

        # Numbering under concurrent submitters.
        print()
        result = numbering_run(urls["demandes"], args.submitters, args.rounds)
        print(f"numbering: {args.submitters} concurrent submitters x {args.rounds} rounds (PostgreSQL): "
              f"{result['committed']} committed, {result['rolled_back']} rolled back, "
              f"{len(result['failures'])} failed{' ' + result['failures'][0] if result['failures'] else ''}")
        print(f"  gaps: {result['gaps']}, duplicates: {result['duplicates']} (must be 0); month counter "
              f"{result['counter'][0]} -> {result['counter'][1]}")
        print(f"  {result['rate']:.0f} allocations/s ({result['commit_rate']:.0f} committed/s) in {result['elapsed']:.1f} s")
    finally:
        clean_up(processes, vhost, databases[0] if databases else None)
        for name in databases[1:]:
            clean_up([], None, name)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ntotal run time: {time.perf_counter() - run_started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
