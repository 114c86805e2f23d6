"""Option expiries as IB lists them: listing days, the kinds per style, and first listing days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ibbot.sim.instruments.expiries import (
    DAILY,
    EQUITY,
    INDEX,
    MONTHLY,
    NEW_YORK,
    QUARTERLY,
    WEEKLY,
    business_day_on_or_after,
    close_before,
    expiries,
    first_listed,
    is_business_day,
    listing_day,
    next_business_day,
    previous_business_day,
    was_expiry,
)

WEDNESDAY = date(2024, 7, 24)


def ny(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


def test_the_listing_day_turns_at_the_close_and_skips_weekends_and_holidays() -> None:
    assert listing_day(ny(WEDNESDAY, 15, 59)) == WEDNESDAY
    assert listing_day(ny(WEDNESDAY, 16, 0)) == date(2024, 7, 25)
    assert listing_day(ny(date(2024, 7, 26), 17)) == date(2024, 7, 29)  # Friday evening: Monday
    assert listing_day(ny(date(2024, 7, 27), 12)) == date(2024, 7, 29)
    assert listing_day(ny(date(2024, 7, 3), 16, 30)) == date(2024, 7, 5)  # July 4 is a holiday
    assert close_before(date(2024, 7, 29)) == datetime(2024, 7, 26, 16, tzinfo=NEW_YORK)


def test_index_etfs_list_dailies_weeklies_monthlies_quarterlies_and_leaps() -> None:
    listed = dict(expiries(INDEX, WEDNESDAY))
    days = sorted(listed)
    assert days[0] == WEDNESDAY and listed[WEDNESDAY] == DAILY  # today's daily trades until the close
    dailies = [d for d in days if listed[d] == DAILY]
    assert dailies == [d for d in days if d <= WEDNESDAY + timedelta(days=14) and d.weekday() != 4]
    assert all(is_business_day(d) for d in days)
    weeklies = [d for d in days if listed[d] == WEEKLY]
    assert weeklies and max(weeklies) <= WEDNESDAY + timedelta(days=56) and {d.weekday() for d in weeklies} == {4}
    assert [d for d in days if listed[d] == QUARTERLY][:3] == [date(2024, 9, 30), date(2024, 12, 31), date(2025, 3, 31)]
    monthlies = [d for d in days if listed[d] == MONTHLY]
    assert date(2024, 8, 16) in monthlies and date(2025, 7, 18) in monthlies  # twelve third Fridays
    assert max(days) == date(2027, 1, 15)  # the furthest January LEAPS within 990 days
    assert max(days) - WEDNESDAY < timedelta(days=1024)  # what the conIds need


def test_large_caps_list_weeklies_monthlies_the_quarterly_cycle_and_leaps() -> None:
    days = [d for d, _ in expiries(EQUITY, WEDNESDAY)]
    assert days[:6] == [date(2024, 7, 26), date(2024, 8, 2), date(2024, 8, 9), date(2024, 8, 16),
                        date(2024, 8, 23), date(2024, 8, 30)]  # fmt: skip
    assert date(2024, 11, 15) in days and date(2024, 12, 20) in days and date(2025, 3, 21) in days
    assert date(2025, 2, 21) not in days  # past the four monthlies and off the quarterly cycle
    assert date(2026, 1, 16) in days and date(2027, 1, 15) in days


def test_a_holiday_friday_expires_on_thursday() -> None:
    days = [d for d, _ in expiries(EQUITY, date(2024, 3, 25))]
    assert days[0] == date(2024, 3, 28)  # Good Friday 2024
    assert first_listed(EQUITY, date(2024, 3, 28)) == business_day_on_or_after(date(2024, 3, 29) - timedelta(days=42))


@pytest.mark.parametrize("style", [INDEX, EQUITY])
@pytest.mark.parametrize("day", [date(2024, 7, 24), date(2024, 12, 23), date(2025, 3, 3), date(2026, 11, 18)])
def test_an_expiry_stays_listed_from_its_first_listing_day_to_its_last(style: str, day: date) -> None:
    for expiry, _ in expiries(style, day):
        first = first_listed(style, expiry)
        assert first <= day <= expiry
        assert expiry in dict(expiries(style, first))
        if first > date(2000, 1, 3):
            assert expiry not in dict(expiries(style, previous_business_day(first)))
        probe = next_business_day(day)
        if probe <= expiry:
            assert expiry in dict(expiries(style, probe))
        assert was_expiry(style, expiry)
    assert not was_expiry(style, date(2024, 7, 27))  # a Saturday
