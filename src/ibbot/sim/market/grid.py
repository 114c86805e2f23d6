"""Days of a price path read on its grids (`ibbot.sim.market.tree`): what bars of 5 minutes and more are made of.

Theory of operation: a `GridBatch` holds, for consecutive UTC days, the last price in ticks at the points 0,
step, 2 step ... 1440 minutes of each day, the running sum of their trapezoids (so the time-weighted average
price of any run of points is one subtraction) and the running lots of the cells of a coarser `volume_step`
grid (the bars' own, whose cells are drawn first and cheaply); bids and asks on first use. A bar whose ends
lie on both grids is then a few slices and subtractions, however long the request. The days are computed
together (`ibbot.sim.market.batch`: a few array operations per round of the bridge for all of them, the same
bits as the path's node-by-node loops), so a year of half-hour bars costs about what its exp and normal draws
do. A `GridDay` is one day of a batch as Python lists, for code that reads one bar at a time; the path keeps
recent ones (`PricePath.grid_day`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ibbot.sim.market import batch, noise
from ibbot.sim.market.batch import Floats, Ints
from ibbot.sim.market.profile import CLOSED, EXTENDED, MINUTES_PER_DAY, REGULAR, DayProfile
from ibbot.sim.market.tree import GRID_ROUNDS, LEVELS, grid_nodes

MINUTE_VOLUME_NOISE = 0.15  # per bisection level inside a day (11 levels): `PricePath._segments`' too
_PLANS = {step: batch.plan(GRID_ROUNDS[step], step) for step in LEVELS}  # each grid's rounds as index arrays


class GridSource(Protocol):
    """What a grid reads of its path (`ibbot.sim.market.path.PricePath`)."""

    @property
    def inv_tick(self) -> float: ...

    @property
    def has_trades(self) -> bool: ...

    @property
    def day_variance(self) -> float: ...

    @property
    def draw_keys(self) -> tuple[int, int, int]: ...  # noise keys: the day's prices, its volume, its seconds

    def midnight_x(self, day: int) -> float: ...

    def day_profile(self, day: int) -> DayProfile: ...

    def day_lots(self, day: int) -> int: ...

    def minute_states(self, day: int) -> bytes: ...

    def spread(self, state: int) -> int: ...

    def price(self, ticks: int) -> float: ...


@dataclass(frozen=True, slots=True)
class GridBatch:
    """Days `days` (UTC day numbers, ascending) of a path on the `step`-minute price grid and the `volume_step`
    one. Rows are days; `ticks` and `cum_trapezoid` have 1440 / step + 1 columns, `cum_lots` 1440 / volume_step + 1."""

    days: tuple[int, ...]
    step: int
    volume_step: int
    exps: Floats  # exp(log price) x inv_tick at the points: what the ticks and the quotes are rounded from
    ticks: Ints
    cum_trapezoid: Floats
    cum_lots: Ints
    source: GridSource = field(compare=False, repr=False)  # the spreads' minute states, read on first use
    _quotes: list[tuple[Ints, Ints]] = field(default_factory=list, compare=False, repr=False)

    def quotes(self) -> tuple[Ints, Ints]:
        """(bids, asks) in ticks at the points, each with its minute's spread (TRADES bars never ask)."""
        if not self._quotes:
            spreads = spreads_of(self.source, self.days, self.step)
            bids = np.maximum(np.floor(self.exps - (spreads - 1) / 2).astype(np.int64), 1)
            self._quotes.append((bids, bids + spreads))
        return self._quotes[0]

    def row(self, i: int) -> GridDay:
        """Day `days[i]` on its own (copies: a kept day does not keep the batch)."""
        return GridDay(
            day=self.days[i],
            step=self.step,
            volume_step=self.volume_step,
            exps=self.exps[i].copy(),
            ticks=self.ticks[i].copy(),
            cum_trapezoid=self.cum_trapezoid[i].copy(),
            cum_lots=self.cum_lots[i].copy(),
            path=self.source,
        )

    @classmethod
    def of(cls, rows: Sequence[GridDay]) -> GridBatch:
        """Kept days as one batch (same grids, ascending days)."""
        return cls(
            days=tuple(r.day for r in rows),
            step=rows[0].step,
            volume_step=rows[0].volume_step,
            exps=np.stack([r.exps for r in rows]),
            ticks=np.stack([r.ticks for r in rows]),
            cum_trapezoid=np.stack([r.cum_trapezoid for r in rows]),
            cum_lots=np.stack([r.cum_lots for r in rows]),
            source=rows[0].path,
        )


def grid_batch(path: GridSource, day_list: Sequence[int], step: int, volume_step: int) -> GridBatch:
    """Days `day_list` (ascending) of `path` on its grids (module doc)."""
    if volume_step % step:
        raise ValueError("the volume grid must be coarser than the price grid")
    days = len(day_list)
    profiles = [path.day_profile(d) for d in day_list]
    x = _log_prices(path, profiles, day_list, step)
    exps = batch.exp(x) * path.inv_tick
    ticks = np.maximum((exps + 0.5).astype(np.int64), 1)
    cells = np.zeros((days, MINUTES_PER_DAY // volume_step), dtype=np.int64)
    if path.has_trades:
        cells = _segments(path, profiles, day_list, volume_step)[0][:, :-1]
    return GridBatch(
        days=tuple(day_list),
        step=step,
        volume_step=volume_step,
        exps=exps,
        ticks=ticks,
        cum_trapezoid=batch.cum_trapezoids(ticks),
        cum_lots=batch.cum_lots(cells),
        source=path,
    )


def spreads_of(path: GridSource, day_list: Sequence[int], step: int) -> Ints:
    """The spread in ticks at each point of the days' `step`-minute grids (its minute's; the last point is
    the next day's first minute)."""
    states = [path.minute_states(d)[::step] + path.minute_states(d + 1)[:1] for d in day_list]
    found: Ints = spread_table(path)[np.frombuffer(b"".join(states), dtype=np.uint8).reshape(len(day_list), -1)]
    return found


def spread_table(path: GridSource) -> Ints:
    """The spread in ticks by minute state (CLOSED, EXTENDED, REGULAR): index it with states."""
    return np.array([path.spread(state) for state in (CLOSED, EXTENDED, REGULAR)], dtype=np.int64)


def day_points(path: GridSource, day_list: Sequence[int], step: int) -> tuple[Floats, Ints | None]:
    """(log prices, volume segments) of days `day_list` at the points 0, step ... 1440 of the `step`-minute
    grid (columns: minute // step; segments as `batch.cascade`'s), None without trades."""
    profiles = [path.day_profile(d) for d in day_list]
    x = _log_prices(path, profiles, day_list, step)
    return x, _segments(path, profiles, day_list, step)[0] if path.has_trades else None


def day_trees(path: GridSource, day_list: Sequence[int], step: int) -> tuple[Floats, Ints | None]:
    """(log prices, volume trees) of days `day_list` with every node of the `step`-minute grid drawn: the
    path's own per-day memos (`PricePath._day_tree`, `_volume_tree`: every minute, NaN and -1 where not
    drawn), None without trades."""
    profiles = [path.day_profile(d) for d in day_list]
    x = np.full((len(day_list), MINUTES_PER_DAY + 1), np.nan)
    x[:, ::step] = _log_prices(path, profiles, day_list, step)
    if not path.has_trades:
        return x, None
    lefts = np.full((len(day_list), MINUTES_PER_DAY), -1, dtype=np.int64)
    lefts[:, ::step] = _segments(path, profiles, day_list, step)[1]
    return x, lefts


def _log_prices(path: GridSource, profiles: list[DayProfile], day_list: Sequence[int], step: int) -> Floats:
    """The log prices at the `step`-minute grid's points of each day (columns: minute // step)."""
    ends = np.array([(path.midnight_x(d), path.midnight_x(d + 1)) for d in day_list], dtype=np.float64).reshape(-1, 2)
    draws = noise.normals_rows(path.draw_keys[0], day_list, len(grid_nodes(step)))
    x = np.empty((len(day_list), MINUTES_PER_DAY // step + 1), dtype=np.float64)
    for rows, uniform in _by_clock(profiles):
        if uniform:  # the nodes' own weights, as PricePath._draw for a uniform day
            scales = [math.sqrt(path.day_variance * profiles[i].variance_scale * MINUTES_PER_DAY) for i in rows]
            x[rows] = batch.bridge(ends[rows], draws[rows], np.array(scales), _PLANS[step])
        else:
            scales = [math.sqrt(path.day_variance * profiles[i].variance_scale) for i in rows]
            var_cum = batch.Profiles([profiles[i].var_cum for i in rows])
            x[rows] = batch.bridge(ends[rows], draws[rows], np.array(scales), _PLANS[step], var_cum)
    return x


def _by_clock(profiles: Sequence[DayProfile]) -> list[tuple[list[int], bool]]:
    """The batch's rows split by the bridge's clock: uniform days and the others."""
    uniform = [i for i, p in enumerate(profiles) if p.uniform]
    other = [i for i, p in enumerate(profiles) if not p.uniform]
    return [(rows, flag) for rows, flag in ((uniform, True), (other, False)) if rows]


def _segments(path: GridSource, profiles: list[DayProfile], days: Sequence[int], step: int) -> tuple[Ints, Ints]:
    """`batch.cascade` of each day over the nodes of the `step`-minute grid (as `PricePath._segments`), at
    the grid's points."""
    draws = noise.normals_rows(path.draw_keys[1], days, len(grid_nodes(step)))
    roots = np.array([path.day_lots(d) for d in days], dtype=np.int64)
    segments = np.zeros((len(days), MINUTES_PER_DAY // step + 1), dtype=np.int64)
    lefts = np.zeros((len(days), MINUTES_PER_DAY // step), dtype=np.int64)
    for rows, uniform in _by_clock(profiles):
        vol_cum = None if uniform else batch.Profiles([profiles[i].vol_cum for i in rows])
        found = batch.cascade(roots[rows], draws[rows], _PLANS[step], MINUTE_VOLUME_NOISE, vol_cum)
        segments[rows], lefts[rows] = found
    return segments, lefts


class GridDay:
    """One day of a `GridBatch` (read-only): its rows, and as Python lists for code that reads a bar at a time."""

    __slots__ = (
        "_lists",
        "_prices",
        "_quotes",
        "cum_lots_row",
        "cum_trapezoid_row",
        "day",
        "exps",
        "path",
        "step",
        "ticks",
        "volume_step",
    )

    def __init__(
        self,
        *,
        day: int,
        step: int,
        volume_step: int,
        exps: Floats,
        ticks: Ints,
        cum_trapezoid: Floats,
        cum_lots: Ints,
        path: GridSource,
    ) -> None:
        self.day, self.step, self.volume_step = day, step, volume_step
        self.exps, self.ticks = exps, ticks
        self.cum_trapezoid_row, self.cum_lots_row = cum_trapezoid, cum_lots
        self.path = path
        self._lists: tuple[list[int], list[float], list[int]] | None = None
        self._prices: list[float] | None = None
        self._quotes: tuple[list[int], list[int]] | None = None

    def _as_lists(self) -> tuple[list[int], list[float], list[int]]:
        if self._lists is None:
            self._lists = (self.ticks.tolist(), self.cum_trapezoid_row.tolist(), self.cum_lots_row.tolist())
        return self._lists

    @property
    def last(self) -> list[int]:
        """The last price in ticks at each point."""
        return self._as_lists()[0]

    @property
    def cum_trapezoid(self) -> list[float]:
        return self._as_lists()[1]

    @property
    def cum_lots(self) -> list[int]:
        return self._as_lists()[2]

    def prices(self) -> list[float]:
        """The last prices at the grid's points as the floats IB sends (`PricePath.price` of each)."""
        if self._prices is None:
            self._prices = [self.path.price(t) for t in self.last]
        return self._prices

    def bid_ask(self) -> tuple[list[int], list[int]]:
        """(bids, asks) in ticks at the price grid's points, with each point's minute's spread."""
        if self._quotes is None:
            bids, asks = GridBatch.of([self]).quotes()
            self._quotes = (bids[0].tolist(), asks[0].tolist())
        return self._quotes
