"""The local history cache: one Parquet file of bars per instrument, bar size, whatToShow and RTH flag.

Layout: `<data_dir>/history/<instrument key>/<bar size>/<WHAT>-<rth|all>.parquet`, names made safe for any
filesystem (`conid:265598` -> `conid_265598`, `1 min` -> `1_min`). Besides the bars the file's schema metadata
keeps the ranges already fetched (`ibbot.covered`, so a requested range that had no bars, a holiday, is not
fetched again) and IB's head timestamp. A file is rewritten whole and swapped in with `os.replace`, so a reader,
in this process or another, sees the old file or the new one, never half of one; two writers racing lose one's
additions, which are then fetched again, never corrupted.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ibbot.data.history.chunks import TimeRange, union
from ibbot.errors import CacheError
from ibbot.model import Bar, BarSize, Instrument
from ibbot.protocol.types import fast_constructor

_SCHEMA = pa.schema(
    [
        ("time", pa.timestamp("us", tz="UTC")),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
        ("wap", pa.float64()),
        ("count", pa.int64()),
    ]
)
_COVERED = b"ibbot.covered"
_HEAD = b"ibbot.head_timestamp"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_build_bar = fast_constructor(Bar)  # 5x cheaper than Bar(...): a cache of a year of minutes is 250,000 bars
_UNSAFE = re.compile(r"[^A-Za-z0-9.=-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesKey:
    """Which series: one instrument's bars of one size, whatToShow and session choice."""

    instrument: Instrument
    bar_size: BarSize
    what_to_show: str = "TRADES"
    use_rth: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedSeries:
    bars: tuple[Bar, ...] = ()
    covered: tuple[TimeRange, ...] = ()
    head_timestamp: datetime | None = None


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_") or "_"


class ParquetHistoryCache:
    """Bars and their covered ranges under `<data_dir>/history` (module doc)."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "history"

    def path(self, key: SeriesKey) -> Path:
        session = "rth" if key.use_rth else "all"
        name = f"{_safe(key.what_to_show.upper())}-{session}.parquet"
        return self.root / _safe(key.instrument.key) / _safe(key.bar_size.text) / name

    def load(self, key: SeriesKey) -> CachedSeries:
        """What the cache holds for `key` (nothing when there is no file yet)."""
        path = self.path(key)
        if not path.exists():
            return CachedSeries()
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise CacheError(f"history cache {path} cannot be read: {exc}") from exc
        metadata = table.schema.metadata or {}
        covered = tuple(
            TimeRange(start=datetime.fromisoformat(a), end=datetime.fromisoformat(b))
            for a, b in json.loads(metadata.get(_COVERED, b"[]"))
        )
        head_text = metadata.get(_HEAD, b"").decode()
        head = datetime.fromisoformat(head_text) if head_text else None
        size = key.bar_size.text
        # Column by column, times as integer microseconds: ten times faster than table.to_pylist().
        micros = table.column("time").cast(pa.int64()).to_pylist()
        values = [table.column(name).to_pylist() for name in _SCHEMA.names[1:]]
        bars = tuple(
            _build_bar(
                instrument=key.instrument,
                time=_EPOCH + timedelta(microseconds=us),
                open=o,
                high=h,
                low=lo,
                close=c,
                volume=v,
                wap=w,
                count=n,
                bar_size=size,
            )
            for us, o, h, lo, c, v, w, n in zip(micros, *values, strict=True)
        )
        return CachedSeries(bars=bars, covered=covered, head_timestamp=head)

    def store(self, key: SeriesKey, series: CachedSeries) -> Path:
        """Replace the file for `key` with `series` (bars sorted by the caller; ranges are joined here)."""
        columns = {name: [getattr(bar, name) for bar in series.bars] for name in _SCHEMA.names}
        covered = [[r.start.isoformat(), r.end.isoformat()] for r in union(series.covered)]
        metadata = {_COVERED: json.dumps(covered).encode()}
        if series.head_timestamp is not None:
            metadata[_HEAD] = series.head_timestamp.isoformat().encode()
        table = pa.table(columns, schema=_SCHEMA.with_metadata(metadata))
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
            os.close(descriptor)
        except OSError as exc:
            raise CacheError(f"history cache {path.parent} cannot be written: {exc}") from exc
        try:
            pq.write_table(table, temporary)
            os.replace(temporary, path)
        except (OSError, pa.ArrowException) as exc:
            Path(temporary).unlink(missing_ok=True)
            raise CacheError(f"history cache {path} cannot be written: {exc}") from exc
        except BaseException:
            Path(temporary).unlink(missing_ok=True)  # cancelled or interrupted: the error propagates as it is
            raise
        return path
