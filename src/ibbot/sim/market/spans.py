"""Statistics of one span [a, b) of a price path, in ticks and lots: what a bar is made of.

Theory of operation: a span looks at the path's points P(a) .. P(b) (`ibbot.sim.market.path`). Exact spans read
every second from built minutes (volumes, notional and print counts per second). Sampled spans, for bars of
a minute and longer, keep open, close and volume exact but take high/low from points every (b - a) / 60
seconds (whole minutes above a minute, so a daily bar reads only minute points), the notional from the
volume of at most `_WAP_SEGMENTS` segments between those points (a time average below a minute's
resolution) and the trade count as volume / LOTS_PER_PRINT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from ibbot.sim.market.model import prints_of
from ibbot.sim.market.path import PricePath

_WAP_SEGMENTS = 12  # long bars weight their WAP by the volume of at most this many segments


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeSpan:
    """TRADES over [a, b) in ticks and lots; `notional` is ticks x lots."""

    open: int
    high: int
    low: int
    close: int
    lots: int
    notional: float
    count: int


def _resolution(a: int, b: int) -> int:
    """Seconds between the points a long bar samples: about a sixtieth of it, whole minutes above a minute."""
    step = max(1, (b - a) // 60)
    return step - step % 60 if step >= 60 else step


def _sample_times(a: int, b: int, step: int) -> list[int]:
    times = list(range(a, b, step))
    times.append(b)
    return times


def _sample_x(path: PricePath, times: list[int]) -> list[float]:
    """Log prices at `times`, reusing each minute's second points."""
    out: list[float] = []
    current, seconds = -1, None
    for s in times:
        mi, sec = divmod(s, 60)
        if sec == 0 and (seconds is None or current != mi):
            out.append(path.minute_x(mi))
            continue
        if mi != current:
            current, seconds = mi, path.seconds(mi)
        assert seconds is not None
        out.append(seconds[sec])
    return out


def trade_span(path: PricePath, a: int, b: int, *, exact: bool) -> TradeSpan:
    """TRADES statistics of [a, b): exact at one second, or sampled (module doc)."""
    if exact:
        return _trade_exact(path, a, b)
    times = _sample_times(a, b, _resolution(a, b))
    inv, exp = path.inv_tick, math.exp
    ticks = [max(1, int(exp(x) * inv + 0.5)) for x in _sample_x(path, times)]
    if times[1] - times[0] >= 60:  # volume-weighted over at most _WAP_SEGMENTS segments
        every = -(-(len(times) - 1) // _WAP_SEGMENTS)
        cuts = [*range(0, len(times) - 1, every), len(times) - 1]
        parts = [path.volume(times[i], times[j]) for i, j in pairwise(cuts)]
        lots = sum(parts)
        notional = sum(v * (ticks[i] + ticks[j]) / 2 for v, (i, j) in zip(parts, pairwise(cuts), strict=True))
    else:  # time-weighted below a minute's resolution
        lots = path.volume(a, b)
        notional = lots * (sum(ticks) - (ticks[0] + ticks[-1]) / 2) / (len(ticks) - 1)
    return TradeSpan(
        open=ticks[0],
        high=max(ticks),
        low=min(ticks),
        close=ticks[-1],
        lots=lots,
        notional=notional,
        count=prints_of(lots),
    )


def _trade_exact(path: PricePath, a: int, b: int) -> TradeSpan:
    points: list[int] = []
    volumes: list[int] = []
    for mi in range(a // 60, (b - 1) // 60 + 1):  # the minutes overlapping [a, b)
        minute = path.minute(mi)
        lo, hi = max(a - minute.start, 0), min(b - minute.start, 60)
        points.extend(minute.last[lo + (1 if points else 0) : hi + 1])
        volumes.extend(minute.volume[lo:hi])
    return TradeSpan(
        open=points[0],
        high=max(points),
        low=min(points),
        close=points[-1],
        lots=sum(volumes),
        notional=float(sum(v * p for v, p in zip(volumes, points[1:], strict=True))),
        count=sum(prints_of(v) for v in volumes),
    )


def quote_points(path: PricePath, a: int, b: int, *, exact: bool) -> tuple[list[int], list[int], list[int]]:
    """(times, bids, asks) in ticks at the instants a bar [a, b) looks at (every second, or sampled)."""
    if exact:
        bids: list[int] = []
        asks: list[int] = []
        for mi in range(a // 60, (b - 1) // 60 + 1):
            minute = path.minute(mi)
            lo, hi = max(a - minute.start, 0), min(b - minute.start, 60)
            closing = 1 if mi == (b - 1) // 60 else 0  # the closing instant b comes with the last minute
            bids.extend(minute.bid[lo : hi + closing])
            asks.extend(minute.ask[lo : hi + closing])
        return list(range(a, b + 1)), bids, asks
    times = _sample_times(a, b, _resolution(a, b))
    inv, exp, floor = path.inv_tick, math.exp, math.floor
    bids, asks = [], []
    for s, x in zip(times, _sample_x(path, times), strict=True):
        n = path.spread(path.minute_state(s // 60))
        bid = max(1, floor(exp(x) * inv - (n - 1) / 2))
        bids.append(bid)
        asks.append(bid + n)
    return times, bids, asks


def time_average(times: list[int], values: list[int]) -> float:
    """Average of a step function holding values[i] over [times[i], times[i + 1])."""
    span = times[-1] - times[0]
    return sum(v * (t1 - t0) for v, (t0, t1) in zip(values, pairwise(times), strict=False)) / span
