"""Option expiries as IB lists them for US index ETFs and large caps: which expiry dates an underlying's options
have on a listing day, what kind each one is, and the first listing day of each. Pure.

Theory of operation
-------------------
A listing day is a US business day; `listing_day(now)` is the one in force at `now`: today in New York until
the 16:00 close, the next business day after it (an expiry stops trading at its close) and over weekends and
holidays. Each product style lists several kinds of expiry, each a rule of the form "the dates of this
pattern from the listing day up to a horizon", so an expiry, once listed, stays listed until it expires and
its first listing day has a closed form (`first_listed`):

- index ETFs (SPY, QQQ, IWM): dailies (every business day of the next 14 days), Friday weeklies (8 weeks),
  monthlies (the next 12 third Fridays), quarterlies (the last business day of the next 8 quarter-end months)
  and January LEAPS (third Fridays of January within 990 days);
- large caps (AAPL, TSLA ...): Friday weeklies (6 weeks), monthlies (the next 4 third Fridays), the quarterly
  cycle (third Fridays of March, June, September, December within 270 days) and January LEAPS (990 days).

A Friday expiry that falls on an exchange holiday moves to the business day before (Thursday). 990 days keeps
every listed expiry within 1024 days of the listing day, which the options' synthetic conIds rely on
(`ibbot.sim.instruments.chains`). Kinds rank daily < weekly < quarterly < monthly: an expiry that is several
is reported as the highest (a third Friday is a monthly, whatever else it is), which open interest uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from ibbot.sim.instruments import holidays as hol

INDEX, EQUITY = "index", "equity"  # product styles
DAILY, WEEKLY, QUARTERLY, MONTHLY = "daily", "weekly", "quarterly", "monthly"
RANK = {DAILY: 0, WEEKLY: 1, QUARTERLY: 2, MONTHLY: 3}
NEW_YORK = ZoneInfo("America/New_York")
CLOSE = time(16, 0)
LEAPS_DAYS = 990


def is_business_day(day: date) -> bool:
    return day.weekday() < hol.SATURDAY and day not in hol.us_holidays(day.year)


def business_day_on_or_before(day: date) -> date:
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def business_day_on_or_after(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def next_business_day(day: date) -> date:
    return business_day_on_or_after(day + timedelta(days=1))


def previous_business_day(day: date) -> date:
    return business_day_on_or_before(day - timedelta(days=1))


def third_friday(year: int, month: int) -> date:
    return hol.nth_weekday(year, month, hol.FRIDAY, 3)


def listing_day(now: datetime) -> date:
    """The listing day in force at `now` (aware): today in New York before the close, else the next business day."""
    local = now.astimezone(NEW_YORK)
    day = local.date()
    if local.time() >= CLOSE:
        day += timedelta(days=1)
    return business_day_on_or_after(day)


def listing_turn(day: date) -> datetime:
    """When listing day `day` ends: its own close (16:00 New York)."""
    return datetime.combine(day, CLOSE, tzinfo=NEW_YORK)


def close_before(day: date) -> datetime:
    """The close (16:00 New York) of the business day before `day`: the price a listing on `day` is centred on."""
    return datetime.combine(previous_business_day(day), CLOSE, tzinfo=NEW_YORK)


# --- the kinds: each lists the dates of a pattern up to a horizon ---------------------------------------------


def _months(year: int, month: int) -> Iterator[tuple[int, int]]:
    while True:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _months_back(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + month - 1 - count
    return index // 12, index % 12 + 1


def _quarter_end(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return business_day_on_or_before(last)


@dataclass(frozen=True, slots=True)
class _Kind:
    """One pattern of expiries: `listed(day)` the dates listed on a listing day, `first(expiry)` when one was
    first listed (the first listing day with it in `listed`)."""

    name: str
    listed: Callable[[date], tuple[date, ...]]
    first: Callable[[date], date]


def _spanned(name: str, span: int, dates: Callable[[date, date], Iterator[date]]) -> _Kind:
    """Dates of a pattern from the listing day to `span` days after it (raw dates, moved to a business day)."""

    def listed(day: date) -> tuple[date, ...]:
        moved = (business_day_on_or_before(d) for d in dates(day, day + timedelta(days=span)))
        return tuple(e for e in moved if e >= day)

    def first(expiry: date) -> date:
        # The raw date is at most a few days after the expiry (a holiday Friday moves to Thursday).
        raw = next(d for d in dates(expiry, expiry + timedelta(days=4)) if business_day_on_or_before(d) == expiry)
        return business_day_on_or_after(raw - timedelta(days=span))

    return _Kind(name, listed, first)


def _counted(name: str, count: int, pattern: Callable[[int, int], date | None]) -> _Kind:
    """The next `count` dates of a monthly pattern (None: no date that month) still to come on the listing day."""

    def listed(day: date) -> tuple[date, ...]:
        out: list[date] = []
        months = _months(day.year, day.month)
        while len(out) < count:
            found = pattern(*next(months))
            if found is not None and found >= day:
                out.append(found)
        return tuple(out)

    def first(expiry: date) -> date:
        # Listed once the `count`-th earlier date of the pattern has passed.
        seen = 0
        year, month = expiry.year, expiry.month
        while True:
            year, month = _months_back(year, month, 1)
            found = pattern(year, month)
            if found is not None:
                seen += 1
                if seen == count:
                    return next_business_day(found)

    return _Kind(name, listed, first)


def _daily_dates(lo: date, hi: date) -> Iterator[date]:
    day = lo
    while day <= hi:
        if is_business_day(day):
            yield day
        day += timedelta(days=1)


def _fridays(lo: date, hi: date) -> Iterator[date]:
    day = lo + timedelta(days=(hol.FRIDAY - lo.weekday()) % 7)
    while day <= hi:
        yield day
        day += timedelta(weeks=1)


def _third_fridays(months: frozenset[int]) -> Callable[[date, date], Iterator[date]]:
    def dates(lo: date, hi: date) -> Iterator[date]:
        for year, month in _months(lo.year, lo.month):
            candidate = third_friday(year, month)
            if candidate > hi:
                return
            if month in months and candidate >= lo:
                yield candidate

    return dates


def _monthly(year: int, month: int) -> date:
    return business_day_on_or_before(third_friday(year, month))


def _quarterly(year: int, month: int) -> date | None:
    return _quarter_end(year, month) if month % 3 == 0 else None


STYLES: dict[str, tuple[_Kind, ...]] = {
    INDEX: (
        _spanned(DAILY, 14, _daily_dates),
        _spanned(WEEKLY, 56, _fridays),
        _counted(MONTHLY, 12, _monthly),
        _counted(QUARTERLY, 8, _quarterly),
        _spanned(MONTHLY, LEAPS_DAYS, _third_fridays(frozenset({1}))),
    ),
    EQUITY: (
        _spanned(WEEKLY, 42, _fridays),
        _counted(MONTHLY, 4, _monthly),
        _spanned(MONTHLY, 270, _third_fridays(frozenset({3, 6, 9, 12}))),
        _spanned(MONTHLY, LEAPS_DAYS, _third_fridays(frozenset({1}))),
    ),
}


@lru_cache(maxsize=256)
def expiries(style: str, day: date) -> tuple[tuple[date, str], ...]:
    """(expiry, kind) of every expiry listed on listing day `day`, in date order."""
    kinds: dict[date, str] = {}
    for kind in STYLES[style]:
        for expiry in kind.listed(day):
            known = kinds.get(expiry)
            if known is None or RANK[kind.name] > RANK[known]:
                kinds[expiry] = kind.name
    return tuple(sorted(kinds.items()))


@lru_cache(maxsize=4096)
def first_listed(style: str, expiry: date) -> date:
    """The first listing day on which `expiry` was listed (the earliest over the kinds that list it)."""
    firsts = [kind.first(expiry) for kind in STYLES[style] if expiry in kind.listed(expiry)]
    if not firsts:
        raise ValueError(f"{expiry} is not an expiry of the {style} style")
    return min(firsts)


def was_expiry(style: str, day: date) -> bool:
    """Whether `day` is (or was) an expiry date of the style: every expiry is listed on its own last day."""
    return is_business_day(day) and any(e == day for e, _ in expiries(style, day))
