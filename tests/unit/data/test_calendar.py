"""IB's hours text -> UTC sessions (both formats, overnight, closed days, DST) and the calendar's answers."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.data.calendar import TradingCalendar, parse_sessions
from ibbot.errors import ContractError, HoursError
from ibbot.model import Instrument, Session
from ibbot.sim.instruments import calendar as sim_calendar


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def session(start: datetime, end: datetime) -> Session:
    return Session(start=start, end=end)


def test_current_format_with_a_closed_day() -> None:
    text = "20250102:0930-20250102:1600;20250103:0930-20250103:1600;20250104:CLOSED;20250105:CLOSED"
    assert parse_sessions(text, "US/Eastern") == (
        session(utc(2025, 1, 2, 14, 30), utc(2025, 1, 2, 21)),
        session(utc(2025, 1, 3, 14, 30), utc(2025, 1, 3, 21)),
    )


def test_old_format_reads_the_same_sessions() -> None:
    old = "20250102:0930-1600;20250103:CLOSED;20250106:0930-1600"
    current = "20250102:0930-20250102:1600;20250103:CLOSED;20250106:0930-20250106:1600"
    assert parse_sessions(old, "US/Eastern") == parse_sessions(current, "US/Eastern")
    assert len(parse_sessions(old, "US/Eastern")) == 2


def test_old_format_with_two_sessions_a_day_and_a_lunch_break() -> None:
    assert parse_sessions("20250106:0900-1130,1230-1530", "Japan") == (
        session(utc(2025, 1, 6, 0), utc(2025, 1, 6, 2, 30)),
        session(utc(2025, 1, 6, 3, 30), utc(2025, 1, 6, 6, 30)),
    )


def test_overnight_session_in_the_current_format_opens_the_evening_before() -> None:
    (only,) = parse_sessions("20250102:1700-20250103:1600", "US/Central")
    assert only == session(utc(2025, 1, 2, 23), utc(2025, 1, 3, 22))


def test_overnight_session_in_the_old_format_crosses_midnight() -> None:
    (only,) = parse_sessions("20250102:1800-0500", "US/Eastern")
    assert only == session(utc(2025, 1, 2, 23), utc(2025, 1, 3, 10))


def test_2400_is_the_midnight_ending_the_day_and_touching_sessions_join() -> None:
    assert parse_sessions("20250102:0000-2400;20250103:0000-2400", "UTC") == (
        session(utc(2025, 1, 2), utc(2025, 1, 4)),
    )


def test_dst_changes_the_utc_offset_between_days() -> None:
    # US clocks sprang forward on Sunday 9 March 2025: 09:30 New York is 14:30 UTC before, 13:30 after.
    friday, monday = parse_sessions("20250307:0930-20250307:1600;20250310:0930-20250310:1600", "US/Eastern")
    assert friday.start == utc(2025, 3, 7, 14, 30)
    assert monday.start == utc(2025, 3, 10, 13, 30)


def test_empty_text_has_no_sessions() -> None:
    assert parse_sessions("", "US/Eastern") == ()
    assert parse_sessions("20250104:CLOSED;20250105:CLOSED", "US/Eastern") == ()


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("20250102:0930-20250102:1600", "Mars/Olympus"),
        ("20250102:0930", "US/Eastern"),
        ("20251302:0930-1600", "US/Eastern"),
        ("20250102:0999-1600", "US/Eastern"),
        ("0930-1600", "US/Eastern"),
        ("20250102:1600-20250102:0930", "US/Eastern"),
    ],
)
def test_unreadable_text_raises_hours_error(text: str, zone: str) -> None:
    with pytest.raises(HoursError):
        parse_sessions(text, zone)
    assert issubclass(HoursError, ContractError)


@pytest.mark.parametrize("name", sorted(sim_calendar.CALENDARS))
@pytest.mark.parametrize("liquid", [False, True])
def test_every_simulator_calendar_text_parses_to_its_sessions(name: str, liquid: bool) -> None:
    calendar = sim_calendar.CALENDARS[name]
    now = utc(2024, 12, 20, 15)  # across Christmas and the year end: closed days, early closes
    text = calendar.hours_text(now, liquid=liquid, days=14)
    first = calendar.local_date(now)
    expected = [
        Session(start=s.start, end=s.end) for s in calendar.sessions(first, first + timedelta(days=13), liquid=liquid)
    ]
    parsed = parse_sessions(text, calendar.time_zone_id)
    # Our parser joins touching sessions; the simulator's are disjoint per trading date.
    assert TradingCalendar(sessions=parsed).open_between(utc(2000, 1, 1), utc(2100, 1, 1)) == parsed
    assert sum((s.end - s.start for s in parsed), timedelta()) == sum((s.end - s.start for s in expected), timedelta())
    for s in expected:
        assert any(p.start <= s.start and s.end <= p.end for p in parsed)


# --- the calendar -------------------------------------------------------------------------------------------

WEEK = parse_sessions(
    "20250102:0930-20250102:1600;20250103:0930-20250103:1300;20250104:CLOSED;20250105:CLOSED;"
    "20250106:0930-20250106:1600",
    "US/Eastern",
)
CAL = TradingCalendar(sessions=WEEK)


def test_is_open_and_session_at_are_half_open() -> None:
    assert CAL.is_open(utc(2025, 1, 2, 14, 30))
    assert CAL.session_at(utc(2025, 1, 2, 20, 59)) == WEEK[0]
    assert not CAL.is_open(utc(2025, 1, 2, 21))
    assert CAL.session_at(utc(2025, 1, 4, 15)) is None


def test_next_open_and_close_over_a_weekend() -> None:
    saturday = utc(2025, 1, 4, 12)
    assert CAL.next_open(saturday) == utc(2025, 1, 6, 14, 30)
    assert CAL.next_close(saturday) == utc(2025, 1, 6, 21)


def test_while_open_next_close_is_this_session_and_next_open_the_next() -> None:
    friday_noon = utc(2025, 1, 3, 17)
    assert CAL.next_close(friday_noon) == utc(2025, 1, 3, 18)  # the 13:00 early close
    assert CAL.next_open(friday_noon) == utc(2025, 1, 6, 14, 30)


def test_beyond_the_known_dates_the_calendar_says_it_does_not_know() -> None:
    after = utc(2025, 1, 7)
    assert CAL.next_open(after) is None
    assert CAL.next_close(after) is None
    assert CAL.span == session(WEEK[0].start, WEEK[-1].end)
    assert TradingCalendar(sessions=()).span is None


def test_calendar_of_an_instrument_uses_trading_or_liquid_hours() -> None:
    trading = parse_sessions("20250102:0400-20250102:2000", "US/Eastern")
    liquid = parse_sessions("20250102:0930-20250102:1600", "US/Eastern")
    stock = Instrument(symbol="AAPL", con_id=265598, trading_hours=trading, liquid_hours=liquid)
    at_eight = utc(2025, 1, 2, 13)
    assert TradingCalendar.of(stock).is_open(at_eight)
    assert not TradingCalendar.of(stock, liquid=True).is_open(at_eight)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.is_open(datetime(2025, 1, 2, 15))


def test_overlapping_sessions_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        TradingCalendar(
            sessions=(
                session(utc(2025, 1, 2, 10), utc(2025, 1, 2, 12)),
                session(utc(2025, 1, 2, 11), utc(2025, 1, 2, 13)),
            )
        )


@given(
    days=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 22), st.integers(1, 8), st.booleans()), min_size=0, max_size=12
    ),
    zone=st.sampled_from(["US/Eastern", "US/Central", "MET", "Japan", "UTC"]),
)
def test_both_formats_agree_and_sessions_are_sorted_and_disjoint(
    days: list[tuple[int, int, int, bool]], zone: str
) -> None:
    current, old = [], []
    for offset, open_hour, hours, closed in sorted(set(days)):
        day = date(2025, 3, 1) + timedelta(days=offset)
        if closed:
            current.append(f"{day:%Y%m%d}:CLOSED")
            old.append(f"{day:%Y%m%d}:CLOSED")
            continue
        close = min(open_hour + hours, 23)
        current.append(f"{day:%Y%m%d}:{open_hour:02d}00-{day:%Y%m%d}:{close:02d}00")
        old.append(f"{day:%Y%m%d}:{open_hour:02d}00-{close:02d}00")
    parsed = parse_sessions(";".join(current), zone)
    assert parsed == parse_sessions(";".join(old), zone)
    for before, after in zip(parsed, parsed[1:], strict=False):
        assert before.end < after.start
    calendar = TradingCalendar(sessions=parsed)
    for s in parsed:
        assert calendar.is_open(s.start) and not calendar.is_open(s.end)
