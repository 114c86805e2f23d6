"""Exchange holidays and early closes computed by rule for any year: US markets, Xetra, Tokyo.

Theory of operation: each market's holidays are a table of (name, rule) pairs, a rule being a function of
the year that returns the date (or None when the holiday does not apply that year). US holidays follow
NYSE Rule 7.2: a Saturday holiday is observed on the Friday before, a Sunday one on the Monday after, except
New Year's Day, which is not observed on the last day of the previous year. A few one-off closures (days of
mourning, 9/11, hurricane Sandy) come from a short table. Japanese holidays follow the current law (the
one-off moves of 2020-2021 are not modelled); equinoxes use the standard approximation valid to 2099.
Results are cached per year: the functions are pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from functools import cache
from types import MappingProxyType

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

NEW_YEARS_DAY = "New Year's Day"
MLK_DAY = "Martin Luther King Jr. Day"
WASHINGTONS_BIRTHDAY = "Washington's Birthday"
GOOD_FRIDAY = "Good Friday"
MEMORIAL_DAY = "Memorial Day"
JUNETEENTH = "Juneteenth National Independence Day"
INDEPENDENCE_DAY = "Independence Day"
LABOR_DAY = "Labor Day"
THANKSGIVING = "Thanksgiving Day"
CHRISTMAS = "Christmas Day"

Holidays = Mapping[date, str]
_Rule = Callable[[int], date | None]


def easter_sunday(year: int) -> date:
    """Western Easter by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` of a month (n = -1: the last one)."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """NYSE: Saturday -> Friday before, Sunday -> Monday after."""
    if day.weekday() == SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1)
    return day


def _new_year(year: int) -> date | None:
    day = date(year, 1, 1)
    if day.weekday() == SATURDAY:  # never observed on Dec 31 of the year before
        return None
    return _observed(day)


_US_RULES: tuple[tuple[str, _Rule], ...] = (
    (NEW_YEARS_DAY, _new_year),
    (MLK_DAY, lambda y: nth_weekday(y, 1, MONDAY, 3) if y >= 1998 else None),
    (WASHINGTONS_BIRTHDAY, lambda y: nth_weekday(y, 2, MONDAY, 3)),
    (GOOD_FRIDAY, lambda y: easter_sunday(y) - timedelta(days=2)),
    (MEMORIAL_DAY, lambda y: nth_weekday(y, 5, MONDAY, -1)),
    (JUNETEENTH, lambda y: _observed(date(y, 6, 19)) if y >= 2022 else None),
    (INDEPENDENCE_DAY, lambda y: _observed(date(y, 7, 4))),
    (LABOR_DAY, lambda y: nth_weekday(y, 9, MONDAY, 1)),
    (THANKSGIVING, lambda y: nth_weekday(y, 11, THURSDAY, 4)),
    (CHRISTMAS, lambda y: _observed(date(y, 12, 25))),
)

# Closures no rule predicts; the markets closed for the whole day.
US_SPECIAL_CLOSURES: Mapping[date, str] = MappingProxyType(
    {
        date(2001, 9, 11): "September 11 attacks",
        date(2001, 9, 12): "September 11 attacks",
        date(2001, 9, 13): "September 11 attacks",
        date(2001, 9, 14): "September 11 attacks",
        date(2004, 6, 11): "National Day of Mourning (President Reagan)",
        date(2007, 1, 2): "National Day of Mourning (President Ford)",
        date(2012, 10, 29): "Hurricane Sandy",
        date(2012, 10, 30): "Hurricane Sandy",
        date(2018, 12, 5): "National Day of Mourning (President G. H. W. Bush)",
        date(2025, 1, 9): "National Day of Mourning (President Carter)",
    }
)


@cache
def us_holidays(year: int) -> Holidays:
    """Full-day US market closures (NYSE/Nasdaq) of a year, as observed, with their names."""
    days: dict[date, str] = {}
    for name, rule in _US_RULES:
        day = rule(year)
        if day is not None:
            days[day] = name
    days.update({d: n for d, n in US_SPECIAL_CLOSURES.items() if d.year == year})
    return MappingProxyType(dict(sorted(days.items())))


@cache
def us_early_closes(year: int) -> Holidays:
    """US half days (13:00 ET stock close): day after Thanksgiving, Christmas Eve, July 3 (when trading)."""
    holidays = us_holidays(year)
    days = {nth_weekday(year, 11, THURSDAY, 4) + timedelta(days=1): "Day after Thanksgiving"}
    # July 3 and Dec 24 are half days only when the holiday itself is the next day, Tuesday to Friday
    # (a Friday July 3 or Dec 24 is the observed holiday; a weekend eve has nothing to shorten).
    for eve, name in ((date(year, 7, 3), "Independence Day Eve"), (date(year, 12, 24), "Christmas Eve")):
        if eve.weekday() <= THURSDAY and eve + timedelta(days=1) in holidays and eve not in holidays:
            days[eve] = name
    return MappingProxyType(dict(sorted(days.items())))


@cache
def fx_holidays(year: int) -> Holidays:
    """IDEALPRO pauses on Christmas Day and New Year's Day (calendar dates, no observance)."""
    return MappingProxyType({date(year, 1, 1): NEW_YEARS_DAY, date(year, 12, 25): CHRISTMAS})


@cache
def xetra_holidays(year: int) -> Holidays:
    """Frankfurt (Xetra) trading holidays of the current calendar."""
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): NEW_YEARS_DAY,
        easter - timedelta(days=2): GOOD_FRIDAY,
        easter + timedelta(days=1): "Easter Monday",
        date(year, 5, 1): "Labour Day",
        date(year, 12, 24): "Christmas Eve",
        date(year, 12, 25): CHRISTMAS,
        date(year, 12, 26): "Boxing Day",
        date(year, 12, 31): "New Year's Eve",
    }
    return MappingProxyType(dict(sorted(days.items())))


def _equinox(year: int, base: float) -> int:
    offset = year - 1980
    return int(base + 0.242194 * offset - offset // 4)


_JAPAN_RULES: tuple[tuple[str, _Rule], ...] = (
    ("New Year's Day", lambda y: date(y, 1, 1)),
    ("Coming of Age Day", lambda y: nth_weekday(y, 1, MONDAY, 2)),
    ("National Foundation Day", lambda y: date(y, 2, 11)),
    ("Emperor's Birthday", lambda y: date(y, 2, 23) if y >= 2020 else None),
    ("Vernal Equinox Day", lambda y: date(y, 3, _equinox(y, 20.8431))),
    ("Showa Day", lambda y: date(y, 4, 29)),
    ("Constitution Memorial Day", lambda y: date(y, 5, 3)),
    ("Greenery Day", lambda y: date(y, 5, 4)),
    ("Children's Day", lambda y: date(y, 5, 5)),
    ("Marine Day", lambda y: nth_weekday(y, 7, MONDAY, 3)),
    ("Mountain Day", lambda y: date(y, 8, 11)),
    ("Respect for the Aged Day", lambda y: nth_weekday(y, 9, MONDAY, 3)),
    ("Autumnal Equinox Day", lambda y: date(y, 9, _equinox(y, 23.2488))),
    ("Sports Day", lambda y: nth_weekday(y, 10, MONDAY, 2)),
    ("Culture Day", lambda y: date(y, 11, 3)),
    ("Labour Thanksgiving Day", lambda y: date(y, 11, 23)),
)


@cache
def tokyo_holidays(year: int) -> Holidays:
    """Tokyo Stock Exchange closures: national holidays (with substitute and citizens' holidays) and the
    exchange's own year-end break (Dec 31 to Jan 3)."""
    national = {rule(year): name for name, rule in _JAPAN_RULES}
    days: dict[date, str] = {d: n for d, n in national.items() if d is not None}
    for day in sorted(days):  # a holiday on a Sunday moves to the next day that is not a holiday
        if day.weekday() == SUNDAY:
            substitute = day + timedelta(days=1)
            while substitute in days:
                substitute += timedelta(days=1)
            days[substitute] = "Substitute Holiday"
    for day in sorted(days):  # a day between two holidays is a holiday too
        between = day + timedelta(days=1)
        if between not in days and between + timedelta(days=1) in days and between.weekday() != SUNDAY:
            days[between] = "Citizens' Holiday"
    for month, dom in ((1, 2), (1, 3), (12, 31)):
        days.setdefault(date(year, month, dom), "Exchange holiday")
    return MappingProxyType(dict(sorted(days.items())))


def no_holidays(year: int) -> Holidays:
    """For calendars that trade every weekday."""
    del year
    return MappingProxyType({})
