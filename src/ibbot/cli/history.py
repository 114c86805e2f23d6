"""`ibbot history SYMBOL --bar "1 min" --start DATE --end DATE`: bars through the cache, into a file or a table."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ibbot.cli import common
from ibbot.data.history.cache import ParquetHistoryCache
from ibbot.data.history.service import HistoryService
from ibbot.engine.session import TradingSession
from ibbot.errors import ConfigError
from ibbot.model import Bar, BarSize, Instrument


def instrument_of(args: argparse.Namespace) -> Instrument:
    symbol = args.symbol.strip().upper()
    kind = args.type or ("forex" if _looks_like_pair(symbol) else "stock")
    try:
        if kind == "forex":
            return Instrument.forex(symbol, exchange=args.exchange or "IDEALPRO")
        if kind == "future":
            return Instrument.future(symbol, exchange=args.exchange or "CME", currency=args.currency)
        if kind == "index":
            return Instrument.index(symbol, exchange=args.exchange or "CBOE", currency=args.currency)
        if kind == "etf":
            return Instrument.etf(symbol, exchange=args.exchange or "SMART", currency=args.currency)
        return Instrument.stock(symbol, exchange=args.exchange or "SMART", currency=args.currency)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _looks_like_pair(symbol: str) -> bool:
    parts = symbol.split(".")
    return len(parts) == 2 and all(len(p) == 3 and p.isalpha() for p in parts)


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: fetch(args), log_level=args.log_level)


async def fetch(args: argparse.Namespace) -> int:
    try:
        size = BarSize.parse(args.bar)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    start, end = common.parse_moment(args.start, end=False), common.parse_moment(args.end, end=True)
    if end <= start:
        raise ConfigError(f"--end ({args.end}) must come after --start ({args.start})")
    if args.out is not None and args.out.suffix.lower() not in (".parquet", ".csv"):
        raise ConfigError(f"--out {args.out}: the file must end in .parquet or .csv")
    settings = common.session_settings(args)
    wanted = instrument_of(args)
    console = Console(stderr=True)
    async with TradingSession(settings) as session:
        instrument = await session.contracts.qualify(wanted)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True, disable=args.json or not console.is_terminal,
        ) as progress:  # fmt: skip
            task = progress.add_task(f"{instrument} {size}", total=None)

            def advance(done: int, planned: int) -> None:
                progress.update(task, completed=done, total=planned)

            service = HistoryService(
                session.gateway, ParquetHistoryCache(settings.data_dir), now_fn=session.clock.now, progress=advance
            )
            result = await service.fetch(instrument, start, end, size, what_to_show=args.what, use_rth=args.rth)
    bars = result.bars
    if args.out is not None:
        write_bars(bars, args.out)
    summary = {
        "symbol": str(instrument),
        "con_id": instrument.con_id,
        "bar_size": size.text,
        "what_to_show": args.what.upper(),
        "use_rth": args.rth,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "bars": len(bars),
        "first": bars[0].time.isoformat() if bars else None,
        "last": bars[-1].time.isoformat() if bars else None,
        "requests": len(result.chunks),
        "gaps": len(result.gaps),
        "out": str(args.out) if args.out is not None else None,
    }
    if args.json:
        json.dump(summary, sys.stdout)
        print()
    else:
        _print_table(instrument, size, bars, summary)
    return common.OK if bars else common.NO_DATA


COLUMNS = ("time", "open", "high", "low", "close", "volume", "wap", "count")


def write_bars(bars: list[Bar], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for b in bars:
                wap = "" if math.isnan(b.wap) else b.wap
                writer.writerow([b.time.isoformat(), b.open, b.high, b.low, b.close, b.volume, wap, b.count])
        return
    table = pa.table(
        {
            "time": pa.array([b.time for b in bars], type=pa.timestamp("us", tz="UTC")),
            "open": [b.open for b in bars],
            "high": [b.high for b in bars],
            "low": [b.low for b in bars],
            "close": [b.close for b in bars],
            "volume": [b.volume for b in bars],
            "wap": [b.wap for b in bars],
            "count": pa.array([b.count for b in bars], type=pa.int64()),
        }
    )
    pq.write_table(table, path)


def _print_table(instrument: Instrument, size: BarSize, bars: list[Bar], summary: dict[str, object]) -> None:
    console = Console()
    table = Table(title=f"{instrument} {size} bars: {len(bars)} ({summary['requests']} requests to IB)")
    for column in ("time", "open", "high", "low", "close", "volume"):
        table.add_column(column, justify="right" if column != "time" else "left")
    shown = bars if len(bars) <= 10 else [*bars[:5], None, *bars[-5:]]
    for b in shown:
        if b is None:
            table.add_row("...", "", "", "", "", "")
            continue
        table.add_row(b.time.strftime("%Y-%m-%d %H:%M:%S"), f"{b.open:g}", f"{b.high:g}", f"{b.low:g}",
                      f"{b.close:g}", f"{b.volume:g}")  # fmt: skip
    console.print(table)
    if summary["out"]:
        console.print(f"written to {summary['out']}")
