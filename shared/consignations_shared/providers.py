"""nameko dependency providers: one per resource (database session, outbox, clock, context)."""
from __future__ import annotations

import logging
import uuid
import weakref

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from .clock import SystemClock
from .config import settings_of
from .db import get_engine, make_sessionmaker
from .logs import correlation_id_var
from .outbox import OutboxRelay, OutboxWriter

log = logging.getLogger(__name__)

CORRELATION_KEY = "correlation_id"
ATTEMPT_KEY = "attempt"  # which delivery of a consumed message this worker handles (1, 2, ...)


def correlation_id_of(worker_ctx) -> str:
    """The correlation id of the work being done; a new one for work nobody asked for."""
    value = worker_ctx.data.get(CORRELATION_KEY)
    if not value:
        value = worker_ctx.data[CORRELATION_KEY] = str(uuid.uuid4())
    return value


class Correlation(DependencyProvider):
    """Puts the worker's correlation id where log lines find it (SPEC NF-4)."""

    def worker_setup(self, worker_ctx):
        correlation_id_var.set(correlation_id_of(worker_ctx))

    def get_dependency(self, worker_ctx):
        return correlation_id_of(worker_ctx)

    def worker_teardown(self, worker_ctx):
        correlation_id_var.set(None)


class DatabaseSession(DependencyProvider):
    """A SQLAlchemy session per worker, closed (rolled back if not committed) after it."""

    def setup(self):
        self.url = settings_of(self.container).database_url
        self.sessionmaker = make_sessionmaker(self.url)
        self.sessions = weakref.WeakKeyDictionary()

    def get_dependency(self, worker_ctx):
        session = self.sessionmaker()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            try:
                session.close()
            except Exception as exc:
                # The connection died under the worker (PostgreSQL restarted, pg_terminate_backend):
                # the rollback of close() fails. An error raised here would kill the whole service
                # (nameko stops a container whose worker teardown fails); the worker already
                # reported its own outcome, so the connection is only thrown away.
                log.warning("database session of %s not closed cleanly (%s): connection discarded",
                            worker_ctx.call_id, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                try:
                    session.invalidate()
                except Exception:  # nothing left to release
                    pass

    @property
    def engine(self):
        return get_engine(self.url)


class ServiceClock(DependencyProvider):
    """The system clock; integration tests replace it to move time forward."""

    def __init__(self):
        self.clock = SystemClock()

    def get_dependency(self, worker_ctx):
        return self.clock


class Outbox(DependencyProvider):
    """Writes events/commands in the worker's transaction and relays them after commit.

    The relay runs in the service process: woken right after a commit that wrote to the
    outbox, and every `poll_interval` seconds to pick up anything left (broker outage, crash).
    """

    def __init__(self, poll_interval: float = 1.0):
        self.poll_interval = poll_interval

    def setup(self):
        settings = settings_of(self.container)
        self.relay = OutboxRelay(
            get_engine(settings.database_url), settings.amqp_uri, service=self.container.service_name,
        )
        self._wake = Event()
        self._running = False
        self._thread = None

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self):
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()
        self.relay.close()

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self.relay.close()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def _run(self):
        backoff = self.poll_interval
        while self._running:
            try:
                while self.relay.publish_pending():
                    pass
                backoff = self.poll_interval
            except Exception as exc:  # broker or database down: keep rows, try again later
                log.warning("outbox relay could not publish: %s", exc)
                backoff = min(backoff * 2, 30.0)
            with eventlet.Timeout(backoff, False):
                self._wake.wait()
            self._wake = Event()

    def get_dependency(self, worker_ctx):
        return OutboxWriter(
            self.container.service_name,
            correlation_id=correlation_id_of(worker_ctx),
            clock=service_clock(self.container),
            on_commit=self.wake,
        )


def service_clock(container):
    """The clock the service's ServiceClock provider holds (None: system time)."""
    for dependency in container.dependencies:
        if isinstance(dependency, ServiceClock):
            return dependency.clock
    return None


class Settings(DependencyProvider):
    """The service's ServiceSettings (environment-derived configuration)."""

    def get_dependency(self, worker_ctx):
        return settings_of(self.container)


class DeliveryAttempt(DependencyProvider):
    """For consumers: 1 on the first delivery of a message, n on its n-th (after retries)."""

    def get_dependency(self, worker_ctx):
        return int(worker_ctx.data.get(ATTEMPT_KEY) or 1)
