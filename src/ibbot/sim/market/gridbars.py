"""Intraday bars read straight from the days' grids, all of a request's at once, as columns.

Theory of operation: a bar [lo, hi) of 5 minutes or more whose ends lie on its day's price and volume grids
(`ibbot.sim.market.grid`) is points k0 .. k1 of its day's row: open and close are the points at its ends,
high and low the extremes of the run (`np.maximum.reduceat` over the runs), the lots a difference of the
cumulative lots and the time-weighted price a difference of the cumulative trapezoids. The arithmetic is the
builders' (`ibbot.sim.market.bars`), operation for operation, so the values are theirs, bit for bit (tested):
integer ticks and lots are exact, the float operations are IEEE's correctly rounded ones in the same order,
and Python's decimal rounding (`round(x, n)`) is applied to the few distinct values it is needed for.
"""

from __future__ import annotations

from datetime import date
from itertools import repeat

import numpy as np

from ibbot.sim.market.batch import Floats, Ints
from ibbot.sim.market.model import LOTS_PER_PRINT
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.series import WhatToShow
from ibbot.sim.market.table import BarTable

_DAY = 86_400


def grid_table(path: PricePath, lo: Ints, hi: Ints, what: WhatToShow, *, step: int, volume_step: int) -> BarTable:
    """The bars [lo[i], hi[i]) (epoch seconds, oldest first; each inside one UTC day, its ends on the
    `step`-minute price grid and the `volume_step` volume grid) of series `what`."""
    day_of = lo // _DAY
    days = np.unique(day_of)
    grids = path.grid_days(days.tolist(), step, volume_step)
    seconds = step * 60
    width = grids.ticks.shape[1]
    base = np.searchsorted(days, day_of) * width
    k0 = (lo % _DAY) // seconds
    k1 = k0 + (hi - lo) // seconds
    start: list[int] = lo.tolist()
    tick, digits = path.tick, path.decimals
    if what is WhatToShow.TRADES:
        ticks = grids.ticks.ravel()
        o, c = ticks[base + k0], ticks[base + k1]
        h, low = _extremes(ticks, base + k0, base + k1 + 1)
        volume_seconds = volume_step * 60
        v0 = (lo % _DAY) // volume_seconds
        cum_lots = grids.cum_lots
        row = base // width
        lots = cum_lots[row, v0 + (hi - lo) // volume_seconds] - cum_lots[row, v0]
        trapezoids = grids.cum_trapezoid.ravel()
        twap = (trapezoids[base + k1] - trapezoids[base + k0]) / (k1 - k0)
        with np.errstate(invalid="ignore", divide="ignore"):
            wap = np.where(lots > 0, lots * twap / lots, c.astype(np.float64))  # as _trades_bar divides the notional
        return trades_table(path, start, (o, h, low, c), lots, wap)
    bids, asks = (q.ravel() for q in grids.quotes())
    if what is WhatToShow.BID_ASK:  # as _quote_bar_for computes it: time averages of open and close
        length = hi - lo
        bid_sum = _run_sums(bids, base + k0, base + k1) * seconds / length * length
        ask_sum = _run_sums(asks, base + k0, base + k1) * seconds / length * length
        high = _extremes(asks, base + k0, base + k1)[0] * tick
        low_ = _extremes(bids, base + k0, base + k1)[1] * tick
        values = (bid_sum / length * tick, high, low_, ask_sum / length * tick)
        o_, h_, l_, c_ = (rounded(v.tolist(), digits + 2) for v in values)
        return quote_table(start, o_, h_, l_, c_)
    if what is WhatToShow.MIDPOINT:
        series, half = bids + asks, True
    else:
        series, half = (bids if what is WhatToShow.BID else asks), False
    h, low = _extremes(series, base + k0, base + k1 + 1)
    found = decimal_prices(path, half, series[base + k0], h, low, series[base + k1])
    return quote_table(start, *found)


def trades_table(
    path: PricePath,
    start: list[int],
    ohlc: tuple[Ints, Ints, Ints, Ints],
    lots: Ints,
    wap: Floats,
    *,
    count: Ints | None = None,
    trading_date: list[date] | None = None,
) -> BarTable:
    """TRADES bars from their prices in ticks, lots and WAP in ticks, as `_trades_bar` finishes a bar: prices
    and the WAP rounded, volume in shares, the trade count from the lots unless given (a sum of sessions')."""
    prices = decimal_prices(path, False, *ohlc)
    return BarTable(
        start=start,
        open=prices[0],
        high=prices[1],
        low=prices[2],
        close=prices[3],
        volume=(lots * path.model.lot_size).tolist(),
        wap=rounded((wap * path.tick).tolist(), path.decimals + 2),
        count=((lots + LOTS_PER_PRINT - 1) // LOTS_PER_PRINT if count is None else count).tolist(),
        trading_date=trading_date,
    )


def quote_table(start: list[int], o: list[float], h: list[float], low: list[float], c: list[float]) -> BarTable:
    """Bars of a quote series: no volume, WAP or count (-1, as IB sends them)."""
    n = len(start)
    return BarTable(start=start, open=o, high=h, low=low, close=c, volume=[-1] * n, wap=[-1.0] * n, count=[-1] * n)


def _extremes(values: Ints, a: Ints, b: Ints) -> tuple[Ints, Ints]:
    """(max, min) of values[a[i]:b[i]] for every i (a < b; b may be len(values))."""
    padded = np.append(values, values[-1:])
    edges = np.empty(2 * len(a), dtype=np.int64)
    edges[0::2], edges[1::2] = a, b
    return np.maximum.reduceat(padded, edges)[0::2], np.minimum.reduceat(padded, edges)[0::2]


def _run_sums(values: Ints, a: Ints, b: Ints) -> Ints:
    """sum(values[a[i]:b[i]]) for every i, exact (integers)."""
    cum = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=cum[1:])
    found: Ints = cum[b] - cum[a]
    return found


def decimal_prices(path: PricePath, half: bool, *columns: Ints) -> list[list[float]]:
    """round(v x tick, decimals) of every integer v of the columns, a price in ticks (`PricePath.price`), or
    with `half` round(v x (tick / 2), decimals + 1), v a bid plus an ask: as the builders round them.

    When the tick is a whole number m of 10**-decimals, v x tick is within an ulp of the decimal v m 10**-d,
    so Python's correctly rounded round() gives the float nearest that decimal: v m / 10**d, one IEEE division
    of exact integers (the same bits; tested). Otherwise round() itself, once per distinct value."""
    stacked = np.stack(columns)
    tick, digits = path.tick, path.decimals
    units = round(tick * 10**digits)
    factor, places = (5, digits + 1) if half else (1, digits)
    if abs(units - tick * 10**digits) < 1e-9 and int(np.abs(stacked).max(initial=0)) * units * factor < 2**53:
        exact: list[list[float]] = (stacked * (units * factor) / 10**places).tolist()
        return exact
    scale = tick / 2 if half else tick
    distinct, where = np.unique(stacked, return_inverse=True)
    values: Floats = np.array([round(v * scale, places) for v in distinct.tolist()], dtype=np.float64)
    out: list[list[float]] = values[where.reshape(stacked.shape)].tolist()
    return out


def rounded(values: list[float], places: int) -> list[float]:
    """Python's round(v, places) of each (correctly rounded, as the builders round)."""
    return list(map(round, values, repeat(places)))
