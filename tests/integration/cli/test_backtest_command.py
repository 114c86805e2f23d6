"""`ibbot backtest`: a file of bars, the history cache filled by `ibbot history` from the simulator, sweeps, the
report, and one clear line (with its exit code) for every mistake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from ibbot.backtest import synthetic
from ibbot.backtest.results import SUMMARY_KEYS
from ibbot.cli import main

EXAMPLE = str(Path(__file__).parents[3] / "examples" / "sma_cross.py")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["backtest", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def bars_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bars = synthetic(4_000, seed=21)
    table = pa.table({"time": pa.array(bars.times, pa.timestamp("us", tz="UTC")), "open": bars.open,
                      "high": bars.high, "low": bars.low, "close": bars.close, "volume": bars.volume})  # fmt: skip
    path = tmp_path_factory.mktemp("bars") / "bars.csv"
    pacsv.write_csv(table, path)
    return path


def test_a_csv_backtest_prints_its_json_summary(bars_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, EXAMPLE, "--data", str(bars_csv), "--param", "fast=5", "--param", "slow=20",
                       "--cash", "50000", "--json")  # fmt: skip
    assert code == 0
    summary = json.loads(out)
    assert list(summary) == list(SUMMARY_KEYS)
    assert summary["strategy"] == "SmaCross" and summary["params"]["fast"] == 5 and summary["params"]["slow"] == 20
    assert summary["bars"] == 4_000 and summary["start"] == "2020-01-01T00:00:00+00:00"
    assert summary["orders"] == summary["fills"] > 20 and summary["trades"] == summary["orders"] - 1
    assert summary["initial_cash"] == 50_000 and summary["commissions"] >= summary["fills"] * 1.0
    assert summary["final_equity"] == pytest.approx(50_000 * (1 + summary["total_return"]), abs=0.05)  # 6 digits
    assert 0 <= summary["max_drawdown"] < 1 and 0.9 < summary["exposure"] <= 1 and summary["error"] is None
    assert summary["elapsed_seconds"] > 0 and summary["open_positions"] in ({"AAPL": "1"}, {"AAPL": "-1"})


def test_the_report_and_the_json_file(bars_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, EXAMPLE, "--data", str(bars_csv), "--start", "2020-01-02", "--end", "2020-01-02",
                       "--report", str(tmp_path / "report"), "--json", str(tmp_path / "s.json"))  # fmt: skip
    assert code == 0 and "report.html" in out and "max drawdown" in out  # the rich table
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["bars"] == 1_440 and summary["start"] == "2020-01-02T00:00:00+00:00"
    assert json.loads((tmp_path / "report" / "summary.json").read_text()) == summary
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == [
        "equity.png", "report.html", "summary.json", "trades.csv",
    ]  # fmt: skip


def test_a_sweep_ranks_its_runs_in_json(bars_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, EXAMPLE, "--data", str(bars_csv), "--sweep", "fast=3,5", "--sweep", "slow=20,40",
                       "--sort", "total_return", "--workers", "1", "--json")  # fmt: skip
    assert code == 0
    document = json.loads(out)
    assert document["sort"] == "total_return" and document["swept"] == ["fast", "slow"]
    runs: list[dict[str, Any]] = document["runs"]
    assert sorted((r["params"]["fast"], r["params"]["slow"]) for r in runs) == [(3, 20), (3, 40), (5, 20), (5, 40)]
    returns = [r["total_return"] for r in runs]
    assert returns == sorted(returns, reverse=True)


def test_the_configurations_strategy_and_risk_tables_apply(
    bars_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "ibbot.toml"
    config.write_text("[strategy]\nquantity = 2\nunrelated = 'x'\n\n[strategy.smacross]\nfast = 4\n\n"
                      "[risk]\nmax_order_quantity = 3\n")  # fmt: skip
    code, out, err = run(capsys, EXAMPLE, "--data", str(bars_csv), "--config", str(config), "--param", "slow=12",
                         "--json")  # fmt: skip
    summary = json.loads(out)
    assert summary["params"] == {"symbol": "AAPL", "bar_size": "1 min", "fast": 4, "slow": 12, "quantity": 2}
    # the first order opens 2; the flip (4) is over the configured limit: the strategy did not catch the refusal
    assert code == 1 and summary["orders"] == 1 and summary["refused"] == 1
    assert "refused by order_quantity: order quantity 4 exceeds max_order_quantity 3" in err


def test_bars_from_the_history_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    span = ("--bar", "1 min", "--start", "2025-01-13", "--end", "2025-01-14", "--data-dir", str(tmp_path))
    assert main(["history", "AAPL", *span, "--json"]) == 0  # the embedded simulator fills the cache
    fetched = json.loads(capsys.readouterr().out)
    code, out, _ = run(capsys, EXAMPLE, "--symbol", "AAPL", *span, "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["bars"] == fetched["bars"] == 2 * 390  # two regular sessions of minute bars
    assert summary["start"] == fetched["first"] and summary["orders"] > 0 and summary["error"] is None


def test_a_strategy_that_raises_exits_1_with_its_summary(tmp_path: Path, bars_csv: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    path = tmp_path / "broken.py"
    path.write_text(
        "from ibbot import Strategy\n\n"
        "class Broken(Strategy):\n"
        "    def on_start(self):\n"
        "        self.stock = self.instrument('AAPL')\n"
        "        self.subscribe_bars(self.stock, '1 min')\n"
        "        self.seen = 0\n\n"
        "    def on_bar(self, bar):\n"
        "        self.seen += 1\n"
        "        if self.seen == 10:\n"
        "            self.buy(self.stock, 1, limit=round(bar.close - 0.5, 2))\n"
        "        if self.seen == 50:\n"
        "            raise ValueError('oops')\n"
    )
    code, out, err = run(capsys, str(path), "--data", str(bars_csv), "--json")
    summary = json.loads(out)
    assert code == 1 and "Broken.on_bar raised ValueError: oops" in err
    assert summary["error"].startswith("Broken.on_bar raised ValueError: oops") and summary["bars"] == 4_000
    assert summary["orders"] == 1 and summary["fills"] == 0  # the resting limit was cancelled at the failure


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--data", "{csv}", "--param", "fast=x"), 2, "parameter fast must be int, got 'x'"),
        (("--data", "{csv}", "--param", "nope=1"), 2, "SmaCross has no parameter 'nope'"),
        (("--data", "{csv}", "--param", "fast=40"), 2, "fast (40) must be positive and below slow (30)"),
        (("--data", "missing.csv"), 2, "no such file"),
        (("--data", "{csv}", "--cash", "lots"), 2, "--cash 'lots' is not a number"),
        (("--data", "{csv}", "--sweep", "fast"), 2, "expected NAME=V1,V2"),
        (("--data", "{csv}", "--ray", "local"), 2, "--ray runs a sweep"),
        (("--data", "{csv}", "--start", "2030-01-01"), 5, "no bars"),
        (
            ("--symbol", "AAPL", "--start", "2025-01-13", "--end", "2025-01-14", "--data-dir", "{tmp}"),
            2,
            "has no 1 min TRADES bars of AAPL",
        ),
        (("--symbol", "AAPL"), 2, "--symbol needs --start and --end"),
    ],
)
def test_mistakes_are_one_line_and_an_exit_code(
    args: tuple[str, ...], code: int, message: str, bars_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filled = [a.format(csv=bars_csv, tmp=tmp_path) for a in args]
    got, _, err = run(capsys, EXAMPLE, *filled)
    assert got == code and message in err and "Traceback" not in err


def test_a_missing_strategy_file(bars_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "nowhere.py", "--data", str(bars_csv))
    assert code == 2 and "strategy file nowhere.py does not exist" in err
