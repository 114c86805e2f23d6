"""IB's limits as pure rules: message rate, historical pacing, market-data lines, depth and tick-by-tick.

Theory of operation
-------------------
Every rule is arithmetic on the `now` values the caller passes in (the simulator's clock, UTC-aware), so tests
play minutes of IB behaviour in microseconds. State is split by the scope TWS keeps it in:

* `ClientPacing`, one per API connection: the 50 messages/s rate (error 100, then a disconnect after
  repeated violations) and the client's own ticker ids (102 duplicate, 300 unknown cancel).
* `ServerPacing`, one per simulated TWS, shared by its clients because IB counts per user: market-data
  lines (101), depth (309), tick-by-tick (10190), historical pacing for bars of 30 s or less (162), real-time
  bars in the same 10-minute budget (420) and the 50 open historical requests (322).

A check answers a `Verdict`: proceed, warn (send the notice, then serve), reject (send the error, do not serve)
or disconnect. A request that is rejected is not recorded: it was not served, so it does not count against
later ones. Windows are deques of (time, weight) with running sums; each call first drops what left the
window, so a call is O(1) amortised. An event at `t` counts inside a window of length `W` while
`now < t + W`: a request exactly `W` after another is no longer "within" it.

Market-data permissions (354, 10167) are in `ibbot.sim.permissions`, configured by `Limits.subscriptions`.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Protocol

from ibbot.errors import ConfigError
from ibbot.sim.errors import HMDS_PREFIX
from ibbot.sim.market.series import BarSize, WhatToShow

_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Every limit the simulator enforces; `None` switches a rule off. Defaults are IB's."""

    # Message rate (error 100): more than this many messages in any second from one client.
    max_messages_per_second: int | None = 50
    # ... and this many violations within `rate_violation_window` closes the connection.
    rate_violations_to_disconnect: int | None = 3
    rate_violation_window: timedelta = timedelta(seconds=60)
    # Historical pacing (error 162) applies to bars of this many seconds or less.
    small_bar_seconds: int = 30
    identical_request_window: timedelta | None = timedelta(seconds=15)
    same_contract_window: timedelta = timedelta(seconds=2)
    same_contract_max: int | None = 5  # IB: "six or more ... within two seconds" is a violation
    historical_window: timedelta = timedelta(minutes=10)
    historical_max_in_window: int | None = 60
    bid_ask_weight: int = 2  # "when BID_ASK historical data is requested, each request is counted twice"
    max_open_historical: int | None = 50  # every bar size
    # Streams.
    max_market_data_lines: int | None = 100  # reqMktData and reqRealTimeBars
    max_depth: int | None = 3
    max_tick_by_tick: int | None = 3
    tick_by_tick_repeat_window: timedelta | None = timedelta(seconds=15)  # per instrument
    # Market-data permissions: None = every class subscribed; else entries "STK" (any exchange) or "STK@NYSE".
    subscriptions: frozenset[str] | None = None
    delayed_data_available: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int) and value < (0 if f.name == "small_bar_seconds" else 1):
                raise ConfigError(f"limits: {f.name} must be positive, got {value}")
            if isinstance(value, timedelta) and value <= timedelta(0):
                raise ConfigError(f"limits: {f.name} must be a positive duration, got {value}")
        if self.subscriptions is not None:
            object.__setattr__(self, "subscriptions", frozenset(s.upper() for s in self.subscriptions))

    @classmethod
    def unlimited(cls) -> Limits:
        """Every limit off (benchmarks, tests of other parts)."""
        return cls(
            max_messages_per_second=None,
            rate_violations_to_disconnect=None,
            identical_request_window=None,
            same_contract_max=None,
            historical_max_in_window=None,
            max_open_historical=None,
            max_market_data_lines=None,
            max_depth=None,
            max_tick_by_tick=None,
            tick_by_tick_repeat_window=None,
        )


class Action(enum.Enum):
    PROCEED = "proceed"  # serve the request; nothing to send
    WARN = "warn"  # send the error as a notice, then serve the request
    REJECT = "reject"  # send the error; do not serve the request
    DISCONNECT = "disconnect"  # send the error, then close the connection


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What to do with one message or request: an action and, unless PROCEED, IB's error code and text."""

    action: Action = Action.PROCEED
    code: int = 0
    text: str = ""

    @property
    def ok(self) -> bool:
        """The request is served (PROCEED or WARN)."""
        return self.action is Action.PROCEED or self.action is Action.WARN

    @property
    def disconnect(self) -> bool:
        return self.action is Action.DISCONNECT


OK = Verdict()


def _reject(code: int, text: str) -> Verdict:
    return Verdict(action=Action.REJECT, code=code, text=text)


# IB's texts. 162 is the historical service's code; its texts start with HMDS_PREFIX.
PACING_VIOLATION = HMDS_PREFIX + "Historical data request pacing violation"
REALTIME_PACING_VIOLATION = "Invalid Real-time Query:Historical data request pacing violation"
# IB's documentation gives no code for the 51st open request; TWS answers 322 ("Error processing request")
# with this cause, as users report it. The two letters after "-" are an internal TWS token.
TOO_MANY_OPEN_HISTORICAL = (
    "Error processing request:-'bS' : cause - Only {max} simultaneous API historical data requests allowed."
)
DUPLICATE_HISTORICAL_ID = "Error processing request:-'bS' : cause - Duplicate ticker ID for API historical data query"
MAX_TICKERS = "Max number of tickers has been reached"
DUPLICATE_TICKER = "Duplicate ticker id"
UNKNOWN_TICKER = "Can't find EId with tickerId:{req_id}"
MAX_DEPTH = "Max number ({max}) of market depth requests has been reached"
MAX_TICK_BY_TICK = "Max number of tick-by-tick requests has been reached."


class _Window:
    """Weighted events in a sliding window; `total` is the weight of the events still inside."""

    __slots__ = ("_events", "_length", "total")

    def __init__(self, length: timedelta) -> None:
        self._length = length
        self._events: deque[tuple[datetime, int]] = deque()
        self.total = 0

    def expire(self, now: datetime) -> None:
        edge = now - self._length
        events = self._events
        while events and events[0][0] <= edge:
            self.total -= events.popleft()[1]

    def add(self, now: datetime, weight: int = 1) -> None:
        events = self._events
        if events and events[-1][0] == now:  # a burst at one instant is one entry: floods stay small
            events[-1] = (now, events[-1][1] + weight)
        else:
            events.append((now, weight))
        self.total += weight


class _KeyedWindow:
    """Per-key weighted totals over one sliding window, expired through one shared deque."""

    __slots__ = ("_events", "_length", "_totals")

    def __init__(self, length: timedelta) -> None:
        self._length = length
        self._events: deque[tuple[datetime, Hashable, int]] = deque()
        self._totals: dict[Hashable, int] = {}

    def expire(self, now: datetime) -> None:
        edge = now - self._length
        events, totals = self._events, self._totals
        while events and events[0][0] <= edge:
            _, key, weight = events.popleft()
            left = totals[key] - weight
            if left:
                totals[key] = left
            else:
                del totals[key]  # keeps the dict as small as the window

    def total(self, key: Hashable) -> int:
        return self._totals.get(key, 0)

    def add(self, now: datetime, key: Hashable, weight: int = 1) -> None:
        self._events.append((now, key, weight))
        self._totals[key] = self._totals.get(key, 0) + weight


class ValidQuery(Protocol):
    """What pacing reads of a validated reqHistoricalData (`ibbot.sim.history.rules.HistoricalQuery`)."""

    @property
    def end(self) -> datetime: ...

    @property
    def end_given(self) -> bool: ...

    @property
    def duration(self) -> Hashable: ...

    @property
    def bar_size(self) -> BarSize: ...

    @property
    def what_to_show(self) -> WhatToShow: ...

    @property
    def use_rth(self) -> bool: ...

    @property
    def keep_up_to_date(self) -> bool: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoricalKey:
    """What pacing needs to know of a reqHistoricalData (or reqHistoricalTicks, with bar_seconds 0).

    `instrument` is any key of the contract (its conId); `parameters` holds whatever else makes two requests
    identical (end, duration, bar size, useRTH, ...). `bar_seconds` is None for daily and longer bars.
    """

    instrument: Hashable
    exchange: str
    what_to_show: str
    bar_seconds: int | None
    parameters: Hashable = ()

    @classmethod
    def for_query(cls, query: ValidQuery, *, instrument: Hashable, exchange: str) -> HistoricalKey:
        """The key of a validated reqHistoricalData; requests for "now" with equal fields are identical."""
        end = query.end if query.end_given else None
        return cls(
            instrument=instrument,
            exchange=exchange,
            what_to_show=query.what_to_show.value,
            bar_seconds=query.bar_size.seconds,
            parameters=(end, query.duration, query.bar_size, query.use_rth, query.keep_up_to_date),
        )


class StreamKind(enum.Enum):
    """Subscriptions that hold a ticker id until cancelled."""

    MARKET_DATA = "market data"
    REALTIME_BARS = "real-time bars"
    DEPTH = "market depth"
    TICK_BY_TICK = "tick-by-tick"


class ServerPacing:
    """The limits IB keeps per user: shared by every client of one simulated TWS."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.lines_open = 0
        self.depth_open = 0
        self.tick_by_tick_open = 0
        self._open_historical: set[Hashable] = set()
        self._identical = _KeyedWindow(limits.identical_request_window or _SECOND)
        self._same_contract = _KeyedWindow(limits.same_contract_window)
        self._historical = _Window(limits.historical_window)
        self._tick_by_tick_recent = _KeyedWindow(limits.tick_by_tick_repeat_window or _SECOND)

    @property
    def open_historical(self) -> int:
        return len(self._open_historical)

    def begin_historical(self, handle: Hashable, key: HistoricalKey, now: datetime) -> Verdict:
        """Admit a historical request (and count it) or say why not; `handle` names it until `end_historical`."""
        limits = self.limits
        if handle in self._open_historical:
            return _reject(322, DUPLICATE_HISTORICAL_ID)
        if limits.max_open_historical is not None and len(self._open_historical) >= limits.max_open_historical:
            return _reject(322, TOO_MANY_OPEN_HISTORICAL.format(max=limits.max_open_historical))
        if key.bar_seconds is not None and key.bar_seconds <= limits.small_bar_seconds:
            weight = limits.bid_ask_weight if key.what_to_show.upper() == "BID_ASK" else 1
            series = (key.instrument, key.exchange.upper(), key.what_to_show.upper())
            identity = (*series, key.bar_seconds, key.parameters)
            if self._paced(now, series, identity, weight):
                return _reject(162, PACING_VIOLATION)
            self._identical.add(now, identity)
            self._same_contract.add(now, series, weight)
            self._historical.add(now, weight)
        self._open_historical.add(handle)
        return OK

    def _paced(self, now: datetime, series: Hashable, identity: Hashable, weight: int) -> bool:
        """Whether a small-bar request now would break one of IB's three pacing rules."""
        limits = self.limits
        self._identical.expire(now)
        self._same_contract.expire(now)
        self._historical.expire(now)
        if limits.identical_request_window is not None and self._identical.total(identity):
            return True
        if (
            limits.same_contract_max is not None
            and self._same_contract.total(series) + weight > limits.same_contract_max
        ):
            return True
        cap = limits.historical_max_in_window
        return cap is not None and self._historical.total + weight > cap

    def end_historical(self, handle: Hashable) -> None:
        """The request finished, failed or was cancelled (a keepUpToDate request stays open until cancelled)."""
        self._open_historical.discard(handle)

    def open_realtime_bars(self, now: datetime) -> Verdict:
        """A real-time bar subscription takes a line and a place in the 10-minute historical budget."""
        verdict = self._open_line()
        if not verdict.ok:
            return verdict
        cap = self.limits.historical_max_in_window
        self._historical.expire(now)
        if cap is not None and self._historical.total + 1 > cap:
            self.lines_open -= 1
            return _reject(420, REALTIME_PACING_VIOLATION)
        self._historical.add(now)
        return OK

    def open_market_data(self) -> Verdict:
        return self._open_line()

    def _open_line(self) -> Verdict:
        cap = self.limits.max_market_data_lines
        if cap is not None and self.lines_open >= cap:
            return _reject(101, MAX_TICKERS)
        self.lines_open += 1
        return OK

    def open_depth(self) -> Verdict:
        cap = self.limits.max_depth
        if cap is not None and self.depth_open >= cap:
            return _reject(309, MAX_DEPTH.format(max=cap))
        self.depth_open += 1
        return OK

    def open_tick_by_tick(self, instrument: Hashable, now: datetime) -> Verdict:
        limits = self.limits
        if limits.max_tick_by_tick is not None and self.tick_by_tick_open >= limits.max_tick_by_tick:
            return _reject(10190, MAX_TICK_BY_TICK)
        if limits.tick_by_tick_repeat_window is not None:
            self._tick_by_tick_recent.expire(now)
            if self._tick_by_tick_recent.total(instrument):
                # IB documents the 15-second rule without naming its error; TWS's tick-by-tick refusal
                # (10190) is the answer a client already handles.
                return _reject(10190, MAX_TICK_BY_TICK)
            self._tick_by_tick_recent.add(now, instrument)
        self.tick_by_tick_open += 1
        return OK

    def release(self, kind: StreamKind) -> None:
        if kind is StreamKind.DEPTH:
            self.depth_open -= 1
        elif kind is StreamKind.TICK_BY_TICK:
            self.tick_by_tick_open -= 1
        else:
            self.lines_open -= 1


class _MessageRate:
    """Error 100 at most once a second while a client sends faster than the cap.

    The cap is a token bucket (capacity and refill both `max_messages_per_second`), not a sliding count of
    arrivals: a client pacing itself by send time (ib_async: 45 in any second) must not be punished for
    network jitter bunching two of its seconds together on arrival, which a sliding window would do.
    """

    __slots__ = ("_cap", "_last", "_last_report", "_recent", "_to_disconnect", "_tokens", "_violations")

    def __init__(self, limits: Limits) -> None:
        self._cap = limits.max_messages_per_second
        self._to_disconnect = limits.rate_violations_to_disconnect
        self._recent = _Window(_SECOND)  # only for the "rec=N" of the text, as TWS reports it
        self._violations = _Window(limits.rate_violation_window)
        self._last_report: datetime | None = None
        self._tokens = float(self._cap or 0)
        self._last: datetime | None = None

    def check(self, now: datetime) -> Verdict:
        cap = self._cap
        if cap is None:
            return OK
        recent = self._recent
        recent.expire(now)
        recent.add(now)
        if self._last is not None:
            self._tokens = min(float(cap), self._tokens + (now - self._last).total_seconds() * cap)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return OK
        if self._last_report is not None and now - self._last_report < _SECOND:
            return OK  # this second's violation is already reported
        self._last_report = now
        self._violations.expire(now)
        self._violations.add(now)
        count = self._violations.total
        text = f"Max rate of messages per second has been exceeded:max={self._cap} rec={recent.total} ({count})"
        if self._to_disconnect is not None and count >= self._to_disconnect:
            return Verdict(action=Action.DISCONNECT, code=100, text=text)
        # TWS still handles the message; it only warns until it gives up on the client.
        return Verdict(action=Action.WARN, code=100, text=text)


class ClientPacing:
    """One API connection's limits; global counts go to the shared `ServerPacing`."""

    def __init__(self, server: ServerPacing) -> None:
        self.server = server
        self._rate = _MessageRate(server.limits)
        self._streams: dict[tuple[StreamKind, int], Hashable] = {}
        self._historical: set[int] = set()

    def check_message(self, now: datetime) -> Verdict:
        """Call once per incoming message, before handling it."""
        return self._rate.check(now)

    def open_market_data(self, req_id: int, instrument: Hashable, now: datetime) -> Verdict:
        return self._open(StreamKind.MARKET_DATA, req_id, instrument, now)

    def open_realtime_bars(self, req_id: int, instrument: Hashable, now: datetime) -> Verdict:
        return self._open(StreamKind.REALTIME_BARS, req_id, instrument, now)

    def open_depth(self, req_id: int, instrument: Hashable, now: datetime) -> Verdict:
        return self._open(StreamKind.DEPTH, req_id, instrument, now)

    def open_tick_by_tick(self, req_id: int, instrument: Hashable, now: datetime) -> Verdict:
        return self._open(StreamKind.TICK_BY_TICK, req_id, instrument, now)

    def _open(self, kind: StreamKind, req_id: int, instrument: Hashable, now: datetime) -> Verdict:
        if (kind, req_id) in self._streams:
            return _reject(102, DUPLICATE_TICKER)
        server = self.server
        if kind is StreamKind.MARKET_DATA:
            verdict = server.open_market_data()
        elif kind is StreamKind.REALTIME_BARS:
            verdict = server.open_realtime_bars(now)
        elif kind is StreamKind.DEPTH:
            verdict = server.open_depth()
        else:
            verdict = server.open_tick_by_tick(instrument, now)
        if verdict.ok:
            self._streams[(kind, req_id)] = instrument
        return verdict

    def close_market_data(self, req_id: int) -> Verdict:
        return self._close(StreamKind.MARKET_DATA, req_id)

    def close_realtime_bars(self, req_id: int) -> Verdict:
        return self._close(StreamKind.REALTIME_BARS, req_id)

    def close_depth(self, req_id: int) -> Verdict:
        return self._close(StreamKind.DEPTH, req_id)

    def close_tick_by_tick(self, req_id: int) -> Verdict:
        return self._close(StreamKind.TICK_BY_TICK, req_id)

    def _close(self, kind: StreamKind, req_id: int) -> Verdict:
        """Free the subscription; a cancel of an id the client does not hold is 300."""
        if (kind, req_id) not in self._streams:
            return _reject(300, UNKNOWN_TICKER.format(req_id=req_id))
        del self._streams[(kind, req_id)]
        self.server.release(kind)
        return OK

    def is_open(self, kind: StreamKind, req_id: int) -> bool:
        return (kind, req_id) in self._streams

    def check_historical(self, req_id: int, key: HistoricalKey, now: datetime) -> Verdict:
        """Admit (and count) a historical request, or say why not; it stays open until `finish_historical`."""
        verdict = self.server.begin_historical((self, req_id), key, now)
        if verdict.ok:
            self._historical.add(req_id)
        return verdict

    def finish_historical(self, req_id: int) -> None:
        """The request ended, failed or was cancelled (keepUpToDate ones stay open until cancelled)."""
        if req_id in self._historical:
            self._historical.discard(req_id)
            self.server.end_historical((self, req_id))

    def close_all(self) -> None:
        """The connection is gone: give back every line and open request it held."""
        for kind, _ in self._streams:
            self.server.release(kind)
        self._streams.clear()
        for req_id in self._historical:
            self.server.end_historical((self, req_id))
        self._historical.clear()
