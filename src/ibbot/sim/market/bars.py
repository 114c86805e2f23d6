"""Historical bars of the price path: where bars fall (sessions, holidays, bar grid) and what they hold.

Theory of operation
-------------------
Where: intraday bars lie on a grid of the bar length from local midnight in the exchange's zone, cut at
session boundaries (1-hour RTH bars of a US stock: 09:30, 10:00, 11:00 ... 15:00, seven a day). The
sessions are the calendar's liquid ones (useRTH=1), its trading ones (useRTH=0), or none at all when the
simulator streams around the clock (`SessionFilter.ALWAYS`). A bar belongs to the window [start, end) when
its start does; the last one may be partial (cut at `end`). Daily bars are one per trading date (a date is
in the window when its first session starts in it) and span that date's sessions; weekly and monthly bars
merge the trading dates of an ISO week or a month and are dated by their first trading date. Daily and
longer bars start at local midnight of that date, so any formatter prints the exchange's date.

What: a bar [a, b) spans the path's points P(a) .. P(b) (`ibbot.sim.market.path`): open P(a), close P(b). Bars of
less than a minute are exact at one second: high/low over every point, volume, WAP and trade count from
every second. Longer bars keep open, close and volume exact (so bars of any size agree at common boundaries
and volumes add up) but take high/low from points every bar/60 seconds (1-second points for 1-minute bars,
6-minute points for a daily RTH bar), WAP from the volume of up to 12 segments between those points (a
time average below a minute) and the trade count as volume / LOTS_PER_PRINT (`ibbot.sim.market.spans`): fast, and
a range slightly narrower than the true one. BID_ASK follows IB: open = time-average bid, high = max ask,
low = min bid, close = time-average ask. ADJUSTED_LAST scales TRADES by exp(-q * years until the window
end) for the model's continuous dividend yield q. HISTORICAL_VOLATILITY is the annualised close-to-close
volatility of the last 20 daily closes (RTH close, or the latest price on the current day);
OPTION_IMPLIED_VOLATILITY blends it with the model's volatility plus a small premium. Series other than
TRADES have volume, WAP and count -1, as IB sends them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import numpy as np

from ibbot.sim.instruments.calendar import ExchangeCalendar, Session
from ibbot.sim.market import minutes
from ibbot.sim.market.bar import Bar
from ibbot.sim.market.batch import Ints
from ibbot.sim.market.gridbars import grid_table
from ibbot.sim.market.model import LOTS_PER_PRINT
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.sampled import sampled_trades
from ibbot.sim.market.series import BarSize, BarUnit, WhatToShow
from ibbot.sim.market.spans import GRID_SPAN, TradeSpan, grid_steps, quote_points, span_reads, time_average, trade_span
from ibbot.sim.market.table import EMPTY, BarTable

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86_400
_SECONDS = tuple(timedelta(seconds=k) for k in range(61))
_YEAR_SECONDS = 365.25 * 86_400
_HV_RETURNS = 20
_IV_PREMIUM = 1.05
_TRADE_SERIES = frozenset({WhatToShow.TRADES, WhatToShow.ADJUSTED_LAST})
_FAST_SERIES = _TRADE_SERIES | {WhatToShow.MIDPOINT, WhatToShow.BID, WhatToShow.ASK, WhatToShow.BID_ASK}
_Builder = Callable[["_Context", int, list[tuple[int, int]], date], "Bar"]


class SessionFilter(enum.Enum):
    """Which hours bars cover: RTH (useRTH=1), the trading sessions (useRTH=0), or every hour (24/7 mode)."""

    LIQUID = "liquid"
    TRADING = "trading"
    ALWAYS = "always"

    @classmethod
    def for_request(cls, *, use_rth: bool, around_the_clock: bool) -> SessionFilter:
        if use_rth:
            return cls.LIQUID
        return cls.ALWAYS if around_the_clock else cls.TRADING


def _epoch(moment: datetime) -> int:
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds + (1 if delta.microseconds else 0)  # round up: [start, end)


def _moment(s: int) -> datetime:
    return _EPOCH + timedelta(seconds=s)


# --- where bars fall ------------------------------------------------------------------------------------


def _sessions(calendar: ExchangeCalendar, start: int, end: int, sessions: SessionFilter) -> list[Session]:
    first = calendar.local_date(_moment(start)) - timedelta(days=1)
    last = calendar.local_date(_moment(max(start, end - 1))) + timedelta(days=1)
    found = calendar.sessions(first, last, liquid=sessions is SessionFilter.LIQUID)
    return [s for s in found if _epoch(s.end) > start and _epoch(s.start) < end]


def intraday_spans(
    calendar: ExchangeCalendar, start: int, end: int, length: int, sessions: SessionFilter
) -> list[tuple[int, int, date]]:
    """(bar start, bar end, trading date) of every intraday bar of `length` seconds starting in [start, end)."""
    lo, hi, dates = intraday_columns(calendar, start, end, length, sessions)
    return list(zip(lo.tolist(), hi.tolist(), dates, strict=True))


def intraday_columns(
    calendar: ExchangeCalendar, start: int, end: int, length: int, sessions: SessionFilter
) -> tuple[Ints, Ints, list[date]]:
    """`intraday_spans` as columns: bar starts, bar ends, trading dates. A session's bars are the cells of
    `length` seconds on its local clock (its offset at its start) cut at its ends and at `end`."""
    if sessions is SessionFilter.ALWAYS:
        first = start - start % 60
        pieces = [(first, end, calendar.local_date(_moment(first)), _offset(calendar, first))]
    else:
        pieces = [
            (_epoch(s.start), _epoch(s.end), s.trading_date, _offset(calendar, _epoch(s.start)))
            for s in _sessions(calendar, start, end, sessions)
        ]
    los: list[Ints] = []
    his: list[Ints] = []
    dates: list[date] = []
    for lo, hi, trading_date, offset in pieces:
        stop = min(hi, end)
        if lo >= stop:
            continue
        cells = np.arange(lo - (lo + offset) % length + length, stop, length, dtype=np.int64)  # inner cell edges
        starts = np.concatenate(([lo], cells))
        ends = np.minimum(np.append(cells, stop), stop)
        kept = starts >= start
        los.append(starts[kept])
        his.append(ends[kept])
        dates.extend([trading_date] * int(kept.sum()))
    if not los:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []
    return np.concatenate(los), np.concatenate(his), dates


def _offset(calendar: ExchangeCalendar, s: int) -> int:
    """The exchange's UTC offset in seconds at epoch second s (bars align to its local clock)."""
    utc_offset = _moment(s).astimezone(calendar.zone).utcoffset()
    return int(utc_offset.total_seconds()) if utc_offset is not None else 0


def trading_days(
    calendar: ExchangeCalendar, start: int, end: int, sessions: SessionFilter
) -> list[tuple[date, list[tuple[int, int]]]]:
    """Trading dates whose first session starts in [start, end), each with its session pieces (cut at end)."""
    liquid = sessions is SessionFilter.LIQUID
    first = calendar.local_date(_moment(start)) - timedelta(days=1)
    last = calendar.local_date(_moment(max(start, end - 1))) + timedelta(days=1)
    days: list[tuple[date, list[tuple[int, int]]]] = []
    day = first
    while day <= last:
        found = calendar.sessions_on(day, liquid=liquid)
        if found and start <= _epoch(found[0].start) < end:
            pieces = [(_epoch(s.start), min(_epoch(s.end), end)) for s in found if _epoch(s.start) < end]
            days.append((day, pieces))
        day += timedelta(days=1)
    return days


# --- bars --------------------------------------------------------------------------------------------


def historical_bars(
    path: PricePath,
    *,
    start: datetime,
    end: datetime,
    bar_size: BarSize,
    what: WhatToShow,
    sessions: SessionFilter,
) -> tuple[Bar, ...]:
    """The bars of [start, end) (UTC-aware), oldest first; empty when there is no data (caller answers 162)."""
    return historical_table(path, start=start, end=end, bar_size=bar_size, what=what, sessions=sessions).bars()


def historical_table(
    path: PricePath,
    *,
    start: datetime,
    end: datetime,
    bar_size: BarSize,
    what: WhatToShow,
    sessions: SessionFilter,
) -> BarTable:
    """`historical_bars` as columns (long answers are computed as columns and never as `Bar`s)."""
    model = path.model
    head = datetime.combine(model.head_date, datetime.min.time(), tzinfo=UTC)
    a, b = max(_epoch(start), _epoch(head)), _epoch(end)
    if a >= b or (what in _TRADE_SERIES and not model.has_trades):
        return EMPTY
    context = _Context(path=path, end=b, exact=False, daily=bar_size.unit is not BarUnit.SECOND)
    if bar_size.unit is BarUnit.SECOND:
        lo, hi, dates = intraday_columns(model.calendar, a, b, bar_size.length, sessions)
        if bar_size.length < 60 and what in _FAST_SERIES:
            spans = list(zip(lo.tolist(), lo.tolist(), hi.tolist(), strict=True))
            return BarTable.of_bars(_exact_bars(path, spans, what, end=b))
        if bar_size.length >= GRID_SPAN and what in _GRID_SERIES:
            return _grid_bars(context, lo, hi, dates, what)
        if what in _GRID_SERIES:
            return _minute_bars(context, lo, hi, dates, what)
        context = replace(context, exact=bar_size.length < 60)
        groups = [(x, [(x, y)], day) for x, y, day in zip(lo.tolist(), hi.tolist(), dates, strict=True)]
    else:
        groups = _period_groups(model.calendar, a, b, bar_size.unit, sessions)
    if what is WhatToShow.TRADES and context.daily:
        sampled = sampled_trades(path, groups)
        if sampled is not None:
            return sampled
    builder = _BUILDERS[what]
    grids: list[tuple[int, int, int]] = []
    trees: list[tuple[int, int]] = []
    if not context.exact and what in _FAST_SERIES:
        trades = what in _TRADE_SERIES
        for _first, pieces, _day in groups:
            for lo, hi in pieces:
                found = span_reads(lo, hi, trades=trades)
                grids += found[0]
                trees += found[1]
    with path.prefetched(grids, trees):
        return BarTable.of_bars([builder(context, first, pieces, day) for first, pieces, day in groups])


# the series computed as columns: on the grids (5 minutes and more) and from the seconds (1 to 4 minutes)
_GRID_SERIES = frozenset({WhatToShow.TRADES, WhatToShow.MIDPOINT, WhatToShow.BID, WhatToShow.ASK, WhatToShow.BID_ASK})


def _grid_bars(ctx: _Context, lo: Ints, hi: Ints, dates: list[date], what: WhatToShow) -> BarTable:
    """Intraday bars of 5 minutes and more: read straight from their days' grids, all at once, when their ends
    lie on the grids (`gridbars`: the builders' very values); the others (cut at a session's edge or the
    window's end) through the builder."""
    length = hi - lo
    # grid_steps of a span depends only on its length and its start's place in 8 hours (every grid divides
    # 480 minutes): a few distinct keys per request
    keys, which = np.unique((lo % 28_800) * (1 << 32) + length, return_inverse=True)
    found = np.array([grid_steps(k >> 32, (k >> 32) + (k & 0xFFFFFFFF)) for k in keys.tolist()], dtype=np.int64)
    steps = found.reshape(-1, 2)[which.ravel()]
    volume_seconds = steps[:, 1] * 60
    on_grids = (length >= GRID_SPAN) & (lo % volume_seconds == 0) & (hi % volume_seconds == 0)
    on_grids &= lo // _DAY == (hi - 1) // _DAY
    parts: list[tuple[Ints, BarTable]] = []
    for step, volume_step in sorted(set(map(tuple, found.reshape(-1, 2).tolist()))):  # a few distinct grids
        places = np.flatnonzero(on_grids & (steps[:, 0] == step) & (steps[:, 1] == volume_step))
        if not len(places):
            continue
        parts.append((places, grid_table(ctx.path, lo[places], hi[places], what, step=step, volume_step=volume_step)))
    parts.append(_built(ctx, np.flatnonzero(~on_grids), (lo, hi, dates), what))
    return _placed(parts, len(lo))


def _minute_bars(ctx: _Context, lo: Ints, hi: Ints, dates: list[date], what: WhatToShow) -> BarTable:
    """Bars of 1 to 4 minutes: whole minutes all at once from their seconds (`minutes`), the others (cut off
    the minute) through the builder."""
    whole = (lo % 60 == 0) & (hi % 60 == 0) & (hi - lo >= 60)
    parts: list[tuple[Ints, BarTable]] = []
    places = np.flatnonzero(whole)
    if len(places):
        parts.append((places, minutes.minute_table(ctx.path, lo[places], hi[places], what)))
    parts.append(_built(ctx, np.flatnonzero(~whole), (lo, hi, dates), what))
    return _placed(parts, len(lo))


def _built(
    ctx: _Context, places: Ints, spans: tuple[Ints, Ints, list[date]], what: WhatToShow
) -> tuple[Ints, BarTable]:
    """The intraday bars at `places` through the builder, one at a time (those the columns do not cover)."""
    lo, hi, dates = spans
    builder = _BUILDERS[what]
    chosen = zip(places.tolist(), lo[places].tolist(), hi[places].tolist(), strict=True)
    return places, BarTable.of_bars([builder(ctx, x, [(x, y)], dates[i]) for i, x, y in chosen])


def _placed(parts: list[tuple[Ints, BarTable]], count: int) -> BarTable:
    """One table of the parts' bars, each at its place (0 .. count - 1)."""
    parts = [(places, table) for places, table in parts if len(places)]
    if len(parts) == 1:
        return parts[0][1]
    if not parts:
        return EMPTY
    columns = [np.empty(count, dtype=object) for _ in range(8)]
    for places, table in parts:
        fields = (table.start, table.open, table.high, table.low, table.close, table.volume, table.wap, table.count)
        for column, values in zip(columns, fields, strict=True):
            column[places] = values
    start, o, h, low, c, volume, wap, n = (column.tolist() for column in columns)
    return BarTable(start=start, open=o, high=h, low=low, close=c, volume=volume, wap=wap, count=n)


def _exact_bars(path: PricePath, spans: list[tuple[int, int, int]], what: WhatToShow, *, end: int) -> tuple[Bar, ...]:
    """Bars under a minute, straight from each minute's arrays (they never straddle a minute)."""
    tick, digits, lot = path.tick, path.decimals, path.model.lot_size
    yield_rate = path.model.dividend_yield if what is WhatToShow.ADJUSTED_LAST else 0.0
    trades = what in _TRADE_SERIES
    out: list[Bar] = []
    current = -1
    minute = path.minute(spans[0][1] // 60) if spans else None
    prices: list[float] = []
    base = _EPOCH
    for _first, a, b in spans:
        mi = a // 60
        if mi != current:
            minute, current = path.minute(mi), mi
            prices = [round(t * tick, digits) for t in minute.last]
            base = _moment(minute.start)
        assert minute is not None
        lo, hi = a - minute.start, b - minute.start
        if trades and hi - lo == 1 and not yield_rate:  # one-second bars: the bulk of a big request
            lots = minute.volume[lo]
            o, c = prices[lo], prices[hi]
            out.append(
                Bar(
                    start=base + _SECONDS[lo],
                    open=o,
                    high=o if o > c else c,
                    low=c if o > c else o,
                    close=c,
                    volume=lots * lot,
                    wap=c,
                    count=(lots + LOTS_PER_PRINT - 1) // LOTS_PER_PRINT,
                )
            )
            continue
        if trades:
            volumes = minute.volume[lo:hi]
            lots = sum(volumes)
            span = prices[lo : hi + 1]
            notional = sum(v * p for v, p in zip(volumes, minute.last[lo + 1 : hi + 1], strict=True))
            bar = Bar(
                start=base + _SECONDS[lo],
                open=span[0],
                high=max(span),
                low=min(span),
                close=span[-1],
                volume=lots * lot,
                wap=round(notional / lots * tick, digits + 2) if lots else span[-1],
                count=sum((v + LOTS_PER_PRINT - 1) // LOTS_PER_PRINT for v in volumes),
            )
            if yield_rate:
                factor = math.exp(-yield_rate * (end - b) / _YEAR_SECONDS)
                bar = replace(
                    bar,
                    open=round(bar.open * factor, digits + 2),
                    high=round(bar.high * factor, digits + 2),
                    low=round(bar.low * factor, digits + 2),
                    close=round(bar.close * factor, digits + 2),
                    wap=round(bar.wap * factor, digits + 2),
                )
            out.append(bar)
            continue
        bids, asks = minute.bid[lo : hi + 1], minute.ask[lo : hi + 1]
        if what is WhatToShow.BID_ASK:
            seconds = hi - lo
            values = (
                sum(bids[:-1]) / seconds * tick,
                max(asks[:-1]) * tick,
                min(bids[:-1]) * tick,
                sum(asks[:-1]) / seconds * tick,
            )
            o, h, low, c = (round(v, digits + 2) for v in values)
        else:
            if what is WhatToShow.MIDPOINT:
                series, scale, places = [x + y for x, y in zip(bids, asks, strict=True)], tick / 2, digits + 1
            else:
                series, scale, places = list(bids if what is WhatToShow.BID else asks), tick, digits
            o, h, low, c = (round(v * scale, places) for v in (series[0], max(series), min(series), series[-1]))
        out.append(Bar(start=base + _SECONDS[lo], open=o, high=h, low=low, close=c))
    return tuple(out)


def _period_groups(
    calendar: ExchangeCalendar, a: int, b: int, unit: BarUnit, sessions: SessionFilter
) -> list[tuple[int, list[tuple[int, int]], date]]:
    """(label start, session pieces, first trading date) per day, ISO week or month."""
    keyed: dict[tuple[int, int], tuple[date, list[tuple[int, int]]]] = {}
    for day, pieces in trading_days(calendar, a, b, sessions):
        if unit is BarUnit.DAY:
            key = (day.toordinal(), 0)
        elif unit is BarUnit.WEEK:
            key = day.isocalendar()[:2]
        else:
            key = (day.year, day.month)
        if key in keyed:
            keyed[key][1].extend(pieces)
        else:
            keyed[key] = (day, list(pieces))
    zone = calendar.zone
    return [
        (_epoch(datetime.combine(day, datetime.min.time(), tzinfo=zone)), pieces, day) for day, pieces in keyed.values()
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    path: PricePath
    end: int  # the window's end (ADJUSTED_LAST's "today")
    exact: bool  # one-second resolution (bars under a minute)
    daily: bool
    closes: dict[date, int | None] = field(default_factory=dict)  # daily closes, for the volatility series


def _merge(spans: Iterable[TradeSpan]) -> TradeSpan:
    items = list(spans)
    return TradeSpan(
        open=items[0].open,
        high=max(s.high for s in items),
        low=min(s.low for s in items),
        close=items[-1].close,
        lots=sum(s.lots for s in items),
        notional=sum(s.notional for s in items),
        count=sum(s.count for s in items),
    )


def _bar(ctx: _Context, first: int, day: date, ohlc: tuple[float, float, float, float]) -> Bar:
    """A bar of a series without volume."""
    return Bar(
        start=_moment(first),
        trading_date=day if ctx.daily else None,
        open=ohlc[0],
        high=ohlc[1],
        low=ohlc[2],
        close=ohlc[3],
    )


def _trades_bar(ctx: _Context, first: int, pieces: list[tuple[int, int]], day: date) -> Bar:
    path = ctx.path
    span = _merge(trade_span(path, lo, hi, exact=ctx.exact) for lo, hi in pieces)
    wap = span.notional / span.lots if span.lots else float(span.close)
    return Bar(
        start=_moment(first),
        trading_date=day if ctx.daily else None,
        open=path.price(span.open),
        high=path.price(span.high),
        low=path.price(span.low),
        close=path.price(span.close),
        volume=span.lots * path.model.lot_size,
        wap=round(wap * path.tick, path.decimals + 2),
        count=span.count,
    )


def _adjusted_bar(ctx: _Context, first: int, pieces: list[tuple[int, int]], day: date) -> Bar:
    bar = _trades_bar(ctx, first, pieces, day)
    factor = math.exp(-ctx.path.model.dividend_yield * (ctx.end - pieces[-1][1]) / _YEAR_SECONDS)
    digits = ctx.path.decimals + 2
    return replace(
        bar,
        open=round(bar.open * factor, digits),
        high=round(bar.high * factor, digits),
        low=round(bar.low * factor, digits),
        close=round(bar.close * factor, digits),
        wap=round(bar.wap * factor, digits),
    )


def _quote_bar_for(what: WhatToShow) -> _Builder:
    def build(ctx: _Context, first: int, pieces: list[tuple[int, int]], day: date) -> Bar:
        path = ctx.path
        tick, digits = path.tick, path.decimals
        if what is WhatToShow.BID_ASK:
            bid_sum = ask_sum = 0.0
            high, low = 0, 1 << 62
            for lo, hi in pieces:
                times, bids, asks = quote_points(path, lo, hi, exact=ctx.exact)
                bid_sum += time_average(times, bids) * (hi - lo)
                ask_sum += time_average(times, asks) * (hi - lo)
                high, low = max(high, *asks[:-1]), min(low, *bids[:-1])  # quotes in force during the bar
            seconds = sum(hi - lo for lo, hi in pieces)
            values = (bid_sum / seconds * tick, high * tick, low * tick, ask_sum / seconds * tick)
            o, h, lo_, c = (round(v, digits + 2) for v in values)
            return _bar(ctx, first, day, (o, h, lo_, c))
        series: list[int] = []
        for lo, hi in pieces:
            _times, bids, asks = quote_points(path, lo, hi, exact=ctx.exact)
            if what is WhatToShow.MIDPOINT:
                series.extend(x + y for x, y in zip(bids, asks, strict=True))
            else:
                series.extend(bids if what is WhatToShow.BID else asks)
        scale, places = (tick / 2, digits + 1) if what is WhatToShow.MIDPOINT else (tick, digits)
        ohlc = (series[0], max(series), min(series), series[-1])
        o, h, lo_, c = (round(v * scale, places) for v in ohlc)
        return _bar(ctx, first, day, (o, h, lo_, c))

    return build


def daily_close(path: PricePath, day: date, *, before: int) -> int | None:
    """The close (ticks) of trading date `day`: the end of its last RTH session, or the price at `before`."""
    found = path.model.calendar.sessions_on(day, liquid=True)
    if not found:
        return None
    return path.last_ticks(min(_epoch(found[-1].end), before))


def historical_volatility(path: PricePath, day: date, *, before: int, closes: dict[date, int | None]) -> float:
    """Annualised close-to-close volatility of the `_HV_RETURNS` daily returns up to `day`."""
    calendar = path.model.calendar
    prices: list[int] = []
    cursor = day
    for _ in range(_HV_RETURNS * 3 + 15):  # bounded: enough calendar days for 21 trading dates
        if len(prices) > _HV_RETURNS:
            break
        if calendar.is_trading_day(cursor):
            if cursor not in closes:
                closes[cursor] = daily_close(path, cursor, before=before)
            close = closes[cursor]
            if close is not None:
                prices.append(close)
        cursor -= timedelta(days=1)
    returns = [math.log(p / q) for p, q in pairwise(prices)]
    if len(returns) < 2:
        return path.model.annual_vol
    mean = sum(returns) / len(returns)
    variance = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    return math.sqrt(variance * 252)


def _vol_bar_for(implied: bool) -> _Builder:
    def build(ctx: _Context, first: int, pieces: list[tuple[int, int]], day: date) -> Bar:
        path = ctx.path
        last_day = path.model.calendar.local_date(_moment(pieces[-1][1] - 1)) if ctx.daily else day
        values = []
        for moment_day in (day, last_day):
            vol = historical_volatility(path, moment_day, before=ctx.end, closes=ctx.closes)
            if implied:
                vol = _IV_PREMIUM * (0.6 * path.model.annual_vol + 0.4 * vol)
            values.append(round(vol, 6))
        return _bar(ctx, first, day, (values[0], max(values), min(values), values[1]))

    return build


_BUILDERS: dict[WhatToShow, _Builder] = {
    WhatToShow.TRADES: _trades_bar,
    WhatToShow.ADJUSTED_LAST: _adjusted_bar,
    WhatToShow.MIDPOINT: _quote_bar_for(WhatToShow.MIDPOINT),
    WhatToShow.BID: _quote_bar_for(WhatToShow.BID),
    WhatToShow.ASK: _quote_bar_for(WhatToShow.ASK),
    WhatToShow.BID_ASK: _quote_bar_for(WhatToShow.BID_ASK),
    WhatToShow.HISTORICAL_VOLATILITY: _vol_bar_for(False),
    WhatToShow.OPTION_IMPLIED_VOLATILITY: _vol_bar_for(True),
}


def head_timestamp(path: PricePath, *, sessions: SessionFilter) -> datetime:
    """The earliest data (reqHeadTimestamp): the first session on or after the model's head date."""
    calendar = path.model.calendar
    day = path.model.head_date
    for _ in range(60):
        found = calendar.sessions_on(day, liquid=sessions is SessionFilter.LIQUID)
        if found:
            return found[0].start
        day += timedelta(days=1)
    return datetime.combine(path.model.head_date, datetime.min.time(), tzinfo=UTC)
