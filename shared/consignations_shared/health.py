"""Liveness and readiness (SPEC GW-5) for every service: HTTP on the service's own port + RPC;
and its Prometheus metrics (`/metrics`, consignations_shared.metrics).

A service with read models (consignations_shared.read_models) declares them as its `read_models`
dependency: it is not ready while one of them is still being rebuilt from its owner."""
from __future__ import annotations

import json

from kombu import Connection
from .rpc import rpc
from .web import http
from sqlalchemy import text
from werkzeug.wrappers import Response

from .metrics import CONTENT_TYPE, Metrics
from .providers import Settings


def check_database(session) -> tuple[bool, str]:
    try:
        session.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as exc:  # any driver error means "not ready"
        return False, type(exc).__name__


def check_broker(amqp_uri: str, timeout: float = 2.0) -> tuple[bool, str]:
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


def bound_http_address(container) -> str | None:
    """`host:port` the container's HTTP server listens on: the port the OS chose when
    `<SERVICE>_HTTP_ADDRESS` ends in `:0` (tests). None for a service without HTTP entrypoints."""
    from nameko.web.server import WebServer

    for extension in container.subextensions:
        if isinstance(extension, WebServer) and extension._sock is not None:
            host, port = extension._sock.getsockname()[:2]
            return f"{host}:{port}"
    return None


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class HealthEndpoints:
    """Mixed into every service class, which must have a `db` DatabaseSession dependency."""

    health_settings = Settings()
    metrics = Metrics()

    @http("GET", "/health/live")
    def health_live(self, request):
        return _json(200, {"service": self.name, "status": "alive"})

    @http("GET", "/health/ready")
    def health_ready(self, request):
        report = self._readiness()
        return _json(200 if report["status"] == "ready" else 503, report)

    @http("GET", "/metrics")
    def metrics_endpoint(self, request):
        """Prometheus text format; the outbox gauges are read from the database now."""
        return Response(self.metrics.scrape(self.db), status=200, content_type=CONTENT_TYPE)

    @rpc
    def ping(self):
        """Readiness as seen through the broker (the gateway's /health/ready asks every service)."""
        return self._readiness()

    def _readiness(self) -> dict:
        db_ok, db_detail = check_database(self.db)
        broker_ok, broker_detail = check_broker(self.health_settings.amqp_uri)
        checks = {"database": db_detail, "broker": broker_detail}
        ok = db_ok and broker_ok
        read_models = getattr(self, "read_models", None)
        if read_models is not None:
            pending = read_models.pending()
            checks["read_models"] = "ok" if not pending else "rebuilding: " + ", ".join(pending)
            ok = ok and not pending
        return {"service": self.name, "status": "ready" if ok else "not_ready", "checks": checks}
