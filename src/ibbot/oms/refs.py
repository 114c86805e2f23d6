"""ibbot's order ids (`order_ref`, carried in IB's orderRef): unique across restarts and processes, and short.

`ibb-<issue time, epoch ms in base 36>-<8 random base-32 characters>`, 21 characters with the default prefix
(IB keeps orderRef as a free string; short keeps it readable in TWS's order column). The time part makes refs
of different runs differ; the 40 random bits make two processes issuing in the same millisecond differ (one in
about a trillion). The shell seeds `rng` from the operating system's entropy; tests seed it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648's alphabet, lower case
_RANDOM_CHARS = 8
_PREFIX = re.compile(r"[a-z][a-z0-9]{0,7}")


def _base36(number: int) -> str:
    digits = []
    while True:
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
        if number == 0:
            return "".join(reversed(digits))


class OrderRefs:
    """Issues order refs (`next()`) and recognises them (`is_ours`, `issued_at`)."""

    def __init__(self, prefix: str, rng: random.Random, now_fn: Callable[[], datetime]) -> None:
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"order ref prefix {prefix!r} must be 1-8 lower-case letters and digits")
        self.prefix = prefix
        self._rng = rng
        self._now_fn = now_fn
        self._pattern = re.compile(rf"{prefix}-([0-9a-z]{{1,10}})-[{_BASE32}]{{{_RANDOM_CHARS}}}")
        self._last_ms = 0

    def next(self) -> str:
        # The time part never goes backwards within a process, even if the wall clock does.
        self._last_ms = max(self._last_ms, int(self._now_fn().timestamp() * 1000))
        noise = "".join(self._rng.choice(_BASE32) for _ in range(_RANDOM_CHARS))
        return f"{self.prefix}-{_base36(self._last_ms)}-{noise}"

    def is_ours(self, order_ref: str) -> bool:
        """Whether `order_ref` has the shape of one this prefix issues (by any process, in any run)."""
        return self._pattern.fullmatch(order_ref) is not None

    def issued_at(self, order_ref: str) -> datetime | None:
        match = self._pattern.fullmatch(order_ref)
        if match is None:
            return None
        return datetime.fromtimestamp(int(match.group(1), 36) / 1000, tz=UTC)
