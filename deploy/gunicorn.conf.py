"""gunicorn settings of the gateway (threads: RPC calls wait on the broker, not on the CPU)."""
import os

bind = os.environ.get("GATEWAY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
# Longer than the RPC timeout: a slow service yields a 503 from the view, not a killed worker.
timeout = int(float(os.environ.get("RPC_TIMEOUT", "10")) * 3)
graceful_timeout = 10
accesslog = "-"
access_log_format = '{"ts":"%(t)s","service":"gateway","logger":"access","method":"%(m)s","path":"%(U)s","status":%(s)s,"duration_us":%(D)s,"correlation_id":"%({x-correlation-id}o)s"}'
