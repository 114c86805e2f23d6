"""The days' grids computed together (batch, grid) give the node-by-node loops' values, bit for bit."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from ibbot.sim.market import noise
from ibbot.sim.market.grid import day_points, day_trees, grid_batch
from ibbot.sim.market.model import PriceModel
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.tree import GRID_ROUNDS, LEVELS, MINUTES_PER_DAY, grid_nodes
from unit.sim.support import AAPL, ES, EURUSD

DAYS = [19_781, 19_782, 19_783, 19_786, 19_787]  # 2024-02-26 .. 03-01 and a Monday after a weekend
MODELS = {"rth stock": AAPL, "around the clock": replace(AAPL, around_the_clock=True), "future": ES, "fx": EURUSD}


def test_rounds_hold_every_node_of_a_grid_once_after_what_it_reads() -> None:
    for step in LEVELS:
        drawn = {0, MINUTES_PER_DAY}
        seen: list[int] = []
        for r in GRID_ROUNDS[step]:
            assert all(lo in drawn and hi in drawn for lo, hi in zip(r.lo, r.hi, strict=True))
            drawn |= set(r.mid)
            seen += r.index
        assert sorted(seen) == list(range(len(grid_nodes(step))))


def test_normals_rows_are_normals_bit_for_bit() -> None:
    key = noise.tag_key(noise.stream_key(7, 265_598), 3)
    for count in (1, 2, 47, 287):
        rows = noise.normals_rows(key, DAYS, count)
        for row, day in zip(rows, DAYS, strict=True):
            assert [v.hex() for v in row.tolist()] == [v.hex() for v in noise.normals(key, day, count)]


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize(("step", "volume_step"), [(5, 30), (15, 60), (60, 60), (30, 240)])
def test_a_batch_of_days_is_each_day_as_the_path_draws_it(name: str, step: int, volume_step: int) -> None:
    model: PriceModel = MODELS[name]
    found = grid_batch(PricePath(model, seed=5), DAYS, step, volume_step)
    single = PricePath(model, seed=5)
    for i, day in enumerate(DAYS):
        points = single.grid_x(day, step)
        ticks = [max(1, int(math.exp(x) * single.inv_tick + 0.5)) for x in points]
        assert found.ticks[i].tolist() == ticks
        lots = single.grid_volume(day, volume_step) if model.has_trades else [0] * (MINUTES_PER_DAY // volume_step)
        assert found.cum_lots[i].tolist() == [sum(lots[:k]) for k in range(len(lots) + 1)]
        trapezoids = [sum((ticks[k] + ticks[k + 1]) * 0.5 for k in range(j)) for j in range(len(ticks))]
        assert found.cum_trapezoid[i].tolist() == trapezoids
        bids, asks = found.quotes()
        for k in (0, len(points) // 3, len(points) - 1):
            bid, ask, _last = single.quote_ticks((day * MINUTES_PER_DAY + k * step) * 60)
            assert (bids[i][k], asks[i][k]) == (bid, ask)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_day_trees_are_the_paths_memos(name: str) -> None:
    model = MODELS[name]
    xs, volumes = day_trees(PricePath(model, seed=9), DAYS, 30)
    points, segments = day_points(PricePath(model, seed=9), DAYS, 30)
    assert np.array_equal(xs[:, ::30], points)  # day_points: the grid's points only
    single = PricePath(model, seed=9)
    for i, day in enumerate(DAYS):
        drawn = np.flatnonzero(~np.isnan(xs[i])).tolist()
        assert drawn == list(range(0, MINUTES_PER_DAY + 1, 30))
        assert [xs[i][m].hex() for m in drawn] == [single.minute_x(day * MINUTES_PER_DAY + m).hex() for m in drawn]
        if volumes is None:
            assert not model.has_trades
            continue
        assert segments is not None and segments[i].sum() == single.minute_volume(day * 1440, day * 1440 + 1440)
        assert segments[i][:-1].tolist() == single.grid_volume(day, 30)
        split = volumes[i][volumes[i] >= 0]
        assert len(split) == len(grid_nodes(30)) and (split <= segments[i].sum()).all()
