"""Back-office exports benchmark (issue 17, point 5; SPEC BO-9): peak memory and time of
`GET /api/backoffice/demandes/export` for CSV and XLSX, 5,000 and 50,000 rows.

Prints, in one run on this machine (nothing is asserted), for each export: the rows and bytes
received, the time to the first byte and to the last, and the gateway worker's resident memory —
idle before, and its peak during the export: the kernel's high-water mark (VmHWM, reset before
each export through /proc/<pid>/clear_refs) and the highest VmRSS sampled every 5 ms. Bounded
memory shows as a peak that does not grow with the number of rows.

    .venv/bin/python bench/export_bench.py [--rows 50000] [--small 5000]

It starts identity, demandes and the gateway (the Procfile's commands; one gunicorn worker, so
one process serves every export) on a private RabbitMQ vhost and private PostgreSQL databases,
seeds them directly (a gestionnaire in identity; in demandes, `--rows` transmitted requests of
ten client accounts, their members in the read model, the read models marked built), and removes
everything afterwards. PostgreSQL only, as board_bench.py.
"""
from __future__ import annotations

import argparse
import io
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

from benchkit import clean_up, new_database, new_vhost
from board_bench import EXPERTISE, IBAN, PASSWORD, login, wait_for
from consignations_shared.testing import free_port, procfile_commands

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("identity", "demandes")
CLIENTS = 10
STATES = ("SUBMITTED", "AWAITING_COMPLEMENT", "AWAITING_FUNDS", "VALIDATED", "REJECTED")
ALL_STATES = ",".join(STATES)


# --- seeding (directly in the services' databases, after their migrations) --------------------

def seed(urls: dict[str, str], rows_wanted: int) -> str:
    """A gestionnaire who can log in; `rows_wanted` transmitted requests of CLIENTS companies
    (one tenth each; one name in ten starts with « = »), 3 members per company in demandes'
    read model. Returns the gestionnaire's e-mail."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from consignations_shared.db import get_engine
    from consignations_shared.read_models import mark_built
    from demandes_service import members, request_documents
    from demandes_service.domain import catalogue, fields, lifecycle
    from demandes_service.models import Member, Request, RequestNumber
    from identity_service.domain.passwords import PasswordHasher
    from identity_service.models import Person

    rng, now = random.Random(17), datetime.now(timezone.utc)
    email = "gestion@caissedesdepots-bench.example.com"
    with Session(get_engine(urls["identity"])) as session:
        session.add(Person(id=str(uuid.uuid4()), email=email, password_hash=PasswordHasher().hash(PASSWORD),
                           profile="GESTIONNAIRE", status="active", created_at=now, first_name="Anne",
                           last_name="Martin", valid_until=now + timedelta(days=548), activated_at=now))
        session.commit()

    companies, people = [], []
    for n in range(CLIENTS):
        account_id = str(uuid.uuid4())
        name = f"=Client {n} SAS" if n == 0 else f"Entreprise Bench {n} SAS"
        companies.append((account_id, name))
        for k in range(3):
            people.append(dict(person_id=str(uuid.uuid4()), revision=len(people) + 1, account_id=account_id,
                               account_kind="ENTREPRISE", account_status="active", company_name=name,
                               profile="ADMINISTRATEUR" if k == 0 else "UTILISATEUR", status="active",
                               can_submit=True, first_name=("Anne", "Bruno", "Chloé")[k], last_name=f"Client{n}",
                               display_name=None, email=f"p{n}-{k}@bench.example.com"))
    values = {}
    for code, form in (("SAISIE_IMMO_D", {"company_name": "X", "legal_form": "SAS", "account_holder": "X",
                                          "iban": IBAN, "bic": "BNPAFRPPXXX", "transfer_label": "Saisie 2024"}),
                       ("AM_EXPERTISE_JUD_C", EXPERTISE)):
        procedure = catalogue.procedure(code)
        values[code] = (procedure.sens, fields.to_json(fields.require_valid(procedure, form, complete=True)))
    rows = []
    for n in range(rows_wanted):
        account_id, name = companies[n % CLIENTS]
        owner = people[(n % CLIENTS) * 3 + rng.randrange(3)]["person_id"]
        code = "AM_EXPERTISE_JUD_C" if rng.random() < 0.6 else "SAISIE_IMMO_D"
        sens, stored = values[code]
        stored = dict(stored)
        if "amount" in stored:
            stored["amount"] = f"{rng.randint(100, 250_000)}.{rng.randint(0, 99):02d}"
        state = STATES[rng.randrange(len(STATES))]
        created = now - timedelta(days=rng.uniform(1, 700))
        submitted = created + timedelta(hours=rng.uniform(0.1, 48))
        changed = submitted + timedelta(days=rng.uniform(1, 20)) if state != "SUBMITTED" else submitted
        rows.append(dict(id=str(uuid.uuid4()), procedure_code=code, sens=sens, account_id=account_id,
                         owner_person_id=owner, created_by=owner, state=state, step=4, values=stored, number=None,
                         created_at=created, updated_at=changed, submitted_at=submitted,
                         validated_at=changed if state == "VALIDATED" else None,
                         rejected_at=changed if state == "REJECTED" else None, state_changed_at=changed,
                         amount=stored.get("amount"), client_name=name, version=1))
    sequences: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["submitted_at"]):
        month = lifecycle.yymm(row["submitted_at"])
        sequences[month] = sequences.get(month, 0) + 1
        row["number"] = lifecycle.format_number(month, sequences[month])
    with Session(get_engine(urls["demandes"])) as session:
        session.execute(insert(Member.__table__), people)
        for start in range(0, len(rows), 5000):
            session.execute(insert(Request.__table__), rows[start:start + 5000])
        session.execute(insert(RequestNumber.__table__), [{"yymm": m, "last_sequence": s} for m, s in sequences.items()])
        # As if the read models had been rebuilt from accounts and documents (not started here).
        mark_built(session, members.MODEL.name, len(people), now)
        mark_built(session, request_documents.MODEL.name, 0, now)
        session.commit()
    print(f"seeded: 1 gestionnaire; {len(rows)} transmitted requests of {CLIENTS} companies "
          f"({rows_wanted // CLIENTS} each), {len(people)} members")
    return email


def analyze(url: str) -> None:
    from sqlalchemy import text

    from consignations_shared.db import get_engine

    with get_engine(url).connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


# --- memory of a process (Linux /proc) ---------------------------------------------------------

def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> bool:
    """Resets VmHWM to the current RSS (Linux >= 4.0, a process of ours); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def worker_of(master: int) -> int:
    for children in Path(f"/proc/{master}/task").glob("*/children"):
        found = children.read_text().split()
        if found:
            return int(found[0])
    raise SystemExit("no gunicorn worker")


class Sampler:
    """The highest VmRSS of a process, sampled every 5 ms until stopped."""

    def __init__(self, pid: int):
        self.pid, self.peak = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, status_kb(self.pid, "VmRSS"))
            time.sleep(0.005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def export(base: str, headers: dict, worker: int, params: dict) -> dict:
    """One export, streamed to a counter (and kept for the row count); its figures."""
    reset = reset_peak(worker)
    before = status_kb(worker, "VmRSS")
    body = io.BytesIO()
    with Sampler(worker) as sampler:
        started = time.perf_counter()
        with requests.get(base + "/api/backoffice/demandes/export", params=params, headers=headers,
                          stream=True, timeout=300) as reply:
            reply.raise_for_status()
            first = None
            for chunk in reply.iter_content(64 * 1024):
                first = first or time.perf_counter()
                body.write(chunk)
        ended = time.perf_counter()
    data = body.getvalue()
    if params["format"] == "csv":
        rows = data.count(b"\r\n") - 1
    else:
        import openpyxl

        rows = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Demandes"].max_row - 1
    return {"rows": rows, "bytes": len(data), "first": (first or ended) - started, "total": ended - started,
            "before": before, "hwm": status_kb(worker, "VmHWM") if reset else None, "sampled": sampler.peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=5_000, help="the filtered export (one company's rows)")
    args = parser.parse_args()
    run_started = time.perf_counter()

    vhost = new_vhost()
    workdir = Path(tempfile.mkdtemp(prefix="export-bench-"))
    databases, urls = [], {}
    for name in SERVICES:
        db_name, urls[name] = new_database(f"bench_{name}")
        databases.append(db_name)
    gateway = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "CONSIGNATIONS_VAR_DIR": str(workdir),
           "GATEWAY_BIND": gateway, "GATEWAY_WORKERS": "1", "LOG_LEVEL": "WARNING",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for name in SERVICES:
        env[f"{name.upper()}_DATABASE_URL"] = urls[name]
        env[f"{name.upper()}_HTTP_ADDRESS"] = f"127.0.0.1:{free_port()}"
    processes: list[subprocess.Popen] = []
    try:
        for name in SERVICES:
            subprocess.run([sys.executable, "-m", f"{name}_service", "migrate"], env=env, check=True)
        seed_started = time.perf_counter()
        email = seed(urls, args.rows)
        analyze(urls["demandes"])
        print(f"  (seeding and ANALYZE: {time.perf_counter() - seed_started:.0f} s)")
        commands = procfile_commands(ROOT)
        for name in (*SERVICES, "gateway"):
            processes.append(subprocess.Popen(commands[name], cwd=ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://{gateway}"
        wait_for("identity/gateway", lambda: requests.post(
            base + "/api/login", json={"email": "x@example.com", "password": "y"}, timeout=5).status_code == 401)
        headers = {"Authorization": f"Bearer {login(base, email)}"}
        small = {"client_name": "Entreprise Bench 1 SAS", "state": ALL_STATES}
        wait_for("demandes", lambda: requests.get(base + "/api/backoffice/demandes", params=small, headers=headers,
                                                  timeout=15).status_code == 200)
        worker = worker_of(processes[-1].pid)
        for export_format in ("csv", "xlsx"):  # warm-up (no row: numbers start with 10): RPC clients connected
            export(base, headers, worker, {"format": export_format, "number": "9"})
        idle = status_kb(worker, "VmRSS")
        print(f"machine: {os.cpu_count()} cores; gateway: gunicorn (deploy/gunicorn.conf.py), 1 worker x "
              f"{os.environ.get('GATEWAY_THREADS', '8')} threads; demandes pages of 500 rows; PostgreSQL")
        print(f"gateway worker RSS, idle after a warm-up export of each format: {idle / 1024:.1f} MiB")
        print()
        print(f"{'export':<34} {'rows':>7} {'MiB':>6} {'1st byte s':>10} {'total s':>8} {'rows/s':>8} "
              f"{'RSS before':>10} {'peak HWM':>9} {'peak sampled':>12} {'peak - idle':>11}")
        for export_format in ("csv", "xlsx"):
            for label, query in ((f"{args.small:,} rows (one company)", small),
                                 (f"{args.rows:,} rows (every state)", {"state": ALL_STATES})):
                result = export(base, headers, worker, {"format": export_format, **query})
                peak = max(result["hwm"] or 0, result["sampled"])
                hwm = f"{result['hwm'] / 1024:.1f}" if result["hwm"] else "n/a"
                print(f"{export_format.upper() + ' ' + label:<34} {result['rows']:>7} {result['bytes'] / 2**20:>6.1f} "
                      f"{result['first']:>10.2f} {result['total']:>8.2f} {result['rows'] / result['total']:>8.0f} "
                      f"{result['before'] / 1024:>10.1f} {hwm:>9} {result['sampled'] / 1024:>12.1f} "
                      f"{(peak - idle) / 1024:>11.1f}")
        print("(memory in MiB; peak HWM: the kernel's high-water mark of the worker's RSS during the export)")
    finally:
        clean_up(processes, vhost, databases[0] if databases else None)
        for name in databases[1:]:
            clean_up([], None, name)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ntotal run time: {time.perf_counter() - run_started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
