"""A sweep's grid, its jobs checked before anything runs, and the ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from ibbot.backtest import BacktestSettings
from ibbot.backtest.source import DataSpec
from ibbot.backtest.sweep import grid, jobs_for, parse_sweeps, rank, run_sweep
from ibbot.errors import ConfigError, StrategyError

EXAMPLE = str(Path(__file__).parents[3] / "examples" / "sma_cross.py")


def test_the_grid_is_every_combination_the_last_name_fastest() -> None:
    sweeps = parse_sweeps(["fast=5,10", "slow=30, 60,90"])
    assert sweeps == {"fast": ["5", "10"], "slow": ["30", "60", "90"]}
    points = grid({"quantity": "2"}, sweeps)
    assert len(points) == 6 and points[0] == {"quantity": "2", "fast": "5", "slow": "30"}
    assert [p["slow"] for p in points[:3]] == ["30", "60", "90"]


@pytest.mark.parametrize("item", ["fast", "fast=", "=1,2"])
def test_a_malformed_sweep_is_a_config_error(item: str) -> None:
    with pytest.raises(ConfigError, match="NAME=V1,V2"):
        parse_sweeps([item])


def test_a_bad_grid_point_fails_before_anything_runs() -> None:
    with pytest.raises(StrategyError, match=r"fast \(40\) must be positive and below slow \(30\)"):
        jobs_for(EXAMPLE, grid({}, {"fast": ["5", "40"]}), BacktestSettings(), DataSpec.generated(10))


def test_one_worker_runs_in_this_process_in_grid_order() -> None:
    jobs = jobs_for(EXAMPLE, grid({}, {"fast": ["3", "5"]}), BacktestSettings(), DataSpec.generated(500))
    seen: list[int] = []
    results = run_sweep(jobs, workers=1, progress=lambda done, total: seen.append(done))
    assert [r["params"]["fast"] for r in results] == [3, 5] and seen == [1, 2]


def test_rank_puts_the_best_first_and_runs_without_a_figure_last() -> None:
    runs = [{"sharpe": 0.5, "max_drawdown": 0.2}, {"sharpe": None, "max_drawdown": 0.1}, {"sharpe": 1.5,
            "max_drawdown": 0.3}]  # fmt: skip
    assert [r["sharpe"] for r in rank(runs, "sharpe")] == [1.5, 0.5, None]
    assert [r["max_drawdown"] for r in rank(runs, "max_drawdown")] == [0.1, 0.2, 0.3]
    with pytest.raises(ConfigError, match="--sort"):
        rank(runs, "luck")
