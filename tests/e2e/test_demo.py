"""`make demo` end to end, as a new user runs it: the example strategy live against the embedded simulator (a
fixed replayed day, a shorter run), then backtested on that day's bars, with its report written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_demo_runs_the_strategy_then_backtests_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "demo.py", "--replay", "2026-03-04", "--seconds", "25", "--data-dir", str(tmp_path)],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "1. ibbot run" in out and "2. ibbot backtest" in out
    assert "Wed 2026-03-04" in out
    assert "Traceback" not in done.stderr
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["bars"] >= 300  # the whole regular session of one-minute bars
    for name in ("trades.csv", "equity.png", "report.html"):
        assert (tmp_path / "report" / name).stat().st_size > 0
    assert (tmp_path / "journal.sqlite").exists()
    assert "orders" in out and "fills" in out
