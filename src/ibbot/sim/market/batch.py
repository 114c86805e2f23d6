"""The grids of many days at once (`ibbot.sim.market.grid`), in numpy: the same values as the node-by-node
loops of `ibbot.sim.market.path`, bit for bit.

Theory of operation: a day's grid nodes fall into rounds (`tree.GRID_ROUNDS`): a round reads only points of
earlier ones, so one round of every day in the batch is a handful of array operations on columns. Every
operation is one of IEEE's correctly rounded ones (+, -, *, /, sqrt, int conversion) applied in the order
the loops apply them, so the results are the loops' own bits on any machine (tested against them); the
transcendental functions (exp, and the normals' log, cos and sin) stay the `math` module's, mapped over the
values at C speed, because numpy's own need not round alike (they differ by version and by vector unit).
Rows are days; columns are minutes 0 .. 1440 of the day.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ibbot.sim.market.noise import mapped
from ibbot.sim.market.tree import MINUTES_PER_DAY, Round

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


class Profiles:
    """Per-day rows of cumulative rates (a profile's var_cum or vol_cum, 1441 values) without a copy per day:
    the distinct ones (days share their shape) and each day's."""

    def __init__(self, arrays: Sequence[array[float]]) -> None:
        places: dict[int, int] = {}
        distinct: list[array[float]] = []
        for a in arrays:
            if id(a) not in places:
                places[id(a)] = len(distinct)
                distinct.append(a)
        self._table = np.stack([np.frombuffer(a) for a in distinct])
        self._rows = np.array([places[id(a)] for a in arrays], dtype=np.int64)

    def columns(self, minutes: Ints) -> Floats:
        """(days, len(minutes)): each day's values at `minutes`."""
        found: Floats = self._table[:, minutes][self._rows]
        return found


def exp(values: Floats) -> Floats:
    """math.exp of every value (the same shape)."""
    found: Floats = mapped(math.exp, values)
    return found


@dataclass(frozen=True, slots=True)
class _Round:
    """One round as index arrays: its points' columns (minute // step), minutes and draws, and its weights."""

    lo: Ints
    mid: Ints
    hi: Ints
    lo_minute: Ints
    mid_minute: Ints
    hi_minute: Ints
    index: Ints
    frac: Floats
    spread: Floats


@dataclass(frozen=True, slots=True)
class Plan:
    """A grid's rounds (`tree.rounds_of`) as index arrays for arrays of its points 0, step ... width."""

    rounds: tuple[_Round, ...]
    step: int
    width: int

    @property
    def columns(self) -> int:
        return self.width // self.step + 1


def plan(rounds: tuple[Round, ...], step: int = 1, width: int = MINUTES_PER_DAY) -> Plan:
    """The plan of a grid of `step` over [0, width] whose nodes are `rounds` (made once, at import)."""
    return Plan(
        rounds=tuple(
            _Round(
                lo=np.array(r.lo) // step,
                mid=np.array(r.mid) // step,
                hi=np.array(r.hi) // step,
                lo_minute=np.array(r.lo),
                mid_minute=np.array(r.mid),
                hi_minute=np.array(r.hi),
                index=np.array(r.index),
                frac=np.array(r.frac),
                spread=np.array(r.spread),
            )
            for r in rounds
        ),
        step=step,
        width=width,
    )


def runs(counts: Ints) -> tuple[Ints, Ints]:
    """(starts, positions) of runs of `counts` items laid end to end: each run's first place, and each item's
    place in its run."""
    starts: Ints = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    positions: Ints = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return starts, positions


def bridge(
    ends: Floats,
    draws: Floats,
    scales: Floats,
    plan: Plan,
    var_cum: Profiles | None = None,
) -> Floats:
    """Log prices at the points 0, step, 2 step ... width of each day (the plan's grid: its nodes draw every
    one of them); with a width of 60, at the seconds of each minute (`PricePath.seconds`).

    `ends`: (days, 2), the log prices at the day's midnights; `draws`: (days, nodes), node i's normal in column
    i; `scales`: per day, sqrt(day variance x variance scale), times 1,440 when `var_cum` is None (the uniform
    clock: the nodes' own weights); `var_cum`: (days, 1441) cumulative variance rates otherwise.
    As `PricePath._draw`: x_lo + frac (x_hi - x_lo) + scale spread z."""
    x = np.empty((len(ends), plan.columns))
    x[:, 0], x[:, -1] = ends[:, 0], ends[:, 1]
    scale = scales[:, None]
    for r in plan.rounds:
        z = draws[:, r.index]
        x_lo = x[:, r.lo]
        if var_cum is None:
            x[:, r.mid] = x_lo + r.frac * (x[:, r.hi] - x_lo) + scale * r.spread * z
            continue
        c0, cm, c1 = var_cum.columns(r.lo_minute), var_cum.columns(r.mid_minute), var_cum.columns(r.hi_minute)
        span = c1 - c0
        spread = np.sqrt((cm - c0) * (c1 - cm) / span)
        x[:, r.mid] = x_lo + (cm - c0) / span * (x[:, r.hi] - x_lo) + scale * spread * z
    return x


def cascade(
    roots: Ints,
    draws: Floats,
    plan: Plan,
    noise: float,
    vol_cum: Profiles | None = None,
) -> tuple[Ints, Ints]:
    """(segments, lefts) at the points 0, step ... of each day (the plan's grid): the lots of the segment
    starting at each point once the nodes have cut each day (`roots` lots), and at each node's mid the lots of
    its left part (`PricePath`'s volume tree). `draws` as `bridge`'s; `vol_cum`:
    (days, 1441) cumulative volume rates, None for the uniform clock (a node's share is its `frac`).
    As `PricePath._segments`: node (lo, mid, hi) gives [lo, mid) round(lots x w / (w + (1 - share) / t)) of
    [lo, hi)'s lots, where t = exp(noise z) and w = share x t."""
    days = len(roots)
    segments = np.zeros((days, plan.columns), dtype=np.int64)
    segments[:, 0] = roots
    lefts = np.full((days, plan.columns - 1), -1, dtype=np.int64)
    tilts = exp(noise * draws)  # every node's, at once
    for r in plan.rounds:
        tilt = tilts[:, r.index]
        if vol_cum is None:
            share: Floats = np.broadcast_to(r.frac, tilt.shape)
        else:
            c0 = vol_cum.columns(r.lo_minute)
            share = (vol_cum.columns(r.mid_minute) - c0) / (vol_cum.columns(r.hi_minute) - c0)
        weighted = share * tilt
        lots = segments[:, r.lo]
        left = (lots.astype(np.float64) * (weighted / (weighted + (1.0 - share) / tilt)) + 0.5).astype(np.int64)
        segments[:, r.lo] = left
        segments[:, r.mid] = lots - left
        lefts[:, r.mid] = left
    return segments, lefts


def cum_trapezoids(ticks: Ints) -> Floats:
    """Per row, the running sums of (t[k] + t[k + 1]) / 2 from 0 (as itertools.accumulate adds them)."""
    out = np.zeros(ticks.shape, dtype=np.float64)
    np.cumsum((ticks[:, :-1] + ticks[:, 1:]).astype(np.float64) * 0.5, axis=1, out=out[:, 1:])
    return out


def cum_lots(cells: Ints) -> Ints:
    """Per row, the running sums of the cells' lots from 0."""
    out = np.zeros((len(cells), cells.shape[1] + 1), dtype=np.int64)
    np.cumsum(cells, axis=1, out=out[:, 1:])
    return out
