"""One-shot historical answers, as pure functions: the contract a request names (`Target`), head timestamps,
histograms, historical ticks and trading schedules. Each request is first read (`*_query`: a typed query or
IB's refusal) and then answered (`*_answer`: the message, or the farm's "no data"), so the service can put
the farm's state and pacing between the two, in TWS's order.

Choices where IB says little: an empty start and end of reqHistoricalTicks ask for the last ticks up to now
(IB wants one of them); options have no head timestamp or ticks of TRADES, and no histogram (the simulator
prints no option trades); a histogram spreads each bar's volume over the price levels the bar spans.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ibbot.protocol.ids import SV
from ibbot.protocol.requests.history import ReqHeadTimestamp, ReqHistogramData, ReqHistoricalData, ReqHistoricalTicks
from ibbot.protocol.responses.history import (
    HeadTimestamp,
    HistogramData,
    HistogramEntry,
    HistoricalSchedule,
    HistoricalSession,
    HistoricalTick,
    HistoricalTickBidAsk,
    HistoricalTickLast,
    HistoricalTicks,
    HistoricalTicksBidAsk,
    HistoricalTicksLast,
)
from ibbot.protocol.types import Contract
from ibbot.sim import errors
from ibbot.sim.errors import HMDS_PREFIX
from ibbot.sim.history.build import OPTION_SERIES, OptionTerms
from ibbot.sim.history.rules import (
    VALIDATION_PREFIX,
    Duration,
    DurationUnit,
    Rejection,
    parse_bar_size,
    parse_duration,
    parse_end_date_time,
    parse_what_to_show,
    series_available,
)
from ibbot.sim.history.window import no_data_rejection, query_window
from ibbot.sim.instruments.calendar import ExchangeCalendar
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.market.bar import Bar
from ibbot.sim.market.bars import SessionFilter, head_timestamp, historical_bars
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.prices import RATE, Prices
from ibbot.sim.market.series import BAR_SIZES, WhatToShow
from ibbot.sim.market.ticks import MidTick, QuoteTick, TickKind, Trade, historical_ticks

NO_HEAD_TIMESTAMP = Rejection(code=162, text=HMDS_PREFIX + "No head time stamp")
AMBIGUOUS = "The contract description specified for {symbol} is ambiguous."
_HEAD_SERIES = frozenset(WhatToShow) - {WhatToShow.HISTORICAL_VOLATILITY, WhatToShow.OPTION_IMPLIED_VOLATILITY}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _invalid(cause: str) -> Rejection:
    return Rejection(code=321, text=VALIDATION_PREFIX + cause)


# --- the contract ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A request's contract as the farm sees it: the instrument, the path its prices come from, its venue."""

    instrument: Instrument
    path: PricePath  # its own, or an option's underlying's
    venue: str  # the exchange the request named (the farm's texts print it)
    option: OptionTerms | None
    expired: bool

    @property
    def calendar(self) -> ExchangeCalendar:
        return self.path.model.calendar

    @property
    def label(self) -> str:
        """The symbol the farm's "no data" text prints (an option's local symbol)."""
        return self.instrument.local_symbol if self.option is not None else self.instrument.symbol

    def has(self, what: WhatToShow) -> bool:
        """Whether the simulator has this series (options: quotes only; forex: no trades)."""
        if self.option is not None:
            return what in OPTION_SERIES
        return self.path.model.has_trades or what not in (WhatToShow.TRADES, WhatToShow.ADJUSTED_LAST)

    def trading_day(self, sessions: SessionFilter) -> Callable[[date], bool]:
        """What counts as a day for "N D": every day when the simulator streams around the clock."""
        if sessions is SessionFilter.ALWAYS:
            return lambda _day: True
        return self.calendar.is_trading_day

    def session_start(self, sessions: SessionFilter) -> Callable[[date], datetime | None]:
        """When the sessions a request covers open on a trading date (for "N D" before the open)."""
        if sessions is SessionFilter.ALWAYS:
            return lambda _day: None  # every hour is the day's
        liquid = sessions is SessionFilter.LIQUID
        calendar = self.calendar

        def opens(day: date) -> datetime | None:
            found = calendar.sessions_on(day, liquid=liquid)
            return found[0].start if found else None

        return opens


def resolve_target(securities: SecurityMaster, prices: Prices, contract: Contract, now: datetime) -> Target | Rejection:
    """The one instrument `contract` names, or 200 (none, or ambiguous)."""
    matches = securities.match(contract)
    if not matches:
        return Rejection(code=errors.NO_SECURITY_DEFINITION[0], text=errors.NO_SECURITY_DEFINITION[1])
    if len(matches) > 1:
        return Rejection(code=200, text=AMBIGUOUS.format(symbol=contract.symbol or contract.local_symbol))
    instrument = matches[0]
    path = prices.path(prices.priced_con_id(instrument.con_id))
    venue = contract.exchange.strip().upper() or instrument.exchange
    if instrument.sec_type not in ("OPT", "FOP") or instrument.expiry is None:
        return Target(instrument=instrument, path=path, venue=venue, option=None, expired=False)
    under = prices.instrument(instrument.under_con_id)
    expires = datetime.combine(instrument.expiry, time(20, 0), tzinfo=UTC)  # as the live option quotes
    terms = OptionTerms(
        right=instrument.right, strike=instrument.strike, expires=expires, atm_vol=under.volatility or 0.25, rate=RATE
    )
    return Target(instrument=instrument, path=path, venue=venue, option=terms, expired=expires <= now)


# --- whatToShow=SCHEDULE ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleQuery:
    end: datetime
    duration: Duration
    liquid: bool


def schedule_query(
    req: ReqHistoricalData, *, now: datetime, local_zone: tzinfo, server_version: int
) -> ScheduleQuery | Rejection:
    end = parse_end_date_time(req.end_date_time, now=now, local_zone=local_zone)
    if isinstance(end, Rejection):
        return end
    duration = parse_duration(req.duration_str)
    if isinstance(duration, Rejection):
        return duration
    size = parse_bar_size(req.bar_size_setting)
    if isinstance(size, Rejection):
        return size
    if server_version < SV.HISTORICAL_SCHEDULE:  # the message does not exist below 165
        return _invalid(f"What to show value of {req.what_to_show} rejected.")
    return ScheduleQuery(end=end.at, duration=duration, liquid=req.use_rth)


def schedule_answer(req_id: int, target: Target, query: ScheduleQuery) -> HistoricalSchedule:
    """historicalSchedule (106): the sessions of the trading dates the duration covers."""
    calendar = target.calendar
    zone = calendar.zone
    start, end = query_window(query.duration, query.end, zone=zone, is_trading_day=calendar.is_trading_day)
    return HistoricalSchedule(
        req_id=req_id,
        start=schedule_text(start, zone),
        end=schedule_text(end, zone),
        time_zone=calendar.time_zone_id,
        sessions=schedule_sessions(calendar, start, end, liquid=query.liquid),
    )


def schedule_text(moment: datetime, zone: tzinfo) -> str:
    """historicalSchedule's times: `YYYYMMDD-HH:MM:SS` in the exchange's zone."""
    return f"{moment.astimezone(zone):%Y%m%d-%H:%M:%S}"


def schedule_sessions(
    calendar: ExchangeCalendar, start: datetime, end: datetime, *, liquid: bool
) -> tuple[HistoricalSession, ...]:
    """The sessions of every trading date from the one `start` falls on to the one before `end`."""
    first = calendar.local_date(start)
    last = calendar.local_date(end - timedelta(microseconds=1))
    zone = calendar.zone
    return tuple(
        HistoricalSession(
            start=schedule_text(s.start, zone), end=schedule_text(s.end, zone), ref_date=f"{s.trading_date:%Y%m%d}"
        )
        for s in calendar.sessions(first, last, liquid=liquid)
    )


# --- reqHeadTimestamp ------------------------------------------------------------------------------------


def head_timestamp_query(req: ReqHeadTimestamp, target: Target) -> WhatToShow | Rejection:
    what = parse_what_to_show(req.what_to_show)
    if isinstance(what, Rejection):
        return what
    if req.format_date not in (1, 2):
        return _invalid(f"Date formatting selection of {req.format_date} rejected.")
    available = series_available(what, target.instrument.sec_type) and target.has(what)
    if what not in _HEAD_SERIES or not available:
        return NO_HEAD_TIMESTAMP
    return what


def head_timestamp_answer(req: ReqHeadTimestamp, target: Target, sessions: SessionFilter) -> HeadTimestamp:
    moment = head_timestamp(target.path, sessions=sessions)
    return HeadTimestamp(req_id=req.req_id, timestamp=head_timestamp_text(moment, req.format_date))


def head_timestamp_text(moment: datetime, format_date: int) -> str:
    """formatDate 1: `YYYYMMDD-HH:MM:SS` in UTC; 2: epoch seconds."""
    if format_date == 2:
        return str(epoch_seconds(moment))
    return f"{moment.astimezone(UTC):%Y%m%d-%H:%M:%S}"


def epoch_seconds(moment: datetime) -> int:
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds


# --- reqHistogramData ------------------------------------------------------------------------------------


def histogram_answer(
    req: ReqHistogramData, target: Target, period: Duration, *, now: datetime, sessions: SessionFilter
) -> HistogramData | Rejection:
    start, end = query_window(
        period,
        now,
        zone=target.calendar.zone,
        is_trading_day=target.trading_day(sessions),
        session_start=target.session_start(sessions),
    )
    seconds = histogram_bar_seconds(period)
    size = next(b for b in BAR_SIZES.values() if b.seconds == seconds) if seconds else BAR_SIZES["1 day"]
    bars: tuple[Bar, ...] = ()
    if target.option is None and target.has(WhatToShow.TRADES):
        bars = historical_bars(
            target.path, start=start, end=end, bar_size=size, what=WhatToShow.TRADES, sessions=sessions
        )
    items = histogram(bars, tick=target.path.tick)
    if not items:
        return no_data_rejection(symbol=target.label, exchange=target.venue, what_to_show=WhatToShow.TRADES)
    return HistogramData(req_id=req.req_id, items=items)


_PERIOD_RE = re.compile(r"([0-9]{1,4}) *(d|days?|w|weeks?|m|months?|y|years?)", re.IGNORECASE | re.ASCII)
_PERIOD_UNITS = {"d": DurationUnit.DAYS, "w": DurationUnit.WEEKS, "m": DurationUnit.MONTHS, "y": DurationUnit.YEARS}


def parse_histogram_period(text: str) -> Duration | Rejection:
    """reqHistogramData's period ("3 days", "1 week", "2 months", "1 year") as a Duration."""
    match = _PERIOD_RE.fullmatch(text.strip())
    if match is None or int(match.group(1)) < 1:
        return Rejection(code=321, text=VALIDATION_PREFIX + f"Invalid histogram period: {text}")
    return Duration(count=int(match.group(1)), unit=_PERIOD_UNITS[match.group(2)[0].lower()])


def histogram_bar_seconds(duration: Duration) -> int | None:
    """The bars a histogram is built from: 5 minutes up to two days, 30 minutes up to a week, else days."""
    seconds = duration.nominal_seconds
    if seconds <= 2 * 86_400:
        return 300
    if seconds <= 7 * 86_400:
        return 1800
    return None


def histogram(bars: Sequence[Bar], *, tick: float, levels: int = 50) -> tuple[HistogramEntry, ...]:
    """Volume at price: each bar's volume spread evenly over the price levels between its low and high.

    Levels are a whole number of ticks wide, at most `levels` of them over the whole range; each entry is
    a level's low edge and the shares traded in it, and the counts add up to the total volume exactly.
    """
    traded = [b for b in bars if b.volume > 0]
    if not traded:
        return ()
    low = min(b.low for b in traded)
    high = max(b.high for b in traded)
    width_ticks = max(1, math.ceil((high - low) / tick / levels - 1e-9))
    width = width_ticks * tick
    top = int((high - low) / width + 1e-9)
    counts = [0] * (top + 1)
    for b in traded:
        first = int((b.low - low) / width + 1e-9)
        last = int((b.high - low) / width + 1e-9)
        span = last - first + 1
        share, extra = divmod(b.volume, span)
        for k in range(first, last + 1):
            counts[k] += share + (1 if k - first < extra else 0)
    digits = max(0, -math.floor(math.log10(tick))) + 2
    return tuple(
        HistogramEntry(price=round(low + k * width, digits), count=count) for k, count in enumerate(counts) if count
    )


# --- reqHistoricalTicks ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TicksQuery:
    start: datetime | None
    end: datetime | None
    kind: TickKind
    count: int
    use_rth: bool


def ticks_query(req: ReqHistoricalTicks, *, now: datetime, local_zone: tzinfo) -> TicksQuery | Rejection:
    start = parse_end_date_time(req.start_date_time, now=now, local_zone=local_zone)
    if isinstance(start, Rejection):
        return start
    end = parse_end_date_time(req.end_date_time, now=now, local_zone=local_zone)
    if isinstance(end, Rejection):
        return end
    try:
        kind = TickKind(req.what_to_show.strip().upper())
    except ValueError:
        return _invalid(f"What to show value of {req.what_to_show} rejected.")
    return TicksQuery(
        start=start.at if start.given else None,
        end=end.at if end.given else None,
        kind=kind,
        count=req.number_of_ticks,
        use_rth=req.use_rth,
    )


def ticks_answer(
    req_id: int, target: Target, query: TicksQuery, *, now: datetime, sessions: SessionFilter
) -> HistoricalTicksLast | HistoricalTicksBidAsk | HistoricalTicks:
    """The ticks (one message, done); none after `now`, none of an option."""
    found: list[Trade | QuoteTick | MidTick] = []
    if target.option is None and not (query.start is not None and query.start >= now):
        found = historical_ticks(
            target.path,
            start=query.start,
            end=min(query.end or now, now),
            count=query.count,
            what=query.kind,
            sessions=sessions,
        )
    if query.kind is TickKind.TRADES:
        venue = target.instrument.primary_exchange or target.instrument.exchange
        return HistoricalTicksLast(
            req_id=req_id, ticks=tuple(last_tick(t, venue) for t in found if isinstance(t, Trade)), done=True
        )
    if query.kind is TickKind.BID_ASK:
        return HistoricalTicksBidAsk(
            req_id=req_id, ticks=tuple(bid_ask_tick(q) for q in found if isinstance(q, QuoteTick)), done=True
        )
    return HistoricalTicks(
        req_id=req_id, ticks=tuple(midpoint_tick(m) for m in found if isinstance(m, MidTick)), done=True
    )


def last_tick(trade: Trade, venue: str) -> HistoricalTickLast:
    return HistoricalTickLast(time=epoch_seconds(trade.time), price=trade.price, size=trade.size, exchange=venue)


def bid_ask_tick(quote: QuoteTick) -> HistoricalTickBidAsk:
    return HistoricalTickBidAsk(
        time=epoch_seconds(quote.time),
        bid_price=quote.bid,
        ask_price=quote.ask,
        bid_size=quote.bid_size,
        ask_size=quote.ask_size,
    )


def midpoint_tick(mid: MidTick) -> HistoricalTick:
    return HistoricalTick(time=epoch_seconds(mid.time), price=mid.price, size=0)
