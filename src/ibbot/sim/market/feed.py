"""Live market data of the simulator: each subscribed instrument's quote and trading-day statistics, advanced
by the clock in small incremental steps.

Theory of operation
-------------------
Everything comes from the deterministic path (`ibbot.sim.market.path`), so live data and history join: at instant
s the last price is P(s), the close of the TRADES bar ending at s, and the day's volume is the exact volume
of [day start, s), the sum of those bars' volumes. `LiveBook.step(now)` moves every subscription from its
previous second to floor(now) one second at a time, adding each second's volume and notional (VWAP) and
widening the day's high and low: O(1) work per instrument per second. A step inside the same second costs a
comparison, except in a liquid market (regular hours, or any hour around the clock): there the sizes on
display move in each quarter of a second (`PHASES`, drawn per instrument, second and phase, 0.5 to 1.5 times
the second's own; prices and the second's first quote stay the path's, so tick-by-tick and history, which
carry whole seconds, agree with it), as a busy market's book does. The only heavy work, building the next
minute's 60 seconds (and, once a day, the next trading day's window), is done ahead of time in slices spread
over the steps of the current minute (`prefetch`), so no single step pays for every instrument at a minute
boundary.

The trading day (`DayWindow`) runs from the first session of a trading date to the first session of the
next, so weekends and holidays extend the last trading day (the simulator streams around the clock). The
day's open is the price at the start of its first liquid session once that has begun (before it, at the
start of the day); the previous close is the previous trading date's RTH close, the close IB reports.
On subscription the statistics of the day so far come from sampled history (`ibbot.sim.market.bars.trade_span`):
volume is exact, high and low are as a daily bar's (path points every few minutes) and then track every
second. Instruments without trades (forex) have no last price or volume; their day statistics follow P.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from ibbot.sim.instruments.calendar import ExchangeCalendar
from ibbot.sim.market import noise
from ibbot.sim.market.bar import Bar
from ibbot.sim.market.bars import SessionFilter, historical_bars
from ibbot.sim.market.model import LOTS_PER_PRINT, Minute, prints_of
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.profile import REGULAR
from ibbot.sim.market.series import BAR_SIZES, WhatToShow
from ibbot.sim.market.spans import trade_span

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_REBUILD_AFTER = 600  # seconds: a longer jump rebuilds the state from history instead of stepping
PHASES = 4  # a liquid market's displayed sizes move this many times a second (the server's 250 ms steps)
_TAG_FLICKER = 9  # noise tag of the sizes between whole seconds (the path uses 1-8)
_WINDOW_SEARCH_DAYS = 12


class Quote(NamedTuple):
    """One instrument's live state at second `time` (epoch seconds); sizes and volume in shares (contracts).

    A NamedTuple rather than a frozen dataclass: the feed builds thousands per step, and a NamedTuple is
    built three times faster while being just as immutable.
    """

    con_id: int
    time: int
    bid: float
    ask: float
    bid_size: int
    ask_size: int
    last: float | None  # None: no trades (forex)
    last_size: int
    last_time: int  # epoch seconds of the last print, 0 if none yet
    volume: int  # traded since the trading day began
    vwap: float | None
    open: float | None
    high: float | None
    low: float | None
    prev_close: float | None
    state: int  # CLOSED, EXTENDED or REGULAR (ibbot.sim.market.profile)

    @property
    def moment(self) -> datetime:
        return _EPOCH + timedelta(seconds=self.time)

    @property
    def midpoint(self) -> float:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True, kw_only=True)
class DayWindow:
    """One trading day of the live statistics, in epoch seconds."""

    trading_date: date
    start: int  # the first session of the trading date opens
    end: int  # the next trading date's first session opens
    open_at: int  # the first liquid session opens (the day's official open)
    prev_close_at: int | None  # the previous trading date's last liquid session closes


def _epoch(moment: datetime) -> int:
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds


def day_window(calendar: ExchangeCalendar, s: int) -> DayWindow:
    """The trading day epoch second s belongs to: the latest trading date whose first session began by s."""
    moment = _EPOCH + timedelta(seconds=s)
    local = calendar.local_date(moment)
    dates: list[tuple[date, int, int, int]] = []  # (date, first start, first liquid start, last liquid end)
    day = local - timedelta(days=_WINDOW_SEARCH_DAYS)
    while day <= local + timedelta(days=_WINDOW_SEARCH_DAYS):
        trading = calendar.sessions_on(day)
        liquid = calendar.sessions_on(day, liquid=True)
        if trading and liquid:
            dates.append((day, _epoch(trading[0].start), _epoch(liquid[0].start), _epoch(liquid[-1].end)))
        day += timedelta(days=1)
    index = max((i for i, d in enumerate(dates) if d[1] <= s), default=-1)
    if index < 0 or index + 1 >= len(dates):  # a calendar that never trades: one day at a time
        start = s - s % 86_400
        return DayWindow(trading_date=moment.date(), start=start, end=start + 86_400, open_at=start, prev_close_at=None)
    the_date, start, open_at, _close = dates[index]
    return DayWindow(
        trading_date=the_date,
        start=start,
        end=dates[index + 1][1],
        open_at=open_at,
        prev_close_at=dates[index - 1][3] if index > 0 else None,
    )


class _Live:
    """The mutable state of one subscription (internal to LiveBook). Prices are kept in ticks for the
    arithmetic and as floats for the quote; what a quote reads sits on this object, so building 3,000
    quotes touches as little memory as possible."""

    __slots__ = (
        "ask_sizes",
        "asks",
        "bid_sizes",
        "bids",
        "con_id",
        "event",
        "flicker_key",
        "high",
        "high_f",
        "last_size",
        "last_time",
        "lasts",
        "liquid",
        "lot",
        "low",
        "low_f",
        "minute",
        "next",
        "next_window",
        "notional",
        "open_f",
        "path",
        "phase",
        "prev_close_f",
        "previous",
        "quote",
        "refs",
        "s",
        "tick",
        "trades",
        "volume",
        "window",
    )

    def __init__(self, path: PricePath, s: int, window: DayWindow) -> None:
        self.path = path
        model = path.model
        self.con_id, self.lot, self.trades, self.tick = model.con_id, model.lot_size, model.has_trades, path.tick
        self.liquid = model.around_the_clock
        self.flicker_key = noise.tag_key(noise.stream_key(path.seed, model.con_id), _TAG_FLICKER)
        self.phase = 0
        self.refs = 1
        self.next: Minute | None = None
        self.next_window: tuple[DayWindow, float | None] | None = None
        self._reset(s, window)
        self.quote: Quote = self.make_quote()

    def _enter(self, minute: Minute) -> None:
        """Make `minute` the current one."""
        self.minute = minute
        self.bids, self.asks, self.lasts = minute.prices(self.path.price)
        self.bid_sizes, self.ask_sizes = minute.sizes()

    def _reset(self, s: int, window: DayWindow) -> None:
        """Rebuild the state at instant s from history (subscription, or a long jump of the clock)."""
        path = self.path
        price = path.price
        self.window = window
        mi = s // 60
        self._enter(path.minute(mi))
        self.previous = path.minute(mi - 1)
        first = max(window.start, mi * 60 - 86_400 * 14)  # bounded for a calendar that never trades
        if mi * 60 > first:
            span = trade_span(path, first, mi * 60, exact=False)
            self.volume, self.notional, self.high, self.low = span.lots, span.notional, span.high, span.low
        else:
            self.volume, self.notional = 0, 0.0
            self.high = self.low = self.minute.last[0]
        self.high_f, self.low_f = price(self.high), price(self.low)
        self.open_f = price(path.last_ticks(window.open_at if mi * 60 >= window.open_at else window.start))
        self.prev_close_f = None if window.prev_close_at is None else price(path.last_ticks(window.prev_close_at))
        self.last_size, self.last_time = 0, 0
        for k, lots in enumerate(self.previous.volume):
            if lots:
                self.last_size, self.last_time = lots // prints_of(lots), self.previous.start + k + 1
        self.s = mi * 60
        self._schedule(self.s)
        self.advance(s)

    def advance(self, target: int) -> None:
        """Step second by second from self.s to target (the hot path: one second per call, mostly)."""
        s = self.s
        if target - s > _REBUILD_AFTER or target < s:
            self._reset(target, day_window(self.path.model.calendar, target))
            return
        minute = self.minute
        while s < target:
            s += 1
            k = s - minute.start
            if k == 60:
                self.previous = minute
                nxt = self.next
                self._enter(nxt if nxt is not None and nxt.index == minute.index + 1 else self._build())
                minute = self.minute
                self.next = None
                k = 0
            # the second [s - 1, s) trades at P(s)
            lots = minute.volume[k - 1] if k else self.previous.volume[59]
            price = minute.last[k]
            if lots:
                self.volume += lots
                self.notional += lots * price
                self.last_size, self.last_time = lots // ((lots + LOTS_PER_PRINT - 1) // LOTS_PER_PRINT), s
            if s >= self.event:  # a new trading day, or its official open
                self._day_event(s, k)
            if price > self.high:
                self.high, self.high_f = price, self.lasts[k]
            elif price < self.low:
                self.low, self.low_f = price, self.lasts[k]
        self.s = s

    def _day_event(self, s: int, k: int) -> None:
        if s >= self.window.end:
            self._roll(s)
        if s == self.window.open_at:
            self.open_f = self.lasts[k]
        self._schedule(s)

    def _schedule(self, s: int) -> None:
        """The next instant advance must look at the trading day: its official open, or the next day."""
        window = self.window
        self.event = window.open_at if window.open_at > s else window.end

    def _build(self) -> Minute:
        return self.path.minute(self.minute.index + 1)

    def _roll(self, t: int) -> None:
        """A new trading day begins at instant t."""
        prepared = self.next_window
        if prepared is not None and prepared[0].start <= t < prepared[0].end:
            window, prev_close = prepared
        else:
            window = day_window(self.path.model.calendar, t)
            prev_close = _close_price(self.path, window)
        self.next_window = None
        k = t - self.minute.start
        self.window = window
        self.volume, self.notional = 0, 0.0
        self.high = self.low = self.minute.last[k]
        self.high_f = self.low_f = self.open_f = self.lasts[k]
        self.prev_close_f = prev_close

    def prefetch(self, windows: dict[str, DayWindow]) -> None:
        """Build the next minute (and the next trading day, when it begins then) ahead of time."""
        index = self.minute.index + 1
        if self.next is None or self.next.index != index:
            self.next = self.path.minute(index)
            self.next.sizes()  # draw now, not at the minute's first second with every other instrument
            self.next.prices(self.path.price)
        if index * 60 + 60 > self.window.end and self.next_window is None:
            window = _cached_window(windows, self.path.model.calendar, self.window.end)
            self.next_window = (window, _close_price(self.path, window))

    def flickers(self) -> bool:
        """Whether the displayed sizes move between whole seconds now (a liquid market)."""
        return self.liquid or self.minute.state == REGULAR

    def make_quote(self, phase: int = 0) -> Quote:
        """The quote at this second; in phases 1 .. PHASES - 1 of it the sizes on display move (module doc)."""
        k = self.s - self.minute.start
        lot = self.lot
        volume = self.volume
        bid_size, ask_size = self.bid_sizes[k], self.ask_sizes[k]
        if phase:
            h = noise.bits(self.flicker_key, self.s, phase)
            bid_size = max(1, (bid_size * (32 + (h & 63)) + 32) >> 6)  # x 0.5 .. 1.5, on whole lots
            ask_size = max(1, (ask_size * (32 + ((h >> 6) & 63)) + 32) >> 6)
        return Quote(  # positional: faster, in the field order
            self.con_id,
            self.s,
            self.bids[k],
            self.asks[k],
            bid_size * lot,
            ask_size * lot,
            self.lasts[k] if self.trades else None,
            self.last_size * lot,
            self.last_time,
            volume * lot,
            self.notional / volume * self.tick if volume else None,
            self.open_f,
            self.high_f,
            self.low_f,
            self.prev_close_f,
            self.minute.state,
        )


def _close_price(path: PricePath, window: DayWindow) -> float | None:
    return None if window.prev_close_at is None else path.price(path.last_ticks(window.prev_close_at))


def _cached_window(windows: dict[str, DayWindow], calendar: ExchangeCalendar, s: int) -> DayWindow:
    """Instruments sharing a calendar share its windows (a window is the same for all of them)."""
    window = windows.get(calendar.name)
    if window is None or not window.start <= s < window.end:
        window = windows[calendar.name] = day_window(calendar, s)
    return window


class LiveBook:
    """The live quotes of subscribed instruments (by conId, reference-counted), advanced by `step(now)`."""

    def __init__(self) -> None:
        self._live: dict[int, _Live] = {}
        self._order: list[_Live] = []  # round-robin order of prefetching
        self._cursor = 0
        self._last_step: datetime | None = None
        self._windows: dict[str, DayWindow] = {}

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, con_id: object) -> bool:
        return con_id in self._live

    def subscribe(self, path: PricePath, now: datetime) -> Quote:
        """Start (or share) the live state of `path`'s instrument; answers its quote at `now`."""
        con_id = path.model.con_id
        live = self._live.get(con_id)
        s = _epoch(now)
        if live is not None:
            live.refs += 1
            live.advance(s)
        else:
            window = _cached_window(self._windows, path.model.calendar, s)
            live = self._live[con_id] = _Live(path, s, window)
            self._order.append(live)
        live.quote = live.make_quote()
        return live.quote

    def unsubscribe(self, con_id: int) -> None:
        """Drop one reference; the state goes with the last one (unknown conIds are ignored)."""
        live = self._live.get(con_id)
        if live is None:
            return
        live.refs -= 1
        if live.refs <= 0:
            del self._live[con_id]
            self._order.remove(live)

    def quote(self, con_id: int) -> Quote:
        """The quote as of the last step (KeyError for an instrument not subscribed)."""
        return self._live[con_id].quote

    def step(self, now: datetime) -> list[Quote]:
        """Advance every subscription to `now`; answers the new quotes of those that moved to a new second
        (sizes change about every second, so a moved quote is a changed one) or, in a liquid market, to a new
        phase of it (the sizes on display move), in subscription order."""
        s = _epoch(now)
        phase = now.microsecond * PHASES // 1_000_000
        changed: list[Quote] = []
        append = changed.append
        moved = False
        for live in self._order:
            if live.s != s:
                live.advance(s)
                live.phase = phase
                live.quote = quote = live.make_quote(phase if live.flickers() else 0)
                append(quote)
                moved = True
            elif live.phase != phase:
                live.phase = phase
                if live.flickers():
                    live.quote = quote = live.make_quote(phase)
                    append(quote)
        interval = 0.25 if self._last_step is None else (now - self._last_step).total_seconds()
        self._last_step = now
        # Prefetch in the steps that moved no second when there are such steps (cadence under a second).
        if not moved or interval >= 1.0 or now.second >= 55:
            self._prefetch(now, max(interval, 0.01) * (1.0 if interval >= 1.0 else 4 / 3))
        return changed

    def _prefetch(self, now: datetime, interval: float) -> None:
        """Prepare a slice of next minutes, sized so the whole book is ready well before the minute ends."""
        if not self._order:
            return
        steps_left = max(1.0, (55 - now.second) / interval)  # finish about 5 s before the minute ends
        count = min(len(self._order), math.ceil(len(self._order) / steps_left))
        for _ in range(count):
            self._cursor %= len(self._order)
            self._order[self._cursor].prefetch(self._windows)
            self._cursor += 1


def snapshot(path: PricePath, now: datetime) -> Quote:
    """The quote of `path`'s instrument at `now` without a subscription (reqMktData snapshots)."""
    s = _epoch(now)
    return _Live(path, s, day_window(path.model.calendar, s)).make_quote()


def realtime_bar(
    path: PricePath,
    start: datetime,
    *,
    what: WhatToShow = WhatToShow.TRADES,
    sessions: SessionFilter = SessionFilter.ALWAYS,
) -> Bar | None:
    """The 5-second bar starting at `start` (reqRealTimeBars, message 50): the 5-second historical bar, so
    real-time and historical bars agree. None outside the sessions asked for (or a start off the grid)."""
    found = historical_bars(
        path, start=start, end=start + timedelta(seconds=5), bar_size=BAR_SIZES["5 secs"], what=what, sessions=sessions
    )
    return found[0] if found and found[0].start == start else None
