"""Merging chunk answers: sorted, one bar per time (the later source wins), and gaps only in open hours."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ibbot.data.calendar import TradingCalendar, parse_sessions
from ibbot.data.history.chunks import TimeRange
from ibbot.data.history.merge import Gap, find_gaps, merge_bars
from ibbot.model import Bar, Instrument

AAPL = Instrument(symbol="AAPL", con_id=265598)
T0 = datetime(2025, 1, 2, 14, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def bar(minute: int, close: float = 1.0) -> Bar:
    return Bar(instrument=AAPL, time=T0 + minute * MINUTE, open=1, high=2, low=0.5, close=close)


def test_duplicates_from_two_chunks_become_one_bar_and_the_later_source_wins() -> None:
    older = [bar(0), bar(1, close=1.0), bar(2)]
    newer = [bar(1, close=9.0), bar(3)]
    merged = merge_bars(older, newer)
    assert [b.time for b in merged] == [T0 + i * MINUTE for i in range(4)]
    assert merged[1].close == 9.0


def test_clipping_keeps_only_bars_starting_inside_the_range() -> None:
    within = TimeRange(start=T0 + MINUTE, end=T0 + 3 * MINUTE)
    assert [b.time for b in merge_bars([bar(0), bar(1), bar(2), bar(3)], within=within)] == [
        T0 + MINUTE,
        T0 + 2 * MINUTE,
    ]


@given(st.lists(st.lists(st.integers(0, 500), max_size=40), max_size=5))
def test_merged_series_is_strictly_increasing_and_loses_no_time(series: list[list[int]]) -> None:
    merged = merge_bars(*([bar(m) for m in minutes] for minutes in series))
    times = [b.time for b in merged]
    assert times == sorted(set(times))
    assert set(times) == {T0 + m * MINUTE for minutes in series for m in minutes}


# Regular hours on Thursday 2 and Friday 3 January 2025, nothing on the weekend.
CAL = TradingCalendar(sessions=parse_sessions("20250102:0930-1600;20250103:0930-1600;20250104:CLOSED", "US/Eastern"))
DAY = TimeRange(start=datetime(2025, 1, 2, tzinfo=UTC), end=datetime(2025, 1, 5, tzinfo=UTC))


def full_day(day_offset: int, skip: range = range(0)) -> list[Bar]:
    return [bar(day_offset * 24 * 60 + m) for m in range(390) if m not in skip]


def test_closed_hours_and_the_weekend_are_not_gaps() -> None:
    assert find_gaps(full_day(0) + full_day(1), DAY, MINUTE, CAL) == []


def test_missing_bars_in_open_hours_are_reported() -> None:
    bars = full_day(0, skip=range(60, 75)) + full_day(1)[:300]
    gaps = find_gaps(bars, DAY, MINUTE, CAL)
    assert gaps == [
        Gap(start=T0 + 60 * MINUTE, end=T0 + 75 * MINUTE),
        Gap(start=datetime(2025, 1, 3, 19, 30, tzinfo=UTC), end=datetime(2025, 1, 3, 21, tzinfo=UTC)),
    ]
    assert gaps[0].length == 15 * MINUTE


def test_without_a_calendar_nothing_is_called_a_gap() -> None:
    assert find_gaps([], DAY, MINUTE, None) == []
