"""Bars for a backtest, held as columns: from CSV, Parquet, the history cache, or generated (benchmarks, tests).

A `BarSeries` is one instrument's bars as numpy columns: `times` (int64 microseconds since the epoch, UTC, the
bar's start, strictly increasing), `open`, `high`, `low`, `close`, `volume` (float64). A million minute bars
are 48 MB this way instead of ~400 MB of `Bar` objects; the driver builds a `Bar` only for the row it delivers.

Files: CSV with a header `time,open,high,low,close[,volume]` (other columns are ignored), or Parquet with the
same columns. `time` is an ISO time (naive means UTC; an offset is converted), a date, or epoch seconds or
milliseconds. Rows are sorted by time; a duplicate time, a missing column or price, or a bar whose high is
below its low is a `ConfigError` naming the file and the row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ibbot.data.history.cache import ParquetHistoryCache, SeriesKey
from ibbot.errors import CacheError, ConfigError
from ibbot.model import BarSize, Instrument

PRICES = ("open", "high", "low", "close")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FloatArray = np.ndarray  # float64 columns
_UNITS = ((86400 * 7, "week"), (86400, "day"), (3600, "hour"), (60, "min"), (1, "sec"))


@dataclass(frozen=True, eq=False, slots=True, kw_only=True)
class BarSeries:
    """One instrument's bars as columns (module doc). `instrument` may be a placeholder the driver replaces
    with the strategy's own instrument when the data names none (a file of bars without a symbol)."""

    instrument: Instrument | None
    bar_size: BarSize
    times: np.ndarray  # int64 microseconds since the epoch, bar starts, strictly increasing
    open: _FloatArray
    high: _FloatArray
    low: _FloatArray
    close: _FloatArray
    volume: _FloatArray
    source: str = ""

    def __len__(self) -> int:
        return int(self.times.shape[0])

    @property
    def start(self) -> datetime | None:
        return micros_to_datetime(int(self.times[0])) if len(self) else None

    @property
    def end(self) -> datetime | None:
        """The end of the last bar."""
        if not len(self):
            return None
        return micros_to_datetime(int(self.times[-1]) + self.bar_size.seconds * 1_000_000)

    def between(self, start: datetime | None, end: datetime | None) -> BarSeries:
        """The bars starting in [start, end)."""
        lo = 0 if start is None else int(np.searchsorted(self.times, to_micros(start), side="left"))
        hi = len(self) if end is None else int(np.searchsorted(self.times, to_micros(end), side="left"))
        return BarSeries(
            instrument=self.instrument, bar_size=self.bar_size, times=self.times[lo:hi], open=self.open[lo:hi],
            high=self.high[lo:hi], low=self.low[lo:hi], close=self.close[lo:hi], volume=self.volume[lo:hi],
            source=self.source,
        )  # fmt: skip


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros_to_datetime(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def bar_size_of(seconds: int) -> BarSize:
    """IB's name for a bar of `seconds` ("1 min", "5 secs", "1 day")."""
    for unit_seconds, unit in _UNITS:
        if seconds % unit_seconds == 0:
            return BarSize.parse(f"{seconds // unit_seconds} {unit}")
    raise ConfigError(f"bars {seconds} s apart have no IB bar size")  # pragma: no cover - 1 s divides all


def infer_bar_size(times: np.ndarray) -> BarSize:
    """The most common step between bars (gaps for nights and weekends do not count)."""
    if times.shape[0] < 2:
        return BarSize.parse("1 min")
    steps = np.diff(times) // 1_000_000
    values, counts = np.unique(steps[steps > 0], return_counts=True)
    return bar_size_of(int(values[int(np.argmax(counts))]))


def _time_column(column: pa.ChunkedArray, source: str) -> np.ndarray:
    kind = column.type
    if pa.types.is_timestamp(kind):
        return np.asarray(column.cast(pa.timestamp("us", tz=kind.tz)).cast(pa.int64()), dtype=np.int64)
    if pa.types.is_date(kind):
        return np.asarray(column.cast(pa.timestamp("us")).cast(pa.int64()), dtype=np.int64)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = np.asarray(column.cast(pa.float64()), dtype=np.float64)
        scale = 1_000 if values.size and np.nanmax(np.abs(values)) > 1e11 else 1_000_000  # ms, else seconds
        return np.round(values * scale).astype(np.int64)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            parsed = pc.strptime(column, format="%Y-%m-%dT%H:%M:%S%z", unit="us", error_is_null=True)
        except pa.ArrowException:
            parsed = None
        texts = column.to_pylist()
        if parsed is None or parsed.null_count:
            return np.array([_parse_time(text, source, row) for row, text in enumerate(texts)], dtype=np.int64)
        return np.asarray(parsed.cast(pa.int64()), dtype=np.int64)
    raise ConfigError(f"{source}: the time column has type {kind}; expected ISO times or epoch seconds")


def _parse_time(text: object, source: str, row: int) -> int:
    try:
        moment = datetime.fromisoformat(str(text).strip().replace(" ", "T", 1))
    except ValueError:
        raise ConfigError(f"{source}: row {row + 1}: time {text!r} is not an ISO time") from None
    return to_micros(moment)


def from_table(
    table: pa.Table, *, source: str, instrument: Instrument | None = None, bar_size: BarSize | None = None
) -> BarSeries:
    """A series from a table with time, open, high, low, close (and volume) columns; checked (module doc)."""
    names = {name.lower().strip(): name for name in table.column_names}
    missing = [name for name in ("time", *PRICES) if name not in names]
    if missing:
        raise ConfigError(f"{source}: missing column(s) {', '.join(missing)} (needs time,open,high,low,close,volume)")
    times = _time_column(table.column(names["time"]), source)
    columns: dict[str, np.ndarray] = {}
    for name in (*PRICES, "volume"):
        if name not in names:
            columns[name] = np.zeros(times.shape[0])
            continue
        try:
            columns[name] = np.asarray(table.column(names[name]).cast(pa.float64()), dtype=np.float64)
        except (pa.ArrowException, ValueError):
            raise ConfigError(f"{source}: column {name} is not numeric") from None
    volume = np.nan_to_num(columns["volume"], nan=0.0)
    if times.size > 1 and bool(np.any(np.diff(times) < 0)):
        order = np.argsort(times, kind="stable")
        times = times[order]
        columns = {name: values[order] for name, values in columns.items()}
        volume = volume[order]
    _check(times, columns, source)
    return BarSeries(
        instrument=instrument, bar_size=bar_size or infer_bar_size(times), times=times, open=columns["open"],
        high=columns["high"], low=columns["low"], close=columns["close"], volume=volume, source=source,
    )  # fmt: skip


def _check(times: np.ndarray, columns: dict[str, np.ndarray], source: str) -> None:
    if times.size > 1:
        same = np.flatnonzero(np.diff(times) == 0)
        if same.size:
            raise ConfigError(f"{source}: two bars at {micros_to_datetime(int(times[same[0]])).isoformat()}")
    for name in PRICES:
        bad = np.flatnonzero(~np.isfinite(columns[name]) | (columns[name] <= 0))
        if bad.size:
            raise ConfigError(f"{source}: bar at {_when(times, bad[0])}: {name} is missing or not positive")
    high, low = columns["high"], columns["low"]
    bad = np.flatnonzero(high < low)
    if bad.size:
        raise ConfigError(f"{source}: bar at {_when(times, bad[0])}: high {high[bad[0]]} is below low {low[bad[0]]}")


def _when(times: np.ndarray, row: int) -> str:
    return micros_to_datetime(int(times[row])).isoformat()


def read_file(path: Path, *, instrument: Instrument | None = None, bar_size: BarSize | None = None) -> BarSeries:
    """Bars from a CSV or Parquet file (module doc)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ConfigError(f"--data {path}: no such file")
    try:
        if suffix == ".csv":
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
        elif suffix in (".parquet", ".pq"):
            table = pq.read_table(path)
        else:
            raise ConfigError(f"--data {path}: the file must end in .csv or .parquet")
    except pa.ArrowException as exc:
        raise ConfigError(f"--data {path}: cannot be read: {exc}") from None
    return from_table(table, source=str(path), instrument=instrument, bar_size=bar_size)


def read_cache(cache: ParquetHistoryCache, key: SeriesKey) -> BarSeries | None:
    """The cached series for `key` (None when the cache has no file for it), read as columns."""
    path = cache.path(key)
    if not path.exists():
        return None
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise CacheError(f"history cache {path} cannot be read: {exc}") from exc
    return from_table(table, source=str(path), instrument=key.instrument, bar_size=key.bar_size)


def synthetic(
    count: int,
    *,
    start: datetime = datetime(2020, 1, 1, tzinfo=UTC),
    bar_seconds: int = 60,
    price: float = 100.0,
    volatility: float = 0.0005,
    seed: int = 7,
    instrument: Instrument | None = None,
) -> BarSeries:
    """A seeded random walk of `count` bars, round the clock, on a cent grid (benchmarks and tests)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, volatility, count)
    close = np.round(price * np.exp(np.cumsum(steps)), 2)
    open_ = np.concatenate(([price], close[:-1]))
    wick = np.abs(rng.normal(0.0, volatility / 2, (2, count))) * close
    high = np.round(np.maximum(open_, close) + wick[0], 2)
    low = np.round(np.minimum(open_, close) - wick[1], 2)
    low = np.maximum(low, 0.01)
    volume = rng.integers(100, 10_000, count).astype(np.float64)
    times = to_micros(start) + np.arange(count, dtype=np.int64) * (bar_seconds * 1_000_000)
    if math.isnan(float(close.min(initial=price))):  # pragma: no cover - a NaN here is a bug in the walk
        raise ValueError("synthetic walk produced NaN")
    return BarSeries(
        instrument=instrument, bar_size=bar_size_of(bar_seconds), times=times, open=open_, high=high, low=low,
        close=close, volume=volume, source=f"synthetic({count}, seed={seed})",
    )  # fmt: skip
