"""The shape of a day's bridge: which minute points of a UTC day are drawn from which, coarse grids first.

Theory of operation: a day [0, 1440] (minutes) is split 3 ways into 8-hour spans, then each span 2 ways
(4 h, 2 h, 1 h, 30 min, 15 min), then 3 ways (5 min) and 5 ways (1 min): `RADICES`. A k-way split of a span
[s0, s1] draws its inner points one after the other, each bridged between the point before it and s1
(`Node(lo, mid, hi)`), which is an exact Brownian bridge by the Markov property. Every point of a grid is drawn
from points of that grid or coarser ones only, so the 30-minute points of a day cost 47 draws and the hourly
ones 23, where a bisection of [0, 1440] needs 191 and 111 (and all 1,439 for every minute).

The same nodes split volume: node (lo, mid, hi) splits the lots of [lo, hi) into [lo, mid) and [mid, hi), so a
grid's cell volumes come from that grid's nodes alone, exact and additive. Everything here is static.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

MINUTES_PER_DAY = 1440
RADICES = (3, 2, 2, 2, 2, 2, 3, 5)
LEVELS = (480, 240, 120, 60, 30, 15, 5, 1)  # minutes between the points of each level's grid


@dataclass(frozen=True, slots=True)
class Node:
    """Point `mid`, drawn between `lo` and `hi` (minutes of the day); `frac` and `spread` are the bridge's
    weights under a uniform variance clock: mean lo + frac (hi - lo), stdev spread * sqrt(day variance).
    `index` is its place in NODES: the coordinate of its random draws."""

    index: int
    lo: int
    mid: int
    hi: int
    frac: float
    spread: float


def _nodes() -> tuple[tuple[Node, ...], tuple[int, ...]]:
    nodes: list[Node] = []
    ends: list[int] = []
    spans = [(0, MINUTES_PER_DAY)]
    for radix in RADICES:
        finer: list[tuple[int, int]] = []
        for s0, s1 in spans:
            step = (s1 - s0) // radix
            points = [s0 + step * j for j in range(radix + 1)]
            for j in range(1, radix):
                lo, mid, hi = points[j - 1], points[j], s1
                spread = ((mid - lo) * (hi - mid) / (hi - lo) / MINUTES_PER_DAY) ** 0.5
                nodes.append(Node(len(nodes), lo, mid, hi, (mid - lo) / (hi - lo), spread))
            finer.extend(pairwise(points))
        spans = finer
        ends.append(len(nodes))
    return tuple(nodes), tuple(ends)


NODES, _LEVEL_ENDS = _nodes()
STEPS = tuple((n.lo, n.mid, n.hi, n.frac, n.spread) for n in NODES)  # NODES unpacked, for the hot loops
NODE_OF = {node.mid: index for index, node in enumerate(NODES)}  # every inner minute is one node's mid


def grid_nodes(step: int) -> tuple[Node, ...]:
    """The nodes that draw every point of the grid of `step` minutes (one of LEVELS), parents first: the first
    nodes of NODES, so their indexes run from 0."""
    return NODES[: _LEVEL_ENDS[LEVELS.index(step)]]


def _chains() -> tuple[tuple[int, ...], ...]:
    chains: list[tuple[int, ...]] = [()] * (MINUTES_PER_DAY + 1)
    for index, node in enumerate(NODES):  # parents come first, so their chains are known
        chains[node.mid] = tuple(sorted({*chains[node.lo], *chains[node.hi], index}))
    return tuple(chains)


CHAINS = _chains()  # CHAINS[m]: the nodes (indexes, parents first) that draw minute m; () for 0 and 1440
CHAIN_NODES = tuple(tuple(NODES[i] for i in chain) for chain in CHAINS)


def chain_nodes(*minutes: int) -> tuple[Node, ...]:
    """The nodes that draw all of `minutes`, parents first."""
    wanted = sorted({index for m in minutes for index in CHAINS[m]})
    return tuple(NODES[index] for index in wanted)


def level_of(minute: int) -> int:
    """The coarsest grid step (of LEVELS) minute `minute` of a day lies on (480 for 0 and 1440)."""
    return next(level for level in LEVELS if minute % level == 0)


def level_at_most(minutes: float) -> int:
    """The coarsest grid step (of LEVELS) no longer than `minutes` (1 below a minute)."""
    for step in LEVELS:
        if step <= minutes:
            return step
    return 1


@dataclass(frozen=True, slots=True)
class Round:
    """Nodes of one grid that can be drawn together: each reads only points of earlier rounds (as columns of
    a day's points: `lo`, `mid`, `hi` are minutes; `index` the nodes' places in NODES, their draws)."""

    index: tuple[int, ...]
    lo: tuple[int, ...]
    mid: tuple[int, ...]
    hi: tuple[int, ...]
    frac: tuple[float, ...]
    spread: tuple[float, ...]


def rounds_of(nodes: Sequence[Node], width: int = MINUTES_PER_DAY) -> tuple[Round, ...]:
    """`nodes` (parents first, bridging [0, width]) in rounds."""
    # A node's round is one past the later of its two ends'. Its volume split reads the segment [lo, hi),
    # made by whichever end was drawn last, so the same rounds order the volume cascade (tested against the
    # node-by-node one).
    ready = {0: 0, width: 0}
    grouped: dict[int, list[Node]] = {}
    for node in nodes:
        depth = ready[node.mid] = 1 + max(ready[node.lo], ready[node.hi])
        grouped.setdefault(depth, []).append(node)
    return tuple(
        Round(
            index=tuple(n.index for n in group),
            lo=tuple(n.lo for n in group),
            mid=tuple(n.mid for n in group),
            hi=tuple(n.hi for n in group),
            frac=tuple(n.frac for n in group),
            spread=tuple(n.spread for n in group),
        )
        for _depth, group in sorted(grouped.items())
    )


GRID_ROUNDS = {step: rounds_of(grid_nodes(step)) for step in LEVELS}  # per grid step: its nodes in rounds
