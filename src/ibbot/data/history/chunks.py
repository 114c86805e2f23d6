"""The history chunk planner: a date range and bar size -> the reqHistoricalData requests that fetch what is missing.

Theory of operation
-------------------
IB caps how long one request may be for each bar size (the "step sizes" table). `MAX_SPANS` holds, per bar size,
the duration text a full request sends and the time it is trusted to cover. Seconds durations (`S`) cover exactly
their length. Durations in days, weeks, months and years count calendar (or trading) dates from midnight in the
exchange's zone, so they reach back further than their nominal length or, with DST and an end late in the day, a
little less: they are trusted for two days less than they say.

A chunk owns the bars that START in its [start, end). So that each of them is complete in IB's answer (a daily
bar starting at midnight is only in answers ending a day later), the request ends one bar after the chunk
(`request_end`, whole seconds) and its duration covers [start, request_end); a full chunk is therefore one bar
shorter than its duration. The answer is clipped to [start, end) by bar start, so overlap never duplicates.

`plan` subtracts the cached ranges and everything before the head timestamp from [start, end), tiles each
missing range from its end backwards with full chunks (the oldest one shorter), and returns the chunks
NEWEST FIRST. Every value in the table is one the simulator (`ibbot.sim.history.rules`) accepts, and a test
checks each planned chunk against it. End times are sent in IB's UTC form, `YYYYMMDD-HH:MM:SS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ibbot.errors import HistoryError
from ibbot.model import BarSize

_DAY = timedelta(days=1)
_MIN_SECONDS = 30  # IB refuses a duration under 30 S


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxSpan:
    """The longest request for one bar size: the durationStr it sends and the time it covers for certain."""

    duration: str
    covers: timedelta


def _seconds(count: int) -> MaxSpan:
    return MaxSpan(duration=f"{count} S", covers=timedelta(seconds=count))


def _dated(duration: str, nominal_days: int) -> MaxSpan:
    return MaxSpan(duration=duration, covers=timedelta(days=nominal_days - 2))


# bar size (IB's text) -> the longest chunk; IB's step-size table, as the simulator applies it.
MAX_SPANS: dict[str, MaxSpan] = {
    "1 secs": _seconds(1800),
    "5 secs": _seconds(3600),
    "10 secs": _seconds(14400),
    "15 secs": _seconds(14400),
    "30 secs": _seconds(28800),
    "1 min": _seconds(86400),
    "2 mins": _dated("6 D", 6),
    **{text: _dated("1 W", 7) for text in ("3 mins", "5 mins", "10 mins", "15 mins", "20 mins")},
    **{text: _dated("1 M", 28) for text in ("30 mins", "1 hour", "2 hours", "3 hours", "4 hours", "8 hours")},
    "1 day": _dated("1 Y", 365),
    "1 week": _dated("1 Y", 365),
    "1 month": _dated("1 Y", 365),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeRange:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise HistoryError("history ranges must be timezone-aware")
        if self.end < self.start:
            raise HistoryError(f"history range ends ({self.end}) before it starts ({self.start})")

    @property
    def empty(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryChunk:
    """One reqHistoricalData for the bars starting in [start, end) (UTC): its end, durationStr and endDateTime."""

    start: datetime
    end: datetime
    bar_size: BarSize
    request_end: datetime  # one bar after `end`, in whole seconds: the endDateTime sent
    duration: str  # IB's durationStr covering [start, request_end), e.g. "86400 S", "1 W"
    end_date_time: str  # request_end in IB's UTC form, "YYYYMMDD-HH:MM:SS"

    @property
    def range(self) -> TimeRange:
        return TimeRange(start=self.start, end=self.end)


def max_span(bar_size: BarSize) -> MaxSpan:
    try:
        return MAX_SPANS[bar_size.text]
    except KeyError:
        raise HistoryError(f"bar size {bar_size.text!r} is not one IB serves; known: {', '.join(MAX_SPANS)}") from None


def chunk_span(bar_size: BarSize) -> timedelta:
    """The longest chunk for `bar_size`: what its longest request covers, less the one bar it reaches past."""
    return max_span(bar_size).covers - bar_size.delta


def whole_seconds_up(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0) + timedelta(seconds=1) if moment.microsecond else moment


def end_date_time_text(moment: datetime) -> str:
    """IB's UTC endDateTime form; seconds are rounded up so the end is never cut short."""
    return f"{whole_seconds_up(moment):%Y%m%d-%H:%M:%S}"


def duration_for(bar_size: BarSize, length: timedelta) -> str:
    """The shortest durationStr trusted to cover `length` ending at a request's end (module doc)."""
    full = max_span(bar_size)
    if length >= full.covers:
        return full.duration
    if full.duration.endswith(" S"):
        return f"{max(math.ceil(length.total_seconds()), _MIN_SECONDS, bar_size.seconds)} S"
    if bar_size.seconds > 86400:
        return full.duration  # weekly and monthly bars are only served for durations of a year or more
    days = math.ceil(length / _DAY) + 2
    return f"{days} D" if days < 365 else full.duration


def subtract(whole: TimeRange, holes: Iterable[TimeRange]) -> list[TimeRange]:
    """`whole` minus every hole, as sorted disjoint non-empty ranges."""
    pieces: list[TimeRange] = []
    cursor = whole.start
    for hole in sorted(holes, key=lambda r: r.start):
        if hole.end <= cursor or hole.empty:
            continue
        if hole.start >= whole.end:
            break
        if hole.start > cursor:
            pieces.append(TimeRange(start=cursor, end=hole.start))
        cursor = max(cursor, hole.end)
    if cursor < whole.end:
        pieces.append(TimeRange(start=cursor, end=whole.end))
    return pieces


def plan(
    start: datetime,
    end: datetime,
    bar_size: BarSize,
    head_timestamp: datetime | None = None,
    cached_ranges: Iterable[TimeRange] = (),
) -> list[HistoryChunk]:
    """The chunks that fetch [start, end) minus `cached_ranges` and minus everything before `head_timestamp`.

    Newest first; chunks are disjoint and their union is exactly the missing time (module doc).
    """
    span = chunk_span(bar_size)
    wanted = TimeRange(start=start.astimezone(UTC), end=end.astimezone(UTC))
    if head_timestamp is not None and head_timestamp > wanted.start:
        wanted = TimeRange(start=min(head_timestamp.astimezone(UTC), wanted.end), end=wanted.end)
    chunks: list[HistoryChunk] = []
    for missing in reversed(subtract(wanted, cached_ranges)):
        chunk_end = missing.end
        while chunk_end > missing.start:
            chunk_start = max(missing.start, chunk_end - span)
            request_end = whole_seconds_up(chunk_end + bar_size.delta)
            chunks.append(
                HistoryChunk(
                    start=chunk_start,
                    end=chunk_end,
                    bar_size=bar_size,
                    request_end=request_end,
                    duration=duration_for(bar_size, request_end - chunk_start),
                    end_date_time=end_date_time_text(request_end),
                )
            )
            chunk_end = chunk_start
    return chunks


def union(ranges: Iterable[TimeRange]) -> tuple[TimeRange, ...]:
    """Sorted disjoint ranges covering exactly what `ranges` cover (touching ones joined)."""
    joined: list[TimeRange] = []
    for piece in sorted((r for r in ranges if not r.empty), key=lambda r: r.start):
        if joined and piece.start <= joined[-1].end:
            last = joined.pop()
            joined.append(TimeRange(start=last.start, end=max(last.end, piece.end)))
        else:
            joined.append(piece)
    return tuple(joined)
