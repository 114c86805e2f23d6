"""Time as a parameter: the `Clock` protocol, the wall clock, and a manual clock for tests and backtests.

Nothing else in ibbot reads the wall clock; cores take `now` values and shells ask a `Clock`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, UTC-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for intervals and rate windows)."""
        ...


class LiveClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to: `advance(seconds)` or `set(datetime)`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, moment: datetime) -> None:
        moment = moment.astimezone(UTC)
        if moment < self._now:
            raise ValueError("time does not go backwards")
        self.advance((moment - self._now).total_seconds())


class OffsetClock:
    """The wall clock's pace (or `rate` times it) from a chosen start: the simulator replaying a given day.

    `monotonic` stays the base clock's: timeouts and backoff are real seconds whatever the rate."""

    def __init__(self, start: datetime, base: Clock | None = None, *, rate: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("an OffsetClock's rate must be positive")
        self._base = base or LiveClock()
        self._start = start.astimezone(UTC)
        self._origin = self._base.now()
        self._rate = rate

    def now(self) -> datetime:
        elapsed = self._base.now() - self._origin
        return self._start + (elapsed if self._rate == 1.0 else elapsed * self._rate)

    def monotonic(self) -> float:
        return self._base.monotonic()
