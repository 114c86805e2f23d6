"""Exchange calendars: holidays by rule, sessions in the exchange's zone, open/close questions, IB's hours text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ib_async.contract import ContractDetails as IbContractDetails

from ibbot.errors import ConfigError
from ibbot.sim.instruments import holidays as hol
from ibbot.sim.instruments.calendar import (
    CALENDARS,
    CME_EQUITY,
    IDEALPRO,
    NYMEX,
    TSE,
    US_EQUITY,
    XETRA,
    calendar_named,
)

NY = ZoneInfo("US/Eastern")
CHI = ZoneInfo("US/Central")
TOKYO = ZoneInfo("Japan")


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall-clock time, as the UTC moment the calendar API takes."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


# --- holidays ------------------------------------------------------------------------------------------


def test_us_holidays_2024_match_nyse_list() -> None:
    assert list(hol.us_holidays(2024)) == [
        date(2024, 1, 1), date(2024, 1, 15), date(2024, 2, 19), date(2024, 3, 29), date(2024, 5, 27),
        date(2024, 6, 19), date(2024, 7, 4), date(2024, 9, 2), date(2024, 11, 28), date(2024, 12, 25),
    ]  # fmt: skip
    assert list(hol.us_early_closes(2024)) == [date(2024, 7, 3), date(2024, 11, 29), date(2024, 12, 24)]


def test_us_holidays_2026_observe_saturday_independence_day_on_friday() -> None:
    assert list(hol.us_holidays(2026)) == [
        date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 4, 3), date(2026, 5, 25),
        date(2026, 6, 19), date(2026, 7, 3), date(2026, 9, 7), date(2026, 11, 26), date(2026, 12, 25),
    ]  # fmt: skip
    assert hol.us_holidays(2026)[date(2026, 7, 3)] == hol.INDEPENDENCE_DAY
    # July 3 is the holiday itself, so no half day that week
    assert list(hol.us_early_closes(2026)) == [date(2026, 11, 27), date(2026, 12, 24)]


def test_us_holidays_2027_move_weekend_holidays_to_weekdays() -> None:
    days = hol.us_holidays(2027)
    assert days[date(2027, 6, 18)] == hol.JUNETEENTH  # Saturday -> Friday
    assert days[date(2027, 7, 5)] == hol.INDEPENDENCE_DAY  # Sunday -> Monday
    assert days[date(2027, 12, 24)] == hol.CHRISTMAS  # Saturday -> Friday
    assert days[date(2027, 3, 26)] == hol.GOOD_FRIDAY
    assert list(hol.us_early_closes(2027)) == [date(2027, 11, 26)]


def test_saturday_new_year_is_not_observed_in_the_previous_year() -> None:
    assert date(2021, 12, 31) not in hol.us_holidays(2021)
    assert hol.NEW_YEARS_DAY not in hol.us_holidays(2022).values()
    assert hol.us_holidays(2023)[date(2023, 1, 2)] == hol.NEW_YEARS_DAY  # Sunday -> Monday


def test_juneteenth_only_from_2022_and_special_closures_included() -> None:
    assert hol.JUNETEENTH not in hol.us_holidays(2021).values()
    assert hol.us_holidays(2022)[date(2022, 6, 20)] == hol.JUNETEENTH
    assert date(2025, 1, 9) in hol.us_holidays(2025)  # day of mourning for President Carter
    assert date(2018, 12, 5) in hol.us_holidays(2018)


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2008, date(2008, 3, 23)), (2019, date(2019, 4, 21)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20))],
)
def test_easter(year: int, easter: date) -> None:
    assert hol.easter_sunday(year) == easter


def test_tokyo_holidays_include_substitute_and_citizens_holidays() -> None:
    days = hol.tokyo_holidays(2026)
    assert days[date(2026, 5, 6)] == "Substitute Holiday"  # Constitution Day fell on a Sunday
    assert days[date(2026, 9, 22)] == "Citizens' Holiday"  # between Respect for the Aged and the equinox
    assert date(2026, 3, 20) in days and date(2026, 1, 2) in days
    assert date(2024, 9, 23) in hol.tokyo_holidays(2024)  # equinox on Sunday Sep 22 -> Monday


# --- sessions --------------------------------------------------------------------------------------------


def test_us_equity_regular_day_in_summer_and_winter() -> None:
    (trading,) = US_EQUITY.sessions_on(date(2024, 7, 22))
    (liquid,) = US_EQUITY.sessions_on(date(2024, 7, 22), liquid=True)
    assert (trading.start, trading.end) == (at(NY, 2024, 7, 22, 4), at(NY, 2024, 7, 22, 20))
    assert (liquid.start, liquid.end) == (
        datetime(2024, 7, 22, 13, 30, tzinfo=UTC),
        datetime(2024, 7, 22, 20, tzinfo=UTC),
    )
    (winter,) = US_EQUITY.sessions_on(date(2024, 1, 10), liquid=True)
    assert winter.start == datetime(2024, 1, 10, 14, 30, tzinfo=UTC)  # EST: one hour later in UTC


def test_us_equity_holiday_weekend_and_early_close() -> None:
    assert US_EQUITY.sessions_on(date(2024, 7, 4)) == ()
    assert US_EQUITY.sessions_on(date(2024, 7, 20)) == ()
    (liquid,) = US_EQUITY.sessions_on(date(2024, 11, 29), liquid=True)
    (trading,) = US_EQUITY.sessions_on(date(2024, 11, 29))
    assert liquid.end == at(NY, 2024, 11, 29, 13)
    assert trading.end == at(NY, 2024, 11, 29, 17)


def test_a_week_of_us_equity_sessions() -> None:
    week = US_EQUITY.sessions(date(2024, 7, 1), date(2024, 7, 7), liquid=True)
    assert [s.trading_date for s in week] == [date(2024, 7, d) for d in (1, 2, 3, 5)]
    assert week[2].end == at(NY, 2024, 7, 3, 13)


def test_is_open_and_next_open_close_for_stocks() -> None:
    monday_10am = at(NY, 2024, 7, 22, 10)
    assert US_EQUITY.is_open(monday_10am, liquid=True)
    assert US_EQUITY.next_close(monday_10am, liquid=True) == at(NY, 2024, 7, 22, 16)
    evening = at(NY, 2024, 7, 22, 17)
    assert US_EQUITY.is_open(evening) and not US_EQUITY.is_open(evening, liquid=True)
    friday_night = at(NY, 2024, 7, 26, 21)
    assert not US_EQUITY.is_open(friday_night)
    assert US_EQUITY.next_open(friday_night) == at(NY, 2024, 7, 29, 4)
    assert US_EQUITY.next_open(friday_night, liquid=True) == at(NY, 2024, 7, 29, 9, 30)
    # across Independence Day: the half day of July 3 is followed by Friday July 5
    assert US_EQUITY.next_open(at(NY, 2024, 7, 3, 14), liquid=True) == at(NY, 2024, 7, 5, 9, 30)


def test_globex_opens_sunday_evening_and_pauses_daily() -> None:
    (monday,) = CME_EQUITY.sessions_on(date(2024, 7, 22))
    assert monday.start == at(CHI, 2024, 7, 21, 17) and monday.end == at(CHI, 2024, 7, 22, 16)
    assert CME_EQUITY.is_open(at(CHI, 2024, 7, 21, 18))  # Sunday evening
    assert not CME_EQUITY.is_open(at(CHI, 2024, 7, 22, 16, 30))  # the daily break
    assert CME_EQUITY.next_open(at(CHI, 2024, 7, 22, 16, 30)) == at(CHI, 2024, 7, 22, 17)
    assert CME_EQUITY.sessions_on(date(2024, 7, 20)) == ()  # Saturday


def test_globex_halts_early_on_mlk_day_and_closes_on_christmas() -> None:
    (mlk,) = CME_EQUITY.sessions_on(date(2024, 1, 15))
    assert mlk.end == at(CHI, 2024, 1, 15, 12)
    assert CME_EQUITY.sessions_on(date(2024, 12, 25)) == ()
    (after_christmas,) = CME_EQUITY.sessions_on(date(2024, 12, 26))
    assert after_christmas.start == at(CHI, 2024, 12, 25, 17)
    assert CME_EQUITY.sessions_on(date(2024, 3, 29)) == ()  # Good Friday
    (nymex_mlk,) = NYMEX.sessions_on(date(2024, 1, 15))
    assert nymex_mlk.end == at(NY, 2024, 1, 15, 13, 30)


def test_forex_runs_sunday_to_friday() -> None:
    (monday,) = IDEALPRO.sessions_on(date(2024, 7, 22))
    assert monday.start == at(NY, 2024, 7, 21, 17, 15) and monday.end == at(NY, 2024, 7, 22, 17)
    saturday = at(NY, 2024, 7, 27, 12)
    assert not IDEALPRO.is_open(saturday)
    assert IDEALPRO.next_open(saturday) == at(NY, 2024, 7, 28, 17, 15)
    assert IDEALPRO.is_open(at(NY, 2024, 7, 24, 3))  # the middle of the night


def test_tokyo_has_a_lunch_break() -> None:
    morning, afternoon = TSE.sessions_on(date(2024, 7, 22))
    assert morning.end == at(TOKYO, 2024, 7, 22, 11, 30) and afternoon.start == at(TOKYO, 2024, 7, 22, 12, 30)
    assert not TSE.is_open(at(TOKYO, 2024, 7, 22, 12))
    assert TSE.next_close(at(TOKYO, 2024, 7, 22, 12)) == at(TOKYO, 2024, 7, 22, 15, 30)


def test_xetra_closes_on_christmas_eve() -> None:
    assert XETRA.sessions_on(date(2024, 12, 24)) == ()
    (session,) = XETRA.sessions_on(date(2024, 12, 23))
    assert session.start == datetime(2024, 12, 23, 8, tzinfo=UTC)  # 09:00 CET


def test_naive_moments_and_unknown_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        US_EQUITY.is_open(datetime(2024, 7, 22, 10))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ConfigError, match="unknown calendar"):
        calendar_named("MOON")


_MOMENTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


@settings(max_examples=150, deadline=None)
@given(moment=_MOMENTS, name=st.sampled_from(sorted(CALENDARS)), liquid=st.booleans())
def test_open_close_answers_agree(moment: datetime, name: str, liquid: bool) -> None:
    calendar = CALENDARS[name]
    next_open = calendar.next_open(moment, liquid=liquid)
    next_close = calendar.next_close(moment, liquid=liquid)
    assert next_open > moment and next_close > moment
    assert calendar.is_open(moment, liquid=liquid) == (next_close < next_open)
    assert calendar.is_open(next_open, liquid=liquid)
    assert not calendar.is_open(next_close, liquid=liquid)  # no calendar has back-to-back sessions


# --- IB's hours text ----------------------------------------------------------------------------------


def test_us_equity_hours_text_matches_ib_format() -> None:
    sunday = at(NY, 2024, 7, 21, 12)
    assert US_EQUITY.liquid_hours(sunday) == (
        "20240721:CLOSED;20240722:0930-20240722:1600;20240723:0930-20240723:1600;"
        "20240724:0930-20240724:1600;20240725:0930-20240725:1600;20240726:0930-20240726:1600;20240727:CLOSED"
    )
    assert US_EQUITY.trading_hours(sunday, days=2) == "20240721:CLOSED;20240722:0400-20240722:2000"


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_ib_async_parses_the_hours_text_into_our_sessions(name: str) -> None:
    calendar = CALENDARS[name]
    now = datetime(2024, 12, 20, 15, tzinfo=UTC)  # a week with Christmas in it
    details = IbContractDetails(
        timeZoneId=calendar.time_zone_id,
        tradingHours=calendar.trading_hours(now),
        liquidHours=calendar.liquid_hours(now),
    )
    first = calendar.local_date(now)
    for parsed, liquid in ((details.tradingSessions(), False), (details.liquidSessions(), True)):
        ours = calendar.sessions(first, first + timedelta(days=6), liquid=liquid)
        assert ours, name
        assert [(s.start, s.end) for s in parsed] == [(s.start, s.end) for s in ours]
