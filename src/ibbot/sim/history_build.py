"""What historical answers hold, as pure functions: bar sources (a price path, or an option over its
underlying), bars as the wire carries them, bar requests computed a slice at a time, histograms, trading
schedules, head timestamps and historical ticks as messages.

Theory of operation
-------------------
A `BarSource` answers the bars of any window [start, end); the service asks it for a whole request and
then, for keepUpToDate, for the window of the bar still forming. Options have no path of their own: their
MIDPOINT, BID, ASK and BID_ASK bars are the option model's quotes (Black-Scholes on the smile, as the live
option quotes) at the open, high, low and close of the underlying's midpoint bar, at the bar's start. Option
TRADES are IB's "no data" (the simulator prints no option trades).

Big requests are computed in slices (`BarJob`) so one client asking for eleven months of 30-minute bars does
not stall every other client: the window is cut where no bar straddles the cut (local midnight for intraday
bars, whose grid starts at local midnight; the first session of a day, ISO week or month for longer bars)
and each piece is priced in work units that approximate microseconds of `ibbot.sim.bars` on this kind of
bar (`cost_per_minute`), measured, not read from any clock. The slices give exactly the bars of the whole
window (tested), except ADJUSTED_LAST, whose scaling depends on the window's end, which is one slice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from itertools import pairwise

from ibbot.protocol.responses.history import (
    HistogramEntry,
    HistoricalSession,
    HistoricalTick,
    HistoricalTickBidAsk,
    HistoricalTickLast,
)
from ibbot.protocol.types import Bar as WireBar
from ibbot.sim.bars import Bar, SessionFilter, historical_bars
from ibbot.sim.calendar import ExchangeCalendar
from ibbot.sim.history_rules import (
    VALIDATION_PREFIX,
    BarSize,
    BarUnit,
    Duration,
    DurationUnit,
    Rejection,
    WhatToShow,
)
from ibbot.sim.history_window import format_bar_time
from ibbot.sim.options import option_quote
from ibbot.sim.path import PricePath
from ibbot.sim.ticks import MidTick, QuoteTick, Trade

BarSource = Callable[[datetime, datetime], tuple[Bar, ...]]
_SECONDS_PER_YEAR = 365.25 * 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- sources ---------------------------------------------------------------------------------------------


def path_source(path: PricePath, *, bar_size: BarSize, what: WhatToShow, sessions: SessionFilter) -> BarSource:
    def bars(start: datetime, end: datetime) -> tuple[Bar, ...]:
        return historical_bars(path, start=start, end=end, bar_size=bar_size, what=what, sessions=sessions)

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

    def bars(start: datetime, end: datetime) -> tuple[Bar, ...]:
        return tuple(option_bar(bar, terms, what) for bar in base(start, end))

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


# --- slices ----------------------------------------------------------------------------------------------


def cost_per_minute(bar_size: BarSize) -> float:
    """Work units (about a microsecond of `historical_bars`) per minute of window, by bar size (measured)."""
    seconds = bar_size.seconds
    if seconds is None:
        return 0.5  # a few points per session
    if seconds == 1:
        return 600.0
    if seconds < 60:
        return 150.0  # exact bars: every second of the path
    if seconds == 60:
        return 75.0
    if seconds < 3600:
        return 35.0  # a point every bar/60 seconds: one inside every minute
    return 7.0  # points on minute boundaries only


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
    bars: list[Bar] = field(default_factory=list)

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
        rate = cost_per_minute(bar_size)
        slices = [(a, b, rate * _covered_minutes(calendar, a, b, sessions)) for a, b in pairwise(edges)]
        return cls(source=source, slices=slices)

    @property
    def done(self) -> bool:
        return not self.slices

    def advance(self, budget: float) -> float:
        """Compute slices until `budget` units are spent (at least one slice); the units spent."""
        spent = 0.0
        while self.slices and (spent == 0.0 or spent + self.slices[0][2] <= budget):
            a, b, cost = self.slices.pop(0)
            self.bars.extend(self.source(a, b))
            spent += max(cost, 1.0)
        return spent


# --- histogram -------------------------------------------------------------------------------------------

_PERIOD_RE = re.compile(r"([0-9]{1,4}) *(d|days?|w|weeks?|m|months?|y|years?)", re.IGNORECASE | re.ASCII)
_PERIOD_UNITS = {"d": DurationUnit.DAYS, "w": DurationUnit.WEEKS, "m": DurationUnit.MONTHS, "y": DurationUnit.YEARS}


def parse_histogram_period(text: str) -> Duration | Rejection:
    """reqHistogramData's period ("3 days", "1 week", "2 months", "1 year") as a Duration."""
    match = _PERIOD_RE.fullmatch(text.strip())
    if match is None or int(match.group(1)) < 1:
        return Rejection(code=321, text=VALIDATION_PREFIX + f"Invalid histogram period: {text}")
    return Duration(count=int(match.group(1)), unit=_PERIOD_UNITS[match.group(2)[0].lower()])


def histogram_bar_seconds(duration: Duration) -> int | None:
    """The bars a histogram is built from: 5 minutes up to two days, 30 minutes up to a week, else days."""
    seconds = duration.nominal_seconds
    if seconds <= 2 * 86_400:
        return 300
    if seconds <= 7 * 86_400:
        return 1800
    return None


def histogram(bars: Sequence[Bar], *, tick: float, levels: int = 50) -> tuple[HistogramEntry, ...]:
    """Volume at price: each bar's volume spread evenly over the price levels between its low and high.

    Levels are a whole number of ticks wide, at most `levels` of them over the whole range; each entry is
    a level's low edge and the shares traded in it, and the counts add up to the total volume exactly.
    """
    traded = [b for b in bars if b.volume > 0]
    if not traded:
        return ()
    low = min(b.low for b in traded)
    high = max(b.high for b in traded)
    width_ticks = max(1, math.ceil((high - low) / tick / levels - 1e-9))
    width = width_ticks * tick
    top = int((high - low) / width + 1e-9)
    counts = [0] * (top + 1)
    for b in traded:
        first = int((b.low - low) / width + 1e-9)
        last = int((b.high - low) / width + 1e-9)
        span = last - first + 1
        share, extra = divmod(b.volume, span)
        for k in range(first, last + 1):
            counts[k] += share + (1 if k - first < extra else 0)
    digits = max(0, -math.floor(math.log10(tick))) + 2
    return tuple(
        HistogramEntry(price=round(low + k * width, digits), count=count) for k, count in enumerate(counts) if count
    )


# --- schedule, head timestamp, ticks ---------------------------------------------------------------------


def schedule_text(moment: datetime, zone: tzinfo) -> str:
    """historicalSchedule's times: `YYYYMMDD-HH:MM:SS` in the exchange's zone."""
    return f"{moment.astimezone(zone):%Y%m%d-%H:%M:%S}"


def schedule_sessions(
    calendar: ExchangeCalendar, start: datetime, end: datetime, *, liquid: bool
) -> tuple[HistoricalSession, ...]:
    """The sessions of every trading date from the one `start` falls on to the one before `end`."""
    first = calendar.local_date(start)
    last = calendar.local_date(end - timedelta(microseconds=1))
    zone = calendar.zone
    return tuple(
        HistoricalSession(
            start=schedule_text(s.start, zone), end=schedule_text(s.end, zone), ref_date=f"{s.trading_date:%Y%m%d}"
        )
        for s in calendar.sessions(first, last, liquid=liquid)
    )


def head_timestamp_text(moment: datetime, format_date: int) -> str:
    """formatDate 1: `YYYYMMDD-HH:MM:SS` in UTC; 2: epoch seconds."""
    if format_date == 2:
        return str(epoch_seconds(moment))
    return f"{moment.astimezone(UTC):%Y%m%d-%H:%M:%S}"


def epoch_seconds(moment: datetime) -> int:
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds


def last_tick(trade: Trade, venue: str) -> HistoricalTickLast:
    return HistoricalTickLast(time=epoch_seconds(trade.time), price=trade.price, size=trade.size, exchange=venue)


def bid_ask_tick(quote: QuoteTick) -> HistoricalTickBidAsk:
    return HistoricalTickBidAsk(
        time=epoch_seconds(quote.time),
        bid_price=quote.bid,
        ask_price=quote.ask,
        bid_size=quote.bid_size,
        ask_size=quote.ask_size,
    )


def midpoint_tick(mid: MidTick) -> HistoricalTick:
    return HistoricalTick(time=epoch_seconds(mid.time), price=mid.price, size=0)
