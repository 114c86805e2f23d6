"""`ibbot history` against the embedded simulator: JSON summary, files, the cache, and clear errors."""

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ibbot.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["history", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bars_are_fetched_once_then_served_from_the_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("AAPL", "--bar", "1 hour", "--start", "2025-01-13", "--end", "2025-01-17", "--data-dir", str(tmp_path))
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0
    first = json.loads(out)
    assert first["symbol"] == "AAPL" and first["con_id"] == 265598 and first["bar_size"] == "1 hour"
    assert first["bars"] == 5 * 7  # five RTH sessions of 09:30-16:00 New York, seven hourly bars each
    assert first["first"] == "2025-01-13T14:30:00+00:00" and first["requests"] >= 1
    code, out, _ = run(capsys, *args, "--json")
    again = json.loads(out)
    assert code == 0 and again["bars"] == first["bars"] and again["requests"] == 0
    assert list((tmp_path / "history").rglob("*.parquet"))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_bars_are_written_to_the_file_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    out_file = tmp_path / f"eurusd{suffix}"
    code, out, _ = run(
        capsys, "EUR.USD", "--bar", "1 day", "--start", "2025-03-03", "--end", "2025-03-07", "--what", "MIDPOINT",
        "--all-hours", "--data-dir", str(tmp_path / "data"), "--out", str(out_file),
    )  # fmt: skip
    assert code == 0 and "written to" in out
    if suffix == ".csv":
        with out_file.open() as handle:
            rows = list(csv.DictReader(handle))
        times = [r["time"] for r in rows]
    else:
        table = pq.read_table(out_file)
        times = [t.isoformat() for t in table.column("time").to_pylist()]
        assert table.column_names == ["time", "open", "high", "low", "close", "volume", "wap", "count"]
    assert len(times) == 5 and times == sorted(times)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("AAPL", "--bar", "3 fortnights", "--start", "2025-01-06", "--end", "2025-01-07"), 2, "bar size"),
        (("AAPL", "--start", "2025-01-07", "--end", "2025-01-06"), 2, "must come after"),
        (("AAPL", "--start", "yesterday", "--end", "2025-01-06"), 2, "not a date"),
        (("AAPL", "--start", "2025-01-06", "--end", "2025-01-07", "--out", "bars.xlsx"), 2, ".parquet or .csv"),
        (("AAPL", "--start", "2025-01-06", "--end", "2025-01-07", "--target", "nowhere"), 2, "HOST:PORT"),
        (("NOSUCHSYMBOLX", "--start", "2025-01-06", "--end", "2025-01-07"), 4, "NOSUCHSYMBOLX"),
    ],
)
def test_mistakes_get_one_clear_line_and_an_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, message: str
) -> None:
    got, out, err = run(capsys, *args, "--data-dir", str(tmp_path))
    assert got == code
    assert message in err and "Traceback" not in err and out == ""
