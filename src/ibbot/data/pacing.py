"""The governor's pure arithmetic: the message-rate bucket, historical pacing and market-data line budgets.

Theory of operation
-------------------
Everything here takes `now` (monotonic seconds) from the caller and never sleeps, so a test can play ten
minutes of IB pacing in microseconds. The asyncio shell (`ibbot.data.governor`) asks how long to wait,
waits, then records what it sent, in that order, at the moment it sends.

* `TokenBucket`: `capacity` tokens, refilled at `rate` per second; an admission of n messages takes n.
* `HistoricalPacer`: each `HistoricalRule` of the limits is a sliding window per key (its `Scope`). A request
  sent at t counts in a window of length W (+ the pacing margin) while now < t + W, as in the simulator: at
  exactly t + W it has left. A request is allowed when, for every rule, the weight already in its key's
  window plus its own weight is at most the rule's maximum; `wait` says how long until that holds (the time
  the oldest events that must leave do leave). Only bars of `small_bar_seconds` or less (ticks: 0) are
  paced; every historical request takes one of `max_open_historical` slots until it ends.
* `LineBudget`: counts of open subscriptions per pool (lines are shared by market data and real-time bars)
  and the tick-by-tick once-per-instrument-per-15-s rule; a subscription beyond a budget is refused with
  `MarketDataLimitError` instead of being sent to meet 101, 309 or 10190.
"""

from __future__ import annotations

import enum
import itertools
import math
import re
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from ibbot.data.limits import GovernorLimits, HistoricalRule, Scope
from ibbot.errors import MarketDataLimitError


class TokenBucket:
    """Message-rate tokens; `rate` None means unlimited."""

    __slots__ = ("_last", "_tokens", "capacity", "rate")

    def __init__(self, *, rate: float | None, capacity: int, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = float(capacity)
        self._last = now

    def available(self, now: float) -> float:
        self._refill(now)
        return self._tokens

    def delay(self, count: int, now: float) -> float:
        """Seconds until `count` tokens are there (0 when they are now)."""
        if count > self.capacity:
            raise ValueError(f"{count} messages exceed the bucket's capacity of {self.capacity}")
        if self.rate is None:
            return 0.0
        self._refill(now)
        missing = count - self._tokens
        # A billionth of a token short is float noise from summing refills, not a reason to wait.
        return 0.0 if missing <= 1e-9 else missing / self.rate

    def take(self, count: int, now: float) -> None:
        if self.delay(count, now) > 0:
            raise ValueError(f"{count} tokens are not available yet")
        if self.rate is not None:
            self._tokens -= count

    def give_back(self, count: int) -> None:
        """Tokens taken for messages that were never sent (the admitted task was cancelled)."""
        if self.rate is not None:
            self._tokens = min(float(self.capacity), self._tokens + count)

    def _refill(self, now: float) -> None:
        if now > self._last and self.rate is not None:
            self._tokens = min(float(self.capacity), self._tokens + (now - self._last) * self.rate)
        self._last = max(self._last, now)


_BAR_UNITS = {"sec": 1, "secs": 1, "min": 60, "mins": 60, "hour": 3600, "hours": 3600}
_BAR_TEXT = re.compile(r"\s*(\d+)\s+([a-z]+)\s*")


def bar_seconds_of(bar_size: str) -> int | None:
    """Seconds of an IB bar size text ("30 secs", "1 min", "1 hour"); None for "1 day", weeks and months."""
    match = _BAR_TEXT.fullmatch(bar_size.lower())
    if match is None:
        raise ValueError(f"not an IB bar size: {bar_size!r}")
    count, unit = int(match[1]), match[2]
    if unit in _BAR_UNITS:
        return count * _BAR_UNITS[unit]
    if unit in ("day", "days", "week", "weeks", "month", "months", "w", "m", "d"):
        return None
    raise ValueError(f"not an IB bar size: {bar_size!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoricalRequest:
    """What pacing needs to know of one historical request, built by the caller (independent of ib_async).

    `contract` is any key of the contract (its conId); `bar_seconds` is None for daily and longer bars and 0
    for historical ticks; `parameters` is whatever else makes two requests identical (end, duration, useRTH).
    A real-time bar subscription (`realtime_bars`) counts only in the rules that say so, with weight 1.
    """

    contract: Hashable
    exchange: str
    what_to_show: str
    bar_seconds: int | None
    parameters: Hashable = ()
    realtime_bars: bool = False

    def __post_init__(self) -> None:
        # IB compares these case-insensitively; normalising once keeps the keys equal.
        object.__setattr__(self, "exchange", self.exchange.upper())
        object.__setattr__(self, "what_to_show", self.what_to_show.upper())

    @classmethod
    def for_bars(
        cls,
        *,
        contract: Hashable,
        exchange: str,
        what_to_show: str,
        bar_size: str,
        end: Hashable,
        duration: str,
        use_rth: bool = True,
    ) -> HistoricalRequest:
        """A reqHistoricalData; `end` is what the caller sends as the end ("" for now)."""
        return cls(
            contract=contract,
            exchange=exchange,
            what_to_show=what_to_show,
            bar_seconds=bar_seconds_of(bar_size),
            parameters=(end, duration.upper(), bar_size.lower(), use_rth),
        )

    @property
    def series(self) -> tuple[Hashable, str, str]:
        return (self.contract, self.exchange, self.what_to_show)

    @property
    def identity(self) -> tuple[Hashable, ...]:
        return (*self.series, self.bar_seconds, self.parameters)

    def describe(self) -> str:
        kind = "real-time bars" if self.realtime_bars else "historical request"
        bars = "daily+" if self.bar_seconds is None else f"{self.bar_seconds} s bars"
        return f"{kind} {self.what_to_show} for {self.contract!r}@{self.exchange or '-'} ({bars})"


_KEYS: dict[Scope, Callable[[HistoricalRequest], Hashable]] = {
    Scope.IDENTICAL: lambda r: r.identity,
    Scope.SERIES: lambda r: r.series,
    Scope.ALL: lambda r: None,
}


class _Window:
    """Weighted events per key in one sliding window, expired through one deque in time order."""

    __slots__ = ("_by_key", "_length", "_order", "_totals")

    def __init__(self, length: float) -> None:
        self._length = length
        self._order: deque[tuple[float, Hashable]] = deque()
        self._by_key: dict[Hashable, deque[tuple[float, int]]] = {}
        self._totals: dict[Hashable, int] = {}

    def _expire(self, now: float) -> None:
        order, by_key, totals, length = self._order, self._by_key, self._totals, self._length
        while order and order[0][0] + length <= now:
            _, key = order.popleft()
            events = by_key[key]
            left = totals[key] - events.popleft()[1]
            if events:
                totals[key] = left
            else:
                del by_key[key], totals[key]

    def wait(self, key: Hashable, weight: int, max_weight: int, now: float) -> float:
        """Seconds until `weight` more fits under `max_weight` for `key`."""
        self._expire(now)
        excess = self._totals.get(key, 0) + weight - max_weight
        if excess <= 0:
            return 0.0
        for at, w in self._by_key[key]:
            excess -= w
            if excess <= 0:
                return at + self._length - now
        return math.inf  # the request alone outweighs the rule (limits validation prevents it)

    def add(self, key: Hashable, weight: int, now: float) -> None:
        self._expire(now)
        self._order.append((now, key))
        self._by_key.setdefault(key, deque()).append((now, weight))
        self._totals[key] = self._totals.get(key, 0) + weight

    def total(self, key: Hashable, now: float) -> int:
        self._expire(now)
        return self._totals.get(key, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait:
    """How long a historical request must wait, the rule it waits longest for, and whether a shared limit
    (a rule over every request, or a 162 back-off) holds it: then no later request may pass it."""

    seconds: float
    rule: HistoricalRule | None = None
    shared: bool = False


NO_WAIT = Wait(seconds=0.0)


class HistoricalPacer:
    """IB's historical pacing as a table of sliding windows, plus the count of open requests."""

    def __init__(self, limits: GovernorLimits) -> None:
        self.limits = limits
        margin = limits.pacing_margin
        self._windows = [(rule, _Window(rule.window + margin)) for rule in limits.historical_rules]
        self._blocked_until = -math.inf
        self.open_count = 0

    def paced(self, request: HistoricalRequest) -> bool:
        """Whether the pacing rules apply: small bars, ticks, and real-time bars; not daily or long bars."""
        if request.realtime_bars:
            return True
        seconds = request.bar_seconds
        return seconds is not None and seconds <= self.limits.small_bar_seconds

    def _applicable(self, request: HistoricalRequest) -> list[tuple[HistoricalRule, _Window, int]]:
        if not self.paced(request):
            return []
        bid_ask = request.what_to_show == "BID_ASK" and not request.realtime_bars
        heavy = self.limits.bid_ask_weight if bid_ask else 1
        return [
            (rule, window, heavy if rule.weighted else 1)
            for rule, window in self._windows
            if rule.realtime_bars or not request.realtime_bars
        ]

    def wait(self, request: HistoricalRequest, now: float) -> Wait:
        longest = NO_WAIT
        shared = now < self._blocked_until
        if shared:
            longest = Wait(seconds=self._blocked_until - now, shared=True)
        for rule, window, weight in self._applicable(request):
            seconds = window.wait(_KEYS[rule.scope](request), weight, rule.max_weight, now)
            if seconds > 0 and rule.scope is Scope.ALL:
                shared = True
            if seconds > longest.seconds:
                longest = Wait(seconds=seconds, rule=rule)
        if shared and not longest.shared:
            longest = Wait(seconds=longest.seconds, rule=longest.rule, shared=True)
        return longest

    def delay(self, request: HistoricalRequest, now: float) -> float:
        """Seconds until `request` may be sent (0 when it may be now); open slots are counted apart."""
        return self.wait(request, now).seconds

    def record(self, request: HistoricalRequest, now: float) -> None:
        """`request` is being sent now: it counts in every window that applies to it."""
        for rule, window, weight in self._applicable(request):
            window.add(_KEYS[rule.scope](request), weight, now)

    def weight_in(self, rule: HistoricalRule, request: HistoricalRequest, now: float) -> int:
        """The weight already counted in `rule`'s window for `request`'s key (for metrics and tests)."""
        for candidate, window in self._windows:
            if candidate is rule:
                return window.total(_KEYS[rule.scope](request), now)
        raise KeyError(rule.name)

    def back_off(self, until: float) -> None:
        """After a 162: no historical request is allowed before `until`."""
        self._blocked_until = max(self._blocked_until, until)

    @property
    def has_slot(self) -> bool:
        cap = self.limits.max_open_historical
        return cap is None or self.open_count < cap

    def open(self) -> None:
        if not self.has_slot:
            raise ValueError(f"all {self.limits.max_open_historical} historical request slots are open")
        self.open_count += 1

    def close(self) -> None:
        if self.open_count <= 0:
            raise ValueError("no historical request is open")
        self.open_count -= 1


class LineKind(enum.Enum):
    """Subscriptions that hold one unit of a budget until cancelled."""

    MARKET_DATA = "market data"
    REALTIME_BARS = "real-time bars"
    DEPTH = "market depth"
    TICK_BY_TICK = "tick-by-tick"


# kind -> (budget's name in messages, the GovernorLimits field that sets it); lines are one shared pool.
_POOLS = {
    LineKind.MARKET_DATA: ("market-data lines", "market_data_lines"),
    LineKind.REALTIME_BARS: ("market-data lines", "market_data_lines"),
    LineKind.DEPTH: ("market-depth subscriptions", "max_depth"),
    LineKind.TICK_BY_TICK: ("tick-by-tick subscriptions", "max_tick_by_tick"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LineHandle:
    """One held subscription; give it back with `LineBudget.release`."""

    kind: LineKind
    key: Hashable
    serial: int


class LineBudget:
    """Open subscriptions per budget; refuses one that would exceed it (`MarketDataLimitError`)."""

    def __init__(self, limits: GovernorLimits) -> None:
        self.limits = limits
        self._held: set[LineHandle] = set()
        self._in_pool: dict[str, int] = {}
        self._serials = itertools.count(1)
        self._repeat = _Window((limits.tick_by_tick_repeat_window or 1.0) + limits.pacing_margin)
        self.refusals = 0

    def cap(self, kind: LineKind) -> int | None:
        cap: int | None = getattr(self.limits, _POOLS[kind][1])
        return cap

    def in_use(self, kind: LineKind) -> int:
        """Units of `kind`'s budget in use (market data and real-time bars share one)."""
        return self._in_pool.get(_POOLS[kind][1], 0)

    def counts(self) -> dict[LineKind, int]:
        """Open subscriptions of each kind."""
        counts = dict.fromkeys(LineKind, 0)
        for handle in self._held:
            counts[handle.kind] += 1
        return counts

    def delay(self, kind: LineKind, key: Hashable, now: float) -> float:
        """Seconds until a tick-by-tick request for `key` is allowed again (0 for other kinds)."""
        if kind is not LineKind.TICK_BY_TICK or self.limits.tick_by_tick_repeat_window is None:
            return 0.0
        return self._repeat.wait(key, 1, 1, now)

    def acquire(self, kind: LineKind, key: Hashable, *, now: float) -> LineHandle:
        """Take one unit of `kind`'s budget for `key`, or raise `MarketDataLimitError` naming the budget."""
        name, setting = _POOLS[kind]
        cap = self.cap(kind)
        used = self.in_use(kind)
        if cap is not None and used >= cap:
            self.refusals += 1
            raise MarketDataLimitError(
                f"{kind.value} for {key!r} refused: all {cap} {name} are in use "
                f"(governor.{setting}); cancel a subscription or raise the limit"
            )
        wait = self.delay(kind, key, now)
        if wait > 0:
            self.refusals += 1
            raise MarketDataLimitError(
                f"tick-by-tick for {key!r} refused: one request per instrument per "
                f"{self.limits.tick_by_tick_repeat_window:g} s (governor.tick_by_tick_repeat_window); "
                f"allowed again in {wait:.3g} s"
            )
        if kind is LineKind.TICK_BY_TICK and self.limits.tick_by_tick_repeat_window is not None:
            self._repeat.add(key, 1, now)
        handle = LineHandle(kind=kind, key=key, serial=next(self._serials))
        self._held.add(handle)
        self._in_pool[setting] = used + 1
        return handle

    def release(self, handle: LineHandle) -> bool:
        """Give the unit back; False if it was already released (so cleanup paths may call it twice)."""
        if handle not in self._held:
            return False
        self._held.remove(handle)
        self._in_pool[_POOLS[handle.kind][1]] -= 1
        return True
