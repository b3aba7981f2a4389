"""The gateway: the only public HTTP entry (SPEC GW-1), a Flask app served by gunicorn."""
from __future__ import annotations

from importlib import resources

from flask import Flask, Response

from consignations_shared.logs import configure_logging

from . import web
from .api import health, session, signup
from .rpc_client import RpcClientPool
from .settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None, *, configure_logs: bool = True) -> Flask:
    settings = settings or GatewaySettings.from_env()
    if configure_logs:
        configure_logging("gateway")
    app = Flask(__name__)
    if settings.trusted_proxies:
        # Behind N reverse proxies, the client address (per-IP throttling) is in X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = 6 * 1024 * 1024
    app.json.ensure_ascii = False
    app.extensions["rpc"] = RpcClientPool(settings.amqp_uri, settings.rpc_timeout, settings.rpc_pool_size)
    # Readiness answers quickly even when a service is silent: its own short timeout and pool.
    app.extensions["readiness_rpc"] = RpcClientPool(
        settings.amqp_uri, settings.readiness_timeout, size=5
    )
    web.install(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(signup.bp)
    app.register_blueprint(session.bp)

    @app.get("/api/openapi.yaml")
    def openapi():
        text = resources.files("gateway_service").joinpath("openapi.yaml").read_text("utf-8")
        return Response(text, mimetype="application/yaml")

    @app.get("/")
    def index():
        return {"service": "Espace Personnel Consignations", "api": "/api/openapi.yaml"}

    return app
