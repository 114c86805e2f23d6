"""Where a backtest's bars come from, as a small value a sweep can send to its workers: a file, the history
cache, or generated bars. `load()` reads them (each worker once: `load_cached`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ibbot.backtest.data import BarSeries, read_cache, read_file, synthetic
from ibbot.data.contracts.cache import instrument_from_json, instrument_to_json
from ibbot.data.history.cache import ParquetHistoryCache, SeriesKey
from ibbot.errors import ConfigError
from ibbot.model import BarSize, Instrument


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSpec:
    kind: str  # "file", "cache" or "synthetic"
    path: str = ""  # file: the CSV or Parquet file; cache: the data directory
    instrument: str = ""  # cache: the instrument as JSON (ibbot.data.contracts.cache)
    bar_size: str = ""  # "" for a file: inferred from the bars
    what_to_show: str = "TRADES"
    use_rth: bool = True
    start: str = ""  # ISO times; "" for no bound
    end: str = ""
    count: int = 0  # synthetic
    seed: int = 7

    @classmethod
    def file(cls, path: Path, *, start: datetime | None = None, end: datetime | None = None) -> DataSpec:
        return cls(kind="file", path=str(path), start=_text(start), end=_text(end))

    @classmethod
    def cache(
        cls,
        data_dir: Path,
        instrument: Instrument,
        bar_size: BarSize,
        *,
        start: datetime | None,
        end: datetime | None,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
    ) -> DataSpec:
        return cls(
            kind="cache", path=str(data_dir), instrument=instrument_to_json(instrument), bar_size=bar_size.text,
            what_to_show=what_to_show.upper(), use_rth=use_rth, start=_text(start), end=_text(end),
        )  # fmt: skip

    @classmethod
    def generated(cls, count: int, *, seed: int = 7) -> DataSpec:
        return cls(kind="synthetic", count=count, seed=seed)

    def load(self) -> BarSeries:
        start = datetime.fromisoformat(self.start) if self.start else None
        end = datetime.fromisoformat(self.end) if self.end else None
        if self.kind == "file":
            series = read_file(Path(self.path), bar_size=BarSize.parse(self.bar_size) if self.bar_size else None)
        elif self.kind == "cache":
            instrument = instrument_from_json(self.instrument)
            key = SeriesKey(
                instrument=instrument, bar_size=BarSize.parse(self.bar_size), what_to_show=self.what_to_show,
                use_rth=self.use_rth,
            )  # fmt: skip
            found = read_cache(ParquetHistoryCache(Path(self.path)), key)
            if found is None:
                raise ConfigError(f"the history cache in {self.path} has no {self.bar_size} bars of {instrument}")
            series = found
        elif self.kind == "synthetic":
            series = synthetic(self.count, seed=self.seed)
        else:
            raise ConfigError(f"unknown data kind {self.kind!r}")
        return series.between(start, end) if start or end else series

    def describe(self) -> str:
        if self.kind == "cache":
            return f"{instrument_from_json(self.instrument)} {self.bar_size} from the cache in {self.path}"
        if self.kind == "synthetic":
            return f"{self.count} synthetic bars (seed {self.seed})"
        return self.path


def _text(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


_LOADED: dict[DataSpec, BarSeries] = {}


def load_cached(spec: DataSpec) -> BarSeries:
    """`spec.load()`, once per process (a sweep's worker runs many jobs on the same bars)."""
    found = _LOADED.get(spec)
    if found is None:
        if len(_LOADED) > 4:
            _LOADED.clear()
        found = _LOADED[spec] = spec.load()
    return found
