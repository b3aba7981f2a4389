"""Resolved sessions kept by each gateway process (issue 15), so most requests need no RPC to
identity.

Rules (docs/architecture.md, Sessions):
- the key is the SHA-256 of the token (the token itself is never kept); the value is what
  identity's `resolve_session` answered (session id, CSRF hash, person), for at most `ttl`
  seconds (a safety net: revocations are pushed), in at most `max_entries` entries (least
  recently used dropped first);
- the cache is used only while this process's `RevocationListener` is consuming: its own
  exclusive, auto-delete, server-named queue bound to `consignations.events` with
  `identity.sessions_revoked` and `identity.person_access_changed`. Not connected: every request
  asks identity. Each (re)connection starts from an empty cache, since events may have been
  missed while it was away;
- `identity.sessions_revoked` drops the listed sessions and every session of the person;
  `identity.person_access_changed` drops every session of the person (their membership is part
  of the resolved session);
- a session resolved while an invalidation arrived (or while the listener reconnected) is not
  stored: the answer may predate the revocation. Every invalidation bumps a generation number;
  an answer is stored only if the generation is the one seen before asking identity.

Idle timeout: identity writes `last_seen_at` when it resolves a session, at most once a minute
(`sessions.TOUCH_EVERY`), and ends a session idle for 30 minutes. A cached session reaches
identity again at least every `ttl` seconds while it is used, so `last_seen_at` lags the last
request by at most TOUCH_EVERY + ttl (90 s with the default 30 s): an active session is never
ended by the idle timeout, an idle one ends between 28.5 and 30 minutes after its last request.
The ttl is limited to 60 s (settings) to keep that lag small. The absolute lifetime (12 h) and an
access's end of validity are also seen at most `ttl` late (the expiry sweep revokes and
announces expired accesses).
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from kombu import Connection, Consumer, Queue, binding
from prometheus_client import Counter, Gauge

from consignations_shared.contracts.payloads.identity import SessionsRevoked
from consignations_shared.events import Envelope, InvalidEnvelope
from consignations_shared.metrics import _metric
from consignations_shared.outbox import events_exchange

from .metrics import REGISTRY

log = logging.getLogger(__name__)

SESSIONS_REVOKED = f"identity.{SessionsRevoked.name}"
PERSON_ACCESS_CHANGED = "identity.person_access_changed"  # {person_id}: identity's read model of memberships changed
ROUTING_KEYS = (SESSIONS_REVOKED, PERSON_ACCESS_CHANGED)

LOOKUPS = _metric(
    Counter, "consignations_gateway_session_cache_total",
    "Sessions looked up by the gateway: hit (answered from the process's cache), miss (asked "
    "identity, then cached), bypass (asked identity: the revocation listener is not connected).",
    ("outcome",), registry=REGISTRY,
)
LISTENING = _metric(
    Gauge, "consignations_gateway_session_listener_connected",
    "1 while the process's listener of session revocations is consuming (its cache is in use).",
    (), registry=REGISTRY, multiprocess_mode="livemin",
)


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class _Entry:
    resolved: dict[str, Any]
    person_id: str
    session_id: str
    expires_at: float


class SessionCache:
    """Thread-safe: the request threads read and fill it, the listener thread invalidates it."""

    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._by_person: dict[str, set[str]] = {}
        self._by_session: dict[str, str] = {}
        self._generation = 0
        self._live = False

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.max_entries > 0

    @property
    def live(self) -> bool:
        return self._live

    def __len__(self) -> int:
        return len(self._entries)

    def resolve(self, token: str, fetch: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        """The resolved session of `token`: from the cache, or `fetch(token)` (identity)."""
        key = token_key(token)
        with self._lock:
            ticket = self._generation if self._live else None
            entry = self._entries.get(key) if ticket is not None else None
            if entry is not None and entry.expires_at <= self._clock():
                self._remove(key)
                entry = None
            if entry is not None:
                self._entries.move_to_end(key)
                LOOKUPS.labels("hit").inc()
                return copy.deepcopy(entry.resolved)  # a view may change what it was given
        resolved = fetch(token)  # Unauthenticated and the like propagate: nothing is cached
        LOOKUPS.labels("miss" if ticket is not None else "bypass").inc()
        if ticket is not None:
            self._store(key, resolved, ticket)
        return resolved

    def _store(self, key: str, resolved: dict[str, Any], ticket: int) -> None:
        person = resolved.get("person") if isinstance(resolved.get("person"), dict) else resolved
        person_id, session_id = person.get("id"), resolved.get("session_id") or person.get("session_id")
        if not person_id or not session_id:
            return  # could not be dropped by person or session: never cached
        with self._lock:
            if not self._live or ticket != self._generation:
                return  # an invalidation (or a reconnection) happened while identity answered
            self._remove(key)
            self._entries[key] = _Entry(copy.deepcopy(resolved), str(person_id), str(session_id),
                                        self._clock() + self.ttl)
            self._by_person.setdefault(str(person_id), set()).add(key)
            self._by_session[str(session_id)] = key
            while len(self._entries) > self.max_entries:
                self._remove(next(iter(self._entries)))

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        keys = self._by_person.get(entry.person_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_person[entry.person_id]
        if self._by_session.get(entry.session_id) == key:
            del self._by_session[entry.session_id]

    # --- invalidation ------------------------------------------------------------------------
    def drop_person(self, person_id: str) -> None:
        with self._lock:
            self._generation += 1
            for key in list(self._by_person.get(str(person_id), ())):
                self._remove(key)

    def drop_sessions(self, session_ids) -> None:
        with self._lock:
            self._generation += 1
            for session_id in session_ids:
                key = self._by_session.get(str(session_id))
                if key is not None:
                    self._remove(key)

    def forget(self, token: str) -> None:
        """This process revoked the session itself (logout): no need to wait for the event."""
        with self._lock:
            self._generation += 1
            self._remove(token_key(token))

    def went_live(self) -> None:
        """The listener consumes from now on: start empty (events may have been missed)."""
        with self._lock:
            self._clear()
            self._live = True
        LISTENING.set(1)

    def went_down(self) -> None:
        with self._lock:
            self._clear()
            self._live = False
        LISTENING.set(0)

    def _clear(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._by_person.clear()
        self._by_session.clear()

    def apply(self, routing_key: str, payload: dict[str, Any]) -> None:
        """One consumed event (its envelope's payload)."""
        if routing_key == SESSIONS_REVOKED:
            revoked = SessionsRevoked.read(payload)
            self.drop_sessions(revoked.session_ids)
            self.drop_person(revoked.person_id)
        elif routing_key == PERSON_ACCESS_CHANGED:
            self.drop_person(str(payload["person_id"]))


class RevocationListener:
    """One daemon thread per gateway process (started after gunicorn's fork: a connection is not
    shared across processes) feeding `SessionCache`. Invalidating is idempotent, so redelivered
    or duplicate events need no bookkeeping; a message that cannot be read is logged and
    dropped (the queue is this process's own)."""

    def __init__(self, amqp_uri: str, cache: SessionCache, *, heartbeat: float = 10,
                 max_backoff: float = 5.0):
        self.amqp_uri = amqp_uri
        self.cache = cache
        self.heartbeat = heartbeat
        self.max_backoff = max_backoff
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff = 0.2
        self._connection: Connection | None = None
        self.connections = 0  # times it started consuming (1 + reconnections)

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="session-revocations", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.cache.went_down()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._consume()
            except Exception as exc:  # broker gone, refused, heartbeat missed: reconnect
                if not self._stopping.is_set():
                    log.warning("session revocations: connection lost (%s: %s); the cache is off until reconnected",
                                type(exc).__name__, exc)
            finally:
                self.cache.went_down()
            self._stopping.wait(self._backoff)
            self._backoff = min(self._backoff * 2, self.max_backoff)

    def _consume(self) -> None:
        with Connection(self.amqp_uri, heartbeat=self.heartbeat, connect_timeout=5) as connection:
            self._connection = connection
            channel = connection.channel()
            exchange = events_exchange(channel)
            exchange.declare()
            queue = Queue("", bindings=[binding(exchange, routing_key=key) for key in ROUTING_KEYS],
                          exclusive=True, auto_delete=True, durable=False, channel=channel)
            with Consumer(channel, queues=[queue], callbacks=[self._on_message], accept=["json"]):
                self.cache.went_live()  # bound and consuming: nothing published from now on is missed
                self.connections += 1
                self._backoff = 0.2
                log.info("session revocations: consuming from %s", queue.name)
                while not self._stopping.is_set():
                    try:
                        connection.drain_events(timeout=1)
                    except socket.timeout:
                        pass
                    connection.heartbeat_check()  # raises once the broker has been silent too long

    def _on_message(self, body, message) -> None:
        try:
            data = json.loads(body) if isinstance(body, (str, bytes)) else body
            envelope = Envelope.from_dict(data)
            self.cache.apply(message.delivery_info.get("routing_key", ""), envelope.payload)
        except (InvalidEnvelope, ValueError, KeyError, TypeError) as exc:
            # A revocation we cannot read: start over rather than keep what it meant to drop.
            log.error("session revocations: unreadable message (%s); cache cleared", exc)
            self.cache.went_live()
        message.ack()
