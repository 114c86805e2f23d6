"""The report's files: the JSON summary, the trades CSV, the PNG and the self-contained HTML page."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from ibbot.backtest import BacktestSettings, run_backtest, synthetic
from ibbot.backtest.report import summary_table, sweep_table, write_report
from ibbot.backtest.results import SUMMARY_KEYS
from ibbot.strategy import load_strategy_class

EXAMPLE = Path(__file__).parents[3] / "examples" / "sma_cross.py"


def test_the_report_directory_holds_all_four_files(tmp_path: Path) -> None:
    strategy = load_strategy_class(str(EXAMPLE))({"fast": "5", "slow": "20"})
    result = run_backtest(strategy, synthetic(3_000, seed=11), BacktestSettings(spread=Decimal("0.02")))
    paths = write_report(result, tmp_path / "out")
    summary = json.loads(paths["summary.json"].read_text())
    assert list(summary) == list(SUMMARY_KEYS) and summary["bars"] == 3_000 and summary["trades"] > 10
    with paths["trades.csv"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == summary["trades"] and {r["direction"] for r in rows} == {"long", "short"}
    assert sum(Decimal(r["pnl"]) for r in rows) == sum(t.pnl for t in result.trades)
    assert paths["equity.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = paths["report.html"].read_text()
    assert "data:image/png;base64," in page and "SmaCross backtest" in page and "<script" not in page
    console = Console(width=120, record=True)
    console.print(summary_table(summary))
    console.print(sweep_table([summary], ["fast", "slow"], "sharpe"))
    text = console.export_text()
    assert "max drawdown" in text and "3,000" in text and "best sharpe first" in text
