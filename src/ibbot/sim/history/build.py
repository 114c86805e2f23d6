"""The bars of a historical request, as pure functions: bar sources (a price path, or an option over its
underlying), bars as the wire carries them, and requests computed a slice at a time (`BarJob`).

Theory of operation
-------------------
A `BarSource` answers the bars of any window [start, end); the service asks it for a whole request and
then, for keepUpToDate, for the window of the bar still forming. Options have no path of their own: their
MIDPOINT, BID, ASK and BID_ASK bars are the option model's quotes (Black-Scholes on the smile, as the live
option quotes) at the open, high, low and close of the underlying's midpoint bar, at the bar's start. Option
TRADES are IB's "no data" (the simulator prints no option trades).

Big requests are computed in slices so one client asking for eleven months of 30-minute bars does not stall
every other client: the window is cut where no bar straddles the cut (local midnight for intraday bars, whose
grid starts at local midnight; the first session of a day, ISO week or month for longer bars) and each piece
is priced in work units that approximate microseconds of `ibbot.sim.market.bars` for this kind of bar
(`slice_cost`, measured once; no clock is read); `advance` computes as many slices as its budget allows in
one call (their union: the same bars), as a call has a fixed cost of its own. The slices give exactly the
bars of the whole window (tested), except ADJUSTED_LAST, whose scaling depends on the window's end, which is
one slice. (In 24-hour
mode a window spanning a daylight-saving change aligns 2- to 8-hour bars to the local clock per day when
sliced, where `historical_bars` keeps the window start's offset; bars of an hour or less are the same.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from itertools import pairwise

import numpy as np

from ibbot.protocol.types import Bar as WireBar
from ibbot.protocol.types import BarColumns, fast_constructor
from ibbot.sim.history.window import format_bar_time, zone_label
from ibbot.sim.instruments.calendar import ExchangeCalendar
from ibbot.sim.market.bar import Bar
from ibbot.sim.market.bars import SessionFilter, historical_table
from ibbot.sim.market.options import option_quote
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.series import BarSize, BarUnit, WhatToShow
from ibbot.sim.market.spans import GRID_SPAN, grid_steps
from ibbot.sim.market.table import EMPTY, BarTable
from ibbot.sim.market.tree import grid_nodes

BarSource = Callable[[datetime, datetime], BarTable]
_SECONDS_PER_YEAR = 365.25 * 86_400
_EPOCH_DAY = date(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- sources ---------------------------------------------------------------------------------------------


def path_source(path: PricePath, *, bar_size: BarSize, what: WhatToShow, sessions: SessionFilter) -> BarSource:
    def bars(start: datetime, end: datetime) -> BarTable:
        return historical_table(path, start=start, end=end, bar_size=bar_size, what=what, sessions=sessions)

    return bars


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionTerms:
    """What the option model needs besides the underlying's price (the live quotes use the same)."""

    right: str
    strike: float
    expires: datetime  # UTC-aware
    atm_vol: float
    rate: float


OPTION_SERIES = frozenset({WhatToShow.MIDPOINT, WhatToShow.BID, WhatToShow.ASK, WhatToShow.BID_ASK})


def option_source(
    under: PricePath, terms: OptionTerms, *, bar_size: BarSize, what: WhatToShow, sessions: SessionFilter
) -> BarSource:
    """Bars of an option's quote series from its underlying's midpoint bars (module doc)."""
    if what not in OPTION_SERIES:
        raise ValueError(f"options have no {what.value} bars here")
    base = path_source(under, bar_size=bar_size, what=WhatToShow.MIDPOINT, sessions=sessions)

    def bars(start: datetime, end: datetime) -> BarTable:
        return BarTable.of_bars([option_bar(bar, terms, what) for bar in base(start, end).bars()])

    return bars


def option_bar(under: Bar, terms: OptionTerms, what: WhatToShow) -> Bar:
    years = max((terms.expires - under.start).total_seconds() / _SECONDS_PER_YEAR, 1.0 / _SECONDS_PER_YEAR)
    quotes = [
        option_quote(terms.right, spot=spot, strike=terms.strike, years=years, atm_vol=terms.atm_vol, rate=terms.rate)
        for spot in (under.open, under.high, under.low, under.close)
    ]
    bids = [q.bid for q in quotes]
    asks = [q.ask for q in quotes]
    if what is WhatToShow.BID_ASK:
        ohlc = (bids[0], max(asks), min(bids), asks[3])
    else:
        series = {WhatToShow.BID: bids, WhatToShow.ASK: asks}.get(what) or [
            (b + a) / 2 for b, a in zip(bids, asks, strict=True)
        ]
        ohlc = (series[0], max(series), min(series), series[3])
    o, h, low, c = (round(v, 4) for v in ohlc)
    return Bar(start=under.start, open=o, high=h, low=low, close=c, trading_date=under.trading_date)


# --- bars on the wire ------------------------------------------------------------------------------------


def wire_bar(bar: Bar, *, bar_size: BarSize, format_date: int, zone: tzinfo, lot: int = 1) -> WireBar:
    """A bar as historicalData carries it; `lot` divides the volume (100: US stocks before server 175)."""
    volume = bar.volume // lot if bar.volume >= 0 else -1
    return WireBar(
        date=format_bar_time(bar.start, bar_size=bar_size, format_date=format_date, zone=zone),
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=Decimal(volume),
        wap=Decimal(repr(bar.wap)),
        bar_count=bar.count,
    )


_build_wire_bar = fast_constructor(WireBar)


class WireBars:
    """`wire_bar` for every bar of one answer, several times faster: the zone's offset is looked up once an
    hour (zones change offset on whole hours, and quarters), the local date follows from it by arithmetic and
    its text is made once a day, the time of day's text once per distinct time (same texts, tested)."""

    def __init__(self, *, bar_size: BarSize, format_date: int, zone: tzinfo, lot: int = 1) -> None:
        self._bar_size, self._format_date, self._zone, self._lot = bar_size, format_date, zone, lot
        self._epoch_text = bar_size.intraday and format_date == 2
        self._label = f" {zone_label(zone)}"
        self._hour: int | None = None  # the UTC hour whose offset is in hand
        self._offset = 0
        self._days: dict[int, str] = {}  # local day number -> its text ("YYYYMMDD ", no space for daily bars)
        self._clocks: dict[int, str] = {}  # local seconds of the day -> "HH:MM:SS <zone>"

    def __call__(self, bar: Bar) -> WireBar:
        lot = self._lot
        volume = bar.volume // lot if bar.volume >= 0 else -1
        return _build_wire_bar(
            date=self._date(bar.start), open=bar.open, high=bar.high, low=bar.low, close=bar.close,
            volume=Decimal(volume), wap=Decimal(repr(bar.wap)), bar_count=bar.count,
        )  # fmt: skip

    def columns(self, table: BarTable) -> BarColumns:
        """`self(bar)` of every bar of `table`, as columns (the same texts; no object per bar)."""
        lot = self._lot
        volume = table.volume if lot == 1 else [v // lot if v >= 0 else -1 for v in table.volume]
        return BarColumns(
            date=tuple(self._dates(table.start)),
            open=tuple(table.open),
            high=tuple(table.high),
            low=tuple(table.low),
            close=tuple(table.close),
            volume=tuple(volume),
            wap=tuple(table.wap),
            bar_count=tuple(table.count),
        )

    def _dates(self, starts: Sequence[int]) -> list[str]:
        """`_date` of every start (epoch seconds, ascending), its intraday case by arrays: the zone's offset is
        read once a UTC day unless it changes within the day (then once an hour, as `_date`), each local day's
        text and each time of day's once."""
        if self._epoch_text:  # formatDate 2: the start's epoch seconds
            return list(map(str, starts))
        if not self._bar_size.intraday or not len(starts):
            return [self._date(_EPOCH + timedelta(seconds=s)) for s in starts]
        s = np.asarray(starts, dtype=np.int64)
        offsets = np.zeros(len(s), dtype=np.int64)
        days, first = np.unique(s // 86_400, return_index=True)
        bounds = [*first.tolist(), len(s)]
        for k, day in enumerate(days.tolist()):
            a, b = bounds[k], bounds[k + 1]
            at_start, at_end = self._offset_at(day * 86_400), self._offset_at(day * 86_400 + 86_399)
            if at_start == at_end:
                offsets[a:b] = at_start
                continue
            hours = s[a:b] // 3600
            for h in np.unique(hours).tolist():  # a change of offset within the day: hour by hour
                offsets[a:b][hours == h] = self._offset_at(int(s[a:b][hours == h][0]))
        local_day, seconds = np.divmod(s + offsets, 86_400)
        day_list, day_of = np.unique(local_day, return_inverse=True)
        clock_list, clock_of = np.unique(seconds, return_inverse=True)
        day_texts = [f"{_EPOCH_DAY + timedelta(days=d):%Y%m%d} " for d in day_list.tolist()]
        label = self._label
        clocks = [f"{c // 3600:02d}:{c % 3600 // 60:02d}:{c % 60:02d}{label}" for c in clock_list.tolist()]
        return [day_texts[d] + clocks[c] for d, c in zip(day_of.tolist(), clock_of.tolist(), strict=True)]

    def _offset_at(self, s: int) -> int:
        found = (_EPOCH + timedelta(seconds=s)).astimezone(self._zone).utcoffset()
        return int(found.total_seconds()) if found is not None else 0

    def _date(self, start: datetime) -> str:
        s = int(start.timestamp())
        if self._epoch_text:
            return str(s)
        if s // 3600 != self._hour:
            self._hour = s // 3600
            offset = start.astimezone(self._zone).utcoffset()
            self._offset = int(offset.total_seconds()) if offset is not None else 0
        day, seconds = divmod(s + self._offset, 86_400)
        day_text = self._days.get(day)
        if day_text is None:
            local_day = _EPOCH_DAY + timedelta(days=day)
            day_text = self._days[day] = f"{local_day:%Y%m%d} " if self._bar_size.intraday else f"{local_day:%Y%m%d}"
        if not self._bar_size.intraday:
            return day_text
        clock = self._clocks.get(seconds)
        if clock is None:
            hours, rest = divmod(seconds, 3600)
            clock = self._clocks[seconds] = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{self._label}"
        return day_text + clock


# --- slices ----------------------------------------------------------------------------------------------


# Work units are about microseconds of `ibbot.sim.market.bars` on a cold path (nothing drawn before), measured
# on a 2-core machine (2026-12): what a request pays per call, per UTC day whose grids it draws, per minute of
# window and per bar.
CALL_COST = 1_500.0  # a call's fixed part: the bars' arrays, a batch of grid days
_GRID_NODE_COST = 0.5  # per node of a day's grid: its normal draw (a half of Box-Muller) and exp
_GRID_BAR_COST = 1.5
_DAY_COST = 70.0  # daily and longer bars, per trading day: its session's points and its bar
_SECONDS_COST = {1: 600.0, 59: 150.0, GRID_SPAN - 1: 30.0}  # per minute, by the largest bar size (seconds)


def slice_cost(
    calendar: ExchangeCalendar, start: datetime, end: datetime, *, bar_size: BarSize, sessions: SessionFilter
) -> float:
    """Work units of the bars of [start, end) (module doc), without the call's own (`CALL_COST`)."""
    seconds = bar_size.seconds
    if seconds is None:
        first, last = calendar.local_date(start), calendar.local_date(end)
        return _DAY_COST * sum(
            calendar.is_trading_day(first + timedelta(days=k)) for k in range((last - first).days + 1)
        )
    if seconds < GRID_SPAN:
        rate = next(cost for longest, cost in _SECONDS_COST.items() if seconds <= longest)
        return rate * _covered_minutes(calendar, start, end, sessions)
    step, _volume = grid_steps(0, seconds)
    days = (end - start).total_seconds() / 86_400  # each UTC day is drawn whole: a call's first one is its own
    bars = _covered_minutes(calendar, start, end, sessions) * 60 / seconds
    return _GRID_NODE_COST * len(grid_nodes(step)) * days + _GRID_BAR_COST * bars


def _first_session(calendar: ExchangeCalendar, day: date, sessions: SessionFilter) -> datetime | None:
    found = calendar.sessions_on(day, liquid=sessions is SessionFilter.LIQUID)
    return found[0].start if found else None


def _group_key(day: date, unit: BarUnit) -> tuple[int, int]:
    if unit is BarUnit.WEEK:
        iso = day.isocalendar()
        return (iso[0], iso[1])
    if unit is BarUnit.MONTH:
        return (day.year, day.month)
    return (day.toordinal(), 0)


def cut_points(
    calendar: ExchangeCalendar, start: datetime, end: datetime, *, bar_size: BarSize, sessions: SessionFilter
) -> list[datetime]:
    """Instants strictly inside (start, end) where no bar of `bar_size` straddles (module doc)."""
    first = calendar.local_date(start) - timedelta(days=1)
    last = calendar.local_date(end) + timedelta(days=1)
    zone = calendar.zone
    cuts: list[datetime] = []
    previous: tuple[int, int] | None = None
    day = first
    while day <= last:
        if bar_size.intraday:
            moment: datetime | None = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        else:
            moment = None
            if calendar.is_trading_day(day):
                key = _group_key(day, bar_size.unit)
                if key != previous:
                    moment = _first_session(calendar, day, sessions)
                previous = key
        if moment is not None and start < moment < end:
            cuts.append(moment)
        day += timedelta(days=1)
    return cuts


def _covered_minutes(calendar: ExchangeCalendar, start: datetime, end: datetime, sessions: SessionFilter) -> float:
    if sessions is SessionFilter.ALWAYS:
        return (end - start).total_seconds() / 60
    found = calendar.sessions(
        calendar.local_date(start) - timedelta(days=1),
        calendar.local_date(end) + timedelta(days=1),
        liquid=sessions is SessionFilter.LIQUID,
    )
    seconds = sum(max(0.0, (min(s.end, end) - max(s.start, start)).total_seconds()) for s in found)
    return seconds / 60


@dataclass(slots=True)
class BarJob:
    """The bars of one window, computed a slice at a time (`advance`) until `done`."""

    source: BarSource
    slices: list[tuple[datetime, datetime, float]]  # (start, end, cost), in time order
    parts: list[BarTable] = field(default_factory=list)

    @classmethod
    def plan(
        cls,
        source: BarSource,
        calendar: ExchangeCalendar,
        start: datetime,
        end: datetime,
        *,
        bar_size: BarSize,
        sessions: SessionFilter,
        divisible: bool = True,
    ) -> BarJob:
        cuts = cut_points(calendar, start, end, bar_size=bar_size, sessions=sessions) if divisible else []
        edges = [start, *cuts, end]
        slices = [(a, b, slice_cost(calendar, a, b, bar_size=bar_size, sessions=sessions)) for a, b in pairwise(edges)]
        return cls(source=source, slices=slices)

    @property
    def done(self) -> bool:
        return not self.slices

    @property
    def remaining(self) -> float:
        """The work units still to spend (one call's, at least)."""
        return CALL_COST + sum(cost for _a, _b, cost in self.slices) if self.slices else 0.0

    @property
    def bars(self) -> BarTable:
        """The bars computed so far, oldest first."""
        return BarTable.concat(self.parts) if self.parts else EMPTY

    def advance(self, budget: float) -> float:
        """Compute slices until `budget` units are spent (at least one slice); the units spent. The slices
        taken are computed as one window (the same bars: no bar straddles a cut), a call for all of them."""
        spent, taken = CALL_COST, 0
        while taken < len(self.slices) and (taken == 0 or spent + self.slices[taken][2] <= budget):
            spent += self.slices[taken][2]
            taken += 1
        if taken:
            self.parts.append(self.source(self.slices[0][0], self.slices[taken - 1][1]))
            del self.slices[:taken]
        return spent
