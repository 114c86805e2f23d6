"""Statistics of one span [a, b) of a price path, in ticks and lots: what a bar is made of.

Theory of operation: a span looks at the path's points P(a) .. P(b) (`ibbot.sim.market.path`). Exact spans read
every second from built minutes (volumes, notional and print counts per second). Sampled spans keep open,
close and volume exact and take the high and low from points inside:
- spans of 5 minutes and more read the path's own grids (`ibbot.sim.market.tree`, `ibbot.sim.market.grid`):
  the points of the coarsest grid giving at least `GRID_POINTS` intervals (a 30-minute bar reads the 5-minute
  points, an hour's the 15-minute ones, a regular session's the hourly ones) and a time-weighted WAP over
  them; the grids are the ones the path draws first, so a year of 30-minute bars costs a few hundred draws a
  day;
- shorter ones take points every (b - a) / 60 seconds (every second for a minute) and a time-weighted WAP.
The trade count is volume / LOTS_PER_PRINT. High and low are those of the points read: slightly inside the
true range, never outside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from ibbot.sim.market.model import prints_of
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.tree import LEVELS, level_at_most, level_of

_WAP_SEGMENTS = 12  # long bars weight their WAP by the volume of at most this many segments
GRID_SPAN = 300  # seconds: spans this long and longer read the path's grids
GRID_POINTS = 4  # ... the coarsest grid that cuts them into at least this many intervals
_DAY = 86_400


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


def grid_steps(a: int, b: int) -> tuple[int, int]:
    """(price grid, volume grid) in minutes for a span [a, b) of GRID_SPAN seconds or more: prices on the
    coarsest grid cutting it into GRID_POINTS intervals or more, volume on the coarsest grid both ends lie on."""
    step = level_at_most((b - a) / 60 / GRID_POINTS)
    volume_step = step
    for level in LEVELS:
        if level <= (b - a) // 60 and a % (level * 60) == 0 and b % (level * 60) == 0:
            volume_step = max(level, step)
            break
    return step, volume_step


def grid_points(path: PricePath, a: int, b: int, step: int) -> tuple[list[int], list[float]]:
    """(times, log prices) at a, at every point of the `step`-minute grid inside (a, b), and at b."""
    seconds = step * 60
    times, xs = [a], [path.x(a)]
    t = (a // seconds + 1) * seconds
    while t < b:
        day = t // _DAY
        grid = path.grid_x(day, step)
        last = min(b - 1, (day + 1) * _DAY - 1)  # grid points of this day strictly before b
        first_k, last_k = (t - day * _DAY) // seconds, (last - day * _DAY) // seconds
        times.extend(range(t, day * _DAY + last_k * seconds + 1, seconds))
        xs.extend(grid[first_k : last_k + 1])
        t = day * _DAY + (last_k + 1) * seconds
    times.append(b)
    xs.append(path.x(b))
    return times, xs


def _grid_part(path: PricePath, a: int, b: int, step: int, volume_step: int) -> tuple[list[int], int, float]:
    """(ticks, lots, sum of trapezoids) of [a, b) inside one UTC day: slices of the day's grids when both ends
    lie on them, else point by point (the time-weighted mean price is the trapezoids' sum / intervals)."""
    if a % (volume_step * 60) == 0 and b % (volume_step * 60) == 0:
        grid = path.grid_day(a // _DAY, step, volume_step)
        k0, k1 = (a % _DAY) // (step * 60), (b - a) // (step * 60)
        v0 = (a % _DAY) // (volume_step * 60)
        lots = grid.cum_lots[v0 + (b - a) // (volume_step * 60)] - grid.cum_lots[v0]
        return grid.last[k0 : k0 + k1 + 1], lots, grid.cum_trapezoid[k0 + k1] - grid.cum_trapezoid[k0]
    _times, xs = grid_points(path, a, b, step)
    inv, exp = path.inv_tick, math.exp
    ticks = [max(1, int(exp(x) * inv + 0.5)) for x in xs]
    trapezoids = sum((ticks[i] + ticks[i + 1]) * 0.5 for i in range(len(ticks) - 1))
    return ticks, path.volume(a, b), trapezoids


def span_reads(a: int, b: int, *, trades: bool) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
    """What a sampled span [a, b) (`trade_span`, or `quote_points` without `trades`) reads of its path's days:
    grid days (day, step, volume_step) and day trees (day, the grid step whose nodes it needs), for
    `PricePath.prefetched`. Nothing for spans shorter than GRID_SPAN or off the minute (they read seconds)."""
    if b - a < GRID_SPAN or a % 60 or b % 60:
        return [], []
    step, volume_step = grid_steps(a, b)
    grids: list[tuple[int, int, int]] = []
    trees: list[tuple[int, int]] = []
    aligned = volume_step * 60
    for lo, hi in pairwise([a, *range((a // _DAY + 1) * _DAY, b, _DAY), b]):
        if trades and lo % aligned == 0 and hi % aligned == 0:
            grids.append((lo // _DAY, step, volume_step))
        else:  # its ends' points, the grid's inside, the volume between: nodes of the finest of their grids
            ends = [level_of(m % _DAY // 60) for m in (lo, hi)]
            trees.append((lo // _DAY, min(step, *ends)))
    return grids, trees


def _trade_grid(path: PricePath, a: int, b: int) -> TradeSpan:
    step, volume_step = grid_steps(a, b)
    cuts = [a, *range((a // _DAY + 1) * _DAY, b, _DAY), b]
    parts = [_grid_part(path, lo, hi, step, volume_step) for lo, hi in pairwise(cuts)]
    lots = sum(p[1] for p in parts)
    intervals = sum(len(p[0]) - 1 for p in parts)
    twap = sum(p[2] for p in parts) / intervals
    return TradeSpan(
        open=parts[0][0][0],
        high=max(max(p[0]) for p in parts),
        low=min(min(p[0]) for p in parts),
        close=parts[-1][0][-1],
        lots=lots,
        notional=lots * twap,
        count=prints_of(lots),
    )


def trade_span(path: PricePath, a: int, b: int, *, exact: bool) -> TradeSpan:
    """TRADES statistics of [a, b): exact at one second, or sampled (module doc)."""
    if exact:
        return _trade_exact(path, a, b)
    if b - a >= GRID_SPAN:
        return _trade_grid(path, a, b)
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
    if b - a >= GRID_SPAN:
        times, xs = grid_points(path, a, b, grid_steps(a, b)[0])
    else:
        times = _sample_times(a, b, _resolution(a, b))
        xs = _sample_x(path, times)
    inv, exp, floor = path.inv_tick, math.exp, math.floor
    bids, asks = [], []
    for s, x in zip(times, xs, strict=True):
        n = path.spread(path.minute_state(s // 60))
        bid = max(1, floor(exp(x) * inv - (n - 1) / 2))
        bids.append(bid)
        asks.append(bid + n)
    return times, bids, asks


def time_average(times: list[int], values: list[int]) -> float:
    """Average of a step function holding values[i] over [times[i], times[i + 1])."""
    span = times[-1] - times[0]
    return sum(v * (t1 - t0) for v, (t0, t1) in zip(values, pairwise(times), strict=False)) / span
