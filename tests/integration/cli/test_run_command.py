"""`ibbot run`: a strategy file against the embedded simulator replaying a liquid session, its JSON summary, and
every mistake a person makes reported in one line with its exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ibbot.cli import common

from .conftest import run

EXAMPLE = Path(__file__).parents[3] / "examples" / "sma_cross.py"
REPLAY = ("--target", "sim", "--replay", "2026-11-18", "--speed", "20")

RAISER = """
from ibbot import Strategy


class Raiser(Strategy):
    def on_start(self):
        self.stock = self.instrument("AAPL")
        self.subscribe_bars(self.stock, "5 secs")
        self.rested = False

    def on_bar(self, bar):
        if not self.rested:  # 3% below the market: rests, inside the risk gate's 5% price band
            self.buy(self.stock, 1, limit=round(bar.close * 0.97, 2))
            self.rested = True
            return
        raise RuntimeError("boom")
"""


def test_a_strategy_runs_against_the_simulator_and_reports_its_orders(
    hermetic: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "run", str(EXAMPLE), *REPLAY, "--for", "8", "--param", "bar_size=30 secs", "--param", "fast=2",
        "--param", "slow=3", "--data-dir", str(hermetic / "data"), "--json",
    )  # fmt: skip
    assert code == common.OK, err
    summary = json.loads(out)
    assert summary["ok"] and summary["strategy"] == "SmaCross" and summary["failure"] is None
    assert summary["bars"] >= 3
    orders = summary["orders"]
    assert orders and {o["status"] for o in orders} <= {"filled", "cancelled"}
    assert {f["order_ref"] for f in summary["fills"]} <= {o["order_ref"] for o in orders}
    assert (hermetic / "data" / "journal.sqlite").exists()


def test_a_strategy_that_raises_is_stopped_and_its_order_cancelled(
    hermetic: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (hermetic / "raiser.py").write_text(RAISER)
    code, out, err = run(capsys, "run", str(hermetic / "raiser.py"), *REPLAY, "--for", "20",
                         "--data-dir", str(hermetic / "data"), "--json")  # fmt: skip
    assert code == common.FAILED
    summary = json.loads(out)
    assert not summary["ok"] and "Raiser.on_bar raised RuntimeError: boom" in summary["failure"]
    (order,) = summary["orders"]
    assert order["status"] == "cancelled"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--param", "fast=ten"), "parameter fast must be int"),
        (("--param", "nosuch=1"), "has no parameter 'nosuch'"),
        (("--for", "0"), "--for must be a positive"),
        (("--replay", "2026-11-18", "--target", "127.0.0.1:1"), "--replay needs --target sim"),
        (("--replay", "2026-11-21"), "did not trade"),
        (("--speed", "5"), "--speed goes with --replay"),
    ],
)
def test_mistakes_get_one_line_and_the_usage_exit_code(
    hermetic: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, "run", str(EXAMPLE), *extra, "--data-dir", str(hermetic / "data"))
    assert code == common.USAGE
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_a_file_that_is_not_a_strategy_is_refused(hermetic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (hermetic / "empty.py").write_text("x = 1\n")
    code, _, err = run(capsys, "run", str(hermetic / "empty.py"), "--data-dir", str(hermetic / "data"))
    assert code == common.USAGE and "defines no Strategy subclass" in err


def test_the_dashboard_comes_with_the_run_and_its_audit_trail(
    hermetic: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "run", str(EXAMPLE), *REPLAY, "--for", "6", "--param", "bar_size=30 secs", "--param", "fast=2",
        "--param", "slow=3", "--data-dir", str(hermetic / "data"), "--web", "127.0.0.1:0", "--json",
    )  # fmt: skip
    assert code == common.OK, err
    assert "dashboard on http://127.0.0.1:" in err
    assert json.loads(out)["ok"]
    audit = list((hermetic / "data").rglob("*.jsonl"))
    assert audit and any("reconciliation" in path.read_text() for path in audit)
