"""The time a historical query covers, the text of its bar times, and IB's "no data" answers.

Theory of operation
-------------------
`query_window` turns a duration ending at `end` into [start, end). S is exact seconds. D counts trading
days as IB does: the date of `end` in the exchange's zone is day one if it is a trading day whose session
has begun by `end` (`session_start`), so "1 D" before the open, at 01:30 in New York, is the last session,
as IB answers it (on a Saturday it is Friday's), and the window starts at midnight of the earliest day
counted. W, M and Y are calendar weeks, months and years ending on the date of `end`, from midnight. An
`end` exactly at midnight belongs to the day before (the window is half-open). Sessions that open the evening
before (futures) are the caller's to attribute: this module only knows dates.

Bar times (formatDate): 1 writes intraday bars as "YYYYMMDD HH:MM:SS Zone" in the exchange's zone, the form
TWS sends at the server versions we speak and ib_async's `parseIBDatetime` reads as an aware datetime; 2 writes
epoch seconds. Daily and longer bars are "YYYYMMDD" whatever formatDate says, as TWS does.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ibbot.sim.errors import HMDS_PREFIX
from ibbot.sim.history.rules import (
    Duration,
    DurationUnit,
    HistoricalQuery,
    Rejection,
)
from ibbot.sim.market.series import BarSize, WhatToShow


def is_weekday(day: date) -> bool:
    return day.weekday() < 5


def _shift_months(day: date, months: int) -> date:
    """`day` moved by whole months, clipped to the month's last day (31 March - 1 M = 28/29 February)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    if year < date.min.year:
        return date.min
    if year > date.max.year:
        return date.max
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


def query_window(
    duration: Duration,
    end: datetime,
    *,
    zone: tzinfo,
    is_trading_day: Callable[[date], bool] = is_weekday,
    session_start: Callable[[date], datetime | None] | None = None,
) -> tuple[datetime, datetime]:
    """[start, end) in UTC for `duration` ending at `end` (module doc for how D, W, M and Y count).

    `session_start(day)`: when the first session of trading date `day` opens (None: it has none, or every
    instant of the day counts); a date whose session opens after `end` is not counted in D."""
    end = end.astimezone(UTC)
    if duration.unit is DurationUnit.SECONDS:
        return end - timedelta(seconds=duration.count), end
    last = (end.astimezone(zone) - timedelta(microseconds=1)).date()
    if duration.unit is DurationUnit.DAYS:
        opens = session_start(last) if session_start is not None else None
        if opens is not None and opens >= end:  # today's session has not begun: the last one is day one
            last -= timedelta(days=1)
        first = _trading_days_back(last, duration.count, is_trading_day)
    elif duration.unit is DurationUnit.WEEKS:
        first = last - timedelta(days=7 * duration.count - 1)
    else:
        months = duration.count * (12 if duration.unit is DurationUnit.YEARS else 1)
        first = _shift_months(last, -months)
        first = first + timedelta(days=1) if first > date.min else first
    try:
        start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    except OverflowError:  # a span reaching before year 1
        start = datetime.min.replace(tzinfo=UTC)
    return start, end


def _trading_days_back(last: date, count: int, is_trading_day: Callable[[date], bool]) -> date:
    """The earliest of the `count` trading days ending on `last` (a calendar without any: `count` days)."""
    day, found, earliest = last, 0, None
    for _ in range(count * 7 + 31):  # bounded even for a calendar that never trades
        if is_trading_day(day):
            found, earliest = found + 1, day
            if found == count:
                return day
        day -= timedelta(days=1)
    return earliest if earliest is not None else last - timedelta(days=count - 1)


# --- bar times -------------------------------------------------------------------------------------------


def zone_label(zone: tzinfo) -> str:
    """The name TWS prints after a time: the Olson key (US/Eastern), else UTC."""
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else "UTC"


def format_bar_time(start: datetime, *, bar_size: BarSize, format_date: int, zone: tzinfo) -> str:
    """The date field of a bar that starts at `start` (see the module doc for the forms)."""
    local = start.astimezone(zone)
    if not bar_size.intraday:
        return local.strftime("%Y%m%d")
    if format_date == 2:
        return str(int(start.timestamp()))
    return f"{local:%Y%m%d %H:%M:%S} {zone_label(zone)}"


def format_range_time(moment: datetime, *, zone: tzinfo) -> str:
    """historicalDataEnd's start and end: "YYYYMMDD HH:MM:SS Zone" in the exchange's zone."""
    return f"{moment.astimezone(zone):%Y%m%d %H:%M:%S} {zone_label(zone)}"


# --- no data ---------------------------------------------------------------------------------------------

# The farm's label of a series in "no data" answers (BID_ASK fails on its Bid leg first).
_SERIES_LABELS = {
    WhatToShow.TRADES: "Trades",
    WhatToShow.MIDPOINT: "Midpoint",
    WhatToShow.BID: "Bid",
    WhatToShow.ASK: "Ask",
    WhatToShow.BID_ASK: "Bid",
    WhatToShow.ADJUSTED_LAST: "Adjusted_last",
    WhatToShow.HISTORICAL_VOLATILITY: "Historical_volatility",
    WhatToShow.OPTION_IMPLIED_VOLATILITY: "Option_implied_volatility",
}
SMALL_BAR_SECONDS = 30  # IB keeps bars of 30 seconds or less for six months
SMALL_BAR_MONTHS = 6


def no_data_rejection(*, symbol: str, exchange: str, what_to_show: WhatToShow) -> Rejection:
    """162 "HMDS query returned no data: AAPL@SMART Trades" (the symbol is an option's local symbol)."""
    venue = exchange.upper() or "SMART"
    return Rejection(
        code=162,
        text=f"{HMDS_PREFIX}HMDS query returned no data: {symbol}@{venue} {_SERIES_LABELS[what_to_show]}",
    )


def small_bar_cutoff(now: datetime) -> datetime:
    """The oldest instant IB still has bars of 30 seconds or less for."""
    now = now.astimezone(UTC)
    day = _shift_months(now.date(), -SMALL_BAR_MONTHS)
    return datetime.combine(day, now.timetz())


def check_data_available(
    query: HistoricalQuery,
    window: tuple[datetime, datetime],
    *,
    now: datetime,
    symbol: str,
    exchange: str,
    expired: bool = False,
) -> Rejection | None:
    """IB's "no data" cases known before looking at any bar: an expired option (IB keeps none), small bars
    older than six months, a window that starts in the future. A caller that finds no bar in the window
    answers `no_data_rejection` too; one whose window straddles the six-month edge serves the newer part."""
    start, end = window
    seconds = query.bar_size.seconds
    if (
        expired
        or start >= now
        or (seconds is not None and seconds <= SMALL_BAR_SECONDS and end <= small_bar_cutoff(now))
    ):
        return no_data_rejection(symbol=symbol, exchange=exchange, what_to_show=query.what_to_show)
    return None
