"""The market-data streams beside top of book: tick-by-tick, 5-second real-time bars and market depth, plus
the one-shot option calculations. Values in, messages out; `MarketDataService` owns the lines and limits.

Theory of operation
-------------------
* Tick-by-tick (reqTickByTickData, 99): a line remembers the instant up to which it has sent events and, at
  each step, sends the path's events in (that instant, now] (`ibbot.sim.market.ticks`: prints for Last/AllLast,
  quote changes for BidAsk, midpoint changes for MidPoint), so consecutive steps never repeat or miss one.
  `numberOfTicks` > 0 first sends the last N events before the request, as tickByTick messages too.
* Real-time bars (reqRealTimeBars, 50): the bar of the 5-second interval in progress is sent once it has
  ended, then every 5 seconds; each is the 5-second historical bar (`feed.realtime_bar`), so real-time and
  historical bars agree. A jump of the clock does not replay hours of bars: at most the last ones.
* Depth (reqMktDepth, 12/13): a synthetic book of `rows` levels a tick apart below the bid and above the
  ask, sizes growing away from the top; the first picture is inserts (operation 0), later ones updates of
  the levels that changed (operation 1). Smart depth (L2, 13) names a market maker (exchange) per level.
* calculateImpliedVolatility / calculateOptionPrice answer one tickOptionComputation of type 53 (custom), as
  TWS does; ib_async's futures wait for exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from ibbot.protocol.responses import Response
from ibbot.protocol.responses.depth import DepthExchange, MarketDepth, MarketDepthL2, SmartComponent
from ibbot.protocol.responses.market import (
    RealTimeBar,
    TickByTickBidAsk,
    TickByTickLast,
    TickByTickMidPoint,
    TickOptionComputation,
)
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market.bars import SessionFilter
from ibbot.sim.market.feed import realtime_bar
from ibbot.sim.market.options import OptionComputation, bs_price, option_computation
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.prices import RATE
from ibbot.sim.market.series import WhatToShow
from ibbot.sim.market.ticks import (
    HistoricalTick,
    MidTick,
    QuoteTick,
    TickKind,
    Trade,
    historical_ticks,
    mids_between,
    quotes_between,
    trades_between,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECONDS_PER_YEAR = 365.25 * 86_400
BAR_SECONDS = 5
_MAX_CATCH_UP_BARS = 2  # after a jump of the clock, only the latest bars are sent

TICK_BY_TICK_TYPES = {"Last": 1, "AllLast": 2, "BidAsk": 3, "MidPoint": 4}  # case-sensitive, as in TWS
_TICK_KINDS = {1: TickKind.TRADES, 2: TickKind.TRADES, 3: TickKind.BID_ASK, 4: TickKind.MIDPOINT}
REALTIME_WHAT = {
    "TRADES": WhatToShow.TRADES,
    "MIDPOINT": WhatToShow.MIDPOINT,
    "BID": WhatToShow.BID,
    "ASK": WhatToShow.ASK,
}
CUSTOM_COMPUTATION = 53  # tickOptionComputation type of calculateImpliedVolatility / calculateOptionPrice


def _epoch(moment: datetime) -> int:
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds


# --- tick by tick -----------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True, kw_only=True)
class TickByTickLine:
    client_id: int
    req_id: int
    con_id: int
    path: PricePath
    kind: int  # 1 Last, 2 AllLast, 3 BidAsk, 4 MidPoint
    since: datetime  # events up to this instant have been sent
    size_div: int = 1
    exchange: str = ""
    ignore_size: bool = False
    last_prices: tuple[float, float] = (0.0, 0.0)  # BidAsk with ignoreSize: only price changes go out

    def history(self, count: int) -> list[Response]:
        """The last `count` events before the request (numberOfTicks > 0)."""
        if count <= 0:
            return []
        found = historical_ticks(
            self.path,
            start=None,
            end=self.since,
            count=count,
            what=_TICK_KINDS[self.kind],
            sessions=SessionFilter.ALWAYS,
        )
        return self._messages(found[-count:])

    def step(self, now: datetime) -> list[Response]:
        """The events of (since, now]."""
        if now <= self.since:
            return []
        events: list[HistoricalTick]
        if self.kind in (1, 2):
            events = list(trades_between(self.path, self.since, now))
        elif self.kind == 3:
            events = list(quotes_between(self.path, self.since, now))
        else:
            events = list(mids_between(self.path, self.since, now))
        self.since = now
        return self._messages(events)

    def _messages(self, events: list[HistoricalTick]) -> list[Response]:
        out: list[Response] = []
        req_id, div = self.req_id, self.size_div
        for event in events:
            at = _epoch(event.time)
            if isinstance(event, Trade):
                out.append(
                    TickByTickLast(
                        req_id=req_id,
                        time=at,
                        price=event.price,
                        size=event.size // div,
                        exchange=self.exchange,
                        all_last=self.kind == 2,
                    )
                )
            elif isinstance(event, QuoteTick):
                if self.ignore_size and (event.bid, event.ask) == self.last_prices:
                    continue
                self.last_prices = (event.bid, event.ask)
                out.append(
                    TickByTickBidAsk(
                        req_id=req_id,
                        time=at,
                        bid_price=event.bid,
                        ask_price=event.ask,
                        bid_size=event.bid_size // div,
                        ask_size=event.ask_size // div,
                    )
                )
            elif isinstance(event, MidTick):
                out.append(TickByTickMidPoint(req_id=req_id, time=at, mid_point=event.price))
        return out


# --- real-time bars ---------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True, kw_only=True)
class RealTimeBarLine:
    client_id: int
    req_id: int
    con_id: int
    path: PricePath
    what: WhatToShow
    sessions: SessionFilter
    next_start: int  # epoch second of the next bar to send
    size_div: int = 1

    @classmethod
    def starting(cls, now: datetime, **fields: object) -> RealTimeBarLine:
        """A line whose first bar is the interval in progress at `now`."""
        s = _epoch(now)
        return cls(next_start=s - s % BAR_SECONDS, **fields)  # type: ignore[arg-type]

    def step(self, now: datetime) -> list[Response]:
        s = _epoch(now)
        last_start = s - s % BAR_SECONDS - BAR_SECONDS  # the latest bar that has ended
        self.next_start = max(self.next_start, last_start - (_MAX_CATCH_UP_BARS - 1) * BAR_SECONDS)
        out: list[Response] = []
        while self.next_start <= last_start:
            start = self.next_start
            self.next_start += BAR_SECONDS
            bar = realtime_bar(self.path, _EPOCH + timedelta(seconds=start), what=self.what, sessions=self.sessions)
            if bar is None:
                continue
            traded = bar.volume >= 0
            out.append(
                RealTimeBar(
                    req_id=self.req_id,
                    time=start,
                    open=bar.open,
                    high=bar.high,
                    low=bar.low,
                    close=bar.close,
                    volume=Decimal(bar.volume // self.size_div if traded else 0),
                    wap=Decimal(repr(round(bar.wap, 8))) if traded and bar.volume else Decimal(0),
                    count=bar.count if traded else 0,
                )
            )
        return out


# --- depth ------------------------------------------------------------------------------------------------

DEPTH_EXCHANGES: tuple[DepthExchange, ...] = (
    DepthExchange(exchange="NYSE", sec_type="STK", listing_exchange="NYSE", service_data_type="Deep", agg_group=1),
    DepthExchange(exchange="ARCA", sec_type="STK", listing_exchange="NYSE", service_data_type="Deep", agg_group=2),
    DepthExchange(exchange="ISLAND", sec_type="STK", listing_exchange="NASDAQ", service_data_type="Deep2", agg_group=3),
    DepthExchange(exchange="BATS", sec_type="STK", listing_exchange="", service_data_type="Deep", agg_group=4),
    DepthExchange(exchange="IEX", sec_type="STK", listing_exchange="", service_data_type="Deep", agg_group=5),
    DepthExchange(exchange="SMART", sec_type="STK", listing_exchange="", service_data_type="Deep2", agg_group=6),
    DepthExchange(exchange="IDEALPRO", sec_type="CASH", listing_exchange="", service_data_type="Deep", agg_group=7),
    DepthExchange(exchange="CME", sec_type="FUT", listing_exchange="", service_data_type="Deep", agg_group=8),
    DepthExchange(exchange="NYMEX", sec_type="FUT", listing_exchange="", service_data_type="Deep", agg_group=9),
    DepthExchange(exchange="COMEX", sec_type="FUT", listing_exchange="", service_data_type="Deep", agg_group=10),
)
BBO_EXCHANGE = "9c0001"  # the SMART components code tickReqParams names for US stocks
SMART_COMPONENTS: dict[str, tuple[SmartComponent, ...]] = {
    BBO_EXCHANGE: (
        SmartComponent(bit_number=1, exchange="NYSE", exchange_letter="N"),
        SmartComponent(bit_number=2, exchange="ARCA", exchange_letter="P"),
        SmartComponent(bit_number=3, exchange="ISLAND", exchange_letter="Q"),
        SmartComponent(bit_number=4, exchange="BATS", exchange_letter="Z"),
        SmartComponent(bit_number=5, exchange="IEX", exchange_letter="V"),
        SmartComponent(bit_number=6, exchange="EDGX", exchange_letter="K"),
        SmartComponent(bit_number=7, exchange="MEMX", exchange_letter="U"),
    )
}
_MAKERS = tuple(c.exchange for c in SMART_COMPONENTS[BBO_EXCHANGE])
MAX_DEPTH_ROWS = 20


@dataclass(eq=False, slots=True, kw_only=True)
class DepthLine:
    client_id: int
    req_id: int
    con_id: int
    rows: int
    smart: bool
    tick: float
    decimals: int
    size_div: int = 1
    time: int = -1  # epoch second of the quote last rendered
    shown: dict[tuple[int, int], tuple[float, int]] = field(default_factory=dict)  # (side, level) -> level

    def render(self, at: int, bid: float, ask: float, bid_size: int, ask_size: int) -> list[Response]:
        """The operations that bring the client's book to this quote's synthetic book."""
        if at == self.time:
            return []
        self.time = at
        out: list[Response] = []
        for side, top, size, sign in ((1, bid, bid_size, -1), (0, ask, ask_size, 1)):
            if not top > 0:
                continue
            base = max(size // self.size_div, 1)
            for level in range(self.rows):
                price = round(top + sign * level * self.tick, self.decimals)
                if price <= 0:
                    break
                amount = base + base * level * 35 // 100 + (level * 7 + at) % 3 * base // 10
                key = (side, level)
                old = self.shown.get(key)
                if old == (price, amount):
                    continue
                self.shown[key] = (price, amount)
                operation = 0 if old is None else 1
                if self.smart:
                    maker = _MAKERS[(level + side) % len(_MAKERS)]
                    out.append(
                        MarketDepthL2(
                            req_id=self.req_id,
                            position=level,
                            market_maker=maker,
                            operation=operation,
                            side=side,
                            price=price,
                            size=amount,
                            is_smart_depth=True,
                        )
                    )
                else:
                    out.append(
                        MarketDepth(
                            req_id=self.req_id, position=level, operation=operation, side=side, price=price, size=amount
                        )
                    )
        return out


# --- option calculations ----------------------------------------------------------------------------------


def years_to_expiry(option: Instrument, now: datetime) -> float:
    expiry = option.expiry
    if expiry is None:
        return 0.0
    close = datetime.combine(expiry, time(20, 0), tzinfo=UTC)  # 16:00 New York, as the option quotes
    return max((close - now).total_seconds() / _SECONDS_PER_YEAR, 1.0 / _SECONDS_PER_YEAR)


def implied_volatility_tick(
    option: Instrument, req_id: int, option_price: float, under_price: float, now: datetime
) -> TickOptionComputation:
    """calculateImpliedVolatility: the volatility implied by `option_price`, with its greeks."""
    c = option_computation(
        option.right,
        price=option_price,
        spot=under_price,
        strike=option.strike,
        years=years_to_expiry(option, now),
        rate=RATE,
    )
    return _custom(req_id, c, vol=c.implied_vol, price=c.opt_price)


def option_price_tick(
    option: Instrument, req_id: int, volatility: float, under_price: float, now: datetime
) -> TickOptionComputation:
    """calculateOptionPrice: the option's value and greeks at `volatility`."""
    years = years_to_expiry(option, now)
    value = bs_price(option.right, spot=under_price, strike=option.strike, years=years, vol=volatility, rate=RATE)
    c = option_computation(
        option.right, price=value, spot=under_price, strike=option.strike, years=years, rate=RATE, vol=volatility
    )
    return _custom(req_id, c, vol=volatility, price=value)


def _custom(req_id: int, c: OptionComputation, *, vol: float | None, price: float | None) -> TickOptionComputation:
    return TickOptionComputation(
        req_id=req_id,
        tick_type=CUSTOM_COMPUTATION,
        tick_attrib=1,
        implied_vol=vol,
        delta=c.delta,
        opt_price=price,
        pv_dividend=c.pv_dividend,
        gamma=c.gamma,
        vega=c.vega,
        theta=c.theta,
        und_price=c.und_price,
    )
