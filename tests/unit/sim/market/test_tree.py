"""The day's bridge shape: every minute drawn once, coarse grids first, from coarser points only."""

from __future__ import annotations

from ibbot.sim.market.tree import CHAINS, LEVELS, MINUTES_PER_DAY, NODES, chain_nodes, grid_nodes, level_at_most


def test_every_inner_minute_is_drawn_once_after_the_points_it_is_drawn_from() -> None:
    assert sorted(n.mid for n in NODES) == list(range(1, MINUTES_PER_DAY))
    drawn = {0, MINUTES_PER_DAY}
    for index, node in enumerate(NODES):
        assert node.index == index and node.lo in drawn and node.hi in drawn and node.lo < node.mid < node.hi
        drawn.add(node.mid)


def test_a_grid_is_drawn_by_the_first_nodes_alone() -> None:
    counts = {}
    for step in LEVELS:
        nodes = grid_nodes(step)
        assert {n.mid for n in nodes} == set(range(step, MINUTES_PER_DAY, step))
        assert nodes == NODES[: len(nodes)]  # a prefix: one batch of draws
        counts[step] = len(nodes)
    assert counts[30] == 47 and counts[60] == 23 and counts[5] == 287 and counts[1] == 1439


def test_a_minutes_chain_holds_what_it_is_drawn_from() -> None:
    for m in (1, 7, 479, 480, 719, 1000, 1439):
        chain = chain_nodes(m)
        assert chain[-1].mid == m and len(chain) <= 13
        known = {0, MINUTES_PER_DAY}
        for node in chain:
            assert node.lo in known and node.hi in known
            known.add(node.mid)
    assert CHAINS[0] == CHAINS[MINUTES_PER_DAY] == ()


def test_the_coarsest_level_no_longer_than_a_span() -> None:
    assert [level_at_most(x) for x in (0.5, 1, 4.9, 7.5, 15, 29, 97, 1000)] == [1, 1, 1, 5, 15, 15, 60, 480]
