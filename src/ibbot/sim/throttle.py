"""Warnings about clients' junk, rate-limited: a client (or a scanner) sending garbage must not fill a disk.

Each kind of warning (a key such as "bad-request") may be logged `burst` times per `window` seconds; further
ones are counted, and the first one logged after the window has passed says how many were left out. Time is
passed in (seconds on any monotonic scale), so the throttle is a pure function of its calls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass


@dataclass(slots=True)
class _Window:
    start: float
    logged: int = 0
    suppressed: int = 0


class LogThrottle:
    """`throttle.warning(now, key, message, *args)`: log it unless `key` already logged `burst` in this window."""

    def __init__(self, logger: logging.Logger, *, burst: int = 10, window: float = 60.0) -> None:
        if burst < 1 or window <= 0:
            raise ValueError("burst must be at least 1 and window positive")
        self._log = logger
        self._burst = burst
        self._window = window
        self._windows: dict[str, _Window] = {}

    def warning(self, now: float, key: str, message: str, *args: object) -> bool:
        """Log `message % args` at WARNING if allowed; whether it was logged."""
        window = self._windows.get(key)
        if window is None or now - window.start >= self._window:
            left_out = window.suppressed if window is not None else 0
            window = self._windows[key] = _Window(start=now)
            if left_out:
                message = f"{message} (and {left_out} more like it in the previous {self._window:g} s, not logged)"
        if window.logged >= self._burst:
            window.suppressed += 1
            return False
        window.logged += 1
        self._log.warning(message, *args)
        return True

    def suppressed(self, key: str) -> int:
        """How many warnings of `key` the current window has left out."""
        window = self._windows.get(key)
        return window.suppressed if window is not None else 0
