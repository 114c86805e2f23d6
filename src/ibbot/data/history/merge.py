"""Merging history: chunk answers -> one time-sorted series without duplicates; gaps the calendar cannot explain.

A bar is identified by its start time: when two chunks (or the cache and a chunk) carry the same time, the later
source wins, since a re-fetch is IB's newer word on it. A gap is open market time (per the calendar) of at least
one bar where no bar is; closed hours, weekends and holidays are not gaps. Without a calendar nothing is said.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ibbot.data.calendar import TradingCalendar
from ibbot.data.history.chunks import TimeRange
from ibbot.model import Bar


@dataclass(frozen=True, slots=True, kw_only=True)
class Gap:
    """Open market time [start, end) without bars."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def clip_sorted(bars: Sequence[Bar], within: TimeRange) -> list[Bar]:
    """The bars of a series already sorted by time that start inside `within` (bisection, no copy of the rest)."""
    lo = bisect.bisect_left(bars, within.start, key=_time)
    hi = bisect.bisect_left(bars, within.end, lo=lo, key=_time)
    return list(bars[lo:hi])


def _time(bar: Bar) -> datetime:
    return bar.time


def merge_bars(*series: Iterable[Bar], within: TimeRange | None = None) -> list[Bar]:
    """Every bar of every series, one per start time (the last series wins), sorted, optionally clipped."""
    by_time: dict[datetime, Bar] = {}
    for bars in series:
        for bar in bars:
            if within is None or within.start <= bar.time < within.end:
                by_time[bar.time] = bar
    return [by_time[moment] for moment in sorted(by_time)]


def find_gaps(bars: list[Bar], within: TimeRange, bar_length: timedelta, calendar: TradingCalendar | None) -> list[Gap]:
    """Open time of at least `bar_length` in `within` that no bar of the sorted `bars` covers."""
    if calendar is None:
        return []
    gaps: list[Gap] = []
    cursor = within.start
    for moment in [*(bar.time for bar in bars), within.end]:
        if moment > cursor:
            gaps.extend(
                Gap(start=part.start, end=part.end)
                for part in calendar.open_between(cursor, moment)
                if part.end - part.start >= bar_length
            )
        cursor = max(cursor, moment + bar_length)
    return gaps
