"""Bars as columns from CSV and Parquet files: times in any usual form, checked with the row named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ibbot.backtest.data import infer_bar_size, read_file, synthetic, to_micros
from ibbot.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_csv_with_iso_times_and_offsets_reads_as_utc(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", "time,open,high,low,close,volume\n"
                 "2024-03-04T09:30:00-05:00,10,11,9,10.5,100\n2024-03-04 14:31:00,10.5,11,10,10.8,50\n")  # fmt: skip
    bars = read_file(path)
    assert bars.times.tolist() == [to_micros(datetime(2024, 3, 4, 14, 30 + i, tzinfo=UTC)) for i in range(2)]
    assert bars.close.tolist() == [10.5, 10.8] and bars.bar_size.text == "1 min" and len(bars) == 2


def test_epoch_seconds_without_volume_and_unsorted_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", "Time,Open,High,Low,Close\n1709562660,2,2,2,2\n1709562600,1,1,1,1\n")
    bars = read_file(path)
    assert bars.close.tolist() == [1.0, 2.0] and bars.volume.tolist() == [0.0, 0.0]


def test_parquet_with_timestamps(tmp_path: Path) -> None:
    times = [datetime(2024, 1, 2 + i, tzinfo=UTC) for i in range(3)]
    table = pa.table({"time": times, "open": [1.0] * 3, "high": [2.0] * 3, "low": [0.5] * 3,
                      "close": [1.5] * 3, "volume": [10.0] * 3})  # fmt: skip
    pq.write_table(table, tmp_path / "d.parquet")
    bars = read_file(tmp_path / "d.parquet")
    assert bars.bar_size.text == "1 day" and bars.start == times[0] and bars.end == datetime(2024, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,open,high,low\n2024-01-01,1,1,1\n", "missing column"),
        ("time,open,high,low,close\n2024-01-01,1,1,1,1\n2024-01-01,1,1,1,1\n", "two bars at 2024-01-01"),
        ("time,open,high,low,close\n2024-01-01,1,1,2,1\n", "high 1.0 is below low 2.0"),
        ("time,open,high,low,close\n2024-01-01,1,1,1,\n", "close is missing"),
        ("time,open,high,low,close\nyesterday,1,1,1,1\n", "row 1: time 'yesterday' is not an ISO time"),
    ],
)
def test_bad_files_are_config_errors_naming_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_file(write(tmp_path / "bad.csv", text))


def test_missing_files_and_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_file(tmp_path / "none.csv")
    with pytest.raises(ConfigError, match=r"\.csv or \.parquet"):
        read_file(write(tmp_path / "bars.xlsx", "x"))


def test_the_bar_size_is_the_most_common_step() -> None:
    minutes = np.array([0, 60, 120, 180, 86_400, 86_460], dtype=np.int64) * 1_000_000
    assert infer_bar_size(minutes).text == "1 min"
    assert infer_bar_size(np.array([0, 5_000_000, 10_000_000])).text == "5 secs"


def test_synthetic_bars_are_seeded_consistent_and_sliced_by_time() -> None:
    a, b = synthetic(1000, seed=3), synthetic(1000, seed=3)
    assert np.array_equal(a.close, b.close) and not np.array_equal(a.close, synthetic(1000, seed=4).close)
    assert bool(np.all(a.high >= np.maximum(a.open, a.close))) and bool(np.all(a.low <= np.minimum(a.open, a.close)))
    start = datetime(2020, 1, 1, 1, tzinfo=UTC)
    part = a.between(start, datetime(2020, 1, 1, 2, tzinfo=UTC))
    assert len(part) == 60 and part.start == start
