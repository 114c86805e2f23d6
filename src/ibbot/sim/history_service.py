"""Historical data requests: bars, head timestamps, histograms, historical ticks, trading schedules, and the
keepUpToDate bar updates; IB's historical pacing and the HMDS farm's outages.

Theory of operation
-------------------
`handle` takes every history request (the api layer's handlers are one line) and answers it the way TWS
does, in TWS's order: the contract (200), the request's own fields (`history_rules`: 10314, 321, and the
farm's 162 for a step size or a series it has not), the farm (below), pacing (`ClientPacing.check_historical`:
162 "pacing violation" for bars of 30 seconds or less and for ticks, 322 past 50 open requests), the notice
2174 for an end named without a zone, then the data: 162 "HMDS query returned no data" when the window holds
none. A request stays open in pacing until answered; a keepUpToDate request until cancelled.

Bars are computed a slice at a time (`history_build.BarJob`): the handler spends one step's budget at once,
which answers every ordinary request on the spot; a bigger one is finished over the following steps, so one
client's year of 30-minute bars never stalls the others. keepUpToDate requests then become streams: each
second of simulator time `step` recomputes the bar still forming and sends historicalDataUpdate (90) when it
changed, the finished bar once more and the new one when a bar boundary passes.

The farm: while `sim.farms_up["hmds"]` is False, a bar or schedule request is told 165 "HMDS server
disconnect occurred.  Attempting reconnection..." and held; head timestamps, histograms and ticks are held
without a word, as TWS holds them. When the farm is back the held requests are asked again from the start
(bars after a 165 "HMDS server connection was successful."). A keepUpToDate request cannot be served while
the farm is down, and every running one ends, with 10182 "Failed to request live updates (disconnected).".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from ibbot.protocol.ids import SV
from ibbot.protocol.requests.history import (
    CancelHeadTimestamp,
    CancelHistogramData,
    CancelHistoricalData,
    ReqHeadTimestamp,
    ReqHistogramData,
    ReqHistoricalData,
    ReqHistoricalTicks,
)
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.history import (
    HeadTimestamp,
    HistogramData,
    HistoricalData,
    HistoricalDataUpdate,
    HistoricalSchedule,
    HistoricalTicks,
    HistoricalTicksBidAsk,
    HistoricalTicksLast,
)
from ibbot.protocol.types import Bar as WireBar
from ibbot.protocol.types import Contract
from ibbot.sim import errors
from ibbot.sim.bars import Bar, SessionFilter, head_timestamp, historical_bars
from ibbot.sim.calendar import ExchangeCalendar
from ibbot.sim.history_build import (
    OPTION_SERIES,
    BarJob,
    BarSource,
    OptionTerms,
    bid_ask_tick,
    head_timestamp_text,
    histogram,
    histogram_bar_seconds,
    last_tick,
    midpoint_tick,
    option_source,
    parse_histogram_period,
    path_source,
    schedule_sessions,
    schedule_text,
    wire_bar,
)
from ibbot.sim.history_rules import (
    BAR_SIZES,
    HMDS_PREFIX,
    IMPLIED_ZONE_CODE,
    IMPLIED_ZONE_TEXT,
    VALIDATION_PREFIX,
    BarSize,
    HistoricalQuery,
    Rejection,
    WhatToShow,
    parse_bar_size,
    parse_duration,
    parse_end_date_time,
    parse_what_to_show,
    series_available,
    validate_historical_request,
)
from ibbot.sim.history_window import check_data_available, format_range_time, no_data_rejection, query_window
from ibbot.sim.instruments import Instrument
from ibbot.sim.outbox import Outbox
from ibbot.sim.pacing import HistoricalKey
from ibbot.sim.path import PricePath
from ibbot.sim.prices import RATE
from ibbot.sim.session import ClientSession
from ibbot.sim.ticks import MidTick, QuoteTick, TickKind, Trade, historical_ticks

if TYPE_CHECKING:
    from ibbot.sim.simulator import Simulator

STEP_BUDGET = 150_000.0  # work units (about microseconds) of bars computed per handler call and per step
UPDATE_INTERVAL = timedelta(seconds=1)  # keepUpToDate: TWS updates the forming bar every few seconds
HMDS_LOST = (
    165,
    "Historical Market Data Service query message:HMDS server disconnect occurred.  Attempting reconnection...",
)
HMDS_BACK = (165, "Historical Market Data Service query message:HMDS server connection was successful.")
LIVE_UPDATES_LOST = (10182, "Failed to request live updates (disconnected).")
NO_HEAD_TIMESTAMP = (162, HMDS_PREFIX + "No head time stamp")
NO_QUERY = (366, "No historical data query found for ticker id:{req_id}")
AMBIGUOUS = (200, "The contract description specified for {symbol} is ambiguous.")
_SCHEDULE = "SCHEDULE"
_HEAD_SERIES = frozenset(WhatToShow) - {WhatToShow.HISTORICAL_VOLATILITY, WhatToShow.OPTION_IMPLIED_VOLATILITY}
_US_LOT = 100  # before HMDS_MARKET_DATA_IN_SHARES, US-stock volumes are in round lots


@dataclass(frozen=True, slots=True, kw_only=True)
class _Target:
    """A request's contract as the farm sees it: the instrument, the path its prices come from, its venue."""

    instrument: Instrument
    path: PricePath  # its own, or an option's underlying's
    venue: str  # the exchange the request named (the farm's error texts print it)
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
        """Whether the simulator has this series for the contract (options: quotes only; forex: no trades)."""
        if self.option is not None:
            return what in OPTION_SERIES
        return self.path.model.has_trades or what not in (WhatToShow.TRADES, WhatToShow.ADJUSTED_LAST)


@dataclass(slots=True, kw_only=True)
class _Job:
    """A bar request being computed; on completion it is answered (and may become a stream)."""

    session: ClientSession
    req_id: int
    query: HistoricalQuery
    target: _Target
    window: tuple[datetime, datetime]
    source: BarSource
    work: BarJob


@dataclass(slots=True, kw_only=True)
class _Stream:
    """A keepUpToDate request after its bars: the bar still forming and what was last sent of it."""

    session: ClientSession
    req_id: int
    query: HistoricalQuery
    target: _Target
    source: BarSource
    current: Bar
    sent: WireBar
    due: datetime


class HistoryService:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._jobs: dict[tuple[int, int], _Job] = {}
        self._streams: dict[tuple[int, int], _Stream] = {}
        self._held: list[tuple[ClientSession, Any]] = []  # requests waiting for the farm, in order
        self._handlers: dict[type, Callable[[ClientSession, Any, datetime, Outbox], None]] = {
            ReqHistoricalData: self._historical_data,
            CancelHistoricalData: self._cancel_historical_data,
            ReqHeadTimestamp: self._head_timestamp,
            CancelHeadTimestamp: self._cancel_held,
            ReqHistogramData: self._histogram,
            CancelHistogramData: self._cancel_held,
            ReqHistoricalTicks: self._historical_ticks,
        }

    REQUEST_TYPES: tuple[type, ...] = (
        ReqHistoricalData,
        CancelHistoricalData,
        ReqHeadTimestamp,
        CancelHeadTimestamp,
        ReqHistogramData,
        CancelHistogramData,
        ReqHistoricalTicks,
    )

    def handle(self, session: ClientSession, request: Any, now: datetime, out: Outbox) -> None:
        """Answer one history request of `session` (the types in REQUEST_TYPES)."""
        self._handlers[type(request)](session, request, now, out)

    def step(self, now: datetime, out: Outbox) -> None:
        """Ask held requests again once the farm is back, finish big requests, and send bar updates."""
        if not self.sim.farms_up["hmds"]:
            self._end_streams(out)
            return
        held, self._held = self._held, []
        for session, request in held:
            if self.sim.sessions.get(session.client_id) is not session:
                continue  # the client went away meanwhile
            if isinstance(request, ReqHistoricalData):
                out.error(session.client_id, request.req_id, *HMDS_BACK)
            self.handle(session, request, now, out)
        budget = STEP_BUDGET
        for key, job in list(self._jobs.items()):
            if budget <= 0:
                break
            budget -= job.work.advance(budget)
            if job.work.done:
                del self._jobs[key]
                self._answer(job, now, out)
        for stream in list(self._streams.values()):
            if now >= stream.due:
                self._update(stream, now, out)

    def drop(self, session: ClientSession) -> None:
        """Forget `session`'s open requests (disconnect); the simulator gives back its pacing slots."""
        cid = session.client_id
        self._jobs = {k: v for k, v in self._jobs.items() if k[0] != cid}
        self._streams = {k: v for k, v in self._streams.items() if k[0] != cid}
        self._held = [(s, r) for s, r in self._held if s.client_id != cid]

    # --- contracts ---------------------------------------------------------------------------------------

    def _target(
        self, session: ClientSession, req_id: int, contract: Contract, now: datetime, out: Outbox
    ) -> _Target | None:
        matches = self.sim.securities.match(contract)
        if len(matches) != 1:
            if matches:
                code, text = AMBIGUOUS
                out.error(session.client_id, req_id, code, text.format(symbol=contract.symbol or contract.local_symbol))
            else:
                out.error(session.client_id, req_id, *errors.NO_SECURITY_DEFINITION)
            return None
        instrument = matches[0]
        prices = self.sim.prices
        path = prices.path(prices.priced_con_id(instrument.con_id))
        venue = contract.exchange.strip().upper() or instrument.exchange
        option = None
        expired = False
        if instrument.sec_type in ("OPT", "FOP") and instrument.expiry is not None:
            under = prices.instrument(instrument.under_con_id)
            expires = datetime.combine(instrument.expiry, time(20, 0), tzinfo=UTC)  # as the live option quotes
            option = OptionTerms(
                right=instrument.right,
                strike=instrument.strike,
                expires=expires,
                atm_vol=under.volatility or 0.25,
                rate=RATE,
            )
            expired = expires <= now
        return _Target(instrument=instrument, path=path, venue=venue, option=option, expired=expired)

    def _sessions(self, use_rth: bool) -> SessionFilter:
        return SessionFilter.for_request(use_rth=use_rth, around_the_clock=not self.sim.config.exchange_hours)

    def _trading_day(self, target: _Target, sessions: SessionFilter) -> Callable[[date], bool]:
        if sessions is SessionFilter.ALWAYS:
            return lambda _day: True
        return target.calendar.is_trading_day

    def _hold(self, session: ClientSession, request: Any, out: Outbox, *, notice: bool) -> None:
        if notice:
            out.error(session.client_id, request.req_id, *HMDS_LOST)
        self._held.append((session, request))

    # --- reqHistoricalData -------------------------------------------------------------------------------

    def _historical_data(self, session: ClientSession, req: ReqHistoricalData, now: datetime, out: Outbox) -> None:
        cid, req_id = session.client_id, req.req_id
        target = self._target(session, req_id, req.contract, now, out)
        if target is None:
            return
        if req.what_to_show.strip().upper() == _SCHEDULE:
            self._schedule(session, req, target, now, out)
            return
        instrument = target.instrument
        query = validate_historical_request(
            end_date_time=req.end_date_time,
            duration=req.duration_str,
            bar_size=req.bar_size_setting,
            what_to_show=req.what_to_show,
            use_rth=req.use_rth,
            format_date=req.format_date,
            keep_up_to_date=req.keep_up_to_date,
            symbol=instrument.symbol,
            sec_type=instrument.sec_type,
            exchange=target.venue,
            now=now,
            local_zone=self.sim.tws_zone,
        )
        if isinstance(query, Rejection):
            out.error(cid, req_id, query.code, query.text)
            return
        if not self.sim.farms_up["hmds"]:
            if query.keep_up_to_date:
                out.error(cid, req_id, *LIVE_UPDATES_LOST)
            else:
                self._hold(session, req, out, notice=True)
            return
        key = HistoricalKey.for_query(query, instrument=instrument.con_id, exchange=target.venue)
        verdict = session.pacing.check_historical(req_id, key, now)
        if not verdict.ok:
            out.error(cid, req_id, verdict.code, verdict.text)
            return
        if query.implied_zone:
            out.error(cid, req_id, IMPLIED_ZONE_CODE, IMPLIED_ZONE_TEXT)
        sessions = self._sessions(query.use_rth)
        end = min(query.end, now)  # the farm has nothing after now
        window = query_window(
            query.duration, end, zone=target.calendar.zone, is_trading_day=self._trading_day(target, sessions)
        )
        refusal = check_data_available(
            query, window, now=now, symbol=target.label, exchange=target.venue, expired=target.expired
        )
        if refusal is None and not target.has(query.what_to_show):
            refusal = no_data_rejection(symbol=target.label, exchange=target.venue, what_to_show=query.what_to_show)
        if refusal is not None:
            session.pacing.finish_historical(req_id)
            out.error(cid, req_id, refusal.code, refusal.text)
            return
        source = self._source(target, query.bar_size, query.what_to_show, sessions)
        work = BarJob.plan(
            source,
            target.calendar,
            *window,
            bar_size=query.bar_size,
            sessions=sessions,
            divisible=query.what_to_show is not WhatToShow.ADJUSTED_LAST,
        )
        job = _Job(session=session, req_id=req_id, query=query, target=target, window=window, source=source, work=work)
        work.advance(STEP_BUDGET)
        if work.done:
            self._answer(job, now, out)
        else:
            self._jobs[(cid, req_id)] = job

    def _source(self, target: _Target, bar_size: BarSize, what: WhatToShow, sessions: SessionFilter) -> BarSource:
        if target.option is not None:
            return option_source(target.path, target.option, bar_size=bar_size, what=what, sessions=sessions)
        return path_source(target.path, bar_size=bar_size, what=what, sessions=sessions)

    def _lot(self, session: ClientSession, target: _Target) -> int:
        instrument = target.instrument
        us_stock = instrument.sec_type == "STK" and instrument.currency == "USD"
        return _US_LOT if us_stock and session.server_version < SV.HMDS_MARKET_DATA_IN_SHARES else 1

    def _wire(self, bar: Bar, session: ClientSession, query: HistoricalQuery, target: _Target) -> WireBar:
        return wire_bar(
            bar,
            bar_size=query.bar_size,
            format_date=query.format_date,
            zone=target.calendar.zone,
            lot=self._lot(session, target),
        )

    def _answer(self, job: _Job, now: datetime, out: Outbox) -> None:
        session, req_id, query, target = job.session, job.req_id, job.query, job.target
        bars = job.work.bars
        if not bars:
            session.pacing.finish_historical(req_id)
            refusal = no_data_rejection(symbol=target.label, exchange=target.venue, what_to_show=query.what_to_show)
            out.error(session.client_id, req_id, refusal.code, refusal.text)
            return
        zone = target.calendar.zone
        wire = tuple(self._wire(bar, session, query, target) for bar in bars)
        start, end = job.window
        out.to(
            session.client_id,
            HistoricalData(
                req_id=req_id,
                start=format_range_time(start, zone=zone),
                end=format_range_time(end, zone=zone),
                bars=wire,
            ),
        )
        if not query.keep_up_to_date:
            session.pacing.finish_historical(req_id)
            return
        self._streams[(session.client_id, req_id)] = _Stream(
            session=session,
            req_id=req_id,
            query=query,
            target=target,
            source=job.source,
            current=bars[-1],
            sent=wire[-1],
            due=now + UPDATE_INTERVAL,
        )

    def _update(self, stream: _Stream, now: datetime, out: Outbox) -> None:
        """Send the forming bar if it changed; when bars were completed since, each of them first."""
        stream.due = now + UPDATE_INTERVAL
        current = stream.current
        # Daily and longer bars are labelled at local midnight but may open the evening before (futures).
        back = timedelta(0) if stream.query.bar_size.intraday else timedelta(days=1)
        bars = [b for b in stream.source(current.start - back, now) if b.start >= current.start]
        for bar in bars:
            wire = self._wire(bar, stream.session, stream.query, stream.target)
            if bar.start == current.start and wire == stream.sent:
                continue
            out.to(stream.session.client_id, HistoricalDataUpdate(req_id=stream.req_id, bar=wire))
            stream.current, stream.sent = bar, wire

    def _end_streams(self, out: Outbox) -> None:
        for stream in self._streams.values():
            out.error(stream.session.client_id, stream.req_id, *LIVE_UPDATES_LOST)
            stream.session.pacing.finish_historical(stream.req_id)
        self._streams.clear()

    def _cancel_historical_data(
        self, session: ClientSession, req: CancelHistoricalData, now: datetime, out: Outbox
    ) -> None:
        key = (session.client_id, req.req_id)
        found = self._streams.pop(key, None) is not None or self._jobs.pop(key, None) is not None
        found = self._unhold(session, req.req_id) or found
        session.pacing.finish_historical(req.req_id)
        if not found:
            code, text = NO_QUERY
            out.error(session.client_id, req.req_id, code, text.format(req_id=req.req_id))

    def _cancel_held(self, session: ClientSession, req: Any, now: datetime, out: Outbox) -> None:
        """cancelHeadTimestamp / cancelHistogramData: both are answered at once, unless held for the farm."""
        self._unhold(session, req.req_id)

    def _unhold(self, session: ClientSession, req_id: int) -> bool:
        before = len(self._held)
        self._held = [(s, r) for s, r in self._held if not (s is session and r.req_id == req_id)]
        return len(self._held) < before

    # --- whatToShow=SCHEDULE -----------------------------------------------------------------------------

    def _schedule(
        self, session: ClientSession, req: ReqHistoricalData, target: _Target, now: datetime, out: Outbox
    ) -> None:
        """historicalSchedule (106): the sessions of the trading dates the duration covers (from server 165)."""
        cid, req_id = session.client_id, req.req_id
        end = parse_end_date_time(req.end_date_time, now=now, local_zone=self.sim.tws_zone)
        duration = parse_duration(req.duration_str)
        size = parse_bar_size(req.bar_size_setting)
        for parsed in (end, duration, size):
            if isinstance(parsed, Rejection):
                out.error(cid, req_id, parsed.code, parsed.text)
                return
        if session.server_version < SV.HISTORICAL_SCHEDULE:
            out.error(cid, req_id, 321, VALIDATION_PREFIX + f"What to show value of {req.what_to_show} rejected.")
            return
        assert not isinstance(end, Rejection) and not isinstance(duration, Rejection)
        if not self.sim.farms_up["hmds"]:
            self._hold(session, req, out, notice=True)
            return
        calendar = target.calendar
        start, stop = query_window(duration, end.at, zone=calendar.zone, is_trading_day=calendar.is_trading_day)
        zone = calendar.zone
        out.to(
            cid,
            HistoricalSchedule(
                req_id=req_id,
                start=schedule_text(start, zone),
                end=schedule_text(stop, zone),
                time_zone=calendar.time_zone_id,
                sessions=schedule_sessions(calendar, start, stop, liquid=req.use_rth),
            ),
        )

    # --- reqHeadTimestamp --------------------------------------------------------------------------------

    def _head_timestamp(self, session: ClientSession, req: ReqHeadTimestamp, now: datetime, out: Outbox) -> None:
        cid, req_id = session.client_id, req.req_id
        target = self._target(session, req_id, req.contract, now, out)
        if target is None:
            return
        what = parse_what_to_show(req.what_to_show)
        if isinstance(what, Rejection):
            out.error(cid, req_id, what.code, what.text)
            return
        if req.format_date not in (1, 2):
            out.error(cid, req_id, 321, VALIDATION_PREFIX + f"Date formatting selection of {req.format_date} rejected.")
            return
        available = series_available(what, target.instrument.sec_type) and target.has(what)
        if what not in _HEAD_SERIES or not available:
            out.error(cid, req_id, *NO_HEAD_TIMESTAMP)
            return
        if not self.sim.farms_up["hmds"]:
            self._hold(session, req, out, notice=False)
            return
        moment = head_timestamp(target.path, sessions=self._sessions(req.use_rth))
        out.to(cid, HeadTimestamp(req_id=req_id, timestamp=head_timestamp_text(moment, req.format_date)))

    # --- reqHistogramData --------------------------------------------------------------------------------

    def _histogram(self, session: ClientSession, req: ReqHistogramData, now: datetime, out: Outbox) -> None:
        cid, req_id = session.client_id, req.req_id
        target = self._target(session, req_id, req.contract, now, out)
        if target is None:
            return
        period = parse_histogram_period(req.time_period)
        if isinstance(period, Rejection):
            out.error(cid, req_id, period.code, period.text)
            return
        if not self.sim.farms_up["hmds"]:
            self._hold(session, req, out, notice=False)
            return
        sessions = self._sessions(req.use_rth)
        start, end = query_window(
            period, now, zone=target.calendar.zone, is_trading_day=self._trading_day(target, sessions)
        )
        seconds = histogram_bar_seconds(period)
        size = next(b for b in BAR_SIZES.values() if b.seconds == seconds) if seconds else BAR_SIZES["1 day"]
        bars: tuple[Bar, ...] = ()
        if target.option is None and target.path.model.has_trades:
            bars = historical_bars(
                target.path, start=start, end=end, bar_size=size, what=WhatToShow.TRADES, sessions=sessions
            )
        items = histogram(bars, tick=target.path.tick)
        if not items:
            refusal = no_data_rejection(symbol=target.label, exchange=target.venue, what_to_show=WhatToShow.TRADES)
            out.error(cid, req_id, refusal.code, refusal.text)
            return
        out.to(cid, HistogramData(req_id=req_id, items=items))

    # --- reqHistoricalTicks ------------------------------------------------------------------------------

    def _historical_ticks(self, session: ClientSession, req: ReqHistoricalTicks, now: datetime, out: Outbox) -> None:
        cid, req_id = session.client_id, req.req_id
        target = self._target(session, req_id, req.contract, now, out)
        if target is None:
            return
        zone = self.sim.tws_zone
        start = parse_end_date_time(req.start_date_time, now=now, local_zone=zone)
        end = parse_end_date_time(req.end_date_time, now=now, local_zone=zone)
        for parsed in (start, end):
            if isinstance(parsed, Rejection):
                out.error(cid, req_id, parsed.code, parsed.text)
                return
        assert not isinstance(start, Rejection) and not isinstance(end, Rejection)
        try:
            kind = TickKind(req.what_to_show.strip().upper())
        except ValueError:
            out.error(cid, req_id, 321, VALIDATION_PREFIX + f"What to show value of {req.what_to_show} rejected.")
            return
        if not start.given and not end.given:
            out.error(cid, req_id, 321, VALIDATION_PREFIX + "Start date and end date cannot both be empty.")
            return
        if not self.sim.farms_up["hmds"]:
            self._hold(session, req, out, notice=False)
            return
        key = HistoricalKey(
            instrument=target.instrument.con_id,
            exchange=target.venue,
            what_to_show=kind.value,
            bar_seconds=0,
            parameters=(
                start.at if start.given else None,
                end.at if end.given else None,
                req.number_of_ticks,
                req.use_rth,
            ),
        )
        verdict = session.pacing.check_historical(req_id, key, now)
        if not verdict.ok:
            out.error(cid, req_id, verdict.code, verdict.text)
            return
        session.pacing.finish_historical(req_id)  # answered at once
        found: list[Trade | QuoteTick | MidTick] = []
        if target.option is None and not (start.given and start.at >= now):
            found = historical_ticks(
                target.path,
                start=start.at if start.given else None,
                end=min(end.at, now),  # "" is now: the farm has nothing later
                count=req.number_of_ticks,
                what=kind,
                sessions=self._sessions(req.use_rth),
            )
        out.to(cid, self._ticks_message(req_id, kind, found, target))

    @staticmethod
    def _ticks_message(
        req_id: int, kind: TickKind, found: list[Trade | QuoteTick | MidTick], target: _Target
    ) -> Response:
        if kind is TickKind.TRADES:
            venue = target.instrument.primary_exchange or target.instrument.exchange
            return HistoricalTicksLast(
                req_id=req_id, ticks=tuple(last_tick(t, venue) for t in found if isinstance(t, Trade)), done=True
            )
        if kind is TickKind.BID_ASK:
            return HistoricalTicksBidAsk(
                req_id=req_id, ticks=tuple(bid_ask_tick(q) for q in found if isinstance(q, QuoteTick)), done=True
            )
        return HistoricalTicks(
            req_id=req_id, ticks=tuple(midpoint_tick(m) for m in found if isinstance(m, MidTick)), done=True
        )
