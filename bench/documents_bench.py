"""Documents benchmark (issue 6, SPEC NF-3): uploads, PDF rendering, and the service's event
loop while PDFs render.

Prints, in one run on this machine (nothing is asserted):
  1. upload throughput (MB/s) of 1 MB and 5 MB PDFs through the gateway (HTTP multipart ->
     gunicorn -> streamed to the documents service's internal HTTP API -> validated in a worker
     process -> stored with its SHA-256), directly on the internal API, and raw disk writes
     (write + fsync) of the same bytes, with the ratios;
  2. the time of a request summary (RPC render_summary, a new request version each time:
     snapshot checks, rendering in a worker, storage, event) against a trivial one-page
     WeasyPrint document rendered in this process in the same run — goal <= 2x;
  3. p50/p99 of an unrelated documents RPC (get_document: a database read and the owner's rule)
     when idle and while PDFs render continuously, and the ratio of the p99s — goal <= 3x.

    .venv/bin/python bench/documents_bench.py [--seconds 10] [--renderers 4] [--database postgres|sqlite]

It starts the documents service and the gateway (the Procfile's commands) and stub identity and
owner services (documents_service.testing) on a private RabbitMQ vhost and a private database,
and removes them afterwards.
"""
from __future__ import annotations

import argparse
import os

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from benchkit import clean_up, ms, new_database, new_vhost, pct
from consignations_shared.testing import free_port, procfile_commands

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
ALICE = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}




def run_stubs() -> int:
    """--stubs: identity (bearer tokens "token-<id>") and the owners' rule, in one process."""
    import consignations_shared.boot  # noqa: F401
    from nameko.runners import ServiceRunner

    from documents_service.testing import StubAccounts, StubDemandes, StubIdentity

    runner = ServiceRunner({"AMQP_URI": os.environ["AMQP_URI"], "SERIALIZER": "json", "max_workers": 50})
    for cls in (StubIdentity, StubAccounts, StubDemandes):
        runner.add_service(cls)
    runner.start()
    runner.wait()
    return 0



def raw_disk_rate(data: bytes, count: int, folder: Path) -> float:
    started = time.perf_counter()
    for n in range(count):
        path = folder / f"raw-{n}"
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
    return len(data) * count / (time.perf_counter() - started) / MB


def gateway_upload_rate(base: str, data: bytes, count: int) -> float:
    session = requests.Session()
    headers = {"Authorization": "Bearer token-alice"}
    started = time.perf_counter()
    for _ in range(count):
        reply = session.post(base + "/api/documents", headers=headers, timeout=60, data={
            "owner_service": "accounts", "owner_id": "acct-of-alice", "kind": "OTHER"},
            files={"file": ("bench.pdf", data, "application/pdf")})
        assert reply.status_code == 201, reply.text
    return len(data) * count / (time.perf_counter() - started) / MB


def internal_upload_rate(internal, data: bytes, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        reply = internal.upload(data, kind="OTHER")
        assert reply.status_code == 201, reply.text
    return len(data) * count / (time.perf_counter() - started) / MB


def trivial_render_times(count: int) -> list[float]:
    from documents_service.pdfs import trivial_pdf

    trivial_pdf()  # warm: fonts, Pango
    times = []
    for _ in range(count):
        started = time.perf_counter()
        trivial_pdf()
        times.append(time.perf_counter() - started)
    return times


def local_summary_times(count: int) -> list[float]:
    """The same summary template rendered in this process: what the worker itself spends."""
    from datetime import datetime, timezone

    from documents_service import samples
    from documents_service.domain.snapshot import summary_view
    from documents_service.pdfs import _write_pdf, html_of

    html = html_of("summary.html", summary_view(samples.snapshot(), datetime.now(timezone.utc)))
    _write_pdf(html)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        _write_pdf(html)
        times.append(time.perf_counter() - started)
    return times


def summary_times(rpc, count: int, first_version: int) -> list[float]:
    from documents_service import samples

    times = []
    for n in range(count):
        started = time.perf_counter()
        rpc.documents.render_summary(samples.snapshot(demande_id="dem-of-alice", version=first_version + n), ALICE)
        times.append(time.perf_counter() - started)
    return times


def timed_calls(call, seconds: float, pause: float = 0.01) -> list[float]:
    """The duration of each `call()` made one after the other for `seconds`, `pause` apart."""
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
        time.sleep(pause)
    return latencies


def rpc_latencies(amqp_uri: str, document_id: str, seconds: float) -> list[float]:
    from nameko.standalone.rpc import ClusterRpcProxy

    from documents_service.testing import grant_for

    with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=30) as rpc:
        held = {"grant": None, "at": float("-inf")}

        def get_document():
            if time.perf_counter() - held["at"] > 30:  # the owner's grant lives 60 s
                held["grant"], held["at"] = grant_for(rpc, ALICE, "read", document_id=document_id), time.perf_counter()
            rpc.documents.get_document(document_id, ALICE, grant=held["grant"])

        return timed_calls(get_document, seconds)


def latencies_while_rendering(amqp_uri: str, document_id: str | None, seconds: float, renderers: int,
                              measure=None) -> tuple[list[float], int, float]:
    """`measure(seconds)` (default: `rpc_latencies` of get_document(`document_id`)) while
    `renderers` clients keep asking for new summary versions: (latencies, summaries rendered
    meanwhile, seconds measured)."""
    from documents_service import samples
    from nameko.standalone.rpc import ClusterRpcProxy

    stop, rendered, version, lock = threading.Event(), [0], [10_000], threading.Lock()

    def render_loop():
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=120) as own:
            while not stop.is_set():
                with lock:
                    version[0] += 1
                    mine = version[0]
                own.documents.render_summary(samples.snapshot(demande_id="dem-of-alice", version=mine), ALICE)
                rendered[0] += 1

    threads = [threading.Thread(target=render_loop) for _ in range(renderers)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        started = time.perf_counter()
        busy = (measure or (lambda s: rpc_latencies(amqp_uri, document_id, s)))(seconds)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return busy, rendered[0], elapsed


def main() -> int:
    if sys.argv[1:2] == ["--stubs"]:
        return run_stubs()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--renderers", type=int, default=4, help="clients asking for summaries during (3)")
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()

    from documents_service import samples
    from documents_service.testing import Internal

    vhost = new_vhost()
    workdir = Path(tempfile.mkdtemp(prefix="documents-bench-"))
    db_name = None
    if args.database == "postgres":
        db_name, database_url = new_database()
    else:
        database_url = f"sqlite:///{workdir}/documents.db"
    gateway, documents_address = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {**os.environ, "AMQP_URI": amqp_uri, "CONSIGNATIONS_VAR_DIR": str(workdir),
           "DOCUMENTS_DATABASE_URL": database_url, "DOCUMENTS_HTTP_ADDRESS": documents_address,
           "GATEWAY_BIND": gateway, "LOG_LEVEL": "WARNING",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    processes = []
    try:
        subprocess.run([sys.executable, "-m", "documents_service", "migrate"], env=env, check=True)
        processes.append(subprocess.Popen([sys.executable, __file__, "--stubs"], cwd=ROOT, env=env))
        for name in ("documents", "gateway"):
            processes.append(subprocess.Popen(procfile_commands(ROOT)[name], cwd=ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://{gateway}"
        wait_ready(base, f"http://{documents_address}")
        print(f"machine: {os.cpu_count()} cores; documents workers: {os.environ.get('DOCUMENTS_WORKERS') or 'cores - 1'}; "
              f"database: {args.database}")

        class Container:  # what testing.Internal reads
            config = {"WEB_SERVER_ADDRESS": documents_address,
                      "SERVICE_SETTINGS": type("S", (), {"var_dir": workdir})()}

        internal = Internal(Container)
        # 1. uploads ------------------------------------------------------------------------
        for size, count in ((1 * MB, 20), (5 * MB, 8)):
            data = samples.pdf_of_size(size)
            gateway_upload_rate(base, data, 2)  # warm connections and workers
            through_gateway = gateway_upload_rate(base, data, count)
            direct = internal_upload_rate(internal, data, count)
            raw = raw_disk_rate(data, count, workdir)
            print(f"upload {size // MB} MB PDF x{count}: gateway {through_gateway:.1f} MB/s, internal API "
                  f"{direct:.1f} MB/s, raw disk write+fsync {raw:.1f} MB/s "
                  f"(gateway/raw {through_gateway / raw:.2f}, internal/raw {direct / raw:.2f})")

        from nameko.standalone.rpc import ClusterRpcProxy
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "SERIALIZER": "json"}, timeout=60) as rpc:
            # 2. summary vs trivial --------------------------------------------------------------
            summary_times(rpc, 2, 1)  # warm
            trivial = trivial_render_times(10)
            local = local_summary_times(10)
            summaries = summary_times(rpc, 10, 100)
            cached = summary_times(rpc, 5, 100)
            print(f"trivial one-page WeasyPrint document (this process): median {statistics.median(trivial) * 1000:.0f} ms")
            print(f"the summary template rendered in this process (layout of ~40 table rows): median "
                  f"{statistics.median(local) * 1000:.0f} ms, ratio to trivial {statistics.median(local) / statistics.median(trivial):.2f}")
            print(f"request summary via RPC (validate, render in a worker, store, event): median "
                  f"{statistics.median(summaries) * 1000:.0f} ms, p90 {ms(summaries, 90)} ms; "
                  f"ratio {statistics.median(summaries) / statistics.median(trivial):.2f} (goal <= 2)")
            print(f"same version again (cached): median {statistics.median(cached) * 1000:.1f} ms")

            # 3. RPC latency idle vs while rendering ---------------------------------------------
            document_id = internal.upload(samples.pdf(), kind="OTHER").json()["id"]
            idle = rpc_latencies(amqp_uri, document_id, args.seconds / 2)
            busy, rendered, elapsed = latencies_while_rendering(amqp_uri, document_id, args.seconds, args.renderers)
        print(f"documents RPC get_document, idle:               p50 {ms(idle, 50)} ms, p99 {ms(idle, 99)} ms ({len(idle)} calls)")
        print(f"documents RPC get_document, while PDFs render:  p50 {ms(busy, 50)} ms, p99 {ms(busy, 99)} ms "
              f"({len(busy)} calls; {rendered} summaries rendered, {rendered / elapsed:.1f}/s, "
              f"{args.renderers} clients)")
        print(f"  p99 ratio busy/idle: {pct(busy, 99) / pct(idle, 99):.2f} (goal <= 3)")
    finally:
        clean_up(processes, vhost, db_name)
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    return 0


def wait_ready(base: str, documents: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if (requests.get(documents + "/health/ready", timeout=5).status_code == 200
                    and requests.get(base + "/api/documents/kinds", timeout=5).status_code == 200):
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("documents service or gateway did not start")


if __name__ == "__main__":
    sys.exit(main())
