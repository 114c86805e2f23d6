"""The lines of tick-by-tick data, real-time bars and market depth: their checks, limits and stepping.

Theory of operation: each request is checked as TWS checks it (the contract resolves, else 200; the
parameters are valid; the account subscribes to the data, else 354 / 420, these streams having no delayed
form; the limits of `ibbot.sim.pacing` allow it: 10190 tick-by-tick, 309 depth, real-time bars take a
market-data line (101) and a place in the 10-minute historical budget (420), 102 for a duplicate id) and then
held as a line of `ibbot.sim.marketdata.streams`, which renders its messages at each step. A line keeps the
instrument in the live book (`Prices.subscribe`) while it lives, so the quotes it reads are current.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime

from ibbot.protocol.requests.market import ReqMktDepth, ReqRealTimeBars, ReqTickByTickData
from ibbot.protocol.responses import Response
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market.bars import SessionFilter
from ibbot.sim.market.prices import Prices
from ibbot.sim.marketdata.render import Kind, option_market, size_divisor
from ibbot.sim.marketdata.streams import (
    MAX_DEPTH_ROWS,
    REALTIME_WHAT,
    TICK_BY_TICK_TYPES,
    DepthLine,
    RealTimeBarLine,
    TickByTickLine,
)
from ibbot.sim.outbox import Outbox
from ibbot.sim.pacing import ClientPacing, Limits, StreamKind, Verdict
from ibbot.sim.permissions import DataService, check_permission
from ibbot.sim.session import ClientSession

TICK_BY_TICK_REFUSED = "Error validating request.-'bX' : cause - Invalid tick-by-tick type {tick_type}"
TICK_BY_TICK_NOT_AVAILABLE = "Tick-by-tick data is not available for {sec_type}"
REALTIME_BAR_SIZE = "Invalid Real-time Query:Bar size of {size} seconds is not supported; only 5 seconds"
REALTIME_WHAT_TEXT = "Invalid Real-time Query:Invalid whatToShow {what}"
NO_DEPTH = (10092, "Deep market data is not supported for this combination of security type/exchange")

_Line = TickByTickLine | RealTimeBarLine | DepthLine
# Per stream kind: the data service the account must subscribe to, and the client's limits to open/close by.
_SERVICE = {
    StreamKind.TICK_BY_TICK: DataService.TICK_BY_TICK,
    StreamKind.REALTIME_BARS: DataService.REALTIME_BARS,
    StreamKind.DEPTH: DataService.DEPTH,
}
_OPEN: dict[StreamKind, Callable[[ClientPacing, int, Hashable, datetime], Verdict]] = {
    StreamKind.TICK_BY_TICK: ClientPacing.open_tick_by_tick,
    StreamKind.REALTIME_BARS: ClientPacing.open_realtime_bars,
    StreamKind.DEPTH: ClientPacing.open_depth,
}
_CLOSE: dict[StreamKind, Callable[[ClientPacing, int], Verdict]] = {
    StreamKind.TICK_BY_TICK: ClientPacing.close_tick_by_tick,
    StreamKind.REALTIME_BARS: ClientPacing.close_realtime_bars,
    StreamKind.DEPTH: ClientPacing.close_depth,
}


class StreamService:
    def __init__(self, *, prices: Prices, limits: Limits, exchange_hours: bool) -> None:
        self.prices = prices
        self.limits = limits
        self.exchange_hours = exchange_hours
        self._lines: dict[int, dict[tuple[StreamKind, int], _Line]] = {}  # client id -> (kind, req id) -> line

    # --- requests --------------------------------------------------------------------------------------

    def tick_by_tick(
        self, session: ClientSession, req: ReqTickByTickData, instrument: Instrument, now: datetime, out: Outbox
    ) -> None:
        cid, req_id = session.client_id, req.req_id
        kind = TICK_BY_TICK_TYPES.get(req.tick_type)
        if kind is None:
            out.error(cid, req_id, 321, TICK_BY_TICK_REFUSED.format(tick_type=req.tick_type))
            return
        if instrument.sec_type in ("OPT", "FOP", "BAG"):  # IB: options only historically, never combos
            out.error(cid, req_id, 10189, TICK_BY_TICK_NOT_AVAILABLE.format(sec_type=instrument.sec_type))
            return
        if not self._admit(session, StreamKind.TICK_BY_TICK, instrument, req_id, now=now, out=out):
            return
        line = TickByTickLine(
            client_id=cid,
            req_id=req_id,
            con_id=instrument.con_id,
            path=self.prices.path(instrument.con_id),
            kind=kind,
            since=now,
            size_div=size_divisor(instrument, session.server_version),
            exchange=instrument.primary_exchange or instrument.exchange,
            ignore_size=req.ignore_size,
        )
        self._add(line, StreamKind.TICK_BY_TICK, now)
        out.to(cid, *line.history(req.number_of_ticks))

    def realtime_bars(
        self, session: ClientSession, req: ReqRealTimeBars, instrument: Instrument, now: datetime, out: Outbox
    ) -> None:
        cid, req_id = session.client_id, req.req_id
        what = REALTIME_WHAT.get(req.what_to_show.strip().upper())
        if req.bar_size != 5:
            out.error(cid, req_id, 420, REALTIME_BAR_SIZE.format(size=req.bar_size))
            return
        if what is None:
            out.error(cid, req_id, 420, REALTIME_WHAT_TEXT.format(what=req.what_to_show))
            return
        if not self._admit(session, StreamKind.REALTIME_BARS, instrument, req_id, now=now, out=out):
            return
        line = RealTimeBarLine.starting(
            now,
            client_id=cid,
            req_id=req_id,
            con_id=instrument.con_id,
            path=self.prices.path(self.prices.priced_con_id(instrument.con_id)),
            what=what,
            sessions=SessionFilter.for_request(use_rth=req.use_rth, around_the_clock=not self.exchange_hours),
            size_div=size_divisor(instrument, session.server_version),
        )
        self._add(line, StreamKind.REALTIME_BARS, now)

    def depth(
        self, session: ClientSession, req: ReqMktDepth, instrument: Instrument, now: datetime, out: Outbox
    ) -> None:
        cid, req_id = session.client_id, req.req_id
        if Kind.of(instrument) is Kind.INDEX:
            out.error(cid, req_id, *NO_DEPTH)
            return
        if not self._admit(session, StreamKind.DEPTH, instrument, req_id, now=now, out=out):
            return
        line = DepthLine(
            client_id=cid,
            req_id=req_id,
            con_id=instrument.con_id,
            rows=max(1, min(req.num_rows, MAX_DEPTH_ROWS)),
            smart=req.is_smart_depth,
            tick=instrument.min_tick,
            decimals=self.prices.path(self.prices.priced_con_id(instrument.con_id)).decimals,
            size_div=size_divisor(instrument, session.server_version),
        )
        self._add(line, StreamKind.DEPTH, now)
        out.to(cid, *self._depth(line, instrument, now))

    def cancel(self, session: ClientSession, kind: StreamKind, req_id: int, out: Outbox) -> None:
        verdict = _CLOSE[kind](session.pacing, req_id)
        if not verdict.ok:
            out.error(session.client_id, req_id, verdict.code, verdict.text)
            return
        line = self._lines.get(session.client_id, {}).pop((kind, req_id), None)
        if line is not None:
            self.prices.unsubscribe(line.con_id)

    # --- the service interface -------------------------------------------------------------------------

    def step(self, now: datetime, out: Outbox) -> None:
        for lines in self._lines.values():
            for line in lines.values():
                if isinstance(line, DepthLine):
                    messages = self._depth(line, self.prices.instrument(line.con_id), now)
                else:
                    messages = line.step(now)
                if messages:
                    out.to(line.client_id, *messages)

    def drop(self, session: ClientSession) -> None:
        for (kind, req_id), line in self._lines.pop(session.client_id, {}).items():
            _CLOSE[kind](session.pacing, req_id)
            self.prices.unsubscribe(line.con_id)

    def request_ids(self, client_id: int) -> list[int]:
        return [req_id for _, req_id in self._lines.get(client_id, {})]

    # --- helpers ---------------------------------------------------------------------------------------

    def _admit(
        self,
        session: ClientSession,
        kind: StreamKind,
        instrument: Instrument,
        req_id: int,
        *,
        now: datetime,
        out: Outbox,
    ) -> bool:
        """The checks every line passes after its own, in TWS's order: the account's data permission, then
        the client's limits (which count the line as open from here); a refusal is sent as IB's error."""
        verdict = check_permission(
            self.limits,
            _SERVICE[kind],
            sec_type=instrument.sec_type,
            exchange=instrument.primary_exchange or instrument.exchange,
        )
        if verdict.ok:
            verdict = _OPEN[kind](session.pacing, req_id, instrument.con_id, now)
        if not verdict.ok:
            out.error(session.client_id, req_id, verdict.code, verdict.text)
        return verdict.ok

    def _add(self, line: _Line, kind: StreamKind, now: datetime) -> None:
        self.prices.subscribe(line.con_id, now)
        self._lines.setdefault(line.client_id, {})[(kind, line.req_id)] = line

    def _depth(self, line: DepthLine, instrument: Instrument, now: datetime) -> list[Response]:
        prices = self.prices
        if Kind.of(instrument) is Kind.OPTION:
            under = prices.quote(instrument.under_con_id)
            atm = prices.instrument(instrument.under_con_id).volatility or 0.25
            market = option_market(instrument, under, now, atm)
            if market is None:
                return []
            q = market.quote
            return line.render(under.time, q.bid, q.ask, q.bid_size, q.ask_size)
        quote = prices.quote(line.con_id)
        return line.render(quote.time, quote.bid, quote.ask, quote.bid_size, quote.ask_size)
