"""`ibbot backtest STRATEGY_FILE[:CLASS] (--data FILE | --symbol SYMBOL --bar SIZE --start DATE --end DATE)`:
one backtest (a summary table, `--json`, `--report DIR`) or a parameter sweep (`--sweep K=V1,V2`, in processes
or on Ray with `--ray ADDRESS`).

`--symbol` reads the history cache in `--data-dir` (what `ibbot history` and `ibbot run` stored); bars missing
from it are fetched from `--target` when one is given. Exit codes: 0 done, 2 a usage or strategy mistake, 5 no
bars in the range, 1 the strategy raised while running (its summary is still written).
"""

from __future__ import annotations

import json
import sys
from argparse import Namespace
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ibbot.backtest.data import BarSeries
from ibbot.backtest.driver import BacktestSettings, run_backtest
from ibbot.backtest.report import summary_table, sweep_table, write_report
from ibbot.backtest.source import DataSpec
from ibbot.backtest.sweep import grid, jobs_for, parse_sweeps, rank, run_sweep
from ibbot.cli import common
from ibbot.cli.history import instrument_of
from ibbot.clock import LiveClock
from ibbot.data.contracts.cache import FILE_NAME, ContractCache
from ibbot.data.history.cache import ParquetHistoryCache, SeriesKey
from ibbot.errors import ConfigError
from ibbot.model import BarSize, Instrument
from ibbot.strategy.context import WorkingOrders
from ibbot.strategy.loader import load_strategy_class
from ibbot.strategy.params import parse_assignments

_PROGRESS_FROM = 200_000  # bars: smaller runs finish before a bar would show


def main(args: Namespace) -> int:
    return common.run(lambda: _main(args), log_level=args.log_level)


async def _main(args: Namespace) -> int:
    settings = _settings(args)
    data = await _data(args)
    params = _params(args)
    sweeps = parse_sweeps(args.sweep)
    if args.ray is not None and not sweeps:
        raise ConfigError("--ray runs a sweep: give at least one --sweep K=V1,V2")
    if sweeps:
        return _sweep(args, params, sweeps, settings, data)
    return _single(args, params, settings, data)


def _decimal(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise ConfigError(f"{option} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ConfigError(f"{option} must be a positive number, got {text!r}")
    return value


def _params(args: Namespace) -> dict[str, object]:
    """The configuration's `[strategy]` values (the shared ones the class declares, then its own table), then
    the command line's `--param`s over them."""
    cls = load_strategy_class(args.strategy)
    configured = common.load_config(args).strategy
    declared = cls.parameters()
    own = next((t for k, t in configured.per_class.items() if k.lower() == cls.__name__.lower()), {})
    params: dict[str, object] = {k: v for k, v in configured.shared.items() if k in declared}
    params.update(own)
    params.update(parse_assignments(args.param))
    return params


def _settings(args: Namespace) -> BacktestSettings:
    cash = _decimal(args.cash, "--cash")
    if cash <= 0:
        raise ConfigError(f"--cash must be positive, got {args.cash}")
    if not 0 < args.volume_share <= 1:
        raise ConfigError(f"--volume-share must be in (0, 1], got {args.volume_share}")
    spread = None if args.spread is None else _decimal(args.spread, "--spread")
    # The configured limits, with the trading-hours check off: the bars are the sessions, and a contract's hours
    # from the contract cache describe the days around its qualification, not the backtest's.
    limits = replace(common.load_config(args).risk, allow_outside_hours=True)
    return BacktestSettings(
        cash=cash, spread=spread, volume_share=args.volume_share, limits=limits,
        working_orders=WorkingOrders(args.working_orders),
    )  # fmt: skip


# --- the bars -----------------------------------------------------------------------------------------------


async def _data(args: Namespace) -> DataSpec:
    start = common.parse_moment(args.start, end=False) if args.start else None
    end = common.parse_moment(args.end, end=True) if args.end else None
    if start and end and end <= start:
        raise ConfigError(f"--end ({args.end}) must come after --start ({args.start})")
    if args.data is not None:
        return DataSpec.file(args.data, start=start, end=end)
    if start is None or end is None:
        raise ConfigError("--symbol needs --start and --end")
    try:
        size = BarSize.parse(args.bar)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    data_dir = common.data_dir(args)
    wanted = instrument_of(args)
    instrument = _qualified(data_dir, wanted)
    what = args.what.upper()
    cache = ParquetHistoryCache(data_dir)
    key = SeriesKey(instrument=instrument, bar_size=size, what_to_show=what, use_rth=args.rth)
    if args.target is not None:
        instrument = await _fetch(args, wanted, size, (start, end), data_dir)
    elif not cache.path(key).exists():
        raise ConfigError(
            f"the history cache in {data_dir} has no {size} {what} bars of {wanted}: fetch them with "
            f'`ibbot history {args.symbol} --bar "{size}" --start {args.start} --end {args.end}` '
            "or pass --target sim (or another target) to fetch them now"
        )
    return DataSpec.cache(data_dir, instrument, size, start=start, end=end, what_to_show=what, use_rth=args.rth)


def _qualified(data_dir: Path, wanted: Instrument) -> Instrument:
    """The qualified instrument the contract cache keeps for `wanted` (whatever its age), else `wanted`."""
    if not (data_dir / FILE_NAME).exists():
        return wanted
    with ContractCache(data_dir, max_age=timedelta(days=365 * 100)) as contracts:
        return contracts.get(wanted.key, LiveClock().now()) or wanted


async def _fetch(
    args: Namespace, wanted: Instrument, size: BarSize, span: tuple[datetime, datetime], data_dir: Path
) -> Instrument:
    from ibbot.data.history.service import HistoryService
    from ibbot.engine.session import TradingSession

    session_args = Namespace(**{**vars(args), "data_dir": data_dir})
    settings = common.session_settings(session_args)
    async with TradingSession(settings) as session:
        instrument: Instrument = await session.contracts.qualify(wanted)
        service = HistoryService(session.gateway, ParquetHistoryCache(data_dir), now_fn=session.clock.now)
        await service.fetch(instrument, *span, size, what_to_show=args.what.upper(), use_rth=args.rth)
    return instrument


# --- one run and a sweep ------------------------------------------------------------------------------------


def _progress(console: Console, quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=quiet or not console.is_terminal,
    )  # fmt: skip


def _emit_json(target: str | None, document: object) -> None:
    if target is None:
        return
    text = json.dumps(document, indent=2)
    if target == "-":
        print(text)
        return
    try:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(text + "\n")
    except OSError as exc:
        raise ConfigError(f"--json {target}: cannot be written: {exc}") from None


def _single(args: Namespace, params: dict[str, object], settings: BacktestSettings, data: DataSpec) -> int:
    cls = load_strategy_class(args.strategy)
    strategy = cls(params)
    series = data.load()
    if not len(series):
        print(f"ibbot: no bars in {data.describe()} for the range asked", file=sys.stderr)
        return common.NO_DATA
    stdout_json = args.json == "-"
    console = Console(stderr=True)
    with _progress(console, stdout_json or len(series) < _PROGRESS_FROM) as progress:
        task = progress.add_task(f"{strategy.name} on {len(series):,} bars", total=len(series))

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = run_backtest(strategy, _named(series, data), settings, progress=advance)
    summary = result.summary()
    _emit_json(args.json, summary)
    if args.report is not None:
        paths = write_report(result, args.report)
        if not stdout_json:
            print(f"report: {paths['report.html']}")
    if not stdout_json:
        Console().print(summary_table(summary))
    if result.error is not None:
        print(f"ibbot: {result.error} (the traceback is in the log above)", file=sys.stderr)
        return common.FAILED
    return common.OK


def _named(series: BarSeries, data: DataSpec) -> BarSeries:
    """A file's bars carry no instrument: they are the strategy's (its one instrument)."""
    return series if data.kind == "cache" else replace(series, instrument=None)


def _sweep(
    args: Namespace,
    params: dict[str, object],
    sweeps: dict[str, list[str]],
    settings: BacktestSettings,
    data: DataSpec,
) -> int:
    overlap = sorted(set(params) & set(sweeps))
    if overlap:
        raise ConfigError(f"{', '.join(overlap)}: given both as --param and as --sweep")
    if args.report is not None:
        raise ConfigError("--report is for one backtest; a sweep writes its table with --json")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    points = grid(params, sweeps)
    jobs = jobs_for(args.strategy, points, settings, data)
    stdout_json = args.json == "-"
    console = Console(stderr=True)
    with _progress(console, stdout_json) as progress:
        task = progress.add_task(f"sweep of {len(jobs)} backtests", total=len(jobs))

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summaries = run_sweep(jobs, workers=args.workers, ray_address=args.ray, progress=advance)
    ranked = rank(summaries, args.sort)
    _emit_json(args.json, {"sort": args.sort, "swept": list(sweeps), "runs": ranked})
    if not stdout_json:
        Console().print(sweep_table(ranked, list(sweeps), args.sort))
    failed = [s for s in ranked if s.get("error")]
    for summary in failed:
        print(f"ibbot: {summary['params']}: {summary['error']}", file=sys.stderr)
    return common.FAILED if failed else common.OK
