"""The Parquet cache and the history service over a fake source: round trip, fetch only what is missing, progress."""

import asyncio
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ibbot.data.calendar import parse_sessions
from ibbot.data.history import (
    CachedSeries,
    Gap,
    HistoryService,
    ParquetHistoryCache,
    SeriesKey,
    TimeRange,
)
from ibbot.data.history.chunks import union
from ibbot.errors import CacheError, NoDataError, RequestError
from ibbot.model import Bar, BarSize, Instrument

AAPL = Instrument(
    symbol="AAPL",
    con_id=265598,
    primary_exchange="NASDAQ",
    time_zone="US/Eastern",
    liquid_hours=parse_sessions("20250102:0930-1600;20250103:0930-1600", "US/Eastern"),
)
MINUTE = BarSize.parse("1 min")
START = datetime(2025, 1, 2, tzinfo=UTC)
END = datetime(2025, 1, 4, tzinfo=UTC)
NOW = datetime(2025, 6, 1, tzinfo=UTC)


class FakeSource:
    """Regular-hours 1-minute bars for any chunk; counts the calls; optionally says 'no data' or fails."""

    def __init__(self, *, head: datetime | None = None, fail_after: int | None = None) -> None:
        self.calls: list[tuple[datetime, str]] = []  # (end, duration) of each reqHistoricalData
        self.head_calls = 0
        self.head = head
        self.fail_after = fail_after
        self.no_data: set[datetime] = set()

    async def historical_bars(
        self,
        instrument: Instrument,
        *,
        end: datetime | None,
        duration: str,
        bar_size: str,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
    ) -> list[Bar]:
        assert (what_to_show, use_rth, bar_size) == ("TRADES", True, "1 min")
        assert end is not None and duration.endswith(" S")
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise RequestError(366, "No historical data query found for ticker id")
        self.calls.append((end, duration))
        if end in self.no_data:
            raise NoDataError(162, "HMDS query returned no data")
        # IB answers more than was asked (from midnight before): the service must clip to the chunk.
        moment = (end - timedelta(seconds=int(duration.removesuffix(" S")))).replace(hour=0, minute=0) - timedelta(
            days=1
        )
        found = []
        while moment < end + timedelta(hours=1):
            if any(s.contains(moment) for s in AAPL.liquid_hours):
                price = 100 + moment.minute
                found.append(
                    Bar(instrument=instrument, time=moment, open=price, high=price + 1, low=price - 1, close=price)
                )
            moment += timedelta(minutes=1)
        return found

    async def head_timestamp(
        self, instrument: Instrument, *, what_to_show: str = "TRADES", use_rth: bool = True
    ) -> datetime | None:
        self.head_calls += 1
        return self.head


def fields(bar: Bar) -> tuple[object, ...]:
    """A bar's values, comparable even when wap is NaN."""
    return (bar.instrument, bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, repr(bar.wap), bar.count)


def service(tmp_path: Path, source: FakeSource, **kwargs: object) -> HistoryService:
    return HistoryService(source, ParquetHistoryCache(tmp_path), now_fn=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def test_cache_round_trip_keeps_every_field_and_writes_a_parquet_file(tmp_path: Path) -> None:
    cache = ParquetHistoryCache(tmp_path)
    key = SeriesKey(instrument=AAPL, bar_size=MINUTE, what_to_show="MIDPOINT", use_rth=False)
    bars = (
        Bar(instrument=AAPL, time=START, open=1.5, high=2.25, low=1.0, close=2.0, volume=1234.0, wap=1.75, count=17),
        Bar(instrument=AAPL, time=START + timedelta(minutes=1), open=2, high=2, low=2, close=2),
    )
    ranges = (TimeRange(start=START, end=START + timedelta(hours=1)), TimeRange(start=END, end=END + timedelta(days=1)))
    path = cache.store(key, CachedSeries(bars=bars, covered=ranges, head_timestamp=START - timedelta(days=9000)))

    assert path == tmp_path / "history" / "conid_265598" / "1_min" / "MIDPOINT-all.parquet"
    assert pq.read_table(path).num_rows == 2
    loaded = cache.load(key)
    assert loaded.bars[0] == bars[0]
    assert loaded.bars[1].time == bars[1].time and math.isnan(loaded.bars[1].wap)
    assert loaded.covered == ranges
    assert loaded.head_timestamp == START - timedelta(days=9000)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_an_unreadable_cache_file_raises_cache_error(tmp_path: Path) -> None:
    cache = ParquetHistoryCache(tmp_path)
    key = SeriesKey(instrument=AAPL, bar_size=MINUTE)
    cache.path(key).parent.mkdir(parents=True)
    cache.path(key).write_bytes(b"not parquet")
    with pytest.raises(CacheError, match="cannot be read"):
        cache.load(key)


async def test_first_request_fetches_every_chunk_and_returns_only_the_range(tmp_path: Path) -> None:
    source = FakeSource()
    progress: list[tuple[int, int]] = []
    result = await service(tmp_path, source, progress=lambda done, total: progress.append((done, total))).fetch(
        AAPL, START, END, "1 min"
    )
    assert source.calls == [(c.request_end, c.duration) for c in result.chunks]
    assert [c.duration for c in result.chunks] == ["86400 S", "86400 S", "180 S"]
    assert union(c.range for c in result.chunks) == (TimeRange(start=START, end=END),)
    assert source.head_calls == 1
    assert len(result.bars) == 2 * 390
    assert result.bars[0].time == datetime(2025, 1, 2, 14, 30, tzinfo=UTC)
    assert result.bars[-1].time == datetime(2025, 1, 3, 20, 59, tzinfo=UTC)
    assert result.gaps == []
    assert progress == [(1, 3), (2, 3), (3, 3)]


async def test_a_second_request_fetches_nothing_even_after_a_restart(tmp_path: Path) -> None:
    first = await service(tmp_path, FakeSource()).bars(AAPL, START, END, "1 min")
    source = FakeSource()
    again = await service(tmp_path, source).bars(AAPL, START, END, "1 min")
    assert source.calls == [] and source.head_calls == 0
    assert [fields(b) for b in again] == [fields(b) for b in first]


async def test_a_wider_request_fetches_only_what_is_missing(tmp_path: Path) -> None:
    await service(tmp_path, FakeSource()).bars(AAPL, START, END, "1 min")
    source = FakeSource()
    later = END + timedelta(days=1, hours=12)
    result = await service(tmp_path, source).fetch(AAPL, START - timedelta(hours=6), later, "1 min")
    assert union(c.range for c in result.chunks) == (
        TimeRange(start=START - timedelta(hours=6), end=START),
        TimeRange(start=END, end=later),
    )
    assert source.calls == [(c.request_end, c.duration) for c in result.chunks]
    assert len(result.bars) == 2 * 390


async def test_a_no_data_chunk_is_empty_and_not_fetched_again(tmp_path: Path) -> None:
    source = FakeSource()
    source.no_data = {END + timedelta(minutes=1)}  # the request of the chunk ending at END
    result = await service(tmp_path, source).fetch(AAPL, START, END, "1 min")
    assert len(result.bars) == 390  # the Friday chunk said "no data"
    # Friday's regular hours are open time without bars: a gap the calendar cannot explain.
    assert result.gaps == [
        Gap(start=datetime(2025, 1, 3, 14, 30, tzinfo=UTC), end=datetime(2025, 1, 3, 21, tzinfo=UTC))
    ]
    again = FakeSource()
    await service(tmp_path, again).bars(AAPL, START, END, "1 min")
    assert again.calls == []


async def test_head_timestamp_is_asked_once_and_clips_the_download(tmp_path: Path) -> None:
    head = datetime(2025, 1, 3, tzinfo=UTC)
    source = FakeSource(head=head)
    result = await service(tmp_path, source).fetch(AAPL, START, END, "1 min")
    assert union(c.range for c in result.chunks) == (TimeRange(start=head, end=END),)
    bars = result.bars
    assert bars[0].time == datetime(2025, 1, 3, 14, 30, tzinfo=UTC)
    later = FakeSource(head=head)
    await service(tmp_path, later).bars(AAPL, START - timedelta(days=5), END, "1 min")
    assert later.calls == [] and later.head_calls == 0  # before the head there is nothing to fetch


async def test_the_end_is_clipped_to_the_last_complete_bar(tmp_path: Path) -> None:
    source = FakeSource()
    now = datetime(2025, 1, 3, 15, 0, 30, tzinfo=UTC)
    history = HistoryService(source, ParquetHistoryCache(tmp_path), now_fn=lambda: now)
    bars = await history.bars(AAPL, datetime(2025, 1, 3, 14, tzinfo=UTC), END, "1 min")
    # Bars starting before 14:59:30 have all ended at 15:00:30; the request reaches one bar further.
    assert source.calls == [(now, "3630 S")]
    assert bars[-1].time == datetime(2025, 1, 3, 14, 59, tzinfo=UTC)


async def test_a_failed_chunk_propagates_and_what_came_before_is_kept(tmp_path: Path) -> None:
    start = END - timedelta(days=2)
    with pytest.raises(RequestError):
        await service(tmp_path, FakeSource(fail_after=1)).bars(AAPL, start, END, "1 min")
    source = FakeSource()
    result = await service(tmp_path, source).fetch(AAPL, start, END, "1 min")
    assert len(source.calls) == 2  # the first chunk was kept
    assert union(c.range for c in result.chunks) == (TimeRange(start=start, end=END - timedelta(seconds=86340)),)


async def test_a_few_chunks_at_a_time(tmp_path: Path) -> None:
    class Slow(FakeSource):
        def __init__(self) -> None:
            super().__init__()
            self.running = 0
            self.most = 0

        async def historical_bars(
            self,
            instrument: Instrument,
            *,
            end: datetime | None,
            duration: str,
            bar_size: str,
            what_to_show: str = "TRADES",
            use_rth: bool = True,
        ) -> list[Bar]:
            self.running += 1
            self.most = max(self.most, self.running)
            await asyncio.sleep(0)  # let the other requests of the batch start
            self.running -= 1
            return await super().historical_bars(
                instrument, end=end, duration=duration, bar_size=bar_size, what_to_show=what_to_show, use_rth=use_rth
            )

    source = Slow()
    history = service(tmp_path, source, concurrency=3, save_every=2)
    result = await history.fetch(AAPL, START - timedelta(days=5), END, "1 min")
    assert len(source.calls) == len(result.chunks) == 8 and source.most == 3
    assert len(result.bars) == 2 * 390
