"""The history service: bars for any range, from the cache first, fetching only the missing chunks from a `BarSource`.

Theory of operation
-------------------
`fetch` loads the series' cache file, asks the planner what is missing of [start, end) (the end clipped so that
every bar starting before it is complete at `now`), asks IB for the head timestamp only when something is
missing and the cache does not know it yet, then fetches the chunks newest first, at most `concurrency` at a
time (the governor behind the source paces them). Each chunk's answer is clipped to its own span; a chunk IB
answers with "no data" (a holiday, a weekend) is an empty answer and is still covered. What was fetched is
written back every `save_every` chunks and at the end, also when a chunk fails, so a long download interrupted
resumes where it stopped; the failure itself propagates. `progress(done, total)` is called after each chunk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ibbot.data.calendar import TradingCalendar
from ibbot.data.history.cache import CachedSeries, ParquetHistoryCache, SeriesKey
from ibbot.data.history.chunks import HistoryChunk, TimeRange, plan
from ibbot.data.history.merge import Gap, clip_sorted, find_gaps, merge_bars
from ibbot.errors import NoDataError
from ibbot.model import Bar, BarSize, Instrument


class BarSource(Protocol):
    """What the history service needs of IB: two methods of `ibbot.broker.Broker` (behind the governor)."""

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
        """reqHistoricalData: `duration` of `bar_size` bars ending at `end`, with UTC bar times."""
        ...

    async def head_timestamp(
        self, instrument: Instrument, *, what_to_show: str = "TRADES", use_rth: bool = True
    ) -> datetime | None:
        """reqHeadTimeStamp: the earliest bar IB has (None when it will not say)."""
        ...


Progress = Callable[[int, int], None]  # (chunks done, chunks planned)
CalendarFn = Callable[[Instrument, bool], TradingCalendar | None]  # (instrument, use_rth) -> its calendar


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryResult:
    bars: list[Bar]
    gaps: list[Gap]  # open market time without bars (needs a calendar)
    chunks: list[HistoryChunk]  # the requests sent, newest first (empty: everything came from the cache)


def calendar_from_hours(instrument: Instrument, use_rth: bool) -> TradingCalendar | None:
    """The default calendar: the qualified instrument's own liquid (RTH) or trading hours, if it has any."""
    calendar = TradingCalendar.of(instrument, liquid=use_rth)
    return calendar if calendar.sessions else None


def last_complete(now: datetime, bar_size: BarSize) -> datetime:
    """Every bar starting before this instant has ended at `now` (whatever grid IB aligns the bars to)."""
    return now.replace(microsecond=0) - bar_size.delta


class HistoryService:
    """Bars from the cache and the source (module doc)."""

    def __init__(
        self,
        source: BarSource,
        cache: ParquetHistoryCache,
        *,
        now_fn: Callable[[], datetime],
        calendar_fn: CalendarFn = calendar_from_hours,
        progress: Progress | None = None,
        concurrency: int = 1,
        save_every: int = 10,
    ) -> None:
        if concurrency < 1 or save_every < 1:
            raise ValueError("concurrency and save_every must be at least 1")
        self._source = source
        self._cache = cache
        self._now = now_fn
        self._calendar = calendar_fn
        self._progress = progress
        self._concurrency = concurrency
        self._save_every = save_every

    async def bars(
        self,
        instrument: Instrument,
        start: datetime,
        end: datetime,
        bar_size: BarSize | str,
        *,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
    ) -> list[Bar]:
        result = await self.fetch(instrument, start, end, bar_size, what_to_show=what_to_show, use_rth=use_rth)
        return result.bars

    async def fetch(
        self,
        instrument: Instrument,
        start: datetime,
        end: datetime,
        bar_size: BarSize | str,
        *,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
    ) -> HistoryResult:
        size = BarSize.parse(bar_size) if isinstance(bar_size, str) else bar_size
        key = SeriesKey(instrument=instrument, bar_size=size, what_to_show=what_to_show.upper(), use_rth=use_rth)
        wanted = TimeRange(start=start.astimezone(UTC), end=end.astimezone(UTC))
        reachable = TimeRange(
            start=wanted.start, end=max(wanted.start, min(wanted.end, last_complete(self._now(), size)))
        )
        cached = self._cache.load(key)
        chunks = plan(reachable.start, reachable.end, size, cached.head_timestamp, cached.covered)
        head = cached.head_timestamp
        if chunks and head is None:
            head = await self._source.head_timestamp(instrument, what_to_show=key.what_to_show, use_rth=use_rth)
            chunks = plan(reachable.start, reachable.end, size, head, cached.covered)
        series = await self._download(
            key, chunks, CachedSeries(bars=cached.bars, covered=cached.covered, head_timestamp=head)
        )
        bars = clip_sorted(series.bars, wanted)  # the cache's series is sorted and unique
        calendar = self._calendar(instrument, use_rth)
        gaps = find_gaps(bars, _after(reachable, head), size.delta, calendar) if size.is_intraday else []
        return HistoryResult(bars=bars, gaps=gaps, chunks=chunks)

    async def _download(self, key: SeriesKey, chunks: list[HistoryChunk], series: CachedSeries) -> CachedSeries:
        """Fetch `chunks`, folding each answer into `series`; saved as it goes and whatever happens (module doc)."""
        if not chunks:
            return series
        fetched: list[list[Bar]] = []
        covered = list(series.covered)
        done = 0

        def folded() -> CachedSeries:
            return CachedSeries(
                bars=tuple(merge_bars(series.bars, *fetched)),
                covered=tuple(covered),
                head_timestamp=series.head_timestamp,
            )

        try:
            for first in range(0, len(chunks), self._concurrency):
                batch = chunks[first : first + self._concurrency]
                answers = await asyncio.gather(*(self._one(key, chunk) for chunk in batch))
                for chunk, answer in zip(batch, answers, strict=True):
                    fetched.append(answer)
                    covered.append(chunk.range)
                    done += 1
                    if self._progress is not None:
                        self._progress(done, len(chunks))
                if done % self._save_every < len(batch) and done < len(chunks):
                    self._cache.store(key, folded())
        finally:
            result = folded()
            self._cache.store(key, result)
        return result

    async def _one(self, key: SeriesKey, chunk: HistoryChunk) -> list[Bar]:
        try:
            answer = await self._source.historical_bars(
                key.instrument,
                end=chunk.request_end,
                duration=chunk.duration,
                bar_size=chunk.bar_size.text,
                what_to_show=key.what_to_show,
                use_rth=key.use_rth,
            )
        except NoDataError:
            return []  # IB's 162 "no data": the span (a holiday, a weekend) has no bars, and is now known to
        return merge_bars(answer, within=chunk.range)


def _after(whole: TimeRange, head: datetime | None) -> TimeRange:
    if head is None or head <= whole.start:
        return whole
    return TimeRange(start=min(head, whole.end), end=whole.end)
