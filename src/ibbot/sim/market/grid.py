"""One UTC day of a price path read on its grids (`ibbot.sim.market.tree`): what bars of 5 minutes and more are
made of.

Theory of operation: a `GridDay` holds the last price in ticks at the points 0, step, 2 step ... 1440 minutes
of a day, the running sum of their trapezoids (so the time-weighted average price of any run of points is one
subtraction) and the running lots of the cells of a coarser `volume_step` grid (the bars' own, whose cells
are drawn first and cheaply); bids and asks come on first use. A bar whose ends lie on both grids is then a
few slices and subtractions, however long the request: a year of half-hour bars costs about what drawing the
days' 5-minute points does. The path keeps recent `GridDay`s (`PricePath.grid_day`).
"""

from __future__ import annotations

import math
from array import array
from itertools import accumulate
from typing import Protocol


class GridSource(Protocol):
    """What a grid day reads of its path (`ibbot.sim.market.path.PricePath`)."""

    @property
    def inv_tick(self) -> float: ...

    @property
    def has_trades(self) -> bool: ...

    def grid_x(self, day: int, step: int) -> array[float]: ...

    def grid_volume(self, day: int, step: int) -> list[int]: ...

    def spread(self, state: int) -> int: ...

    def price(self, ticks: int) -> float: ...

    def minute_state(self, mi: int) -> int: ...


class GridDay:
    """Day `day` of a path: prices on the `step`-minute grid, volume on the `volume_step` one (read-only)."""

    __slots__ = ("_path", "_prices", "cum_lots", "cum_trapezoid", "day", "last", "quotes", "step", "volume_step", "xs")

    def __init__(self, path: GridSource, day: int, step: int, volume_step: int) -> None:
        if volume_step % step:
            raise ValueError("the volume grid must be coarser than the price grid")
        self._path = path
        self.day = day
        self.step = step
        self.volume_step = volume_step
        self.xs = path.grid_x(day, step)
        inv, exp = path.inv_tick, math.exp
        # lists, not arrays: the bars' loop slices them and takes max and min (a quarter faster on lists)
        last = self.last = [max(1, int(exp(x) * inv + 0.5)) for x in self.xs]
        trapezoids = ((last[k] + last[k + 1]) * 0.5 for k in range(len(last) - 1))
        self.cum_trapezoid = list(accumulate(trapezoids, initial=0.0))
        lots = path.grid_volume(day, volume_step) if path.has_trades else [0] * (1440 // volume_step)
        self.cum_lots = list(accumulate(lots, initial=0))
        self.quotes: tuple[list[int], list[int]] | None = None
        self._prices: list[float] | None = None

    def prices(self) -> list[float]:
        """The last prices at the grid's points as the floats IB sends (`PricePath.price` of each)."""
        if self._prices is None:
            self._prices = [self._path.price(t) for t in self.last]
        return self._prices

    def bid_ask(self) -> tuple[list[int], list[int]]:
        """(bids, asks) in ticks at the price grid's points, with each point's minute's spread."""
        if self.quotes is None:
            path = self._path
            inv, exp, floor = path.inv_tick, math.exp, math.floor
            first = self.day * 1440
            bids, asks = [], []
            for k, x in enumerate(self.xs):
                n = path.spread(path.minute_state(first + k * self.step))
                bid = max(1, floor(exp(x) * inv - (n - 1) / 2))
                bids.append(bid)
                asks.append(bid + n)
            self.quotes = (bids, asks)
        return self.quotes
