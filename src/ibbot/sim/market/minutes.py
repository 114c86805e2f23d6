"""Bars of 1 to 4 minutes of a whole request at once, as columns: the builders' values, bit for bit, from the
seconds of all its minutes drawn together.

Theory of operation: a bar [a, b) shorter than GRID_SPAN is sampled every (b - a) / 60 seconds, both ends
included (`spans.trade_span`, `spans.quote_points`): every second of a 1-minute bar, every second one of a
2-minute bar. Those points are the minutes' seconds (`PricePath.seconds`: a bisection of each minute between
its two minute points), so here the request's days get their minute points in one batch
(`grid.day_points` on the 1-minute grid, with the volume of every minute), then every minute its 59 inner
seconds, one round of the bisection at a time for all minutes (`batch.bridge`). Integer sums are exact;
the float steps are the builders' own operations in their order (tested against them).
"""

from __future__ import annotations

import math

import numpy as np

from ibbot.sim.market import batch, noise
from ibbot.sim.market.batch import Floats, Ints
from ibbot.sim.market.grid import day_points, spread_table
from ibbot.sim.market.gridbars import decimal_prices, quote_table, rounded, trades_table
from ibbot.sim.market.path import SECONDS_PLAN, PricePath
from ibbot.sim.market.series import WhatToShow
from ibbot.sim.market.table import BarTable
from ibbot.sim.market.tree import MINUTES_PER_DAY, Node, rounds_of

_SECONDS = [Node(i, p.lo, p.mid, p.hi, p.frac, p.spread) for i, p in enumerate(SECONDS_PLAN)]
_SECOND_PLAN = batch.plan(rounds_of(_SECONDS, width=60), width=60)  # a minute's bisection, in rounds
_SECOND_DRAWS = len(SECONDS_PLAN)


def minute_table(path: PricePath, lo: Ints, hi: Ints, what: WhatToShow) -> BarTable:
    """The bars [lo[i], hi[i]) (epoch seconds, whole minutes, 60 to 299 seconds long, oldest first) of `what`."""
    res = np.maximum(1, (hi - lo) // 60)  # `spans._resolution` below a minute's worth of points
    counts = -(-(hi - lo) // res) + 1  # every res seconds from lo, and hi
    starts, position = batch.runs(counts)
    times = np.repeat(lo, counts) + position * np.repeat(res, counts)
    times[starts + counts - 1] = hi
    minutes, row = np.unique(times // 60, return_inverse=True)  # every minute a bar covers holds points
    x, volume = _seconds(path, minutes)
    # a point on a minute boundary is that minute's second 0 (the one before's second 60: the same value)
    index = row.ravel() * 61 + times % 60
    raw = noise.mapped(math.exp, x.ravel()[index]) * path.inv_tick
    ends = starts + counts - 1
    tick, digits = path.tick, path.decimals
    start: list[int] = lo.tolist()
    if what is WhatToShow.TRADES:
        ticks = np.maximum((raw + 0.5).astype(np.int64), 1)
        cum_volume = np.concatenate(([0], np.cumsum(volume)))
        lots = cum_volume[np.searchsorted(minutes, hi // 60)] - cum_volume[np.searchsorted(minutes, lo // 60)]
        total = np.add.reduceat(ticks, starts)  # exact
        # as trade_span: lots x (sum - (first + last) / 2) / intervals, the time-weighted notional
        notional = lots * (total - (ticks[starts] + ticks[ends]) / 2) / (counts - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            wap = np.where(lots > 0, notional / lots, ticks[ends].astype(np.float64))
        h, low = np.maximum.reduceat(ticks, starts), np.minimum.reduceat(ticks, starts)
        return trades_table(path, start, (ticks[starts], h, low, ticks[ends]), lots, wap)
    spreads = _spreads(path, times // 60)
    bids = np.maximum(np.floor(raw - (spreads - 1) / 2).astype(np.int64), 1)
    asks = bids + spreads
    if what is WhatToShow.BID_ASK:  # time averages of the quotes in force (each point's until the next)
        length = hi - lo
        inner = np.ones(len(times), dtype=bool)
        inner[ends] = False
        gaps = np.where(inner, np.diff(times, append=times[-1:]), 0)  # each point's time until the next
        weighted_bids = np.add.reduceat(bids * gaps, starts)
        weighted_asks = np.add.reduceat(asks * gaps, starts)
        bid_sum, ask_sum = weighted_bids / length * length, weighted_asks / length * length
        high = np.maximum.reduceat(np.where(inner, asks, 0), starts) * tick
        low_ = np.minimum.reduceat(np.where(inner, bids, 1 << 62), starts) * tick
        values = (bid_sum / length * tick, high, low_, ask_sum / length * tick)
        o, h_, l_, c = (rounded(v.tolist(), digits + 2) for v in values)
    else:
        series = bids + asks if what is WhatToShow.MIDPOINT else bids if what is WhatToShow.BID else asks
        h, low = np.maximum.reduceat(series, starts), np.minimum.reduceat(series, starts)
        o, h_, l_, c = decimal_prices(path, what is WhatToShow.MIDPOINT, series[starts], h, low, series[ends])
    return quote_table(start, o, h_, l_, c)


def _seconds(path: PricePath, minutes: Ints) -> tuple[Floats, Ints]:
    """(log prices at the 61 seconds of each minute, lots traded in each minute), as `PricePath.seconds` and
    `PricePath.minute_volume` give them."""
    days, day_row = np.unique(minutes // MINUTES_PER_DAY, return_inverse=True)
    points, segments = day_points(path, days.tolist(), 1)
    m = minutes % MINUTES_PER_DAY
    ends = np.stack([points[day_row, m], points[day_row, m + 1]], axis=1)
    profiles = [path.day_profile(d) for d in days.tolist()]
    var_cum = np.stack([np.frombuffer(p.var_cum) for p in profiles])
    day_scale = np.array([path.day_variance * p.variance_scale for p in profiles])[day_row]
    scales = np.sqrt(day_scale * (var_cum[day_row, m + 1] - var_cum[day_row, m]))
    draws = noise.normals_rows(path.draw_keys[2], minutes.tolist(), _SECOND_DRAWS)
    x = batch.bridge(ends, draws, scales, _SECOND_PLAN)
    volume = segments[day_row, m] if segments is not None else np.zeros(len(minutes), dtype=np.int64)
    return x, volume


def _spreads(path: PricePath, minutes: Ints) -> Ints:
    """The spread in ticks during each minute (epoch minutes), by its state."""
    first = int(minutes.min()) // MINUTES_PER_DAY
    days = range(first, int(minutes.max()) // MINUTES_PER_DAY + 1)
    states = np.frombuffer(b"".join(path.minute_states(d) for d in days), dtype=np.uint8)
    found: Ints = spread_table(path)[states[minutes - first * MINUTES_PER_DAY]]
    return found
