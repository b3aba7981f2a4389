"""The gateway's Prometheus metrics (issue 10): HTTP requests per route template, method and
status, and the RPC calls it makes per service and method.

Under gunicorn the workers are separate processes: deploy/gunicorn.conf.py sets
PROMETHEUS_MULTIPROC_DIR (a per-run folder under CONSIGNATIONS_VAR_DIR) before any worker
imports prometheus_client, every worker writes its values there, and a scrape of any worker
aggregates all of them (`prometheus_client.multiprocess`). Without it (tests, flask run), the
process's own registry is shown.

Labels are names only: the route's template (`/api/demandes/<demande_id>`, never the id), the
method among the usual ones, the status code, the service and method called.
"""
from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from consignations_shared.metrics import CONTENT_TYPE, LATENCY_BUCKETS, _metric

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED = "unmatched"  # 404s and the like: the path itself would be anything a client sent

# Own registry: the gateway shows only its metrics (not the services' families it imports).
REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_DURATION = _metric(
    Histogram, "consignations_gateway_http_request_duration_seconds",
    "Gateway HTTP requests until the response headers, by route template, method and status.",
    ("route", "method", "status"), registry=REGISTRY, buckets=LATENCY_BUCKETS,
)
RPC_DURATION = _metric(
    Histogram, "consignations_gateway_rpc_duration_seconds",
    "RPC calls made by the gateway, by service, method and outcome (ok, expected_error: a domain "
    "error such as a refusal, unavailable: timeout or broker trouble, answered 503, error).",
    ("service", "method", "outcome"), registry=REGISTRY, buckets=LATENCY_BUCKETS,
)


def observe_rpc(service: str, method: str, outcome: str, seconds: float) -> None:
    RPC_DURATION.labels(service, method, outcome).observe(seconds)


def route_of(req) -> str:
    rule = req.url_rule
    return rule.rule if rule is not None else UNMATCHED


def exposition() -> bytes:
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def install(app: Flask) -> None:
    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            method = request.method if request.method in KNOWN_METHODS else "OTHER"
            HTTP_DURATION.labels(route_of(request), method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    @app.get("/metrics")
    def metrics():
        # Not under /api and not in the OpenAPI document: for the scraper, not for clients.
        # Keep it off the public ingress (deploy/k8s/README.md).
        return Response(exposition(), mimetype=None, content_type=CONTENT_TYPE,
                        headers={"Cache-Control": "no-store"})
