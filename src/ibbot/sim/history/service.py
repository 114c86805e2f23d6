"""Historical data requests: bars, head timestamps, histograms, historical ticks, trading schedules, and the
keepUpToDate bar updates; IB's historical pacing and the HMDS farm's outages.

Theory of operation
-------------------
`handle` takes every history request (the api layer's handlers are one line) and answers it the way TWS
does, in TWS's order: the contract (200), the request's own fields (`rules`: 10314, 321, and the
farm's 162 for a step size or a series it has not), the farm (below), pacing (`ClientPacing.check_historical`:
162 "pacing violation" for bars of 30 seconds or less and for ticks, 322 past 50 open requests), the notice
2174 for an end named without a zone, then the data: 162 "HMDS query returned no data" when the window holds
none. A request stays open in pacing until answered; a keepUpToDate request until cancelled.

Bars are computed a slice at a time (`build.BarJob`): the handler computes a request on the spot when it is
small (`IMMEDIATE_BUDGET`, a few milliseconds: a day of 5-minute bars, a week of hourly ones); a bigger one
becomes a job, and `work` advances the jobs a slice at a time, the one with the least work left first, so
concurrent requests do not wait for each other and a refusal is never queued behind bars. The server calls
`work` between its other duties, yielding after each slice (no client waits for another's bars); `step` does
one slice too, so the core alone also finishes its jobs. keepUpToDate requests then become streams: each
second of simulator time `step` recomputes the bar still forming and sends historicalDataUpdate (90) when it
changed, the finished bar once more and the new one when a bar boundary passes.

The farm: while `link.farms_up["hmds"]` is False, a bar or schedule request is told 165 "HMDS server
disconnect occurred.  Attempting reconnection..." and held; head timestamps, histograms and ticks are held
without a word, as TWS holds them. When the farm is back the held requests are asked again from the start
(bars after a 165 "HMDS server connection was successful."). A keepUpToDate request cannot be served while
the farm is down, and every running one ends, with 10182 "Failed to request live updates (disconnected).".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
from ibbot.protocol.responses.history import HistoricalData, HistoricalDataUpdate
from ibbot.protocol.types import Bar as WireBar
from ibbot.sim.history.answers import (
    Target,
    head_timestamp_answer,
    head_timestamp_query,
    histogram_answer,
    parse_histogram_period,
    resolve_target,
    schedule_answer,
    schedule_query,
    ticks_answer,
    ticks_query,
)
from ibbot.sim.history.build import CALL_COST, BarJob, BarSource, WireBars, option_source, path_source, wire_bar
from ibbot.sim.history.rules import (
    IMPLIED_ZONE_CODE,
    IMPLIED_ZONE_TEXT,
    HistoricalQuery,
    Rejection,
    validate_historical_request,
)
from ibbot.sim.history.window import check_data_available, format_range_time, no_data_rejection, query_window
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.link import Link
from ibbot.sim.market.bar import Bar
from ibbot.sim.market.bars import SessionFilter
from ibbot.sim.market.prices import Prices
from ibbot.sim.market.series import BarSize, WhatToShow
from ibbot.sim.outbox import Outbox
from ibbot.sim.pacing import HistoricalKey
from ibbot.sim.session import ClientSession

IMMEDIATE_BUDGET = 3_000.0  # work units (about microseconds): a request costing less is answered at once
WORK_SLICE = 10_000.0  # units per `work` call: the longest the server's loop is kept from its other clients
UPDATE_INTERVAL = timedelta(seconds=1)  # keepUpToDate: TWS updates the forming bar every few seconds
HMDS_LOST = (
    165,
    "Historical Market Data Service query message:HMDS server disconnect occurred.  Attempting reconnection...",
)
HMDS_BACK = (165, "Historical Market Data Service query message:HMDS server connection was successful.")
LIVE_UPDATES_LOST = (10182, "Failed to request live updates (disconnected).")
NO_QUERY = (366, "No historical data query found for ticker id:{req_id}")
_SCHEDULE = "SCHEDULE"
_US_LOT = 100  # before HMDS_MARKET_DATA_IN_SHARES, US-stock volumes are in round lots


@dataclass(slots=True, kw_only=True)
class _Job:
    """A bar request being computed; on completion it is answered (and may become a stream)."""

    session: ClientSession
    req_id: int
    query: HistoricalQuery
    target: Target
    window: tuple[datetime, datetime]
    source: BarSource
    work: BarJob


@dataclass(slots=True, kw_only=True)
class _Stream:
    """A keepUpToDate request after its bars: the bar still forming and what was last sent of it."""

    session: ClientSession
    req_id: int
    query: HistoricalQuery
    target: Target
    source: BarSource
    current: Bar
    sent: WireBar
    due: datetime


class HistoryService:
    REQUEST_TYPES: tuple[type, ...] = (
        ReqHistoricalData,
        CancelHistoricalData,
        ReqHeadTimestamp,
        CancelHeadTimestamp,
        ReqHistogramData,
        CancelHistogramData,
        ReqHistoricalTicks,
    )

    def __init__(
        self,
        *,
        securities: SecurityMaster,
        prices: Prices,
        sessions: Mapping[int, ClientSession],
        link: Link,
        zone: ZoneInfo,
        exchange_hours: bool,
    ) -> None:
        self.securities = securities
        self.prices = prices
        self.sessions = sessions  # the connected clients: a held request of one that went away is dropped
        self.link = link  # the HMDS farm's state
        self.zone = zone
        self.exchange_hours = exchange_hours
        self._jobs: dict[tuple[int, int], _Job] = {}
        self._streams: dict[tuple[int, int], _Stream] = {}
        self._held: list[tuple[ClientSession, Any]] = []  # requests waiting for the farm, in order
        self.paused: frozenset[int] = frozenset()  # client ids whose jobs wait (they have not read their answers)
        self._handlers: dict[type, Callable[[ClientSession, Any, datetime, Outbox], None]] = {
            ReqHistoricalData: self._historical_data,
            CancelHistoricalData: self._cancel_historical_data,
            ReqHeadTimestamp: self._head_timestamp,
            CancelHeadTimestamp: self._cancel_held,
            ReqHistogramData: self._histogram,
            CancelHistogramData: self._cancel_held,
            ReqHistoricalTicks: self._historical_ticks,
        }

    def handle(self, session: ClientSession, request: Any, now: datetime, out: Outbox) -> None:
        """Answer one history request of `session` (the types in REQUEST_TYPES)."""
        self._handlers[type(request)](session, request, now, out)

    def step(self, now: datetime, out: Outbox) -> None:
        """Ask held requests again once the farm is back, finish big requests, and send bar updates."""
        if not self.link.farms_up["hmds"]:
            self._end_streams(out)
            return
        held, self._held = self._held, []
        for session, request in held:
            if self.sessions.get(session.client_id) is not session:
                continue  # the client went away meanwhile
            if isinstance(request, ReqHistoricalData):
                out.error(session.client_id, request.req_id, *HMDS_BACK)
            self.handle(session, request, now, out)
        self.work(now, WORK_SLICE, out)
        for stream in list(self._streams.values()):
            if now >= stream.due:
                self._update(stream, now, out)

    @property
    def busy(self) -> bool:
        """Whether requests are waiting for their bars."""
        return bool(self._jobs)

    @property
    def ready(self) -> bool:
        """Whether `work` has something to do now: a job of a client not `paused`."""
        return any(key[0] not in self.paused for key in self._jobs)

    def work(self, now: datetime, budget: float, out: Outbox) -> None:
        """Advance the jobs by about `budget` units, least work left first; answer those that are done. Jobs of
        `paused` clients wait (the server pauses a client that has not read its earlier answers yet)."""
        first = True
        while budget > 0 and (first or budget >= CALL_COST):  # a call costs CALL_COST whatever it computes
            first = False
            waiting = [item for item in self._jobs.items() if item[0][0] not in self.paused]
            if not waiting:
                return
            key, job = min(waiting, key=lambda item: item[1].work.remaining)
            budget -= job.work.advance(budget)
            if job.work.done:
                del self._jobs[key]
                self._answer(job, now, out)

    def drop(self, session: ClientSession) -> None:
        """Forget `session`'s open requests (disconnect); the simulator gives back its pacing slots."""
        cid = session.client_id
        self._jobs = {k: v for k, v in self._jobs.items() if k[0] != cid}
        self._streams = {k: v for k, v in self._streams.items() if k[0] != cid}
        self._held = [(s, r) for s, r in self._held if s.client_id != cid]

    # --- the steps every request shares ------------------------------------------------------------------

    def _target(self, session: ClientSession, req: Any, now: datetime, out: Outbox) -> Target | None:
        target = resolve_target(self.securities, self.prices, req.contract, now)
        if isinstance(target, Rejection):
            out.error(session.client_id, req.req_id, target.code, target.text)
            return None
        return target

    def _sessions(self, use_rth: bool) -> SessionFilter:
        return SessionFilter.for_request(use_rth=use_rth, around_the_clock=not self.exchange_hours)

    def _farm_down(self, session: ClientSession, request: Any, out: Outbox, *, notice: bool) -> bool:
        """Whether the farm is down; if so the request is held (with TWS's 165 notice when `notice`)."""
        if self.link.farms_up["hmds"]:
            return False
        if notice:
            out.error(session.client_id, request.req_id, *HMDS_LOST)
        self._held.append((session, request))
        return True

    def _refused(self, session: ClientSession, req_id: int, answer: object, out: Outbox) -> bool:
        if isinstance(answer, Rejection):
            out.error(session.client_id, req_id, answer.code, answer.text)
            return True
        return False

    # --- reqHistoricalData -------------------------------------------------------------------------------

    def _historical_data(self, session: ClientSession, req: ReqHistoricalData, now: datetime, out: Outbox) -> None:
        cid, req_id = session.client_id, req.req_id
        target = self._target(session, req, now, out)
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
            local_zone=self.zone,
        )
        if isinstance(query, Rejection):
            out.error(cid, req_id, query.code, query.text)
            return
        if query.keep_up_to_date and not self.link.farms_up["hmds"]:
            out.error(cid, req_id, *LIVE_UPDATES_LOST)
            return
        if self._farm_down(session, req, out, notice=True):
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
            query.duration,
            end,
            zone=target.calendar.zone,
            is_trading_day=target.trading_day(sessions),
            session_start=target.session_start(sessions),
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
        if work.remaining <= IMMEDIATE_BUDGET:
            work.advance(IMMEDIATE_BUDGET)
        if work.done:
            self._answer(job, now, out)
        else:
            self._jobs[(cid, req_id)] = job

    def _source(self, target: Target, bar_size: BarSize, what: WhatToShow, sessions: SessionFilter) -> BarSource:
        if target.option is not None:
            return option_source(target.path, target.option, bar_size=bar_size, what=what, sessions=sessions)
        return path_source(target.path, bar_size=bar_size, what=what, sessions=sessions)

    def _lot(self, session: ClientSession, target: Target) -> int:
        instrument = target.instrument
        us_stock = instrument.sec_type == "STK" and instrument.currency == "USD"
        return _US_LOT if us_stock and session.server_version < SV.HMDS_MARKET_DATA_IN_SHARES else 1

    def _wire(self, bar: Bar, session: ClientSession, query: HistoricalQuery, target: Target) -> WireBar:
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
        writer = WireBars(
            bar_size=query.bar_size, format_date=query.format_date, zone=zone, lot=self._lot(session, target)
        )
        wire = writer.columns(bars)
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
            current=bars.bar(-1),
            sent=wire.bar(-1),
            due=now + UPDATE_INTERVAL,
        )

    def _update(self, stream: _Stream, now: datetime, out: Outbox) -> None:
        """Send the forming bar if it changed; when bars were completed since, each of them first."""
        stream.due = now + UPDATE_INTERVAL
        current = stream.current
        # Daily and longer bars are labelled at local midnight but may open the evening before (futures).
        back = timedelta(0) if stream.query.bar_size.intraday else timedelta(days=1)
        bars = [b for b in stream.source(current.start - back, now).bars() if b.start >= current.start]
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

    # --- the one-shot requests ---------------------------------------------------------------------------

    def _schedule(
        self, session: ClientSession, req: ReqHistoricalData, target: Target, now: datetime, out: Outbox
    ) -> None:
        query = schedule_query(req, now=now, local_zone=self.zone, server_version=session.server_version)
        if self._refused(session, req.req_id, query, out) or self._farm_down(session, req, out, notice=True):
            return
        assert not isinstance(query, Rejection)
        out.to(session.client_id, schedule_answer(req.req_id, target, query))

    def _head_timestamp(self, session: ClientSession, req: ReqHeadTimestamp, now: datetime, out: Outbox) -> None:
        target = self._target(session, req, now, out)
        if target is None:
            return
        query = head_timestamp_query(req, target)
        if self._refused(session, req.req_id, query, out) or self._farm_down(session, req, out, notice=False):
            return
        out.to(session.client_id, head_timestamp_answer(req, target, self._sessions(req.use_rth)))

    def _histogram(self, session: ClientSession, req: ReqHistogramData, now: datetime, out: Outbox) -> None:
        target = self._target(session, req, now, out)
        if target is None:
            return
        period = parse_histogram_period(req.time_period)
        if self._refused(session, req.req_id, period, out) or self._farm_down(session, req, out, notice=False):
            return
        assert not isinstance(period, Rejection)
        answer = histogram_answer(req, target, period, now=now, sessions=self._sessions(req.use_rth))
        if not self._refused(session, req.req_id, answer, out):
            assert not isinstance(answer, Rejection)
            out.to(session.client_id, answer)

    def _historical_ticks(self, session: ClientSession, req: ReqHistoricalTicks, now: datetime, out: Outbox) -> None:
        target = self._target(session, req, now, out)
        if target is None:
            return
        query = ticks_query(req, now=now, local_zone=self.zone)
        if self._refused(session, req.req_id, query, out) or self._farm_down(session, req, out, notice=False):
            return
        assert not isinstance(query, Rejection)
        # Ticks are paced like bars of 30 seconds or less (bar_seconds 0); BID_ASK counts twice.
        key = HistoricalKey(
            instrument=target.instrument.con_id,
            exchange=target.venue,
            what_to_show=query.kind.value,
            bar_seconds=0,
            parameters=(query.start, query.end, query.count, query.use_rth),
        )
        verdict = session.pacing.check_historical(req.req_id, key, now)
        if not verdict.ok:
            out.error(session.client_id, req.req_id, verdict.code, verdict.text)
            return
        session.pacing.finish_historical(req.req_id)  # answered at once
        answer = ticks_answer(req.req_id, target, query, now=now, sessions=self._sessions(query.use_rth))
        out.to(session.client_id, answer)
