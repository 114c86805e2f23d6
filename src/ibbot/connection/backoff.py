"""Jittered exponential backoff for reconnects: a validated policy and a pure stateful sequence of delays.

Delay n (from 0) is `min(cap, initial * factor**n)`, spread by a uniform jitter of +-`jitter` of itself so a fleet
of bots does not reconnect in step after a gateway restart, and clamped to `cap` again: a delay never exceeds
the cap. `reset()` after a session that got as far as READY starts the sequence again from `initial`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ibbot.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class BackoffPolicy:
    initial: float = 1.0  # seconds before the first retry
    factor: float = 2.0
    cap: float = 60.0  # the longest wait between attempts
    jitter: float = 0.2  # fraction of each delay, either way

    def __post_init__(self) -> None:
        for name in ("initial", "factor", "cap", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"backoff {name} must be a number, not {value!r}")
        if self.initial <= 0:
            raise ConfigError(f"backoff initial must be positive, not {self.initial}")
        if self.factor < 1:
            raise ConfigError(f"backoff factor must be at least 1, not {self.factor}")
        if self.cap < self.initial:
            raise ConfigError(f"backoff cap ({self.cap}) must be at least initial ({self.initial})")
        if not 0 <= self.jitter < 1:
            raise ConfigError(f"backoff jitter must be a fraction in [0, 1), not {self.jitter}")

    def base_delay(self, attempt: int) -> float:
        """The delay before retry `attempt` (from 0) without jitter."""
        if self.factor == 1:
            return self.initial
        # multiply up to the cap rather than compute factor**attempt, which overflows after weeks of retries
        delay = self.initial
        for _ in range(attempt):
            delay *= self.factor
            if delay >= self.cap:
                return self.cap
        return min(delay, self.cap)


class Backoff:
    """The delays of one run of retries; `next_delay()` for each, `reset()` once a session succeeded."""

    def __init__(self, policy: BackoffPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """How many delays were handed out since the last reset."""
        return self._attempt

    def next_delay(self) -> float:
        policy = self._policy
        base = policy.base_delay(self._attempt)
        self._attempt += 1
        spread = base * policy.jitter
        return min(policy.cap, base + self._rng.uniform(-spread, spread))

    def reset(self) -> None:
        self._attempt = 0
