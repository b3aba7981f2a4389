"""Deploy-time declaration of the RabbitMQ topology (SPEC EV-3).

Declares the exchanges, the event log (a stream of every integration event: event_log.py) and,
for every subscription of every service, its durable queue, retry queues and dead-letter queue —
before any service starts, so an event published before its first consumer ever ran is kept.
Services declare their own queues at start too (idempotent).

    python -m consignations_shared.topology            # all services
    python -m consignations_shared.topology notifier   # one service
"""
from __future__ import annotations

import importlib
import inspect
import sys

from kombu import Connection
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from .config import load_settings
from . import event_log
from .consumer import MessageConsumer, QueueSpec
from .outbox import commands_exchange, events_exchange

SERVICE_CLASSES = {
    "identity": "identity_service.service:IdentityService",
    "accounts": "accounts_service.service:AccountsService",
    "demandes": "demandes_service.service:DemandesService",
    "documents": "documents_service.service:DocumentsService",
    "notifier": "notifier_service.service:NotifierService",
}


def load_service_class(path: str):
    module_name, _, class_name = path.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def queue_specs(service_cls, retry_delays: tuple[float, ...]) -> list[QueueSpec]:
    specs = []
    for method_name, method in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, MessageConsumer):
                specs.append(entrypoint.spec(service_cls.name, method_name, retry_delays))
    return specs


def declare(services: list[str] | None = None, env=None) -> list[QueueSpec]:
    declared = []
    settings = load_settings("topology", env)
    with Connection(settings.amqp_uri, connect_timeout=5) as connection:
        event_log.declare(connection.default_channel, event_log.Retention.from_env(settings.env))
    for service in services or list(SERVICE_CLASSES):
        settings = load_settings(service, env)
        service_cls = load_service_class(SERVICE_CLASSES[service])
        with Connection(settings.amqp_uri, connect_timeout=5) as connection:
            channel = connection.default_channel
            events_exchange(channel).declare()
            commands_exchange(channel).declare()
            for spec in queue_specs(service_cls, settings.event_retry_delays):
                spec.declare(channel)
                declared.append(spec)
    return declared


def main(argv: list[str]) -> int:
    specs = declare(argv or None)
    print(f"declared {event_log.EVENT_LOG_QUEUE} <- {events_exchange.name} [{event_log.ALL_EVENTS}] (stream)")
    for spec in specs:
        print(f"declared {spec.name} <- {spec.exchange.name} [{spec.routing_key}] "
              f"(+{len(spec.retry_delays)} retry queues, {spec.dlq_name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
