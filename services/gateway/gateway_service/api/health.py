"""Liveness and readiness of the gateway and, through it, of every service (SPEC GW-5)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, current_app, jsonify

from consignations_shared.errors import DomainError
from consignations_shared.health import check_broker

from ..web import correlation_id

bp = Blueprint("health", __name__)

SERVICES = ("identity", "accounts", "demandes", "documents", "notifier")


@bp.get("/health/live")
def live():
    return jsonify({"service": "gateway", "status": "alive"})


@bp.get("/health/ready")
def ready():
    settings = current_app.config["SETTINGS"]
    pool = current_app.extensions["readiness_rpc"]
    cid = correlation_id()
    broker_ok, broker_detail = check_broker(settings.amqp_uri, timeout=settings.readiness_timeout)

    def ping(service):
        try:
            return service, pool.call(service, "ping", correlation_id=cid)
        except DomainError as exc:
            return service, {"status": "unavailable", "detail": exc.message}

    services = {}
    if broker_ok:
        with ThreadPoolExecutor(max_workers=len(SERVICES)) as executor:
            services = dict(executor.map(ping, SERVICES))
    ready_ = broker_ok and all(s.get("status") == "ready" for s in services.values())
    body = {"service": "gateway", "status": "ready" if ready_ else "not_ready",
            "checks": {"broker": broker_detail}, "services": services}
    return jsonify(body), 200 if ready_ else 503
