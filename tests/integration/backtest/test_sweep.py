"""A sweep of nine parameter sets in parallel processes and on a local Ray instance: the same figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ibbot.backtest import BacktestSettings
from ibbot.backtest.source import DataSpec
from ibbot.backtest.sweep import grid, jobs_for, parse_sweeps, run_sweep

EXAMPLE = str(Path(__file__).parents[3] / "examples" / "sma_cross.py")
TIMINGS = ("elapsed_seconds", "bars_per_second")


def comparable(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in s.items() if k not in TIMINGS} for s in summaries]


@pytest.fixture(scope="module")
def jobs() -> list[Any]:
    points = grid({}, parse_sweeps(["fast=3,5,8", "slow=13,21,34"]))
    return jobs_for(EXAMPLE, points, BacktestSettings(), DataSpec.generated(20_000, seed=5))


@pytest.fixture(scope="module")
def in_processes(jobs: list[Any]) -> list[dict[str, Any]]:
    return run_sweep(jobs, workers=2)


@pytest.fixture
def local_ray() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_processes_run_every_point_of_the_grid_in_grid_order(in_processes: list[dict[str, Any]]) -> None:
    assert len(in_processes) == 9
    assert [(r["params"]["fast"], r["params"]["slow"]) for r in in_processes] == [
        (f, s) for f in (3, 5, 8) for s in (13, 21, 34)
    ]
    assert all(r["bars"] == 20_000 and r["error"] is None for r in in_processes)
    assert len({r["trades"] for r in in_processes}) > 1  # the parameters matter


@pytest.mark.slow
def test_a_point_run_here_matches_the_same_point_in_a_worker(
    jobs: list[Any], in_processes: list[dict[str, Any]]
) -> None:
    assert comparable(run_sweep(jobs[4:5], workers=1)) == comparable(in_processes[4:5])


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::ResourceWarning")
def test_ray_gives_the_same_figures_as_processes(
    local_ray: None, jobs: list[Any], in_processes: list[dict[str, Any]]
) -> None:
    on_ray = run_sweep(jobs, ray_address="auto")
    assert comparable(on_ray) == comparable(in_processes)
