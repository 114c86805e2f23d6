"""History: bars for any range and bar size, planned into IB-sized chunks, merged, and cached in Parquet."""

from ibbot.data.history.cache import CachedSeries, ParquetHistoryCache, SeriesKey
from ibbot.data.history.chunks import MAX_SPANS, HistoryChunk, TimeRange, plan
from ibbot.data.history.merge import Gap, find_gaps, merge_bars
from ibbot.data.history.service import BarSource, HistoryResult, HistoryService, Progress, calendar_from_hours

__all__ = [
    "MAX_SPANS",
    "BarSource",
    "CachedSeries",
    "Gap",
    "HistoryChunk",
    "HistoryResult",
    "HistoryService",
    "ParquetHistoryCache",
    "Progress",
    "SeriesKey",
    "TimeRange",
    "calendar_from_hours",
    "find_gaps",
    "merge_bars",
    "plan",
]
