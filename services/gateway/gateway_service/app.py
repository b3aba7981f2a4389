"""The gateway: the only public HTTP entry (SPEC GW-1), a Flask app served by gunicorn."""
from __future__ import annotations

from importlib import resources

import yaml
from flask import Flask, Response, redirect

from consignations_shared.logs import configure_logging

from . import breakers, metrics, pages, web
from .api import accounts, demandes, documents, health, session, signup
from .api import backoffice, messages
from .rpc_client import RpcClientPool
from .session_cache import RevocationListener, SessionCache
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
    # One breaker per service for the RPCs and the documents' internal HTTP calls alike.
    app.extensions["breakers"] = breakers.Breakers(settings.breaker_failures, settings.breaker_reset)
    app.extensions["rpc"] = RpcClientPool(
        settings.amqp_uri, settings.rpc_timeout, settings.rpc_pool_size,
        read_timeout=settings.rpc_read_timeout, breakers=app.extensions["breakers"],
    )
    # Used once start_session_listener() runs in this process (gunicorn: post_worker_init);
    # until then, and whenever its listener is disconnected, every request asks identity.
    app.extensions["session_cache"] = SessionCache(settings.session_cache_ttl, settings.session_cache_size)
    # Readiness answers quickly even when a service is silent: its own short timeout and pool.
    app.extensions["readiness_rpc"] = RpcClientPool(
        settings.amqp_uri, settings.readiness_timeout, size=5
    )
    metrics.install(app)  # first: its timer starts before the other hooks
    web.install(app)
    breakers.install(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(signup.bp)
    app.register_blueprint(session.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(demandes.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(backoffice.bp)
    app.register_blueprint(pages.bp)

    document = yaml.safe_dump(openapi_document(), allow_unicode=True, sort_keys=False)

    @app.get("/api/openapi.yaml")
    def openapi():
        return Response(document, mimetype="application/yaml")

    @app.get("/")
    def index():
        # The portal's front door (e-mails link to the root); the API is described at /api/openapi.yaml.
        return redirect("/connexion")

    return app


def start_session_listener(app: Flask) -> RevocationListener | None:
    """In each serving process, after the fork (deploy/gunicorn.conf.py): the thread that
    consumes session revocations and turns the cache on while it is connected."""
    cache = app.extensions["session_cache"]
    if not cache.enabled:
        return None
    listener = app.extensions.get("session_listener")
    if listener is None:
        listener = app.extensions["session_listener"] = RevocationListener(app.config["SETTINGS"].amqp_uri, cache)
    listener.start()
    return listener


def stop_session_listener(app: Flask) -> None:
    listener = app.extensions.get("session_listener")
    if listener is not None:
        listener.stop()


def openapi_document() -> dict:
    """openapi.yaml plus one fragment per API area (openapi/*.yaml: paths, tags, components),
    so each blueprint keeps its documentation next to it."""
    package = resources.files("gateway_service")
    document = yaml.safe_load(package.joinpath("openapi.yaml").read_text("utf-8"))
    fragments = sorted((p for p in package.joinpath("openapi").iterdir() if p.name.endswith(".yaml")),
                       key=lambda p: p.name)
    for fragment in fragments:
        part = yaml.safe_load(fragment.read_text("utf-8")) or {}
        document["paths"].update(part.get("paths", {}))
        document["tags"].extend(part.get("tags", []))
        for section, entries in part.get("components", {}).items():
            document["components"].setdefault(section, {}).update(entries)
    return document
