"""The gateway's cache of resolved sessions (issue 15): used only while its revocation listener
is connected, bounded in time and size, emptied by revocations and reconnections, never filled
with an answer that may predate a revocation; and auth.current_session through it."""
import uuid

import pytest

from consignations_shared.errors import Unauthenticated
from gateway_service.app import create_app
from gateway_service.session_cache import PERSON_ACCESS_CHANGED, SESSIONS_REVOKED, SessionCache
from gateway_service.settings import GatewaySettings


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Identity:
    """resolve_session as identity answers it, counting the calls."""

    def __init__(self, sessions=None):
        self.sessions = sessions or {}
        self.calls = 0

    def add(self, token, person_id, session_id=None):
        self.sessions[token] = {"session_id": session_id or str(uuid.uuid4()), "csrf_hash": "h",
                                "person": {"id": person_id, "email": f"{person_id}@example.com"}}

    def __call__(self, token):
        self.calls += 1
        if token not in self.sessions:
            raise Unauthenticated()
        return self.sessions[token]


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(clock):
    live = SessionCache(ttl=30, max_entries=3, clock=clock)
    live.went_live()
    return live


@pytest.fixture
def identity():
    found = Identity()
    for token, person in (("t-anne", "anne"), ("t-anne-2", "anne"), ("t-bob", "bob")):
        found.add(token, person)
    return found


def test_a_live_cache_answers_again_without_identity(cache, identity):
    first = cache.resolve("t-anne", identity)
    assert cache.resolve("t-anne", identity) == first and identity.calls == 1
    cache.resolve("t-anne", identity)["person"]["email"] = "changed by a view"
    assert cache.resolve("t-anne", identity)["person"]["email"] == "anne@example.com"
    assert identity.calls == 1


def test_without_a_connected_listener_every_request_asks_identity(clock, identity):
    cache = SessionCache(ttl=30, max_entries=3, clock=clock)
    cache.resolve("t-anne", identity)
    cache.resolve("t-anne", identity)
    assert identity.calls == 2 and len(cache) == 0


def test_entries_live_at_most_the_ttl(cache, identity, clock):
    cache.resolve("t-anne", identity)
    clock.now += 29.9
    cache.resolve("t-anne", identity)
    assert identity.calls == 1
    clock.now += 0.2  # 30.1 s after it was resolved
    cache.resolve("t-anne", identity)
    assert identity.calls == 2


def test_the_least_recently_used_entry_goes_first_beyond_the_size(cache, identity):
    identity.add("t-carl", "carl")
    for token in ("t-anne", "t-bob", "t-anne-2"):
        cache.resolve(token, identity)
    cache.resolve("t-anne", identity)  # used again: t-bob is now the oldest
    cache.resolve("t-carl", identity)
    assert len(cache) == 3 and identity.calls == 4
    cache.resolve("t-anne", identity)
    assert identity.calls == 4
    cache.resolve("t-bob", identity)
    assert identity.calls == 5


def test_unauthenticated_answers_are_not_cached(cache, identity):
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            cache.resolve("t-nobody", identity)
    assert identity.calls == 2 and len(cache) == 0


def test_sessions_revoked_drops_every_session_of_the_person(cache, identity):
    for token in ("t-anne", "t-anne-2", "t-bob"):
        cache.resolve(token, identity)
    anne = identity.sessions["t-anne"]
    cache.apply(SESSIONS_REVOKED, {"person_id": "anne", "session_ids": [anne["session_id"]], "reason": "logout"})
    assert len(cache) == 1
    cache.resolve("t-bob", identity)
    assert identity.calls == 3  # bob's session is still cached
    del identity.sessions["t-anne"]
    with pytest.raises(Unauthenticated):
        cache.resolve("t-anne", identity)


def test_sessions_revoked_drops_listed_sessions_even_under_another_person_id(cache, identity):
    cache.resolve("t-bob", identity)
    bob = identity.sessions["t-bob"]
    cache.apply(SESSIONS_REVOKED, {"person_id": "someone-else", "session_ids": [bob["session_id"]],
                                   "reason": "access_deleted", "added_later": True})
    assert len(cache) == 0


def test_a_change_of_access_drops_the_persons_sessions(cache, identity):
    cache.resolve("t-anne", identity)
    cache.resolve("t-bob", identity)
    cache.apply(PERSON_ACCESS_CHANGED, {"person_id": "anne"})
    assert len(cache) == 1
    cache.resolve("t-anne", identity)
    assert identity.calls == 3


def test_an_answer_racing_a_revocation_is_not_cached(cache, identity):
    def identity_then_revoked(token):
        answer = identity(token)
        # identity answered, then the revocation arrived before the answer reached the cache
        cache.apply(SESSIONS_REVOKED, {"person_id": "anne", "session_ids": [answer["session_id"]], "reason": "logout"})
        return answer

    cache.resolve("t-anne", identity_then_revoked)
    assert len(cache) == 0
    cache.resolve("t-anne", identity)
    assert identity.calls == 2 and len(cache) == 1


def test_an_answer_racing_a_reconnection_is_not_cached(cache, identity):
    def identity_during_reconnection(token):
        cache.went_down()
        cache.went_live()
        return identity(token)

    cache.resolve("t-anne", identity_during_reconnection)
    assert len(cache) == 0


def test_losing_and_regaining_the_listener_empties_the_cache(cache, identity):
    cache.resolve("t-anne", identity)
    cache.went_down()
    cache.resolve("t-anne", identity)
    assert identity.calls == 2 and not cache.live
    cache.went_live()
    assert len(cache) == 0
    cache.resolve("t-anne", identity)
    cache.resolve("t-anne", identity)
    assert identity.calls == 3


def test_forget_drops_one_token(cache, identity):
    cache.resolve("t-anne", identity)
    cache.resolve("t-anne-2", identity)
    cache.forget("t-anne")
    assert len(cache) == 1


def test_a_ttl_of_zero_turns_the_cache_off_and_more_than_a_minute_is_refused():
    assert not SessionCache(ttl=0, max_entries=10).enabled
    assert GatewaySettings.from_env({"GATEWAY_SESSION_CACHE_TTL": "60"}).session_cache_ttl == 60
    with pytest.raises(ValueError):
        GatewaySettings.from_env({"GATEWAY_SESSION_CACHE_TTL": "61"})


# --- through auth.current_session ------------------------------------------------------------

class Rpc:
    def __init__(self, identity):
        self.identity = identity

    def call(self, service, method, *args, correlation_id=None, **kwargs):
        if (service, method) == ("identity", "resolve_session"):
            return self.identity(args[0])
        if (service, method) == ("identity", "logout"):
            return None
        raise AssertionError(f"unexpected call {service}.{method}")


@pytest.fixture
def app(identity):
    app = create_app(GatewaySettings.from_env({}), configure_logs=False)
    app.extensions["rpc"] = Rpc(identity)
    app.extensions["session_cache"].went_live()  # as when its listener is consuming
    return app


def test_requests_of_a_cached_session_need_no_call_to_identity(app, identity):
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/session", headers={"Authorization": "Bearer t-anne"}).status_code == 200
    assert identity.calls == 1


def test_the_csrf_check_still_applies_to_a_cached_cookie_session(app, identity):
    import hashlib

    identity.sessions["t-anne"]["csrf_hash"] = hashlib.sha256(b"right").hexdigest()
    client = app.test_client()
    client.set_cookie("consignations_session", "t-anne")
    assert client.get("/api/session").status_code == 200
    refused = client.post("/api/logout", headers={"X-CSRF-Token": "wrong"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert client.post("/api/logout", headers={"X-CSRF-Token": "right"}).status_code == 204
    assert identity.calls == 1
    assert len(app.extensions["session_cache"]) == 0  # this process dropped it at once


def test_a_flat_acting_person_answer_is_cached_too_and_one_without_ids_never(cache):
    flat = {"id": "anne", "session_id": "s-flat", "csrf_hash": "h", "email": "anne@example.com"}
    cache.resolve("t-flat", lambda token: flat)
    assert len(cache) == 1
    cache.apply(SESSIONS_REVOKED, {"person_id": "anne", "session_ids": ["s-flat"], "reason": "logout"})
    assert len(cache) == 0
    cache.resolve("t-anonymous", lambda token: {"csrf_hash": "h", "person": {"email": "x@example.com"}})
    assert len(cache) == 0
