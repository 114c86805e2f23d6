"""Reconnect backoff: grows by its factor, never passes the cap, jitter stays within its fraction, resets."""

from __future__ import annotations

import random

import pytest

from ibbot.connection.backoff import Backoff, BackoffPolicy
from ibbot.errors import ConfigError

POLICY = BackoffPolicy(initial=1.0, factor=2.0, cap=30.0, jitter=0.25)


def test_without_jitter_the_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(BackoffPolicy(initial=0.5, factor=2.0, cap=10.0, jitter=0.0), random.Random(1))
    assert [backoff.next_delay() for _ in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert backoff.attempt == 8


@pytest.mark.parametrize("seed", range(20))
def test_jittered_delays_stay_within_the_fraction_and_never_pass_the_cap(seed: int) -> None:
    backoff = Backoff(POLICY, random.Random(seed))
    for attempt in range(40):
        delay = backoff.next_delay()
        base = POLICY.base_delay(attempt)
        assert base * (1 - POLICY.jitter) <= delay <= min(POLICY.cap, base * (1 + POLICY.jitter))
        assert 0 < delay <= POLICY.cap


def test_delays_grow_until_the_cap_even_with_jitter() -> None:
    # with jitter 0.25 and factor 2, delay n+1 >= 1.5 * base(n) > 1.25 * base(n) >= delay n, until the cap
    backoff = Backoff(POLICY, random.Random(7))
    delays = [backoff.next_delay() for _ in range(5)]  # bases 1, 2, 4, 8, 16: all below the cap of 30
    assert delays == sorted(delays)
    assert delays[-1] >= 16 * 0.75


def test_jitter_spreads_bots_apart() -> None:
    first = [Backoff(POLICY, random.Random(seed)).next_delay() for seed in range(10)]
    assert len(set(first)) == 10


def test_the_same_seed_gives_the_same_delays() -> None:
    one, two = Backoff(POLICY, random.Random(3)), Backoff(POLICY, random.Random(3))
    assert [one.next_delay() for _ in range(10)] == [two.next_delay() for _ in range(10)]


def test_reset_starts_again_from_initial() -> None:
    backoff = Backoff(BackoffPolicy(initial=2.0, factor=3.0, cap=100.0, jitter=0.0), random.Random(1))
    for _ in range(4):
        backoff.next_delay()
    backoff.reset()
    assert backoff.attempt == 0
    assert backoff.next_delay() == 2.0


def test_weeks_of_retries_do_not_overflow() -> None:
    assert POLICY.base_delay(100_000) == POLICY.cap
    assert BackoffPolicy(initial=5.0, factor=1.0, cap=5.0, jitter=0.0).base_delay(10**9) == 5.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"initial": 0}, "initial must be positive"),
        ({"factor": 0.5}, "factor must be at least 1"),
        ({"cap": 0.5}, "cap"),
        ({"jitter": 1.0}, "jitter"),
        ({"jitter": -0.1}, "jitter"),
        ({"initial": True}, "must be a number"),
        ({"cap": "60"}, "must be a number"),
    ],
)
def test_a_bad_policy_is_a_config_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BackoffPolicy(**changes)  # type: ignore[arg-type]
