"""The plain ib_async demo end to end: the example bot against the in-process simulator, as a new user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_ib_async_demo_runs_to_its_summary() -> None:
    done = subprocess.run(
        [sys.executable, "ib_async_demo.py", "--replay", "2026-03-04"],  # a fixed Wednesday: the same market every run
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    assert "replaying Wednesday 2026-03-04 10:00" in out
    for section in ("connected", "live quotes", "history", "bracket order on AAPL", "trailing stop on MSFT",
                    "positions and PnL", "summary"):  # fmt: skip
        assert section in out, f"missing section {section!r}"
    assert "fill BOT 100 AAPL" in out  # the bracket's marketable parent
    assert "fill BOT 50 MSFT" in out
    assert "Traceback" not in done.stderr
