"""Writes deploy/rabbitmq/definitions.json from the code's own topology.

    .venv/bin/python deploy/rabbitmq/generate.py            # rewrite definitions.json
    .venv/bin/python deploy/rabbitmq/generate.py --check    # exit 1 if it is out of date

The queues come from `consignations_shared.topology.queue_specs` (every `@consume_event` /
`@consume_command` of every service, with its retry queues and dead-letter queue, as
`python -m consignations_shared.topology` declares them) and from nameko's RPC queues
(`rpc-<service>` on the `nameko-rpc` exchange). Every durable queue is a quorum queue; per-queue
policies add the dead-lettering and delivery limits (deploy/rabbitmq/README.md).
tests/deploy/test_manifests.py checks that the committed file equals what this script builds:
after adding or renaming a consumer, run it again and commit the result.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFINITIONS = HERE / "definitions.json"

VHOST = "consignations"
RPC_EXCHANGE = "nameko-rpc"  # nameko's default (rpc.get_rpc_exchange); the services do not change it
QUORUM = {"x-queue-type": "quorum"}

# Deliveries of one message (first one included) before the broker takes it out of a service
# queue. The code's own retries (retry queues, then <queue>.dlq) ack and republish, so they do
# not count: only a consumer that dies with the message unacknowledged (pod killed, OOM,
# connection lost) or a requeue does. 20 is RabbitMQ 4's default for quorum queues.
EVENT_DELIVERY_LIMIT = 20
# RPC requests: nameko redelivers the request of a worker that died; a request that kills every
# replica in turn is dropped after that many deliveries (its caller has timed out long before).
RPC_DELIVERY_LIMIT = 10
# Dead-letter queues: `consignations_shared.dead_letters list` fetches messages and gives them
# back, which counts as a delivery on a quorum queue (RabbitMQ 4 defaults the limit to 20): the
# limit is set high enough never to be reached (3.13 does not accept -1, "no limit").
DLQ_DELIVERY_LIMIT = 1_000_000

# Broker-side dead-lettering that does not lose messages (quorum queues: needs reject-publish).
AT_LEAST_ONCE = {"dead-letter-strategy": "at-least-once", "overflow": "reject-publish"}


def _default_retry_delays() -> tuple[float, ...]:
    """EVENT_RETRY_DELAYS as the services read it when the variable is not set."""
    from consignations_shared.config import load_settings

    with tempfile.TemporaryDirectory() as var_dir:
        return load_settings("topology", {"CONSIGNATIONS_VAR_DIR": var_dir}).event_retry_delays


def _exact(name: str) -> str:
    return "^" + re.escape(name) + "$"


def build(retry_delays: tuple[float, ...] | None = None, vhost: str = VHOST) -> dict:
    from consignations_shared.outbox import commands_exchange, events_exchange
    from consignations_shared.topology import SERVICE_CLASSES, load_service_class, queue_specs

    retry_delays = retry_delays or _default_retry_delays()
    exchanges = [
        {"name": exchange.name, "vhost": vhost, "type": exchange.type, "durable": True,
         "auto_delete": False, "internal": False, "arguments": {}}
        for exchange in (events_exchange, commands_exchange)
    ]
    exchanges.append({"name": RPC_EXCHANGE, "vhost": vhost, "type": "topic", "durable": True,
                      "auto_delete": False, "internal": False, "arguments": {}})

    queues, bindings, policies = [], [], []

    def queue(name: str, arguments: dict | None = None) -> None:
        queues.append({"name": name, "vhost": vhost, "durable": True, "auto_delete": False,
                       "arguments": {**QUORUM, **(arguments or {})}})

    def bind(exchange: str, queue_name: str, routing_key: str) -> None:
        bindings.append({"source": exchange, "vhost": vhost, "destination": queue_name,
                         "destination_type": "queue", "routing_key": routing_key, "arguments": {}})

    # The event log: every integration event, kept by age and size (event_log.py's defaults;
    # EVENT_LOG_* change what `consignations_shared.topology` declares; a policy changes a running stream).
    from consignations_shared import event_log

    log = event_log.queue(event_log.Retention())
    queue(log.name, dict(log.queue_arguments))
    bind(log.exchange.name, log.name, log.routing_key)

    for service, path in SERVICE_CLASSES.items():
        specs = sorted(queue_specs(load_service_class(path), retry_delays), key=lambda s: s.name)
        for spec in specs:
            # Same arguments as QueueSpec.queue() / retry_queues() / dlq() declare, plus the type.
            queue(spec.name)
            bind(spec.exchange.name, spec.name, spec.routing_key)
            for retry in spec.retry_queues():
                queue(retry.name, dict(retry.queue_arguments))
            queue(spec.dlq_name)
            policies.append({
                "vhost": vhost, "name": f"dead-letter.{spec.name}", "pattern": _exact(spec.name),
                "apply-to": "queues", "priority": 10,
                "definition": {"dead-letter-exchange": "", "dead-letter-routing-key": spec.dlq_name,
                               "delivery-limit": EVENT_DELIVERY_LIMIT, **AT_LEAST_ONCE},
            })
        rpc_queue = f"rpc-{service}"
        queue(rpc_queue)
        bind(RPC_EXCHANGE, rpc_queue, f"{service}.*")

    policies += [
        {"vhost": vhost, "name": "retry-queues", "pattern": r"\.retry\.[0-9]+$",
         "apply-to": "queues", "priority": 5, "definition": dict(AT_LEAST_ONCE)},
        {"vhost": vhost, "name": "dead-letter-queues", "pattern": r"\.dlq$",
         "apply-to": "queues", "priority": 5, "definition": {"delivery-limit": DLQ_DELIVERY_LIMIT}},
        {"vhost": vhost, "name": "rpc-queues",
         "pattern": "^rpc-(" + "|".join(re.escape(s) for s in SERVICE_CLASSES) + ")$",
         "apply-to": "queues", "priority": 5, "definition": {"delivery-limit": RPC_DELIVERY_LIMIT}},
    ]
    return {
        "vhosts": [{
            "name": vhost, "description": "Consignations (generated by deploy/rabbitmq/generate.py)",
            "tags": [], "default_queue_type": "quorum",
            "metadata": {"description": "Consignations (generated by deploy/rabbitmq/generate.py)",
                         "tags": [], "default_queue_type": "quorum"},
        }],
        "exchanges": exchanges,
        "queues": queues,
        "bindings": bindings,
        "policies": policies,
    }


def render(definitions: dict) -> str:
    return json.dumps(definitions, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if definitions.json is out of date")
    parser.add_argument("--output", type=Path, default=DEFINITIONS)
    parser.add_argument("--retry-delays", metavar="SECONDS",
                        help="EVENT_RETRY_DELAYS of the services, if they set it (default: the code's)")
    args = parser.parse_args(argv)
    delays = None
    if args.retry_delays:
        from consignations_shared.config import _seconds_list

        delays = _seconds_list(args.retry_delays)
    text = render(build(delays))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run deploy/rabbitmq/generate.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
