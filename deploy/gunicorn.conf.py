"""gunicorn settings of the gateway (threads: RPC calls wait on the broker, not on the CPU)."""
import os
import shutil
from pathlib import Path

bind = os.environ.get("GATEWAY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
# Longer than the RPC timeout: a slow service yields a 503 from the view, not a killed worker.
timeout = int(float(os.environ.get("RPC_TIMEOUT", "10")) * 3)
graceful_timeout = 10
accesslog = "-"
access_log_format = '{"ts":"%(t)s","service":"gateway","logger":"access","method":"%(m)s","path":"%(U)s","status":%(s)s,"duration_us":%(D)s,"correlation_id":"%({x-correlation-id}o)s"}'

# Prometheus metrics of every worker in one scrape (gateway_service/metrics.py): each worker
# process writes its values into a folder of this run, which prometheus_client's multiprocess
# mode aggregates. Set before any worker imports prometheus_client; emptied at start (values of a
# previous run are not this run's), dead workers marked by child_exit.
_var_dir = Path(os.environ.get("CONSIGNATIONS_VAR_DIR") or Path(__file__).resolve().parents[1] / "var")
_metrics_root = _var_dir / "metrics"
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_root / f"gateway-{os.getpid()}")
_metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
_metrics_dir.mkdir(parents=True, exist_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server):
    for stale in _metrics_dir.glob("*.db"):
        stale.unlink()
    if _own_metrics_dir:
        # Folders of earlier runs that ended without on_exit (kill -9).
        for folder in _metrics_root.glob("gateway-*"):
            pid = folder.name.removeprefix("gateway-")
            if folder != _metrics_dir and pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)


# Each worker consumes session revocations on its own queue (gateway_service/session_cache.py):
# its thread and broker connection are made in the worker, after the fork.
def post_worker_init(worker):
    app = getattr(worker, "wsgi", None)
    if "session_cache" in getattr(app, "extensions", {}):
        from gateway_service.app import start_session_listener

        start_session_listener(app)


def worker_exit(server, worker):
    app = getattr(worker, "wsgi", None)
    if "session_listener" in getattr(app, "extensions", {}):
        from gateway_service.app import stop_session_listener

        stop_session_listener(app)
