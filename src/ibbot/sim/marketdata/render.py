"""Top-of-book ticks of one reqMktData line: what TWS sends for a quote, and for a quote after another.

Theory of operation: a line's screen is a `Shown` record, the last value of each field the client has been
sent. `render_top` compares a new quote with it and answers only the messages that change something, as TWS
does at each ~250 ms aggregation (rendering into an empty `Shown` gives the full picture a new line starts
with). IB's rules: a bid/ask/last price goes out as tickPrice with its size (tick 1/2/4, which ibapi and
ib_async split into the price and the size), a change of size alone as tickSize (0/3/5); volume is tickSize
8, high/low/open/close tickPrice 6/7/14/9, the last trade's time tickString 45 (epoch seconds). Delayed
lines use the delayed ids (66..76, 88). What a line streams depends on the instrument (`Kind`): stocks and
futures everything; forex bid/ask with high/low/close (no trades, so no last or volume); indices a last
price (their value, which has no size) with high/low/open/close; options bid/ask from the model with the
option computations 10/11/13 (bid, ask, model; delayed 80/81/83). Sizes of US stocks are in shares from
server version 159 (MARKET_DATA_IN_SHARES); before it TWS sent round lots of 100 (`Profile.size_div`).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import NamedTuple

from ibbot.protocol.ids import SV
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.market import TickOptionComputation, TickPrice, TickSize, TickString
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market.feed import Quote
from ibbot.sim.market.options import OptionComputation, OptionQuote, option_computation, option_quote
from ibbot.sim.market.prices import RATE

_SECONDS_PER_YEAR = 365.25 * 86_400


class TickIds(NamedTuple):
    """The tick type of every field, live or delayed."""

    bid: int
    ask: int
    last: int
    bid_size: int
    ask_size: int
    last_size: int
    high: int
    low: int
    volume: int
    close: int
    open: int
    last_timestamp: int
    bid_option: int
    ask_option: int
    model_option: int


LIVE_IDS = TickIds(1, 2, 4, 0, 3, 5, 6, 7, 8, 9, 14, 45, 10, 11, 13)
DELAYED_IDS = TickIds(66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 88, 80, 81, 83)


class Kind(enum.Enum):
    """What an instrument's line streams."""

    TRADES = "trades"  # stocks, futures: quotes, trades, volume, day statistics
    QUOTES = "quotes"  # forex: quotes and day statistics only
    INDEX = "index"  # indices: the value as last price, and day statistics
    OPTION = "option"  # options: model quotes and option computations

    @classmethod
    def of(cls, instrument: Instrument) -> Kind:
        sec_type = instrument.sec_type
        if sec_type in ("OPT", "FOP"):
            return cls.OPTION
        if sec_type == "CASH":
            return cls.QUOTES
        if sec_type == "IND":
            return cls.INDEX
        return cls.TRADES


def size_divisor(instrument: Instrument, server_version: int) -> int:
    """100 for US stocks before MARKET_DATA_IN_SHARES (TWS sent round lots), else 1."""
    if server_version < SV.MARKET_DATA_IN_SHARES and instrument.sec_type == "STK":
        return 100 if instrument.currency == "USD" else 1
    return 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """How one line renders: the instrument's kind, live or delayed ids, size unit, top of book or not."""

    kind: Kind
    delayed: bool = False
    size_div: int = 1
    top: bool = True  # False with the generic tick "mdoff": generic ticks only

    @property
    def ids(self) -> TickIds:
        return DELAYED_IDS if self.delayed else LIVE_IDS


class Shown:
    """The values a line's client holds (None: never sent)."""

    __slots__ = (
        "ask",
        "ask_size",
        "bid",
        "bid_size",
        "close",
        "high",
        "last",
        "last_size",
        "last_time",
        "low",
        "model",
        "open",
        "volume",
    )

    def __init__(self) -> None:
        self.bid: float | None = None
        self.bid_size = -1
        self.ask: float | None = None
        self.ask_size = -1
        self.last: float | None = None
        self.last_size = -1
        self.last_time = -1
        self.volume = -1
        self.high: float | None = None
        self.low: float | None = None
        self.open: float | None = None
        self.close: float | None = None
        self.model: OptionComputation | None = None


def index_value(quote: Quote, decimals: int) -> float:
    """An index's value: it has no trades, so its last price is the midpoint on the price grid."""
    return round((quote.bid + quote.ask) / 2, decimals)


def render_top(profile: Profile, shown: Shown, quote: Quote, req_id: int, *, decimals: int = 2) -> list[Response]:
    """The messages that bring `shown` to `quote` (all of them when `shown` is empty); updates `shown`."""
    out: list[Response] = []
    ids = profile.ids
    kind = profile.kind
    div = profile.size_div
    if profile.top:
        if kind is not Kind.INDEX:
            _side(out, req_id, (ids.bid, ids.bid_size), quote.bid, quote.bid_size // div, shown=shown, bid=True)
            _side(out, req_id, (ids.ask, ids.ask_size), quote.ask, quote.ask_size // div, shown=shown, bid=False)
        if kind is Kind.TRADES and quote.last is not None:
            _last(out, req_id, ids, quote.last, quote.last_size // div, at=quote.last_time, shown=shown)
            volume = quote.volume // div
            if volume != shown.volume:
                shown.volume = volume
                out.append(TickSize(req_id=req_id, tick_type=ids.volume, size=volume))
        elif kind is Kind.INDEX:
            value = index_value(quote, decimals)
            if value != shown.last:
                shown.last = value
                out.append(TickPrice(req_id=req_id, tick_type=ids.last, price=value, size=0))
    high, low, close = quote.high, quote.low, quote.prev_close
    if high is not None and high != shown.high:
        shown.high = high
        out.append(TickPrice(req_id=req_id, tick_type=ids.high, price=high))
    if low is not None and low != shown.low:
        shown.low = low
        out.append(TickPrice(req_id=req_id, tick_type=ids.low, price=low))
    if kind is not Kind.QUOTES:  # forex has no official open
        opening = quote.open
        if opening is not None and opening != shown.open:
            shown.open = opening
            out.append(TickPrice(req_id=req_id, tick_type=ids.open, price=opening))
    if close is not None and close != shown.close:
        shown.close = close
        out.append(TickPrice(req_id=req_id, tick_type=ids.close, price=close))
    return out


def _side(
    out: list[Response], req_id: int, tick_ids: tuple[int, int], price: float, size: int, *, shown: Shown, bid: bool
) -> None:
    price_id, size_id = tick_ids
    old_price, old_size = (shown.bid, shown.bid_size) if bid else (shown.ask, shown.ask_size)
    if price != old_price:
        out.append(TickPrice(req_id=req_id, tick_type=price_id, price=price, size=size))
    elif size != old_size:
        out.append(TickSize(req_id=req_id, tick_type=size_id, size=size))
    else:
        return
    if bid:
        shown.bid, shown.bid_size = price, size
    else:
        shown.ask, shown.ask_size = price, size


def _last(out: list[Response], req_id: int, ids: TickIds, price: float, size: int, *, at: int, shown: Shown) -> None:
    """A new print (its time moved) re-sends the size even at the same price and size, as a trade does."""
    if price != shown.last:
        out.append(TickPrice(req_id=req_id, tick_type=ids.last, price=price, size=size))
    elif size != shown.last_size or (at != shown.last_time and at > 0):
        out.append(TickSize(req_id=req_id, tick_type=ids.last_size, size=size))
    shown.last, shown.last_size = price, size
    if at != shown.last_time and at > 0:
        shown.last_time = at
        out.append(TickString(req_id=req_id, tick_type=ids.last_timestamp, value=str(at)))


# --- options ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionMarket:
    """An option's simulated market at one instant: the model quote and its underlying's price."""

    quote: OptionQuote
    spot: float
    years: float


def option_market(option: Instrument, under: Quote, now: datetime, atm_vol: float) -> OptionMarket | None:
    """The option's quote from its underlying's quote at `now` (as `Prices.option`, for any quote: live or
    delayed); None when the underlying has no price."""
    spot = (under.bid + under.ask) / 2 if under.bid > 0 and under.ask > 0 else (under.last or 0.0)
    expiry = option.expiry
    if not spot > 0 or not math.isfinite(spot) or expiry is None:
        return None
    close = datetime.combine(expiry, time(20, 0), tzinfo=UTC)  # 16:00 New York, near enough for pricing
    years = max((close - now).total_seconds() / _SECONDS_PER_YEAR, 1.0 / _SECONDS_PER_YEAR)
    quote = option_quote(option.right, spot=spot, strike=option.strike, years=years, atm_vol=atm_vol, rate=RATE)
    return OptionMarket(quote=quote, spot=spot, years=years)


def _computation(req_id: int, tick_type: int, c: OptionComputation) -> TickOptionComputation:
    return TickOptionComputation(
        req_id=req_id,
        tick_type=tick_type,
        tick_attrib=1 if tick_type not in (13, 83) else 0,  # bid/ask: implied from a price
        implied_vol=c.implied_vol,
        delta=c.delta,
        opt_price=c.opt_price,
        pv_dividend=c.pv_dividend,
        gamma=c.gamma,
        vega=c.vega,
        theta=c.theta,
        und_price=c.und_price,
    )


def render_option(
    profile: Profile, shown: Shown, option: Instrument, market: OptionMarket, req_id: int
) -> list[Response]:
    """An option line's messages: bid/ask (contracts) with their implied computations when they move, and
    the model computation whenever the underlying does."""
    out: list[Response] = []
    ids = profile.ids
    q = market.quote
    if profile.top:
        bid_moved = q.bid != shown.bid
        ask_moved = q.ask != shown.ask
        _side(out, req_id, (ids.bid, ids.bid_size), q.bid, q.bid_size, shown=shown, bid=True)
        _side(out, req_id, (ids.ask, ids.ask_size), q.ask, q.ask_size, shown=shown, bid=False)
        for moved, price, tick in ((bid_moved, q.bid, ids.bid_option), (ask_moved, q.ask, ids.ask_option)):
            if moved and price > 0:
                computed = option_computation(
                    option.right, price=price, spot=market.spot, strike=option.strike, years=market.years, rate=RATE
                )
                out.append(_computation(req_id, tick, computed))
    if q.model != shown.model:
        shown.model = q.model
        out.append(_computation(req_id, ids.model_option, q.model))
    return out
