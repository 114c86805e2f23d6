"""The window a historical query covers, its bar-time texts, and IB's "no data" answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from ib_async.util import parseIBDatetime

from ibbot.sim.history.rules import (
    Duration,
    DurationUnit,
    HistoricalQuery,
    Rejection,
    validate_historical_request,
)
from ibbot.sim.history.window import (
    check_data_available,
    format_bar_time,
    format_range_time,
    no_data_rejection,
    query_window,
    small_bar_cutoff,
)
from ibbot.sim.market.series import BAR_SIZES, WhatToShow

NY = ZoneInfo("US/Eastern")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def d(count: int, unit: str) -> Duration:
    return Duration(count=count, unit=DurationUnit(unit))


FRIDAY_CLOSE = ny(2024, 3, 8, 16)


def test_seconds_are_exact():
    assert query_window(d(3600, "S"), FRIDAY_CLOSE, zone=NY) == (FRIDAY_CLOSE - timedelta(hours=1), FRIDAY_CLOSE)


@pytest.mark.parametrize(
    ("end", "start"),
    [
        (FRIDAY_CLOSE, ny(2024, 3, 8)),  # the day of the end
        (ny(2024, 3, 9, 12), ny(2024, 3, 8)),  # Saturday: Friday's session
        (ny(2024, 3, 11, 9), ny(2024, 3, 11)),  # Monday before the open: today's, still empty
        (ny(2024, 3, 12), ny(2024, 3, 11)),  # midnight belongs to the day before
    ],
)
def test_one_day_is_the_trading_day_of_the_end(end, start):
    assert query_window(d(1, "D"), end, zone=NY) == (start, end)


def test_before_the_open_one_day_is_the_last_session():
    # Before: 01:30 in New York covered today's still-empty session and IB's answer was 162, no data.
    opens = {date(2024, 3, 11): ny(2024, 3, 11, 9, 30), date(2024, 3, 8): ny(2024, 3, 8, 9, 30)}
    night = ny(2024, 3, 11, 1, 30)  # a Monday
    assert query_window(d(1, "D"), night, zone=NY, session_start=opens.get) == (ny(2024, 3, 8), night)
    assert query_window(d(2, "D"), night, zone=NY, session_start=opens.get)[0] == ny(2024, 3, 7)
    after_open = ny(2024, 3, 11, 9, 45)
    assert query_window(d(1, "D"), after_open, zone=NY, session_start=opens.get) == (ny(2024, 3, 11), after_open)


def test_days_count_trading_days_only():
    assert query_window(d(5, "D"), FRIDAY_CLOSE, zone=NY)[0] == ny(2024, 3, 4)
    assert query_window(d(6, "D"), FRIDAY_CLOSE, zone=NY)[0] == ny(2024, 3, 1)
    holiday = date(2024, 3, 4)
    start, _ = query_window(d(5, "D"), FRIDAY_CLOSE, zone=NY, is_trading_day=lambda x: x.weekday() < 5 and x != holiday)
    assert start == ny(2024, 3, 1)


def test_a_calendar_without_trading_days_still_ends():
    start, _ = query_window(d(3, "D"), FRIDAY_CLOSE, zone=NY, is_trading_day=lambda _: False)
    assert start == ny(2024, 3, 6)


def test_weeks_months_and_years_are_calendar_spans_ending_on_the_end_date():
    assert query_window(d(1, "W"), FRIDAY_CLOSE, zone=NY)[0] == ny(2024, 3, 2)  # Saturday: Mon-Fri inside
    assert query_window(d(1, "M"), ny(2024, 3, 31, 16), zone=NY)[0] == ny(2024, 3, 1)
    assert query_window(d(1, "M"), ny(2024, 3, 8, 16), zone=NY)[0] == ny(2024, 2, 9)
    assert query_window(d(1, "Y"), ny(2024, 2, 29, 16), zone=NY)[0] == ny(2023, 3, 1)
    assert query_window(d(2, "Y"), FRIDAY_CLOSE, zone=NY)[0] == ny(2022, 3, 9)


def test_one_week_of_hourly_rth_bars_covers_five_sessions():
    start, end = query_window(d(1, "W"), FRIDAY_CLOSE, zone=NY)
    days = {(start + timedelta(days=i)).astimezone(NY).date() for i in range((end - start).days + 1)}
    assert len([x for x in days if x.weekday() < 5 and start <= ny(x.year, x.month, x.day, 9, 30) < end]) == 5


def test_huge_year_counts_do_not_overflow():
    start, _ = query_window(d(5000, "Y"), FRIDAY_CLOSE, zone=NY)
    assert start.year == 1


# --- bar times -------------------------------------------------------------------------------------------

BAR_START = ny(2024, 3, 8, 9, 30)


def test_format_1_intraday_is_local_time_with_the_zone_and_ib_async_reads_it_back():
    text = format_bar_time(BAR_START, bar_size=BAR_SIZES["1 min"], format_date=1, zone=NY)
    assert text == "20240308 09:30:00 US/Eastern"
    assert parseIBDatetime(text) == BAR_START


def test_format_2_intraday_is_epoch_seconds():
    text = format_bar_time(BAR_START, bar_size=BAR_SIZES["5 secs"], format_date=2, zone=NY)
    assert text == str(int(BAR_START.timestamp())) == "1709908200"
    assert parseIBDatetime(text) == BAR_START


@pytest.mark.parametrize("format_date", [1, 2])
@pytest.mark.parametrize("size", ["1 day", "1 week", "1 month"])
def test_daily_and_longer_bars_are_dates_whatever_the_format(format_date, size):
    text = format_bar_time(ny(2024, 3, 8), bar_size=BAR_SIZES[size], format_date=format_date, zone=NY)
    assert text == "20240308"
    assert parseIBDatetime(text) == date(2024, 3, 8)


def test_range_times_name_the_zone():
    assert format_range_time(FRIDAY_CLOSE, zone=NY) == "20240308 16:00:00 US/Eastern"
    assert format_range_time(FRIDAY_CLOSE, zone=UTC) == "20240308 21:00:00 UTC"


# --- no data ---------------------------------------------------------------------------------------------


def query(bar_size: str = "1 secs", duration: str = "1800 S", end: str = "") -> HistoricalQuery:
    q = validate_historical_request(
        end_date_time=end,
        duration=duration,
        bar_size=bar_size,
        what_to_show="TRADES",
        use_rth=True,
        format_date=1,
        keep_up_to_date=False,
        symbol="AAPL",
        sec_type="STK",
        exchange="SMART",
        now=NOW,
        local_zone=NY,
    )
    assert isinstance(q, HistoricalQuery), q
    return q


NOW = ny(2024, 8, 30, 12)


def test_no_data_text():
    assert no_data_rejection(symbol="AAPL", exchange="", what_to_show=WhatToShow.TRADES) == Rejection(
        code=162, text="Historical Market Data Service error message:HMDS query returned no data: AAPL@SMART Trades"
    )
    assert no_data_rejection(symbol="SPX", exchange="CBOE", what_to_show=WhatToShow.BID_ASK).text.endswith(
        "SPX@CBOE Bid"
    )


def test_small_bar_cutoff_is_six_calendar_months():
    assert small_bar_cutoff(datetime(2024, 8, 31, 12, tzinfo=UTC)) == datetime(2024, 2, 29, 12, tzinfo=UTC)


def test_small_bars_older_than_six_months_have_no_data():
    old = query(end="20240201 12:00:00 US/Eastern")
    window = query_window(old.duration, old.end, zone=NY)
    refusal = check_data_available(old, window, now=NOW, symbol="AAPL", exchange="SMART")
    assert refusal is not None and "HMDS query returned no data: AAPL@SMART Trades" in refusal.text
    recent = query(end="20240801 12:00:00 US/Eastern")
    assert (
        check_data_available(
            recent, query_window(recent.duration, recent.end, zone=NY), now=NOW, symbol="AAPL", exchange="SMART"
        )
        is None
    )


def test_one_minute_bars_keep_their_history():
    old = query(bar_size="1 min", duration="1 D", end="20230201 12:00:00 US/Eastern")
    assert (
        check_data_available(
            old, query_window(old.duration, old.end, zone=NY), now=NOW, symbol="AAPL", exchange="SMART"
        )
        is None
    )


def test_expired_options_and_future_windows_have_no_data():
    q = query(bar_size="1 min", duration="1 D")
    window = query_window(q.duration, q.end, zone=NY)
    assert check_data_available(q, window, now=NOW, symbol="AAPL  240830C00200000", exchange="SMART", expired=True)
    future = (NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    assert check_data_available(q, future, now=NOW, symbol="AAPL", exchange="SMART") is not None
