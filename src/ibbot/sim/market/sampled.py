"""Daily, weekly and monthly TRADES bars of a whole request at once, as columns: `_trades_bar`'s values, bit
for bit, without a span object per session.

Theory of operation: a period bar merges its sessions (`pieces`); a session [a, b) of GRID_SPAN or more is
sampled at a, at the points of its grid step strictly inside, and at b (`spans.grid_points`), cut at UTC
midnights into parts (`spans._trade_grid`). Here every part of every bar is laid out in flat arrays: its
points are read from its day's log prices, drawn for all the request's days together on the finest grid any
of the day's parts needs (`grid.day_points`), its lots from the same days' volume cascade. Integer work (ticks,
lots, the doubled trapezoid sums) is exact in any order; the two float steps that are not (the time-weighted
price of a session, and the sum of the sessions' notionals in a bar) are done as the builders do them: one
division per session, then a sum column by column in the sessions' order (tested against the builders).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np

from ibbot.sim.market import batch, noise
from ibbot.sim.market.batch import Floats, Ints
from ibbot.sim.market.grid import day_points
from ibbot.sim.market.gridbars import trades_table
from ibbot.sim.market.model import LOTS_PER_PRINT
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.spans import GRID_SPAN, grid_steps
from ibbot.sim.market.table import BarTable
from ibbot.sim.market.tree import MINUTES_PER_DAY, level_of

_DAY = 86_400
Group = tuple[int, list[tuple[int, int]], date]  # (bar start, sessions, trading date)


def sampled_trades(path: PricePath, groups: Sequence[Group]) -> BarTable | None:
    """The TRADES bars of `groups` (each a period bar's sessions, cut at the window's end), or None when one
    of its sessions is not sampled on the grids (shorter than GRID_SPAN, or off the minute): the builder's."""
    parts: list[tuple[int, int, int, int]] = []  # (session, day, first minute, last minute) of each part
    steps: list[int] = []  # per session
    owner: list[int] = []  # per session: its bar
    for bar, (_first, pieces, _day) in enumerate(groups):
        for a, b in pieces:
            if b - a < GRID_SPAN or a % 60 or b % 60:
                return None
            session = len(steps)
            steps.append(grid_steps(a, b)[0])
            owner.append(bar)
            for lo in [a, *range((a // _DAY + 1) * _DAY, b, _DAY)]:
                hi = min(b, (lo // _DAY + 1) * _DAY)
                parts.append((session, lo // _DAY, lo % _DAY // 60, (hi - lo) // 60 + lo % _DAY // 60))
    if not parts:
        return None
    table = np.array(parts, dtype=np.int64)
    session_of, day_of, first, last = table[:, 0], table[:, 1], table[:, 2], table[:, 3]
    step = np.array(steps, dtype=np.int64)[session_of]
    # the points of each part: its ends and its grid's points strictly inside
    inner_first = (first // step + 1) * step
    inner = np.maximum(0, -(-(last - inner_first) // step))
    counts = inner + 2
    starts, position = batch.runs(counts)
    minute = np.repeat(inner_first, counts) + (position - 1) * np.repeat(step, counts)
    minute[starts] = first
    minute[starts + counts - 1] = last
    days, row = np.unique(day_of, return_inverse=True)
    row = row.ravel()
    points = _Points(path, days.tolist(), _finest(days, row, first, last, step))
    exps = noise.mapped(math.exp, points.x(np.repeat(row, counts), minute)) * path.inv_tick
    ticks = np.maximum((exps + 0.5).astype(np.int64), 1)
    ends = starts + counts - 1
    open_, close = ticks[starts], ticks[ends]
    high = np.maximum.reduceat(ticks, starts)
    low = np.minimum.reduceat(ticks, starts)
    pair_sums = ticks[:-1] + ticks[1:]  # (t_k + t_k+1) of consecutive points; the parts' own ones summed
    cum = np.concatenate(([0], np.cumsum(pair_sums)))
    doubled = cum[ends] - cum[starts]  # twice the part's trapezoids: exact
    lots = points.lots(row, first, last)
    return _bars(path, groups, session_of, owner, (open_, high, low, close, lots, doubled, counts - 1))


def _finest(days: Ints, row: Ints, first: Ints, last: Ints, step: Ints) -> list[int]:
    """Per day, the finest grid step its parts need: their steps and the grids their ends lie on."""
    finest = [480] * len(days)
    for r, f, la, s in zip(row.tolist(), first.tolist(), last.tolist(), step.tolist(), strict=True):
        finest[r] = min(finest[r], s, level_of(f), level_of(la))
    return finest


class _Points:
    """The request's days drawn together, each on its own grid (`levels`), as flat arrays: a day's log prices at
    its grid's points and the running lots of its grid's cells, found by (day row, minute)."""

    def __init__(self, path: PricePath, days: list[int], levels: list[int]) -> None:
        widths = np.array([MINUTES_PER_DAY // lv + 1 for lv in levels], dtype=np.int64)
        self._base = np.concatenate(([0], np.cumsum(widths)[:-1]))
        self._level = np.array(levels, dtype=np.int64)
        self._x = np.empty(int(widths.sum()), dtype=np.float64)
        self._cum_lots = np.zeros(int(widths.sum()), dtype=np.int64)
        for level in sorted(set(levels)):
            rows = [i for i, lv in enumerate(levels) if lv == level]
            x, segments = day_points(path, [days[i] for i in rows], level)
            at = (self._base[rows][:, None] + np.arange(MINUTES_PER_DAY // level + 1)[None, :]).ravel()
            self._x[at] = x.ravel()
            if segments is not None:  # cum[j]: the lots of the cells before point j
                cum = np.zeros_like(segments)
                np.cumsum(segments[:, :-1], axis=1, out=cum[:, 1:])
                self._cum_lots[at] = cum.ravel()

    def x(self, row: Ints, minute: Ints) -> Floats:
        """The log price of day `row` at `minute` (a point of its grid), for each pair."""
        found: Floats = self._x[self._base[row] + minute // self._level[row]]
        return found

    def lots(self, row: Ints, first: Ints, last: Ints) -> Ints:
        """Lots traded on day `row` in minutes [first, last) (points of its grid), for each."""
        base, level = self._base[row], self._level[row]
        found: Ints = self._cum_lots[base + last // level] - self._cum_lots[base + first // level]
        return found


def _bars(
    path: PricePath,
    groups: Sequence[Group],
    session_of: Ints,
    owner: list[int],
    parts: tuple[Ints, Ints, Ints, Ints, Ints, Ints, Ints],
) -> BarTable:
    """The bars from their parts' (open, high, low, close, lots, doubled trapezoids, intervals), as
    `_trade_grid` merges a session's parts, `_merge` a bar's sessions and `_trades_bar` makes the bar."""
    open_, high, low, close, lots, doubled, intervals = parts
    first = np.flatnonzero(np.r_[True, session_of[1:] != session_of[:-1]])
    last = np.r_[first[1:], len(session_of)] - 1
    s_lots = np.add.reduceat(lots, first)
    twap = np.add.reduceat(doubled, first) * 0.5 / np.add.reduceat(intervals, first)  # exact sums, one division
    notional = s_lots * twap
    sessions = (open_[first], np.maximum.reduceat(high, first), np.minimum.reduceat(low, first), close[last])
    bar_of = np.array(owner, dtype=np.int64)
    b_first = np.flatnonzero(np.r_[True, bar_of[1:] != bar_of[:-1]])
    b_last = np.r_[b_first[1:], len(bar_of)] - 1
    o, h = sessions[0][b_first], np.maximum.reduceat(sessions[1], b_first)
    lo, c = np.minimum.reduceat(sessions[2], b_first), sessions[3][b_last]
    b_lots = np.add.reduceat(s_lots, b_first)
    count = np.add.reduceat((s_lots + LOTS_PER_PRINT - 1) // LOTS_PER_PRINT, b_first)
    total = np.zeros(len(b_first), dtype=np.float64)  # the sessions' notionals summed in their order
    place = batch.runs(np.diff(np.r_[b_first, len(bar_of)]))[1]  # each session's place in its bar
    for k in range(int(place.max()) + 1):
        column = np.zeros(len(b_first), dtype=np.float64)
        at = place == k
        column[bar_of[at]] = notional[at]
        total = total + column
    with np.errstate(invalid="ignore", divide="ignore"):
        wap = np.where(b_lots > 0, total / b_lots, c.astype(np.float64))
    start, dates = [g[0] for g in groups], [g[2] for g in groups]
    return trades_table(path, start, (o, h, lo, c), b_lots, wap, count=count, trading_date=dates)
