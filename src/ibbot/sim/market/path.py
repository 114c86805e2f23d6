"""The deterministic price and volume path of one instrument, at one-second resolution, for any moment.

Theory of operation
-------------------
Log price X(s) is defined at every whole second s (epoch seconds, UTC) by a multi-resolution Brownian bridge
in business time, each level computable on its own so no answer depends on what was asked before:

- anchors: every `BLOCK_DAYS` days from 1970-01-01 the log price is log(ref_price) plus an independent normal
  (`level_spread`), so the level wanders around the reference price instead of drifting away for decades;
- days: inside a block, the value at each UTC midnight is bridged by bisection between the anchors, with the
  days' variances (`profile.day_variance`) as the bridge's clock: O(log 512) draws for any day;
- minutes: inside a day, each minute boundary is bridged with the intraday variance profile (U shape in the
  liquid session, less in extended hours, little when closed; flat around the clock) as the clock, coarse
  grids first (8 h, 4 h ... 15 min, 5 min, 1 min: `ibbot.sim.market.tree`), so a grid of 30-minute points
  costs 47 draws a day and bars of half an hour need no minute they do not look at;
- seconds: inside a minute, by bisection of [0, 60] with uniform variance.

Every bisection node has its own counter-based draw (`ibbot.sim.market.noise`) keyed by (seed, conId, level, node),
so a value is a pure function of its coordinates; the memo arrays only save time. Prices are exp(X) rounded
to the min tick (integers in ticks inside this module).

Volume is a multiplicative cascade over the same trees: a day's total (lots) follows the calendar's volume
profile and is split at every node between its two parts in proportion to their profile weight,
times a log-normal noise. Splits are integer, so the volume of any span is exact and additive: a day equals
the sum of its minutes, a minute the sum of its seconds. Second j's volume is traded during [j, j+1) at the
price of the next point, P(j+1): the last price seen at instant s is P(s), and a bar [a, b) spans the points
P(a) .. P(b) (its open is the price in force when it starts, its close the last price at its end).

Quotes at instant s come from the unrounded mid: a spread of `spread_ticks` (doubled in extended hours,
tripled when closed) placed around it, so bid < ask always and the last price lies in [bid, ask].
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from math import isnan

from ibbot.sim.market import noise
from ibbot.sim.market.grid import MINUTE_VOLUME_NOISE, GridBatch, GridDay, day_trees, grid_batch
from ibbot.sim.market.model import LOTS_PER_PRINT, Minute, PriceModel, print_sizes, prints_of
from ibbot.sim.market.profile import (
    CLOSED,
    EXTENDED,
    MINUTES_PER_DAY,
    REGULAR,
    DayProfile,
    block_variance_cum,
    day_profile,
    day_states,
    liquid_profile,
    uniform_block_cum,
)
from ibbot.sim.market.tree import CHAIN_NODES, NODES, STEPS, Node, chain_nodes, grid_nodes

BLOCK_DAYS = 512
TRADING_DAYS_PER_YEAR = 252

_TAG_ANCHOR, _TAG_DAY, _TAG_MINUTE, _TAG_SECOND = 1, 2, 3, 4
_TAG_DAY_VOLUME, _TAG_MINUTE_VOLUME, _TAG_SECOND_VOLUME, _TAG_SIZES = 5, 6, 7, 8
_DAY_VOLUME_NOISE = 0.3  # log-normal noise of a day's total volume
_SECOND_VOLUME_NOISE = 0.45  # per bisection level inside a minute (6 levels): trades come in bursts
_SPREAD_FACTOR = {REGULAR: 1, EXTENDED: 2, CLOSED: 3}
_DEPTH_FACTOR = {REGULAR: 1.0, EXTENDED: 0.4, CLOSED: 0.15}
_NAN = float("nan")
_MINUTE_CACHE = 4  # built minutes kept per path: the live minute, the next one, the previous one
_DAY_CACHE = 8
_DAY_NODES = 50_000  # memoised midnight values per path
_GRID_CACHE = 64  # grid days kept per path (up to ~30 KB each): a request's last weeks, for the ones that follow


@dataclass(frozen=True, slots=True)
class _Plan:
    """One bisection node: the new point `mid` between lo and hi, with its uniform-clock bridge weights."""

    lo: int
    mid: int
    hi: int
    frac: float  # (mid - lo) / (hi - lo)
    spread: float  # sqrt((mid - lo)(hi - mid) / (hi - lo)) / sqrt(width of the root)


def _plan(width: int) -> tuple[_Plan, ...]:
    """Bisection nodes of [0, width], parents before children (each node's mid is a unique point)."""
    nodes: list[_Plan] = []
    stack = [(0, width)]
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        mid = (lo + hi) // 2
        spread = math.sqrt((mid - lo) * (hi - mid) / (hi - lo) / width)
        nodes.append(_Plan(lo, mid, hi, (mid - lo) / (hi - lo), spread))
        stack.extend(((mid, hi), (lo, mid)))
    return tuple(nodes)


SECONDS_PLAN = _plan(60)
_SECONDS_STEPS = tuple((n.lo, n.mid, n.hi, n.frac, n.spread) for n in SECONDS_PLAN)  # unpacked: hot loops


class PricePath:
    """The path of one instrument under one seed. Answers are pure functions of (seed, model, arguments)."""

    def __init__(self, model: PriceModel, *, seed: int) -> None:
        self.model = model
        self.seed = seed
        self.tick = model.min_tick
        self.decimals = model.decimals
        self.inv_tick = 1.0 / model.min_tick
        self._calendar = model.calendar
        self._log_ref = math.log(model.ref_price)
        vol = max(model.annual_vol, 1e-4)  # a zero variance would make the bridge's clock stand still
        self._day_var = vol * vol / TRADING_DAYS_PER_YEAR
        self._level_spread = model.level_spread if model.level_spread >= 0 else 0.5 * vol
        stream = noise.stream_key(seed, model.con_id)
        self._k_anchor = noise.tag_key(stream, _TAG_ANCHOR)
        self._k_day = noise.tag_key(stream, _TAG_DAY)
        self._k_minute = noise.tag_key(stream, _TAG_MINUTE)
        self._k_second = noise.tag_key(stream, _TAG_SECOND)
        self._k_day_volume = noise.tag_key(stream, _TAG_DAY_VOLUME)
        self._k_minute_volume = noise.tag_key(stream, _TAG_MINUTE_VOLUME)
        self._k_second_volume = noise.tag_key(stream, _TAG_SECOND_VOLUME)
        self._k_sizes = noise.tag_key(stream, _TAG_SIZES)
        lots_per_day = model.typical_daily_volume / model.lot_size
        self._lots_per_day = lots_per_day
        self._depth = model.quote_depth_lots or (
            max(1, round(2.0 * math.sqrt(lots_per_day / 23_400))) if lots_per_day else 10
        )
        self._day_x: dict[int, float] = {}
        self._minute_x: dict[int, array[float]] = {}
        self._minute_vol: dict[int, array[int]] = {}
        self._day_vol: dict[int, int] = {}
        self._second_x: dict[int, array[float]] = {}
        self._minutes: dict[int, Minute] = {}
        self._grid_days: dict[tuple[int, int, int], GridDay] = {}
        self._scoped_grids: dict[tuple[int, int, int], GridDay] = {}  # `prefetched`'s
        self._scoped_trees: dict[int, array[float]] = {}
        self._scoped_volumes: dict[int, array[int]] = {}
        self._profiles: dict[int, DayProfile] = {}
        self._liquid = model.around_the_clock  # every hour trades like a liquid one: spreads and depth too
        self._liquid_profile = liquid_profile(model.calendar)
        self._states: dict[int, bytes] = {}
        self._spread_factor = dict.fromkeys(_SPREAD_FACTOR, 1) if self._liquid else _SPREAD_FACTOR
        self._depth_factor = dict.fromkeys(_DEPTH_FACTOR, 1.0) if self._liquid else _DEPTH_FACTOR
        self._floats: dict[int, float] = {}

    # --- prices ----------------------------------------------------------------------------------------

    @property
    def has_trades(self) -> bool:
        return self.model.has_trades

    def price(self, ticks: int) -> float:
        """A price in ticks as the float IB sends (rounded to the tick's decimals; memoised: the live feed
        converts several prices per instrument per second, and they repeat)."""
        value = self._floats.get(ticks)
        if value is None:
            if len(self._floats) >= 4096:
                self._floats.clear()
            value = self._floats[ticks] = round(ticks * self.tick, self.decimals)
        return value

    def x(self, s: int) -> float:
        """Log price at epoch second s."""
        mi, sec = divmod(s, 60)
        if sec == 0:
            return self.minute_x(mi)
        return self.seconds(mi)[sec]

    def last_ticks(self, s: int) -> int:
        """The last price (in ticks) in force at epoch second s."""
        return max(1, int(math.exp(self.x(s)) * self.inv_tick + 0.5))

    def quote_ticks(self, s: int) -> tuple[int, int, int]:
        """(bid, ask, last) in ticks at epoch second s."""
        raw = math.exp(self.x(s)) * self.inv_tick
        n = self.spread(self.minute_state(s // 60))
        bid = max(1, math.floor(raw - (n - 1) / 2))
        return bid, bid + n, max(1, int(raw + 0.5))

    def spread(self, state: int) -> int:
        """The bid/ask spread in ticks in a minute of `state` (wider outside the liquid hours)."""
        return self.model.spread_ticks * self._spread_factor[state]

    def minute_state(self, mi: int) -> int:
        """CLOSED, EXTENDED or REGULAR during minute `mi` (minutes since the epoch), by the calendar."""
        day, m = divmod(mi, MINUTES_PER_DAY)
        if self._liquid:  # the activity is liquid everywhere; the state is still the calendar's
            states = self._states.get(day)
            if states is None:
                if len(self._states) >= _DAY_CACHE:
                    del self._states[next(iter(self._states))]
                states = self._states[day] = day_states(self._calendar, day)
            return states[m]
        return self._profile(day).state[m]

    def _profile(self, day: int) -> DayProfile:
        """The calendar's profile of a day, through a small per-path cache (the shared one hashes the calendar)."""
        if self._liquid:
            return self._liquid_profile
        profile = self._profiles.get(day)
        if profile is None:
            if len(self._profiles) >= _DAY_CACHE:
                del self._profiles[next(iter(self._profiles))]
            profile = self._profiles[day] = day_profile(self._calendar, day)
        return profile

    def _anchor(self, block: int) -> float:
        return self._log_ref + self._level_spread * noise.normal(self._k_anchor, block, 0)

    def _x_day(self, day: int) -> float:
        """Log price at the UTC midnight starting `day` (days since the epoch)."""
        memo = self._day_x
        value = memo.get(day)
        if value is not None:
            return value
        if len(memo) > _DAY_NODES:  # decades of daily bars asked for: start again (values are pure)
            memo.clear()
        block, offset = divmod(day, BLOCK_DAYS)
        first = block * BLOCK_DAYS
        if offset == 0:
            value = memo[day] = self._anchor(block)
            return value
        # Around the clock every day counts as a trading day, with a trading day's variance from close to close:
        # the level keeps the model's volatility, only the minutes inside a day move as regular ones do.
        if self._liquid:
            cum = uniform_block_cum(BLOCK_DAYS, 1.0)
        else:
            cum = block_variance_cum(self._calendar, first, BLOCK_DAYS)
        lo, hi = 0, BLOCK_DAYS
        x_lo, x_hi = self._x_day(first), memo.get(first + BLOCK_DAYS)
        if x_hi is None:
            x_hi = memo[first + BLOCK_DAYS] = self._anchor(block + 1)
        scale = math.sqrt(self._day_var)
        while True:
            mid = (lo + hi) >> 1
            x_mid = memo.get(first + mid)
            if x_mid is None:
                c0, cm, c1 = cum[lo], cum[mid], cum[hi]
                span = c1 - c0
                bridge = math.sqrt((cm - c0) * (c1 - cm) / span)
                x_mid = x_lo + (cm - c0) / span * (x_hi - x_lo)
                x_mid += scale * bridge * noise.normal(self._k_day, block, mid)
                memo[first + mid] = x_mid
            if mid == offset:
                return x_mid
            if offset < mid:
                hi, x_hi = mid, x_mid
            else:
                lo, x_lo = mid, x_mid

    def _day_tree(self, day: int) -> array[float]:
        tree = self._scoped_trees.get(day) or self._minute_x.get(day)
        if tree is None:
            if len(self._minute_x) >= _DAY_CACHE:
                del self._minute_x[next(iter(self._minute_x))]
            tree = array("d", [_NAN]) * (MINUTES_PER_DAY + 1)
            tree[0] = self._x_day(day)
            tree[MINUTES_PER_DAY] = self._x_day(day + 1)
            self._minute_x[day] = tree
        return tree

    def minute_x(self, mi: int) -> float:
        """Log price at the start of minute `mi` (minutes since the epoch)."""
        day, m = divmod(mi, MINUTES_PER_DAY)
        tree = self._day_tree(day)
        value = tree[m]
        if isnan(value):  # NaN marks a point not computed yet
            self._draw(day, tree, CHAIN_NODES[m])
            value = tree[m]
        return value

    def fill_day(self, day: int) -> None:
        """Compute every minute point of a day at once (cheaper than 1,440 descents)."""
        self._draw(day, self._day_tree(day), NODES)

    def grid_x(self, day: int, step: int) -> array[float]:
        """Log prices at the minutes 0, step, 2 step ... 1440 of UTC day `day` (`step` one of tree.LEVELS)."""
        tree = self._day_tree(day)
        self._draw(day, tree, grid_nodes(step))
        return tree[::step]

    def grid_day(self, day: int, step: int, volume_step: int) -> GridDay:
        """Day `day`, prices on the `step`-minute grid and volume on the `volume_step` one (kept for the next
        caller: a bigger request after a smaller one, or a keepUpToDate stream, reads the same days)."""
        key = (day, step, volume_step)
        found = self._scoped_grids.get(key)
        if found is not None:
            return found
        if key not in self._grid_days:
            self.grid_days([day], step, volume_step)
        return self._grid_days[key]

    @contextmanager
    def prefetched(self, grids: Iterable[tuple[int, int, int]], trees: Iterable[tuple[int, int]]) -> Iterator[None]:
        """Inside, the path reads these grid days (day, step, volume_step: `grid_day`) and these day trees (day,
        grid step: the day's points and volume splits with that grid's nodes drawn, `_day_tree`), computed
        together on entry: what a request's daily or monthly bars read one day at a time (hundreds of days,
        where one day alone costs about what a batch of a hundred does). The values are the same either way."""
        wanted: dict[tuple[int, int], set[int]] = {}
        for day, step, volume_step in grids:
            wanted.setdefault((step, volume_step), set()).add(day)
        for (step, volume_step), days in wanted.items():
            found = grid_batch(self, sorted(days), step, volume_step)
            for i, day in enumerate(found.days):
                self._scoped_grids[(day, step, volume_step)] = found.row(i)
        finest: dict[int, int] = {}
        for day, step in trees:
            finest[day] = min(step, finest.get(day, step))
        by_step: dict[int, list[int]] = {}
        for day, step in sorted(finest.items()):
            by_step.setdefault(step, []).append(day)
        for step, tree_days in by_step.items():
            xs, volumes = day_trees(self, tree_days, step)
            for i, day in enumerate(tree_days):
                self._scoped_trees[day] = array("d", xs[i].tobytes())
                if volumes is not None:
                    self._scoped_volumes[day] = array("q", volumes[i].tobytes())
        try:
            yield
        finally:
            self._scoped_grids.clear()
            self._scoped_trees.clear()
            self._scoped_volumes.clear()

    def grid_days(self, days: Sequence[int], step: int, volume_step: int) -> GridBatch:
        """Days `days` (ascending) on the grids: the kept ones if all are, else computed together, the last of
        them then kept for `grid_day`."""
        cache = self._grid_days
        kept = [cache.get((day, step, volume_step)) for day in days]
        if all(kept):
            return GridBatch.of(kept)  # type: ignore[arg-type]  # no None in it
        found = grid_batch(self, days, step, volume_step)
        for i in range(max(0, len(days) - _GRID_CACHE), len(days)):
            if len(cache) >= _GRID_CACHE:
                del cache[next(iter(cache))]
            cache[(days[i], step, volume_step)] = found.row(i)
        return found

    # What a grid reads of the path (`ibbot.sim.market.grid.GridSource`).

    @property
    def day_variance(self) -> float:
        return self._day_var

    @property
    def draw_keys(self) -> tuple[int, int, int]:
        """The noise keys of the days' points, their volume splits and the minutes' seconds."""
        return self._k_minute, self._k_minute_volume, self._k_second

    def midnight_x(self, day: int) -> float:
        return self._x_day(day)

    def day_profile(self, day: int) -> DayProfile:
        return self._profile(day)

    def day_lots(self, day: int) -> int:
        return self._day_volume(day)

    def minute_states(self, day: int) -> bytes:
        """minute_state of every minute of UTC day `day`."""
        if self._liquid:
            self.minute_state(day * MINUTES_PER_DAY)  # fills the cache
            return self._states[day]
        return self._profile(day).state

    def _draw(self, day: int, tree: array[float], nodes: tuple[Node, ...]) -> None:
        """Compute the nodes' points of `day` still missing from its tree (parents come first in `nodes`).

        Node i's draw is draw i of `noise.normals(key, day, ...)`: a whole grid (nodes 0 .. n - 1) is drawn
        in one batch, the few nodes of one minute's chain one by one (`noise.normal_at`, the same values)."""
        profile = self._profile(day)
        if profile.uniform and isnan(tree[NODES[0].mid]) and nodes and nodes[-1] is NODES[len(nodes) - 1]:
            # a day nothing was drawn of (every chain starts at node 0), a whole grid asked: the hot loop
            scale = math.sqrt(self._day_var * profile.variance_scale * MINUTES_PER_DAY)
            zs = noise.normals(self._k_minute, day, len(nodes))
            for (lo, mid, hi, frac, spread), z in zip(STEPS[: len(nodes)], zs, strict=True):
                x_lo = tree[lo]
                tree[mid] = x_lo + frac * (tree[hi] - x_lo) + scale * spread * z
            return
        missing = [node for node in nodes if isnan(tree[node.mid])]
        if not missing:
            return
        key = self._k_minute
        if len(missing) > 16:
            batch = noise.normals(key, day, missing[-1].index + 1)
            draws = [batch[node.index] for node in missing]
        else:
            draws = [noise.normal_at(key, day, node.index) for node in missing]
        if profile.uniform:  # around the clock: the nodes' own weights, no variance arithmetic
            scale = math.sqrt(self._day_var * profile.variance_scale * MINUTES_PER_DAY)
            for node, z in zip(missing, draws, strict=True):
                x_lo = tree[node.lo]
                tree[node.mid] = x_lo + node.frac * (tree[node.hi] - x_lo) + scale * node.spread * z
            return
        cum = profile.var_cum
        scale = math.sqrt(self._day_var * profile.variance_scale)
        for node, z in zip(missing, draws, strict=True):
            lo, mid, hi = node.lo, node.mid, node.hi
            c0, cm, c1 = cum[lo], cum[mid], cum[hi]
            span = c1 - c0
            x_lo = tree[lo]
            bridge = math.sqrt((cm - c0) * (c1 - cm) / span)
            tree[mid] = x_lo + (cm - c0) / span * (tree[hi] - x_lo) + scale * bridge * z

    def seconds(self, mi: int) -> array[float]:
        """Log prices at the 61 whole seconds of minute `mi` (both ends included)."""
        xs = self._second_x.get(mi)
        if xs is not None:
            return xs
        day, m = divmod(mi, MINUTES_PER_DAY)
        profile = self._profile(day)
        scale = math.sqrt(self._day_var * profile.variance_scale * (profile.var_cum[m + 1] - profile.var_cum[m]))
        xs = array("d", bytes(8 * 61))
        xs[0] = self.minute_x(mi)
        xs[60] = self.minute_x(mi + 1)
        draws = noise.normals(self._k_second, mi, len(_SECONDS_STEPS))
        for (lo, mid, hi, frac, spread), z in zip(_SECONDS_STEPS, draws, strict=True):
            x_lo = xs[lo]
            xs[mid] = x_lo + frac * (xs[hi] - x_lo) + scale * spread * z
        if len(self._second_x) >= _MINUTE_CACHE:
            del self._second_x[next(iter(self._second_x))]
        self._second_x[mi] = xs
        return xs

    # --- volume ----------------------------------------------------------------------------------------

    def _day_volume(self, day: int) -> int:
        """Lots traded during UTC day `day`."""
        total = self._day_vol.get(day)
        if total is None:
            if not self._lots_per_day:
                return 0
            weight = self._profile(day).volume_weight
            z = noise.normal(self._k_day_volume, day, 0)
            noise_factor = math.exp(_DAY_VOLUME_NOISE * z - 0.5 * _DAY_VOLUME_NOISE**2)
            total = int(self._lots_per_day * weight * noise_factor + 0.5)
            if len(self._day_vol) > 4096:
                self._day_vol.clear()
            self._day_vol[day] = total
        return total

    def _volume_tree(self, day: int) -> array[int]:
        tree = self._scoped_volumes.get(day) or self._minute_vol.get(day)
        if tree is None:
            if len(self._minute_vol) >= _DAY_CACHE:
                del self._minute_vol[next(iter(self._minute_vol))]
            tree = array("q", [-1]) * MINUTES_PER_DAY  # tree[mid]: lots of the node's left half
            self._minute_vol[day] = tree
        return tree

    def minute_volume(self, first: int, last: int) -> int:
        """Lots traded in the minutes [first, last) (minutes since the epoch): exact, via the cascade."""
        if not self._lots_per_day or first >= last:
            return 0
        total = 0
        day = first // MINUTES_PER_DAY
        while day * MINUTES_PER_DAY < last:
            lo = max(first - day * MINUTES_PER_DAY, 0)
            hi = min(last - day * MINUTES_PER_DAY, MINUTES_PER_DAY)
            total += self._day_range(day, lo, hi)
            day += 1
        return total

    def _day_range(self, day: int, a: int, b: int) -> int:
        """Lots traded in minutes [a, b) of UTC day `day` (0 <= a < b <= 1440)."""
        root = self._day_volume(day)
        if a <= 0 and b >= MINUTES_PER_DAY:
            return root
        return sum(self._segments(day, root, chain_nodes(a, b))[a:b])

    def grid_volume(self, day: int, step: int) -> list[int]:
        """Lots traded in each cell [k step, (k + 1) step) of UTC day `day` (`step` one of tree.LEVELS)."""
        segments = self._segments(day, self._day_volume(day), grid_nodes(step))
        return [segments[start] for start in range(0, MINUTES_PER_DAY, step)]

    def _segments(self, day: int, root: int, nodes: tuple[Node, ...]) -> list[int]:
        """The day cut at the nodes' points: lots of the segment starting at each minute (cuts elsewhere hold
        no segment). Node (lo, mid, hi) splits the segment [lo, hi) in two (parents first, so it exists)."""
        segments = [0] * (MINUTES_PER_DAY + 1)
        segments[0] = root
        if not root:
            return segments
        tree = self._volume_tree(day)  # tree[mid]: lots of the node's left part [lo, mid)
        missing = [node for node in nodes if tree[node.mid] < 0]
        key = self._k_minute_volume
        if len(missing) > 16:
            batch = noise.normals(key, day, missing[-1].index + 1)
            draws = {node.index: batch[node.index] for node in missing}
        else:
            draws = {node.index: noise.normal_at(key, day, node.index) for node in missing}
        profile = self._profile(day)
        cum, uniform = profile.vol_cum, profile.uniform
        exp = math.exp
        for node in nodes:
            lo, mid = node.lo, node.mid
            lots = segments[lo]
            left = tree[mid]
            if left < 0:
                if uniform:
                    share = node.frac
                else:
                    c0 = cum[lo]
                    share = (cum[mid] - c0) / (cum[node.hi] - c0)
                tilt = exp(MINUTE_VOLUME_NOISE * draws[node.index])
                weighted = share * tilt
                left = tree[mid] = int(lots * (weighted / (weighted + (1.0 - share) / tilt)) + 0.5)  # _split
            segments[lo] = left
            segments[mid] = lots - left
        return segments

    def _second_volumes(self, mi: int) -> array[int]:
        """Lots traded in each second of minute `mi`."""
        lots = self.minute_volume(mi, mi + 1)
        totals = array("q", bytes(8 * 60))
        if lots == 0:
            return totals
        # Parents come before children, so totals[lo] holds the lots of the node [lo, hi) when it is split;
        # the split leaves the left half's at totals[lo] and the right half's at totals[mid].
        totals[0] = lots
        draws = noise.normals(self._k_second_volume, mi, len(_SECONDS_STEPS))
        for (lo, mid, _hi, frac, _spread), z in zip(_SECONDS_STEPS, draws, strict=True):
            total = totals[lo]
            if total:
                left = _split(total, frac, _SECOND_VOLUME_NOISE * z)
                totals[lo], totals[mid] = left, total - left
        return totals

    # --- built minutes ---------------------------------------------------------------------------------

    def minute(self, mi: int) -> Minute:
        """Minute `mi` (minutes since the epoch) with every second's price, quote, sizes and volume."""
        built = self._minutes.get(mi)
        if built is not None:
            return built
        xs = self.seconds(mi)
        state = self.minute_state(mi)
        inv = self.inv_tick
        exp = math.exp
        raw = [exp(x) * inv for x in xs]
        n = self.spread(state)
        half = (n - 1) / 2
        floor = math.floor
        bid = [max(1, floor(r - half)) for r in raw[:60]]
        n_next = self.spread(self.minute_state(mi + 1))  # point 60 is the next minute's first instant
        bid.append(max(1, floor(raw[60] - (n_next - 1) / 2)))
        built = Minute(
            index=mi,
            state=state,
            last=array("q", [max(1, int(r + 0.5)) for r in raw]),
            bid=array("q", bid),
            ask=array("q", [b + n for b in bid[:60]] + [bid[60] + n_next]),
            volume=self._second_volumes(mi),
            size_key=self._k_sizes,
            depth=max(1, round(self._depth * self._depth_factor[state])),
        )
        if len(self._minutes) >= _MINUTE_CACHE:
            del self._minutes[next(iter(self._minutes))]
        self._minutes[mi] = built
        return built

    def volume(self, a: int, b: int) -> int:
        """Lots traded during [a, b) (epoch seconds): exact and additive."""
        if not self._lots_per_day or a >= b:
            return 0
        first, last = -(-a // 60), b // 60  # whole minutes inside [a, b)
        if first > last:  # inside one minute
            return sum(self.minute(a // 60).volume[a % 60 : b % 60])
        total = self.minute_volume(first, last)
        if a % 60:
            total += sum(self.minute(a // 60).volume[a % 60 :])
        if b % 60:
            total += sum(self.minute(last).volume[: b % 60])
        return total


def _split(lots: int, share: float, log_noise: float) -> int:
    """The left part of `lots` when the left half's expected share is `share`, tilted by a log-normal factor."""
    tilt = math.exp(log_noise)
    weighted = share * tilt
    q = weighted / (weighted + (1.0 - share) / tilt)
    return int(lots * q + 0.5)


# PriceModel and the print helpers live in ibbot.sim.market.model; they are re-exported for convenience.
__all__ = [
    "CLOSED",
    "EXTENDED",
    "LOTS_PER_PRINT",
    "REGULAR",
    "Minute",
    "PriceModel",
    "PricePath",
    "print_sizes",
    "prints_of",
]
