"""Entry point of every service process: `python -m <service>_service [run|migrate]`."""
from __future__ import annotations

import logging
import os
import signal
import sys

import eventlet
from nameko.runners import ServiceRunner

from .config import load_settings
from .health import bound_http_address
from .logs import configure_logging
from .migrations import upgrade
from .topology import SERVICE_CLASSES, load_service_class

log = logging.getLogger(__name__)


def dump_green_threads() -> None:
    """Log the stack of every green thread (`kill -USR1 <pid>`): what a stuck service waits on.
    py-spy and faulthandler only see the one OS thread that runs them all."""
    import gc
    import traceback

    import greenlet

    stacks = [
        "".join(traceback.format_stack(g.gr_frame))
        for g in gc.get_objects() if isinstance(g, greenlet.greenlet) and g.gr_frame is not None
    ]
    log.warning("%s green threads:\n%s", len(stacks), "\n---\n".join(stacks))


def main(service: str, argv: list[str] | None = None, commands: dict | None = None) -> int:
    """`run` (default) and `migrate`, plus the service's operator commands, each called as
    `command(settings, argv)` after the migrations are applied."""
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "run"
    commands = commands or {}
    if command not in ("run", "migrate", *commands):
        print(f"usage: python -m {service}_service [{'|'.join(['run', 'migrate', *commands])}] ...",
              file=sys.stderr)
        return 2
    settings = load_settings(service)
    configure_logging(service, os.environ.get("LOG_LEVEL", "INFO" if command == "run" else "WARNING"))
    upgrade(f"{service}_service.migrations", settings.database_url)
    log.info("migrations applied")
    if command == "migrate":
        return 0
    if command in commands:
        return commands[command](settings, argv[1:])

    runner = ServiceRunner(settings.nameko_config())
    runner.add_service(load_service_class(SERVICE_CLASSES[service]))

    def _graceful_stop(signum, frame):
        log.info("stopping on signal %s", signum)
        eventlet.spawn(runner.stop)

    signal.signal(signal.SIGTERM, _graceful_stop)
    signal.signal(signal.SIGINT, _graceful_stop)
    signal.signal(signal.SIGUSR1, lambda signum, frame: dump_green_threads())
    runner.start()
    # The address bound, not the one configured: with port 0 the OS chose it (tests read it here).
    address = next(filter(None, map(bound_http_address, runner.containers)), settings.http_address)
    log.info("started; health on http://%s/health/ready", address)
    runner.wait()
    return 0
