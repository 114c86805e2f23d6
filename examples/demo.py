"""`make demo`: one strategy, run live against the embedded simulator, then backtested on the history it serves.

1. `ibbot run examples/sma_cross.py --target sim --replay DAY --speed 20 --for 60`: the embedded simulator
   replays the last US trading session from 10:00 New York time at 20 times the wall clock's pace, and the
   SMA cross trades it with the live terminal view (connection, quotes, orders, fills, positions, PnL).
2. `ibbot backtest examples/sma_cross.py --symbol AAPL --bar "1 min" --start DAY --end DAY --target sim
   --report DIR`: that day's bars are fetched into the history cache and the same file is backtested on them;
   the summary table is printed and the report (JSON, trades CSV, equity PNG, HTML) written.

Everything lives in ./demo-data (the journal, the caches, the report), so a second run starts from there.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console

from ibbot.cli import main as ibbot
from ibbot.sim.instruments.calendar import calendar_named

HERE = Path(__file__).resolve().parent
STRATEGY = HERE / "sma_cross.py"
PARAMS = ("--param", "bar_size=1 min", "--param", "fast=2", "--param", "slow=5")


def last_session(today: date) -> date:
    """The most recent US trading day before `today`."""
    calendar = calendar_named("US_EQUITY")
    day = today - timedelta(days=1)
    while not calendar.sessions_on(day, liquid=True):
        day -= timedelta(days=1)
    return day


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replay", type=date.fromisoformat, help="replay this day (YYYY-MM-DD) instead")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the live run lasts (default 60)")
    parser.add_argument("--data-dir", type=Path, default=Path("demo-data"), help="where the demo keeps its state")
    args = parser.parse_args(argv)
    console = Console()
    day = args.replay or last_session(datetime.now(UTC).date())
    data = ("--data-dir", str(args.data_dir))
    console.rule(f"[bold]1. ibbot run[/] {STRATEGY.name}: the simulator replays {day:%a %Y-%m-%d}")
    code = ibbot([
        "run", str(STRATEGY), "--target", "sim", "--replay", f"{day.isoformat()}T10:00", "--speed", "20",
        "--for", f"{args.seconds:g}", *PARAMS, *data,
    ])  # fmt: skip
    if code:
        return code
    report = args.data_dir / "report"
    console.rule(f"[bold]2. ibbot backtest[/] {STRATEGY.name}: {day:%Y-%m-%d}, 1-minute bars")
    code = ibbot([
        "backtest", str(STRATEGY), "--symbol", "AAPL", "--bar", "1 min", "--start", day.isoformat(),
        "--end", day.isoformat(), "--target", "sim", *PARAMS, "--report", str(report), *data,
    ])  # fmt: skip
    if code:
        return code
    console.print(f"report: {report / 'report.html'} (and summary.json, trades.csv, equity.png beside it)")
    console.print("next: `ibbot run examples/sma_cross.py --target gateway-paper` trades an IB paper account")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
