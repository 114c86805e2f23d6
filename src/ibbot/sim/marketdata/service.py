"""Live market-data subscriptions of every session: reqMktData lines (here), and through `StreamService`
tick-by-tick, real-time bars and depth.

Theory of operation
-------------------
A reqMktData line is checked as TWS checks it: the contract resolves to one instrument (else 200), the
generic tick list is legal (else 321), the ticker id is new and a line is free (102, 101: lines are counted
per user, shared by every client), the account may see the data (354, or delayed data with the 10167 notice
after reqMarketDataType(3/4): `ibbot.sim.permissions`). It is answered tickReqParams, marketDataType and the
current picture, then streamed: at each step (TWS aggregates every ~250 ms) only what changed.

Lines that would receive the same bytes but for their request id share a `_Group`: same instrument, live or
delayed, server version (which fixes the size unit), streaming generic ticks and top of book. At each step a
group whose driving quote moved (the instrument's own, or an option's underlying) renders its changes once
(`ibbot.sim.marketdata.render`, `ibbot.sim.marketdata.generic`), encodes them once (`FrameTemplate`), and each of its
lines costs one `bytes.join` with its request id. All frames of one client in one step go out as one write
(`Outbox.frames`). A new line of an existing group starts from the group's last rendered quote, so the diffs
that follow are exact for it too.

Live lines are driven by the shared live book (`Prices`, ref-counted per group). Delayed lines are driven by
a second `LiveBook` of their own, stepped 15 minutes behind the clock: delayed data is the live data of a
quarter of an hour ago. A snapshot renders once (the live quote, or the path's quote at that instant) and
ends with tickSnapshotEnd, holding no line. `drop` (disconnect, 1101 data lost) forgets every stream of a
session and gives its lines back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ibbot.protocol.requests.market import ReqMktData
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.market import MarketDataType, TickReqParams, TickSnapshotEnd
from ibbot.protocol.types import Contract
from ibbot.sim import errors
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.link import Link
from ibbot.sim.market.feed import LiveBook, Quote, snapshot
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.prices import Prices
from ibbot.sim.market.profile import CLOSED
from ibbot.sim.market.ticks import trades_between
from ibbot.sim.marketdata.frames import SENTINEL, FrameTemplate, request_id_text
from ibbot.sim.marketdata.generic import SNAPSHOT_GENERIC, GenericStream, parse_generic_ticks, refusal, static_ticks
from ibbot.sim.marketdata.interest import Activity, ChainActivity, legacy_activity
from ibbot.sim.marketdata.render import Kind, Profile, Shown, option_market, render_option, render_top, size_divisor
from ibbot.sim.marketdata.streams import BBO_EXCHANGE
from ibbot.sim.marketdata.streams_service import StreamService
from ibbot.sim.outbox import Outbox
from ibbot.sim.pacing import Limits
from ibbot.sim.permissions import grant_market_data
from ibbot.sim.session import ClientSession

DELAY = timedelta(minutes=15)
OPTION_ACTIVITY = frozenset({100, 101, 105})  # the generic ticks of option volume and open interest
AMBIGUOUS = "The contract description specified for {symbol} is ambiguous."
SNAPSHOT_PERMISSIONS = 3


def resolve(securities: SecurityMaster, contract: Contract) -> Instrument | tuple[int, str]:
    """The one instrument a request's contract names, or error 200 (unknown, or ambiguous) as IB words it."""
    found = securities.match(contract)
    if not found:
        return errors.NO_SECURITY_DEFINITION
    if len({i.con_id for i in found}) > 1:
        return errors.NO_SECURITY_DEFINITION[0], AMBIGUOUS.format(symbol=contract.symbol or contract.local_symbol)
    return found[0]


@dataclass(eq=False, slots=True)
class _Line:
    client_id: int
    req_id: int
    rid: bytes  # the request id's field text
    group: _Group


GroupKey = tuple[int, bool, int, frozenset[int], bool]  # con_id, delayed, server version, streaming ids, mdoff


@dataclass(eq=False, slots=True, kw_only=True)
class _Group:
    key: GroupKey
    instrument: Instrument
    profile: Profile
    server_version: int
    priced: int  # the con_id whose quote drives the group (an option's underlying)
    path: PricePath
    quote: Quote  # the driving quote last rendered
    shown: Shown = field(default_factory=Shown)
    stream: GenericStream | None = None
    lines: dict[tuple[int, int], _Line] = field(default_factory=dict)


class MarketDataService:
    def __init__(
        self, *, securities: SecurityMaster, prices: Prices, limits: Limits, link: Link, exchange_hours: bool
    ) -> None:
        self.securities = securities
        self.prices = prices
        self.limits = limits
        self.link = link  # a competing session silences the lines
        self.exchange_hours = exchange_hours
        self.streams = StreamService(prices=prices, limits=limits, exchange_hours=exchange_hours)
        self._lines: dict[int, dict[int, _Line]] = {}  # client id -> request id -> line
        self._groups: dict[GroupKey, _Group] = {}
        self._live: dict[int, list[_Group]] = {}  # driving con_id -> live groups
        self._delayed: dict[int, list[_Group]] = {}  # driving con_id -> delayed groups
        self._delayed_book = LiveBook()
        self.activity = ChainActivity(prices.seed)  # open interest and option volume (ticks 27..30, 87)

    # --- reqMktData / cancelMktData --------------------------------------------------------------------

    def request(self, session: ClientSession, req: ReqMktData, now: datetime, out: Outbox) -> None:
        cid, req_id = session.client_id, req.req_id
        found = resolve(self.securities, req.contract)
        if isinstance(found, tuple):
            out.error(cid, req_id, *found)
            return
        instrument = found
        generics = parse_generic_ticks(req.generic_ticks)
        if generics is None:
            out.error(cid, req_id, 321, refusal(req.generic_tick_list, instrument.sec_type))
            return
        one_shot = req.snapshot or req.regulatory_snapshot
        if one_shot and generics.ids:
            out.error(cid, req_id, 321, SNAPSHOT_GENERIC)
            return
        grant = grant_market_data(
            self.limits,
            sec_type=instrument.sec_type,
            exchange=instrument.primary_exchange or instrument.exchange,
            market_data_type=session.market_data_type,
        )
        if not grant.verdict.ok:
            out.error(cid, req_id, grant.verdict.code, grant.verdict.text)
            return
        verdict = session.pacing.open_market_data(req_id, instrument.con_id, now)
        if not verdict.ok:
            out.error(cid, req_id, verdict.code, verdict.text)
            return
        if grant.verdict.code:  # 10167: not subscribed, delayed data instead
            out.error(cid, req_id, grant.verdict.code, grant.verdict.text)
        delayed = grant.market_data_type in (3, 4)
        profile = Profile(
            kind=Kind.of(instrument),
            delayed=delayed,
            size_div=size_divisor(instrument, session.server_version),
            top=not generics.mdoff,
        )
        if one_shot:
            session.pacing.close_market_data(req_id)  # a snapshot holds its line only while it is served
            quote = self._quote_now(instrument, delayed, now)
            messages = self._render(instrument, profile, Shown(), quote, req_id)
            data_type = self._data_type(grant.market_data_type, quote)
            out.to(cid, self._params(instrument, req_id), MarketDataType(req_id=req_id, market_data_type=data_type))
            out.to(cid, *messages, TickSnapshotEnd(req_id=req_id))
            return
        key: GroupKey = (instrument.con_id, delayed, session.server_version, generics.streaming, generics.mdoff)
        group = self._groups.get(key) or self._open_group(key, instrument, profile, now)
        line = _Line(cid, req_id, request_id_text(req_id), group)
        group.lines[(cid, req_id)] = line
        self._lines.setdefault(cid, {})[req_id] = line
        data_type = self._data_type(grant.market_data_type, group.quote)
        out.to(cid, self._params(instrument, req_id), MarketDataType(req_id=req_id, market_data_type=data_type))
        out.to(cid, *self._render(instrument, profile, Shown(), group.quote, req_id))
        if group.stream is not None:
            out.to(cid, *group.stream.current(req_id))
        out.to(cid, *self._statics(group, generics.ids, req_id))
        if self.link.competing_session:
            out.error(cid, req_id, *errors.COMPETING_SESSION)

    def cancel(self, session: ClientSession, req_id: int, out: Outbox) -> None:
        verdict = session.pacing.close_market_data(req_id)
        if not verdict.ok:
            out.error(session.client_id, req_id, verdict.code, verdict.text)
            return
        line = self._lines.get(session.client_id, {}).pop(req_id, None)
        if line is not None:
            self._leave(line)

    # --- the service interface -------------------------------------------------------------------------

    def step(self, now: datetime, quotes: list[Quote], out: Outbox) -> None:
        """Stream what changed since the last step to every subscriber (`quotes`: the live book's changes)."""
        chunks: defaultdict[int, list[bytes]] = defaultdict(list)
        live = self._live
        closed_is_quiet = self.exchange_hours  # following exchange hours: a closed market is still
        if live:
            for quote in quotes:
                if closed_is_quiet and quote.state == CLOSED:
                    continue
                groups = live.get(quote.con_id)
                if groups is not None:
                    for group in groups:
                        self._emit(group, quote, chunks)
        if self._delayed:
            for quote in self._delayed_book.step(now - DELAY):
                if closed_is_quiet and quote.state == CLOSED:
                    continue
                for group in self._delayed.get(quote.con_id, ()):
                    self._emit(group, quote, chunks)
        for client_id, parts in chunks.items():
            out.frames(client_id, b"".join(parts))
        self.streams.step(now, out)

    def drop(self, session: ClientSession) -> None:
        """Forget every subscription of `session` (disconnect, 1101) and give back its lines."""
        for req_id, line in self._lines.pop(session.client_id, {}).items():
            session.pacing.close_market_data(req_id)
            self._leave(line)
        self.streams.drop(session)

    def request_ids(self, session: ClientSession) -> list[int]:
        """The request ids of `session`'s live market-data lines (10197 is sent to each)."""
        return [*self._lines.get(session.client_id, {}), *self.streams.request_ids(session.client_id)]

    # --- groups ----------------------------------------------------------------------------------------

    def _open_group(self, key: GroupKey, instrument: Instrument, profile: Profile, now: datetime) -> _Group:
        prices = self.prices
        priced = prices.priced_con_id(instrument.con_id)
        path = prices.path(priced)
        if profile.delayed:
            quote = self._delayed_book.subscribe(path, now - DELAY)
        else:
            prices.subscribe(instrument.con_id, now)
            quote = prices.quote(priced)
        group = _Group(
            key=key,
            instrument=instrument,
            profile=profile,
            server_version=key[2],
            priced=priced,
            path=path,
            quote=quote,
        )
        self._render(instrument, profile, group.shown, quote, SENTINEL)
        if key[3]:
            group.stream = GenericStream(key[3], quote, path.model.lot_size)
            group.stream.update(quote, [], SENTINEL, profile.size_div)
        self._groups[key] = group
        (self._delayed if profile.delayed else self._live).setdefault(priced, []).append(group)
        return group

    def _leave(self, line: _Line) -> None:
        group = line.group
        group.lines.pop((line.client_id, line.req_id), None)
        if group.lines:
            return
        del self._groups[group.key]
        index = self._delayed if group.profile.delayed else self._live
        siblings = index[group.priced]
        siblings.remove(group)
        if not siblings:
            del index[group.priced]
        if group.profile.delayed:
            self._delayed_book.unsubscribe(group.priced)
        else:
            self.prices.unsubscribe(group.priced)  # the same count (an option's is its underlying's), and
            # found even once the option has expired

    def _emit(self, group: _Group, quote: Quote, chunks: defaultdict[int, list[bytes]]) -> None:
        """Render a group's changes once and copy them to each of its lines."""
        messages = self._render(group.instrument, group.profile, group.shown, quote, SENTINEL)
        stream = group.stream
        if stream is not None:
            prints = trades_between(group.path, group.quote.moment, quote.moment) if stream.wants_prints else []
            messages += stream.update(quote, prints, SENTINEL, group.profile.size_div)
        group.quote = quote
        if not messages:
            return
        template = FrameTemplate(messages, group.server_version)
        for line in group.lines.values():
            chunks[line.client_id].append(template.for_request(line.rid))

    # --- rendering -------------------------------------------------------------------------------------

    def _render(
        self, instrument: Instrument, profile: Profile, shown: Shown, quote: Quote, req_id: int
    ) -> list[Response]:
        if profile.kind is Kind.OPTION:
            under = self.prices.instrument(instrument.under_con_id)
            market = option_market(instrument, quote, quote.moment, under.volatility or 0.25)
            return [] if market is None else render_option(profile, shown, instrument, market, req_id)
        return render_top(profile, shown, quote, req_id, decimals=self.prices.path(quote.con_id).decimals)

    def _statics(self, group: _Group, ids: frozenset[int], req_id: int) -> list[Response]:
        instrument, profile = group.instrument, group.profile
        if not ids:
            return []
        implied = None
        if 106 in ids:
            if profile.kind is Kind.OPTION:
                under = self.prices.instrument(instrument.under_con_id)
                market = option_market(instrument, group.quote, group.quote.moment, under.volatility or 0.25)
                implied = None if market is None else market.quote.vol
            else:
                implied = (instrument.volatility or 0.2) * 1.05
        at = group.quote.moment
        return static_ticks(
            instrument,
            ids,
            None if profile.kind is Kind.OPTION else group.path,
            at,
            req_id,
            size_div=profile.size_div,
            activity=self._activity(instrument, ids, at) if ids & OPTION_ACTIVITY else None,
            implied_vol=implied,
        )

    def _activity(self, instrument: Instrument, ids: frozenset[int], at: datetime) -> Activity | None:
        """The figures of 100/101/105: an option's own, an optionable underlying's sums over its chain."""
        chains = self.securities.chains
        if instrument.sec_type == "OPT" and instrument.under_con_id in chains:
            return self.activity.of_option(chains, instrument, at)
        if instrument.con_id in chains:
            return self.activity.of_underlying(chains, instrument.con_id, at)
        return legacy_activity(instrument.con_id) if self.securities.has_options(instrument.con_id) else None

    def _quote_now(self, instrument: Instrument, delayed: bool, now: datetime) -> Quote:
        """The driving quote of a snapshot: the live book's when it has it, else the path's at that instant."""
        prices = self.prices
        priced = prices.priced_con_id(instrument.con_id)
        if not delayed and priced in prices.book:
            return prices.quote(priced)
        return snapshot(prices.path(priced), now - DELAY if delayed else now)

    def _data_type(self, granted: int, quote: Quote) -> int:
        """Frozen types (2/4) show as frozen only while the market is closed, when following exchange hours."""
        if granted in (2, 4) and not (self.exchange_hours and quote.state == CLOSED):
            return granted - 1
        return granted

    @staticmethod
    def _params(instrument: Instrument, req_id: int) -> TickReqParams:
        smart = instrument.exchange == "SMART" and instrument.sec_type == "STK"
        return TickReqParams(
            req_id=req_id,
            min_tick=instrument.min_tick,
            bbo_exchange=BBO_EXCHANGE if smart else "",
            snapshot_permissions=SNAPSHOT_PERMISSIONS,
        )
