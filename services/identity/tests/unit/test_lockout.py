"""NF-1 lock-out: 10 failures in 15 minutes, growing lock up to 15 minutes, reset on success."""
from datetime import timedelta

from consignations_shared.clock import FrozenClock
from identity_service.domain.lockout import (
    LockoutPolicy, ThrottleState, ip_allowed, is_locked, lock_duration, record_failure, record_success,
)


def fail(state, clock, times=1):
    started = False
    for _ in range(times):
        state, started = record_failure(state, clock.now())
    return state, started


def test_nine_failures_do_not_lock_the_tenth_does():
    clock = FrozenClock()
    state, started = fail(ThrottleState(), clock, 9)
    assert not started and not is_locked(state, clock.now())
    state, started = fail(state, clock)
    assert started and is_locked(state, clock.now())
    assert state.locked_until == clock.now() + timedelta(minutes=1)


def test_failures_older_than_fifteen_minutes_do_not_count():
    clock = FrozenClock()
    state, _ = fail(ThrottleState(), clock, 9)
    clock.advance(minutes=15)
    state, started = fail(state, clock)
    assert not started and len(state.failures) == 1


def test_lock_grows_then_caps_at_fifteen_minutes():
    assert [lock_duration(n) for n in range(1, 7)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15)]
    clock = FrozenClock()
    state, _ = fail(ThrottleState(), clock, 10)
    durations = []
    for _ in range(6):
        clock.set(state.locked_until)  # wait the lock out, then fail again
        state, started = fail(state, clock)
        assert started
        durations.append(state.locked_until - clock.now())
    assert durations == [timedelta(minutes=m) for m in (2, 4, 8, 15, 15, 15)]


def test_attempts_during_a_lock_do_not_extend_it():
    clock = FrozenClock()
    state, _ = fail(ThrottleState(), clock, 10)
    until = state.locked_until
    clock.advance(seconds=30)
    state, started = fail(state, clock, 5)
    assert not started and state.locked_until == until


def test_lock_ends_after_its_delay_and_success_resets():
    clock = FrozenClock()
    state, _ = fail(ThrottleState(), clock, 10)
    clock.advance(minutes=1)
    assert not is_locked(state, clock.now())
    assert record_success() == ThrottleState()


def test_ip_budget():
    assert ip_allowed(99) and not ip_allowed(100)


def test_twelve_quiet_hours_forget_past_locks():
    clock = FrozenClock()
    state, _ = fail(ThrottleState(), clock, 10)
    clock.advance(hours=12)
    state, started = fail(state, clock)
    assert not started and state.lock_level == 0 and len(state.failures) == 1


def test_exactly_ten_failures_in_the_window_lock_and_only_the_last_ten_are_kept():
    """The threshold at its boundary, with failures spread inside the 15 minutes, and the stored
    list bounded at 10 (the 9 previous + this one) whatever happened before."""
    clock = FrozenClock()
    state = ThrottleState()
    for n in range(9):
        state, started = record_failure(state, clock.now())
        assert not started and len(state.failures) == n + 1
        clock.advance(minutes=1)  # the 1st failure is 9 minutes old at the 10th: still counted
    state, started = record_failure(state, clock.now())
    assert started and state.lock_level == 1 and len(state.failures) == 10
    clock.advance(minutes=2)  # the lock ran out; level 1: the next failure locks again
    old = ThrottleState(failures=tuple(clock.now() - timedelta(seconds=s) for s in range(15, 0, -1)),
                        lock_level=1)
    state, started = record_failure(old, clock.now())
    assert started and len(state.failures) == 10 and state.failures[-1] == clock.now()
    assert state.failures[0] == clock.now() - timedelta(seconds=9)


def test_the_lock_follows_the_policy_given():
    clock = FrozenClock()
    policy = LockoutPolicy(threshold=3, first_lock=timedelta(minutes=5), max_lock=timedelta(minutes=30))
    state = ThrottleState()
    for _ in range(2):
        state, started = record_failure(state, clock.now(), policy)
        assert not started
    state, started = record_failure(state, clock.now(), policy)
    assert started and state.locked_until == clock.now() + timedelta(minutes=5)
    assert lock_duration(3, policy) == timedelta(minutes=20) and lock_duration(4, policy) == timedelta(minutes=30)
