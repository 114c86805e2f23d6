"""reqHistoricalData's parameters as IB reads them: bar sizes, durations, end times, whatToShow and step sizes.

Theory of operation
-------------------
`validate_historical_request` runs TWS's checks in TWS's order and answers a `HistoricalQuery` or the first
`Rejection` (IB's code and text). TWS validates first, with its own codes: the end date-time (10314), the
duration, ADJUSTED_LAST with an end, the bar size, ADJUSTED_LAST with multi-day bars, whatToShow, formatDate
and the keepUpToDate rules (321 "Error validating request"). Then IB's historical farm (HMDS) refuses with
162: a bar size outside the step-size table for the duration, or a whatToShow the security type has no data
for. Parsers never raise: any text is either a typed value or a typed rejection.

Step sizes: IB documents durations with the smallest and largest bar each allows. A duration between two
rows takes the row at or below it, so each row is where its range starts. Lengths are compared nominally
(D = 86,400 s, W = 7 D, M = 30 D, Y = 365 D).

The dates a query covers, the text of bar times and the "no data" answers live in `window`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ibbot.sim.errors import HMDS_PREFIX
from ibbot.sim.market.series import BAR_SIZE_LIST, BAR_SIZES, BarSize, BarUnit, WhatToShow

# TWS's validation errors carry a two-letter internal token after "-"; it varies by build.
VALIDATION_PREFIX = "Error validating request.-'bM' : cause - "


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """IB's refusal of a request: the error code and text the client receives."""

    code: int
    text: str


def _invalid(cause: str) -> Rejection:
    return Rejection(code=321, text=VALIDATION_PREFIX + cause)


def _hmds(message: str) -> Rejection:
    return Rejection(code=162, text=HMDS_PREFIX + message)


# --- bar sizes -------------------------------------------------------------------------------------------


# TWS names the two longest "1W" and "1M" in its own error text and accepts those spellings too.
_BAR_ALIASES = {"1w": "1 week", "1 w": "1 week", "1m": "1 month", "1 m": "1 month"}
_LEGAL_BAR_SIZES = ", ".join(b.text for b in BAR_SIZE_LIST[:-2]) + ", 1W, 1M"


def parse_bar_size(text: str) -> BarSize | Rejection:
    key = text.strip().lower()
    size = BAR_SIZES.get(_BAR_ALIASES.get(key, key))
    if size is None:
        return _invalid(f"Historical data bar size setting is invalid. Legal ones are: {_LEGAL_BAR_SIZES}")
    return size


# --- durations -------------------------------------------------------------------------------------------


class DurationUnit(enum.Enum):
    SECONDS = "S"
    DAYS = "D"
    WEEKS = "W"
    MONTHS = "M"
    YEARS = "Y"


_DURATION_NOMINAL = {"S": 1, "D": 86_400, "W": 604_800, "M": 2_592_000, "Y": 31_536_000}


@dataclass(frozen=True, slots=True, kw_only=True)
class Duration:
    count: int
    unit: DurationUnit

    @property
    def text(self) -> str:
        return f"{self.count} {self.unit.value}"

    @property
    def nominal_seconds(self) -> int:
        return self.count * _DURATION_NOMINAL[self.unit.value]


_DURATION_RE = re.compile(r"([0-9]+) ([SDWMYsdwmy])", re.ASCII)
_MAX_COUNT = 2**31 - 1  # TWS reads the count as a Java int
# unit -> (largest count TWS takes, its refusal above that)
_DURATION_CAPS = {
    "S": (86_400, "Historical data request for greater than 86400 seconds rejected."),
    "D": (365, "Historical data requests for durations longer than 365 days must be made in years."),
    "W": (52, "Historical data request for durations longer than 52 weeks must be made in years."),
    "M": (12, "Historical data request for durations longer than 12 months must be made in years."),
    "Y": (1_000, "Historical data requested duration is invalid."),  # IB's is the account's backfill
}


def parse_duration(text: str) -> Duration | Rejection:
    """ "N S|D|W|M|Y" (a bare number is seconds, as IB documents) -> Duration."""
    text = text.strip()
    if not text:
        return _invalid("Historical data request duration not specified.")
    if text.isascii() and text.isdigit():
        text += " S"
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        return _invalid(
            "When specifying a unit, historical data request duration format is integer{SPACE}unit (S|D|W|M|Y)."
        )
    digits, unit = match.group(1), match.group(2).upper()
    count = int(digits) if len(digits) <= 10 else _MAX_COUNT + 1
    if count < 1 or count > _MAX_COUNT or (unit == "S" and count < 30):
        return _invalid("Historical data requested duration is invalid.")
    cap, refusal = _DURATION_CAPS[unit]
    if count > cap:
        return _invalid(refusal)
    return Duration(count=count, unit=DurationUnit(unit))


# --- end date-time ---------------------------------------------------------------------------------------

INVALID_END_CODE = 10314
INVALID_END_TEXT = (
    "End Date/Time: The date, time, or time-zone entered is invalid.\n"
    "The correct format is yyyymmdd hh:mm:ss xx/xxxx\n"
    "where yyyymmdd and xx/xxxx are optional.\n"
    "E.g.: 20031126 15:59:00 US/Eastern\n\n"
    "Note that there is a space between the date and time,\n"
    "and between the time and time-zone.\n\n"
    "If no date is specified, current date is assumed.\n"
    "If no time-zone is specified, local time-zone is assumed(deprecated).\n\n"
    "You can also provide yyyymmddd-hh:mm:ss time is in UTC.\n"
    "Note that there is a dash between the date and time in UTC notation."
)
# The notice TWS sends with a request whose date-time names no zone.
IMPLIED_ZONE_CODE = 2174
IMPLIED_ZONE_TEXT = (
    "Warning: You submitted request with date-time attributes without explicit time zone. "
    "Please switch to use yyyymmdd-hh:mm:ss in UTC or use instrument time zone, like US/Eastern. "
    "Implied time zone functionality will be removed in the next API release"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class EndTime:
    at: datetime  # UTC-aware
    given: bool  # False for "" (now)
    implied_zone: bool  # no zone named: read in TWS's zone (warning 2174)


_DATE_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})", re.ASCII)
_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})", re.ASCII)
_ZONE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-/]{0,63}", re.ASCII)


def _date(text: str) -> tuple[int, int, int] | None:
    m = _DATE_RE.fullmatch(text)
    if m is None:
        return None
    y, mo, d = (int(g) for g in m.groups())
    try:
        datetime(y, mo, d)
    except ValueError:
        return None
    return (y, mo, d) if 1970 <= y <= 3000 else None


def _time(text: str) -> tuple[int, int, int] | None:
    m = _TIME_RE.fullmatch(text)
    if m is None:
        return None
    h, mi, s = (int(g) for g in m.groups())
    return (h, mi, s) if h < 24 and mi < 60 and s < 60 else None


def zone_named(name: str) -> tzinfo | None:
    """An Olson zone (US/Eastern, Europe/London, EST5EDT ...), UTC or GMT; None for anything else (EDT)."""
    if name.upper() in ("UTC", "GMT"):
        return UTC
    if _ZONE_RE.fullmatch(name) is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown key, a directory, a bad path
        return None


def parse_end_date_time(text: str, *, now: datetime, local_zone: tzinfo) -> EndTime | Rejection:
    """Every form clients send -> the end as an aware UTC datetime.

    "" is now; "YYYYMMDD-HH:MM:SS" is UTC; "[YYYYMMDD ]HH:MM:SS[ ZONE]" is in ZONE, or in TWS's
    `local_zone` when none is named (no date: the day of `now` there). "YYYYMMDD" alone, which TWS refuses,
    is taken here as the end of that day in `local_zone` (midnight after it), the instant ib_async means
    when it is given a date.
    """
    words = text.split()
    if not words:
        return EndTime(at=now.astimezone(UTC), given=False, implied_zone=False)
    rejected = Rejection(code=INVALID_END_CODE, text=INVALID_END_TEXT)
    zone: tzinfo | None = local_zone
    named = False  # the text names its zone (UTC for the dash form)
    day: tuple[int, int, int] | None
    if len(words) == 1 and "-" in words[0]:
        left, _, right = words[0].partition("-")
        day, clock, zone, named = _date(left), _time(right), UTC, True
    elif len(words) == 1 and ":" not in words[0]:
        day = _date(words[0])
        if day is None:
            return rejected
        midnight = datetime(*day, tzinfo=local_zone) + timedelta(days=1)
        return EndTime(at=midnight.astimezone(UTC), given=True, implied_zone=True)
    else:
        dated = _date(words[0]) is not None
        day = _date(words[0]) if dated else None
        rest = words[1:] if dated else words
        if not rest or len(rest) > 2:
            return rejected
        clock = _time(rest[0])
        if len(rest) == 2:
            zone, named = zone_named(rest[1]), True
        if day is None and clock is not None and zone is not None:
            today = now.astimezone(zone).date()
            day = (today.year, today.month, today.day)
    if day is None or clock is None or zone is None:
        return rejected
    at = datetime(*day, *clock, tzinfo=zone).astimezone(UTC)
    return EndTime(at=at, given=True, implied_zone=not named)


# --- whatToShow and what each security type has ----------------------------------------------------------


_W = WhatToShow
_QUOTES = frozenset({_W.MIDPOINT, _W.BID, _W.ASK, _W.BID_ASK})
_LISTED = _QUOTES | {_W.TRADES}
# secType -> the series IB's farm keeps for it; other secTypes have the listed series.
SERIES_BY_SEC_TYPE: dict[str, frozenset[WhatToShow]] = {
    "STK": frozenset(WhatToShow),
    "IND": frozenset({_W.TRADES, _W.HISTORICAL_VOLATILITY, _W.OPTION_IMPLIED_VOLATILITY}),
    "CASH": _QUOTES,  # forex has no trades: TRADES is IB's classic "no historical market data"
    "CMDTY": _QUOTES,
    "CFD": _QUOTES,
}
# The farm's own names for the series, as its refusals print them (BID_ASK fails on its Bid leg first).
_SERIES_NAMES = {
    _W.TRADES: "Last",
    _W.MIDPOINT: "MidPoint",
    _W.BID: "Bid",
    _W.ASK: "Ask",
    _W.BID_ASK: "Bid",
    _W.ADJUSTED_LAST: "Last",
    _W.HISTORICAL_VOLATILITY: "HistVol",
    _W.OPTION_IMPLIED_VOLATILITY: "OptionImpliedVol",
}
_FARM_EXCHANGES = {"IDEALPRO": "FXSUBPIP", "SMART": "BEST", "": "BEST"}
# keepUpToDate streams only these.
_LIVE_UPDATE_SERIES = frozenset({_W.TRADES, _W.MIDPOINT, _W.BID, _W.ASK})


def parse_what_to_show(text: str) -> WhatToShow | Rejection:
    try:
        return WhatToShow(text.strip().upper())
    except ValueError:
        return _invalid(f"What to show value of {text} rejected.")


def series_available(what: WhatToShow, sec_type: str) -> bool:
    return what in SERIES_BY_SEC_TYPE.get(sec_type.upper(), _LISTED)


def no_series_rejection(what: WhatToShow, bar_size: BarSize, *, symbol: str, sec_type: str, exchange: str) -> Rejection:
    farm_exchange = _FARM_EXCHANGES.get(exchange.upper(), exchange.upper())
    return _hmds(
        f"No historical market data for {symbol}/{sec_type.upper()}@{farm_exchange} "
        f"{_SERIES_NAMES[what]} {bar_size.nominal_seconds}"
    )


# --- step sizes ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRule:
    """From `duration` up to the next rule, bars from `smallest` to `largest` are allowed."""

    duration: Duration
    smallest: BarSize
    largest: BarSize


def _rule(count: int, unit: str, smallest: str, largest: str) -> StepRule:
    return StepRule(
        duration=Duration(count=count, unit=DurationUnit(unit)),
        smallest=BAR_SIZES[smallest],
        largest=BAR_SIZES[largest],
    )


# IB's documented table ("Step Sizes", TWS API historical data limitations).
STEP_TABLE: tuple[StepRule, ...] = (
    _rule(60, "S", "1 secs", "1 min"),
    _rule(120, "S", "1 secs", "2 mins"),
    _rule(1800, "S", "1 secs", "30 mins"),
    _rule(3600, "S", "5 secs", "1 hour"),
    _rule(14400, "S", "10 secs", "3 hours"),
    _rule(28800, "S", "30 secs", "8 hours"),
    _rule(1, "D", "1 min", "1 day"),
    _rule(2, "D", "2 mins", "1 day"),
    _rule(1, "W", "3 mins", "1 week"),
    _rule(1, "M", "30 mins", "1 month"),
    _rule(1, "Y", "1 day", "1 month"),
)


# Real TWS answers 5 D of 1-minute bars (1,950 RTH bars, ib_insync issue 268), where the table's 2 D row starts
# at 2 minutes; it enforces the table for second bars ("invalid step: 1" for 1 D of 1 secs). The client wins:
# bars of a minute and more are allowed below their row's smallest up to a month (a week of 1-minute bars is
# 10,080 at most; the same report's 6 D and 10 D requests outlasted the client's 60 s, and were not refused).
_LENIENT_UNTIL = Duration(count=1, unit=DurationUnit.MONTHS).nominal_seconds


def check_step(bar_size: BarSize, duration: Duration, table: tuple[StepRule, ...] = STEP_TABLE) -> Rejection | None:
    """None when the bar size is allowed for the duration; else the farm's "invalid step" (162)."""
    length = duration.nominal_seconds
    rule = None
    for candidate in table:
        if candidate.duration.nominal_seconds <= length:
            rule = candidate
    smallest = rule.smallest.nominal_seconds if rule else 1
    largest = rule.largest.nominal_seconds if rule else length  # below the table: no bar longer than it
    if bar_size.nominal_seconds >= 60 and length < _LENIENT_UNTIL:
        smallest = min(smallest, 60)  # TWS serves minute bars over days the table gives to longer ones
    if smallest <= bar_size.nominal_seconds <= largest:
        return None
    # The farm's words; users report "invalid step: 1" for 1-second bars over "1 D".
    return _hmds(f"invalid step: {bar_size.nominal_seconds}")


# --- the whole request -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoricalQuery:
    """A reqHistoricalData that passed every check."""

    bar_size: BarSize
    duration: Duration
    end: datetime  # UTC-aware; `now` when the request named none (then `end_given` is False)
    end_given: bool
    implied_zone: bool  # the end named no zone: send IMPLIED_ZONE_CODE as a notice
    what_to_show: WhatToShow
    use_rth: bool
    format_date: int
    keep_up_to_date: bool


FORMAT_DATES = frozenset({1, 2})


def validate_historical_request(
    *,
    end_date_time: str,
    duration: str,
    bar_size: str,
    what_to_show: str,
    use_rth: bool,
    format_date: int,
    keep_up_to_date: bool,
    symbol: str,
    sec_type: str,
    exchange: str,
    now: datetime,
    local_zone: tzinfo,
    step_table: tuple[StepRule, ...] = STEP_TABLE,
) -> HistoricalQuery | Rejection:
    """reqHistoricalData's fields -> a HistoricalQuery, or the first refusal in TWS's order (module doc)."""
    end = parse_end_date_time(end_date_time, now=now, local_zone=local_zone)
    if isinstance(end, Rejection):
        return end
    span = parse_duration(duration)
    if isinstance(span, Rejection):
        return span
    adjusted = what_to_show.strip().upper() == _W.ADJUSTED_LAST.value
    if adjusted and end.given:
        return _invalid("End date not supported with adjusted last")
    size = parse_bar_size(bar_size)
    if isinstance(size, Rejection):
        return size
    if adjusted and size.unit in (BarUnit.WEEK, BarUnit.MONTH):
        return _invalid("Multi day bar size not supported with adjusted last")
    what = parse_what_to_show(what_to_show)
    if isinstance(what, Rejection):
        return what
    if format_date not in FORMAT_DATES:
        return _invalid(f"Date formatting selection of {format_date} rejected.")
    if keep_up_to_date:
        if end.given:
            return _invalid("End date not supported with live updates")
        if sec_type.upper() == "BAG":
            return _invalid("Live updates for combos are not supported")
        if what not in _LIVE_UPDATE_SERIES:
            return _invalid("Source price not supported with live updates")
    step = check_step(size, span, step_table)
    if step is not None:
        return step
    if not series_available(what, sec_type):
        return no_series_rejection(what, size, symbol=symbol, sec_type=sec_type, exchange=exchange)
    return HistoricalQuery(
        bar_size=size,
        duration=span,
        end=end.at,
        end_given=end.given,
        implied_zone=end.implied_zone,
        what_to_show=what,
        use_rth=use_rth,
        format_date=format_date,
        keep_up_to_date=keep_up_to_date,
    )
