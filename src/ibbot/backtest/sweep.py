"""Parameter sweeps: the grid of `--sweep K=V1,V2` values, run in parallel processes or on a Ray cluster.

Each grid point is a `Job`: the strategy (`FILE[:CLASS]` and the file's text, so a cluster's workers need not
have the file), its parameters, the settings and where the bars are (`DataSpec`). Processes (spawned, the
default) load the bars once per worker from the `DataSpec`; on Ray (`ray_address`: "local" starts an instance
in this process, "auto" joins the running one, or a cluster address) the bars are read here once and put in
the object store, so the workers need no access to the files. Each job returns its summary (the JSON summary
of one backtest); results come back in grid order whatever order the workers finish in, and a run is
deterministic, so the same grid gives the same figures in processes and on Ray (timings aside).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from ibbot.backtest.data import BarSeries
from ibbot.backtest.driver import BacktestSettings, run_backtest
from ibbot.backtest.source import DataSpec, load_cached
from ibbot.errors import ConfigError, StrategyError
from ibbot.strategy.loader import StrategySpec, load_strategy_class

# Metrics a sweep can be sorted by; for these, lower is better.
METRICS = ("sharpe", "sortino", "total_return", "cagr", "final_equity", "max_drawdown", "win_rate",
           "profit_factor", "exposure", "trades", "commissions")  # fmt: skip
LOWER_IS_BETTER = frozenset({"max_drawdown", "commissions"})
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    strategy: str  # FILE[:CLASS]
    source: str  # the file's text
    params: dict[str, object] = field(default_factory=dict)
    settings: BacktestSettings = field(default_factory=BacktestSettings)
    data: DataSpec


def parse_sweeps(items: Iterable[str]) -> dict[str, list[str]]:
    """`["fast=5,10", "slow=30,60"]` -> {"fast": ["5", "10"], "slow": ["30", "60"]}."""
    found: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        choices = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name.strip() or not choices:
            raise ConfigError(f"--sweep {item!r}: expected NAME=V1,V2,...")
        if name.strip() in found:
            raise ConfigError(f"--sweep {name.strip()} is given twice")
        found[name.strip()] = choices
    return found


def grid(base: dict[str, object], sweeps: dict[str, list[str]]) -> list[dict[str, object]]:
    """Every combination of the swept values over the fixed parameters `base`, the last name varying fastest."""
    names = list(sweeps)
    return [{**base, **dict(zip(names, values, strict=True))} for values in itertools.product(*sweeps.values())]


def jobs_for(
    strategy: str, points: Sequence[dict[str, object]], settings: BacktestSettings, data: DataSpec
) -> list[Job]:
    """One job per grid point; each point is checked here (a bad value fails before anything starts)."""
    spec = StrategySpec.parse(strategy)
    try:
        source = spec.path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StrategyError(f"strategy file {spec.path} cannot be read: {exc}") from None
    cls = load_strategy_class(spec, source=source)
    for point in points:
        cls(point)  # raises StrategyError with the parameter's name
    return [Job(strategy=strategy, source=source, params=dict(p), settings=settings, data=data) for p in points]


def run_job(job: Job, series: BarSeries | None = None) -> dict[str, Any]:
    """One backtest of the sweep: its summary (the JSON summary of `ibbot backtest`)."""
    cls = load_strategy_class(job.strategy, source=job.source)
    bars = series if series is not None else load_cached(job.data)
    return run_backtest(cls(job.params), bars, job.settings).summary()


def run_sweep(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Every job's summary, in the jobs' order: in processes, or on Ray with `ray_address`."""
    if not jobs:
        return []
    if ray_address is not None:
        return _on_ray(jobs, ray_address, progress)
    count = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if count == 1:
        results = []
        for done, job in enumerate(jobs, 1):
            results.append(run_job(job))
            if progress is not None:
                progress(done, len(jobs))
        return results
    found: dict[int, dict[str, Any]] = {}
    context = multiprocessing.get_context("spawn")  # no fork of a process that holds pyarrow's threads
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = {pool.submit(run_job, job): index for index, job in enumerate(jobs)}
        for future in as_completed(futures):
            found[futures[future]] = future.result()
            if progress is not None:
                progress(len(found), len(jobs))
    return [found[index] for index in range(len(jobs))]


def _ray_job(job: Job, series: BarSeries) -> dict[str, Any]:
    return run_job(job, series)


def _on_ray(jobs: Sequence[Job], address: str, progress: Progress | None) -> list[dict[str, Any]]:
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'ibbot[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(_ray_job)
        refs: dict[DataSpec, Any] = {}
        futures = []
        for job in jobs:
            if job.data not in refs:
                refs[job.data] = ray.put(job.data.load())
            futures.append(remote.remote(job, refs[job.data]))
        results: list[dict[str, Any]] = []
        for done, future in enumerate(futures, 1):
            results.append(ray.get(future))
            if progress is not None:
                progress(done, len(futures))
        return results
    finally:
        if started:
            ray.shutdown()


def rank(summaries: Sequence[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Best first by `metric` (lower first for drawdown and commissions); runs without a figure go last."""
    if metric not in METRICS:
        raise ConfigError(f"--sort {metric!r}: one of {', '.join(METRICS)}")
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0

    def key(summary: dict[str, Any]) -> tuple[int, float]:
        value = summary.get(metric)
        return (1, 0.0) if value is None else (0, sign * float(value))

    return sorted(summaries, key=key)
