"""Exchange calendars: trading and liquid (regular) sessions, holidays, and IB's tradingHours/liquidHours text.

Theory of operation: a calendar is a weekly template plus holiday rules. Each trading date (a weekday that
is not a holiday) has one or more windows in the exchange's local time; a window may open the evening
before (Globex futures, IDEALPRO forex), so a session belongs to the trading date on which it *ends*, as IB
and the exchanges count it. A day is one of three kinds: closed (weekend or holiday), short (an early
close, or a holiday the market trades through with a halt: Globex on Memorial Day) or regular. On a short
day each window is cut at that day's close and windows opening after it vanish. All arithmetic is done in
the exchange's zone (zoneinfo, so DST is right) and sessions are returned in UTC. Nothing here reads the
clock: every question takes `now`.

IB's hours text lists each trading date of a window of days: `20240722:0400-20240722:2000` per session,
`20240721:CLOSED` for a date without one, joined by `;` (ib_async's ContractDetails.tradingSessions()
parses it with the calendar's time_zone_id, which is therefore one of IB's zone names, e.g. US/Eastern).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from ibbot.errors import ConfigError
from ibbot.sim.instruments import holidays as hol

_ONE_DAY = timedelta(days=1)
_SEARCH_DAYS = 60  # longer than any closure (weekends, Golden Week, year-end): next_open always finds one
_SESSION_CACHE = 40_000  # (day, liquid) answers kept per calendar: decades of days, both kinds


@dataclass(frozen=True, slots=True, kw_only=True)
class Hours:
    """One daily window in the exchange's local time; `opens_day_before` opens the previous evening."""

    open: time
    close: time
    opens_day_before: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortDay:
    """The closes of a shortened day (local time), for the trading and the liquid sessions."""

    trading_close: time
    liquid_close: time


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """One continuous session, in UTC; `trading_date` is the date IB files it under (the day it ends)."""

    trading_date: date
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _no_holidays(year: int) -> hol.Holidays:
    return hol.no_holidays(year)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeCalendar:
    """The hours of one market: weekly windows, holidays, and what a short day looks like."""

    name: str
    time_zone_id: str  # IB's timeZoneId, also a zoneinfo key
    trading: tuple[Hours, ...]  # every hour orders are accepted (extended hours for stocks)
    liquid: tuple[Hours, ...]  # regular trading hours (IB's liquidHours, "RTH")
    holidays: Callable[[int], hol.Holidays] = _no_holidays
    early_closes: Callable[[int], hol.Holidays] = _no_holidays
    early_close: ShortDay | None = None  # how an early-close day ends; None: early closes are ignored
    trades_through: frozenset[str] = frozenset()  # holidays (by name) with a shortened session, not closed
    holiday_close: ShortDay | None = None  # how a traded-through holiday ends
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))
    # sessions_on's answers (pure): long history requests ask for thousands of days, several times over
    _sessions: dict[tuple[date, bool], tuple[Session, ...]] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        if not self.trading or not self.liquid or not self.weekdays:
            raise ConfigError(f"calendar {self.name}: needs trading hours, liquid hours and weekdays")
        if self.trades_through and self.holiday_close is None:
            raise ConfigError(f"calendar {self.name}: trades through holidays but has no holiday close")
        ZoneInfo(self.time_zone_id)  # fails early on an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone_id)

    # --- days ------------------------------------------------------------------------------------------

    def holiday(self, day: date) -> str | None:
        """The name of the holiday on `day` (closed or traded through), if any."""
        return self.holidays(day.year).get(day)

    def short_day(self, day: date) -> ShortDay | None:
        """How `day` ends early, if it does (an early-close day or a traded-through holiday)."""
        name = self.holiday(day)
        if name is not None and name in self.trades_through:
            return self.holiday_close
        if day in self.early_closes(day.year):
            return self.early_close
        return None

    def is_trading_day(self, day: date) -> bool:
        if day.weekday() not in self.weekdays:
            return False
        name = self.holiday(day)
        return name is None or name in self.trades_through

    # --- sessions --------------------------------------------------------------------------------------

    def sessions_on(self, day: date, *, liquid: bool = False) -> tuple[Session, ...]:
        """The sessions filed under trading date `day` (empty when the market is closed that day)."""
        found = self._sessions.get((day, liquid))
        if found is None:
            if len(self._sessions) >= _SESSION_CACHE:
                self._sessions.clear()
            found = self._sessions[(day, liquid)] = self._compute_sessions(day, liquid=liquid)
        return found

    def _compute_sessions(self, day: date, *, liquid: bool) -> tuple[Session, ...]:
        if not self.is_trading_day(day):
            return ()
        short = self.short_day(day)
        cut = None if short is None else (short.liquid_close if liquid else short.trading_close)
        zone = self.zone
        found = []
        for window in self.liquid if liquid else self.trading:
            close = window.close if cut is None else min(window.close, cut)
            if not window.opens_day_before and window.open >= close:
                continue  # the window would open after the early close
            opened = day - _ONE_DAY if window.opens_day_before else day
            start = datetime.combine(opened, window.open, tzinfo=zone).astimezone(UTC)
            end = datetime.combine(day, close, tzinfo=zone).astimezone(UTC)
            found.append(Session(trading_date=day, start=start, end=end))
        return tuple(found)

    def sessions(self, first: date, last: date, *, liquid: bool = False) -> tuple[Session, ...]:
        """Every session whose trading date is in [first, last], in order."""
        found: list[Session] = []
        day = first
        while day <= last:
            found.extend(self.sessions_on(day, liquid=liquid))
            day += _ONE_DAY
        return tuple(found)

    def local_date(self, moment: datetime) -> date:
        return _utc(moment).astimezone(self.zone).date()

    def session_at(self, moment: datetime, *, liquid: bool = False) -> Session | None:
        """The session open at `moment`, if any."""
        moment = _utc(moment)
        today = self.local_date(moment)
        for session in self.sessions(today - _ONE_DAY, today + _ONE_DAY, liquid=liquid):
            if session.contains(moment):
                return session
        return None

    def is_open(self, moment: datetime, *, liquid: bool = False) -> bool:
        return self.session_at(moment, liquid=liquid) is not None

    def next_session(self, moment: datetime, *, liquid: bool = False) -> Session:
        """The first session that starts strictly after `moment`."""
        moment = _utc(moment)
        day = self.local_date(moment) - _ONE_DAY
        for _ in range(_SEARCH_DAYS):
            for session in self.sessions_on(day, liquid=liquid):
                if session.start > moment:
                    return session
            day += _ONE_DAY
        raise ConfigError(f"calendar {self.name}: no session within {_SEARCH_DAYS} days of {moment}")

    def next_open(self, moment: datetime, *, liquid: bool = False) -> datetime:
        """When the market next opens after `moment` (if it is open now: the start of the next session)."""
        return self.next_session(moment, liquid=liquid).start

    def next_close(self, moment: datetime, *, liquid: bool = False) -> datetime:
        """When the current session ends, or if closed, when the next one will."""
        current = self.session_at(moment, liquid=liquid)
        if current is not None:
            return current.end
        return self.next_session(moment, liquid=liquid).end

    # --- IB's text -------------------------------------------------------------------------------------

    def hours_text(self, moment: datetime, *, liquid: bool = False, days: int = 7) -> str:
        """IB's tradingHours (or liquidHours) text for `days` trading dates from the local date of `moment`."""
        first = self.local_date(moment)
        zone = self.zone
        parts: list[str] = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            found = self.sessions_on(day, liquid=liquid)
            if not found:
                parts.append(f"{day:%Y%m%d}:CLOSED")
            for session in found:
                start, end = session.start.astimezone(zone), session.end.astimezone(zone)
                parts.append(f"{start:%Y%m%d:%H%M}-{end:%Y%m%d:%H%M}")
        return ";".join(parts)

    def trading_hours(self, moment: datetime, *, days: int = 7) -> str:
        return self.hours_text(moment, days=days)

    def liquid_hours(self, moment: datetime, *, days: int = 7) -> str:
        return self.hours_text(moment, liquid=True, days=days)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment} is naive: pass an aware datetime (UTC)")
    return moment.astimezone(UTC)


# --- the calendars ------------------------------------------------------------------------------------


def _t(hhmm: str) -> time:
    return time(int(hhmm[:2]), int(hhmm[3:]))


def _hours(*windows: str, overnight: bool = False) -> tuple[Hours, ...]:
    """Daily windows from `HH:MM-HH:MM` texts in local time; `overnight`: each opens the evening before."""
    return tuple(Hours(open=_t(w[:5]), close=_t(w[6:]), opens_day_before=overnight) for w in windows)


# Windows several calendars (or both sessions of one) share.
_US_REGULAR = _hours("09:30-16:00")  # NYSE/Nasdaq regular hours, equity options
_GLOBEX_NEW_YORK = _hours("18:00-17:00", overnight=True)  # NYMEX and COMEX, New York time
_FX_WEEKDAY = _hours("17:15-17:00", overnight=True)
_XETRA_DAY = _hours("09:00-17:30")
_TSE_DAY = _hours("09:00-11:30", "12:30-15:30")  # morning and afternoon around the lunch break


# Globex closes fully on these; on the other US holidays it trades with a midday halt.
_GLOBEX_TRADES_THROUGH = frozenset(
    {
        hol.MLK_DAY,
        hol.WASHINGTONS_BIRTHDAY,
        hol.MEMORIAL_DAY,
        hol.JUNETEENTH,
        hol.INDEPENDENCE_DAY,
        hol.LABOR_DAY,
        hol.THANKSGIVING,
    }
)

US_EQUITY = ExchangeCalendar(
    name="US_EQUITY",  # NYSE, Nasdaq, ARCA, BATS ... stocks and ETFs, SMART-routed
    time_zone_id="US/Eastern",
    trading=_hours("04:00-20:00"),
    liquid=_US_REGULAR,
    holidays=hol.us_holidays,
    early_closes=hol.us_early_closes,
    early_close=ShortDay(trading_close=_t("17:00"), liquid_close=_t("13:00")),
)
US_OPTIONS = ExchangeCalendar(
    name="US_OPTIONS",  # equity and ETF options
    time_zone_id="US/Eastern",
    trading=_US_REGULAR,
    liquid=_US_REGULAR,
    holidays=hol.us_holidays,
    early_closes=hol.us_early_closes,
    early_close=ShortDay(trading_close=_t("13:00"), liquid_close=_t("13:00")),
)
CBOE_INDEX = ExchangeCalendar(
    name="CBOE_INDEX",  # SPX, NDX, VIX index values (index options trade to 16:15)
    time_zone_id="US/Eastern",
    trading=_hours("09:30-16:15"),
    liquid=_US_REGULAR,
    holidays=hol.us_holidays,
    early_closes=hol.us_early_closes,
    early_close=ShortDay(trading_close=_t("13:15"), liquid_close=_t("13:00")),
)
CME_EQUITY = ExchangeCalendar(
    name="CME_EQUITY",  # ES, NQ, MES, MNQ on Globex; IB reports CME in Chicago time
    time_zone_id="US/Central",
    trading=_hours("17:00-16:00", overnight=True),
    liquid=_hours("08:30-15:00"),
    holidays=hol.us_holidays,
    early_closes=hol.us_early_closes,
    early_close=ShortDay(trading_close=_t("12:15"), liquid_close=_t("12:15")),
    trades_through=_GLOBEX_TRADES_THROUGH,
    holiday_close=ShortDay(trading_close=_t("12:00"), liquid_close=_t("12:00")),
)
NYMEX = ExchangeCalendar(
    name="NYMEX",  # CL; IB reports NYMEX in New York time
    time_zone_id="US/Eastern",
    trading=_GLOBEX_NEW_YORK,
    liquid=_hours("09:00-14:30"),
    holidays=hol.us_holidays,
    early_closes=hol.us_early_closes,
    early_close=ShortDay(trading_close=_t("13:45"), liquid_close=_t("13:45")),
    trades_through=_GLOBEX_TRADES_THROUGH,
    holiday_close=ShortDay(trading_close=_t("13:30"), liquid_close=_t("13:30")),
)
COMEX = ExchangeCalendar(
    name="COMEX",  # GC
    time_zone_id="US/Eastern",
    trading=_GLOBEX_NEW_YORK,
    liquid=_hours("08:20-13:30"),
    holidays=hol.us_holidays,
    early_closes=hol.us_early_closes,
    early_close=ShortDay(trading_close=_t("13:45"), liquid_close=_t("13:30")),
    trades_through=_GLOBEX_TRADES_THROUGH,
    holiday_close=ShortDay(trading_close=_t("13:30"), liquid_close=_t("13:30")),
)
IDEALPRO = ExchangeCalendar(
    name="IDEALPRO",  # forex: Sunday 17:15 to Friday 17:00 New York time, a 15-minute pause each day
    time_zone_id="US/Eastern",
    trading=_FX_WEEKDAY,
    liquid=_FX_WEEKDAY,
    holidays=hol.fx_holidays,
)
XETRA = ExchangeCalendar(
    name="XETRA",  # IB's IBIS; IB names Central European time MET
    time_zone_id="MET",
    trading=_XETRA_DAY,
    liquid=_XETRA_DAY,
    holidays=hol.xetra_holidays,
)
TSE = ExchangeCalendar(
    name="TSE",  # Tokyo (IB's TSEJ): morning and afternoon sessions around a lunch break
    time_zone_id="Japan",
    trading=_TSE_DAY,
    liquid=_TSE_DAY,
    holidays=hol.tokyo_holidays,
)
_FUND_DAY = _hours("15:59-22:00")
FUNDSERV = ExchangeCalendar(
    name="FUNDSERV",  # US mutual funds: orders wait for 15:59, when IB sends the day's orders to the funds for
    time_zone_id="US/Eastern",  # that day's NAV; IB lists these hours for them (early closes do not cut them)
    trading=_FUND_DAY,
    liquid=_FUND_DAY,
    holidays=hol.us_holidays,
)

CALENDARS: Mapping[str, ExchangeCalendar] = MappingProxyType(
    {c.name: c for c in (US_EQUITY, US_OPTIONS, CBOE_INDEX, CME_EQUITY, NYMEX, COMEX, IDEALPRO, XETRA, TSE, FUNDSERV)}
)


def calendar_named(name: str) -> ExchangeCalendar:
    """The built-in calendar called `name` (ConfigError listing the names otherwise)."""
    try:
        return CALENDARS[name]
    except KeyError:
        raise ConfigError(f"unknown calendar {name!r}; known: {', '.join(CALENDARS)}") from None
