"""The chunk planner: IB-sized requests covering exactly what is missing, accepted by the simulator's rules."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.data.history.chunks import (
    MAX_SPANS,
    HistoryChunk,
    TimeRange,
    chunk_span,
    duration_for,
    end_date_time_text,
    plan,
    subtract,
    union,
)
from ibbot.errors import HistoryError
from ibbot.model import BarSize
from ibbot.sim.history import rules, window

START = datetime(2025, 1, 2, tzinfo=UTC)
END = datetime(2025, 3, 31, tzinfo=UTC)


def covered(chunks: list[HistoryChunk]) -> tuple[TimeRange, ...]:
    return union(chunk.range for chunk in chunks)


def assert_accepted_and_covered(chunk: HistoryChunk, zone: str) -> None:
    """The simulator takes the request as sent, and the window it answers contains the chunk and one bar more."""
    query = rules.validate_historical_request(
        end_date_time=chunk.end_date_time,
        duration=chunk.duration,
        bar_size=chunk.bar_size.text,
        what_to_show="MIDPOINT",
        use_rth=False,
        format_date=2,
        keep_up_to_date=False,
        symbol="X",
        sec_type="STK",
        exchange="SMART",
        now=END + timedelta(days=400),
        local_zone=ZoneInfo(zone),
    )
    assert isinstance(query, rules.HistoricalQuery), (chunk, query)
    start, end = window.query_window(query.duration, query.end, zone=ZoneInfo(zone))
    assert end == chunk.request_end >= chunk.end + chunk.bar_size.delta
    assert start <= chunk.start, (chunk, start, end)


@pytest.mark.parametrize("bar_text", list(MAX_SPANS))
@pytest.mark.parametrize("zone", ["US/Eastern", "US/Central", "MET", "Japan"])
def test_every_bar_size_plans_requests_the_simulator_accepts_and_covers(bar_text: str, zone: str) -> None:
    size = BarSize.parse(bar_text)
    span = chunk_span(size)
    # Two and a half full chunks ending at an awkward minute across the March DST change: full and short ones.
    end = datetime(2025, 3, 12, 3, 17, tzinfo=UTC)
    chunks = plan(end - span * 5 / 2, end, size)
    assert len(chunks) == 3
    assert chunks[0].end == end and chunks[-1].start == end - span * 5 / 2
    for chunk in chunks:
        assert_accepted_and_covered(chunk, zone)


@pytest.mark.parametrize("bar_text", list(MAX_SPANS))
@pytest.mark.parametrize("length", [timedelta(minutes=1), timedelta(hours=5), timedelta(days=3)])
def test_short_chunks_are_accepted_and_covered_too(bar_text: str, length: timedelta) -> None:
    size = BarSize.parse(bar_text)
    if length < size.delta:
        length = size.delta
    end = datetime(2025, 3, 9, 6, 59, tzinfo=UTC)  # just before New York springs forward
    for chunk in plan(end - length, end, size):
        assert_accepted_and_covered(chunk, "US/Eastern")


def test_one_minute_bars_for_a_quarter_are_a_day_less_a_bar_each_newest_first() -> None:
    chunks = plan(START, END, BarSize.parse("1 min"))
    assert len(chunks) == -((START - END) // timedelta(seconds=86340))
    assert chunks[0] == HistoryChunk(
        start=END - timedelta(seconds=86340),
        end=END,
        bar_size=BarSize.parse("1 min"),
        request_end=END + timedelta(minutes=1),
        duration="86400 S",
        end_date_time="20250331-00:01:00",
    )
    assert all(a.start == b.end for a, b in zip(chunks, chunks[1:], strict=False))
    assert chunks[-1].start == START


def test_the_oldest_chunk_is_the_short_one_and_asks_only_for_its_length() -> None:
    end = START + timedelta(days=1, hours=2)
    newest, oldest = plan(START, end, BarSize.parse("1 min"))
    assert newest.duration == "86400 S"
    # Two hours and the minute the full chunk left, plus the one bar every request reaches past its chunk.
    assert (oldest.start, oldest.end, oldest.duration) == (START, START + timedelta(hours=2, minutes=1), "7320 S")


def test_head_timestamp_clips_the_start() -> None:
    head = datetime(2025, 3, 30, 14, 30, tzinfo=UTC)
    chunks = plan(START, END, BarSize.parse("1 min"), head_timestamp=head)
    assert covered(chunks) == (TimeRange(start=head, end=END),)
    assert plan(START, END, BarSize.parse("1 min"), head_timestamp=END + timedelta(days=1)) == []
    assert covered(plan(START, END, BarSize.parse("1 hour"), head_timestamp=START - timedelta(days=9))) == (
        TimeRange(start=START, end=END),
    )


def test_cached_ranges_are_subtracted() -> None:
    cached = [
        TimeRange(start=START, end=datetime(2025, 2, 1, tzinfo=UTC)),
        TimeRange(start=datetime(2025, 3, 1, tzinfo=UTC), end=datetime(2025, 3, 2, 12, tzinfo=UTC)),
    ]
    chunks = plan(START, END, BarSize.parse("5 mins"), cached_ranges=cached)
    assert covered(chunks) == (
        TimeRange(start=datetime(2025, 2, 1, tzinfo=UTC), end=datetime(2025, 3, 1, tzinfo=UTC)),
        TimeRange(start=datetime(2025, 3, 2, 12, tzinfo=UTC), end=END),
    )
    assert plan(START, END, BarSize.parse("5 mins"), cached_ranges=[TimeRange(start=START, end=END)]) == []


def test_an_empty_range_plans_nothing_and_a_reversed_one_is_refused() -> None:
    assert plan(START, START, BarSize.parse("1 day")) == []
    with pytest.raises(HistoryError):
        plan(END, START, BarSize.parse("1 day"))


def test_a_bar_size_ib_does_not_serve_is_refused() -> None:
    with pytest.raises(HistoryError, match="7 mins"):
        plan(START, END, BarSize.parse("7 mins"))


def test_end_date_time_is_ibs_utc_form_rounded_up() -> None:
    moment = datetime(2025, 1, 2, 9, 30, tzinfo=ZoneInfo("US/Eastern"))
    assert end_date_time_text(moment) == "20250102-14:30:00"
    assert end_date_time_text(moment.replace(microsecond=1)) == "20250102-14:30:01"


def test_durations_for_short_spans() -> None:
    assert duration_for(BarSize.parse("1 secs"), timedelta(seconds=5)) == "30 S"
    assert duration_for(BarSize.parse("1 min"), timedelta(seconds=40)) == "60 S"
    assert duration_for(BarSize.parse("1 hour"), timedelta(days=3)) == "5 D"
    assert duration_for(BarSize.parse("1 hour"), timedelta(days=30)) == "1 M"
    assert duration_for(BarSize.parse("1 week"), timedelta(days=3)) == "1 Y"


# --- the property: chunks cover the request minus the cache, exactly, without overlap ---------------------

minutes = st.integers(min_value=0, max_value=60 * 24 * 40)


@given(
    bar_text=st.sampled_from(list(MAX_SPANS)),
    bounds=st.tuples(minutes, minutes),
    holes=st.lists(st.tuples(minutes, minutes), max_size=6),
    head=st.none() | minutes,
)
def test_chunks_cover_the_request_minus_the_cache_exactly(
    bar_text: str, bounds: tuple[int, int], holes: list[tuple[int, int]], head: int | None
) -> None:
    def at(minute: int) -> datetime:
        return START + timedelta(minutes=minute)

    lo, hi = sorted(bounds)
    cached = [TimeRange(start=at(min(a, b)), end=at(max(a, b))) for a, b in holes]
    head_at = None if head is None else at(head)
    chunks = plan(at(lo), at(hi), BarSize.parse(bar_text), head_timestamp=head_at, cached_ranges=cached)

    wanted = TimeRange(start=max(at(lo), min(head_at or at(lo), at(hi))), end=at(hi))
    assert covered(chunks) == tuple(subtract(wanted, cached))
    ordered = sorted(chunks, key=lambda c: c.start)
    assert ordered == chunks[::-1]  # newest first
    for before, after in zip(ordered, ordered[1:], strict=False):
        assert before.end <= after.start  # no overlap
    for chunk in chunks:
        assert chunk.start < chunk.end
        assert chunk.end - chunk.start <= chunk_span(BarSize.parse(bar_text))
