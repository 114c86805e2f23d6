"""Server messages of the market-data family: top-of-book ticks, tick-by-tick, real-time bars (depth: .depth).

Theory of operation:
* tickPrice (1) and tickSize (2) are the simulator's hottest frames, so they have hand-written encoders: one
  bytes %-format, a precomputed length prefix, memoised price texts; no field list, no table lookups
  (bench/protocol.py measures them). `encode_ticks` frames a batch into one bytes object for one write.
* Sizes are whole units before FRACTIONAL_SIZE_SUPPORT (163), where ibapi 9.81 reads them with `int()`:
  a fraction is truncated there. From 163 a fractional size is written exactly (shortest float text);
  integral sizes stay integer text at every version.
* The unit is the caller's business: before MARKET_DATA_IN_SHARES (159) TWS sends US-stock sizes in round
  lots of 100; the encoder writes the number it is given.
* Option computations (21) carry -1 / -2 for "not computed" (both clients test for them); None writes those.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ibbot.errors import LocalProtocolError
from ibbot.protocol.fields import fmt_decimal, fmt_int, fmt_num, fmt_price
from ibbot.protocol.framing import frame_fields
from ibbot.protocol.ids import ServerMsgId
from ibbot.protocol.responses import depth
from ibbot.protocol.responses.base import FROZEN, Encoder, Response
from ibbot.protocol.responses.sizes import FRACTIONAL_SIZE_SUPPORT as _FRACTIONAL
from ibbot.protocol.responses.sizes import fmt_size

_pack_length = struct.Struct(">I").pack


# --- top of book -------------------------------------------------------------------------------------


@dataclass(**FROZEN)
class TickPrice(Response):
    """tickPrice (1). For bid/ask/last (1/2/4, delayed 66/67/68) `size` is the matching size, from which
    ibapi fires its own tickSize (0/3/5, 69/70/71) and ib_async fills bidSize/askSize/lastSize."""

    msg_id = ServerMsgId.TICK_PRICE
    req_id: int
    tick_type: int
    price: float  # -1 means "no quote"
    size: float = 0
    # The attribute mask: bit 1 canAutoExecute, 2 pastLimit, 4 preOpen (ib_async ignores it, ibapi reads it).
    can_auto_execute: bool = False
    past_limit: bool = False
    pre_open: bool = False


@dataclass(**FROZEN)
class TickSize(Response):
    msg_id = ServerMsgId.TICK_SIZE
    req_id: int
    tick_type: int
    size: float


@dataclass(**FROZEN)
class TickString(Response):
    """tickString (46): e.g. 45 lastTimestamp, 48 RTVolume `price;size;ms;totalVol;vwap;single`, 59 dividends."""

    msg_id = ServerMsgId.TICK_STRING
    req_id: int
    tick_type: int
    value: str


@dataclass(**FROZEN)
class TickGeneric(Response):
    """tickGeneric (45): e.g. 49 halted, 23/24 historical/implied volatility, 46 shortable, 54 trade count."""

    msg_id = ServerMsgId.TICK_GENERIC
    req_id: int
    tick_type: int
    value: float


@dataclass(**FROZEN)
class TickEfp(Response):
    msg_id = ServerMsgId.TICK_EFP
    req_id: int
    tick_type: int
    basis_points: float
    formatted_basis_points: str
    total_dividends: float
    hold_days: int
    future_last_trade_date: str
    dividend_impact: float
    dividends_to_last_trade_date: float


@dataclass(**FROZEN)
class TickOptionComputation(Response):
    """tickOptionComputation (21); `tick_attrib` 0 = return-based, 1 = price-based. None = not computed."""

    msg_id = ServerMsgId.TICK_OPTION_COMPUTATION
    req_id: int
    tick_type: int
    tick_attrib: int = 0
    implied_vol: float | None = None
    delta: float | None = None
    opt_price: float | None = None
    pv_dividend: float | None = None
    gamma: float | None = None
    vega: float | None = None
    theta: float | None = None
    und_price: float | None = None


@dataclass(**FROZEN)
class TickSnapshotEnd(Response):
    """tickSnapshotEnd (57): required after a snapshot; ib_async's reqTickers waits on it without timeout."""

    msg_id = ServerMsgId.TICK_SNAPSHOT_END
    req_id: int


@dataclass(**FROZEN)
class TickReqParams(Response):
    """tickReqParams (81): TWS sends it first on every reqMktData."""

    msg_id = ServerMsgId.TICK_REQ_PARAMS
    req_id: int
    min_tick: float
    bbo_exchange: str
    snapshot_permissions: int


@dataclass(**FROZEN)
class MarketDataType(Response):
    """marketDataType (58): 1 real-time, 2 frozen, 3 delayed, 4 delayed-frozen."""

    msg_id = ServerMsgId.MARKET_DATA_TYPE
    req_id: int
    market_data_type: int


# --- tick by tick and real-time bars -----------------------------------------------------------------


@dataclass(**FROZEN)
class TickByTickLast(Response):
    """tickByTick (99) of type Last (1) or, with `all_last`, AllLast (2); `time` in epoch seconds."""

    msg_id = ServerMsgId.TICK_BY_TICK
    req_id: int
    time: int
    price: float
    size: float
    exchange: str = ""
    special_conditions: str = ""
    past_limit: bool = False
    unreported: bool = False
    all_last: bool = False


@dataclass(**FROZEN)
class TickByTickBidAsk(Response):
    """tickByTick (99) of type BidAsk (3)."""

    msg_id = ServerMsgId.TICK_BY_TICK
    req_id: int
    time: int
    bid_price: float
    ask_price: float
    bid_size: float
    ask_size: float
    bid_past_low: bool = False
    ask_past_high: bool = False


@dataclass(**FROZEN)
class TickByTickMidPoint(Response):
    """tickByTick (99) of type MidPoint (4)."""

    msg_id = ServerMsgId.TICK_BY_TICK
    req_id: int
    time: int
    mid_point: float


@dataclass(**FROZEN)
class RealTimeBar(Response):
    """realtimeBar (50): one 5-second bar; `time` is the bar start in epoch seconds."""

    msg_id = ServerMsgId.REAL_TIME_BARS
    req_id: int
    time: int
    open: float
    high: float
    low: float
    close: float
    volume: Decimal
    wap: Decimal
    count: int


# --- encoders ----------------------------------------------------------------------------------------


# tickPrice's text of a price costs more than all the rest of its frame, and a feed's prices (and bid/ask
# sizes) sit on a grid, so their texts are memoised: pure functions' caches, cleared when full. Prices off
# the tick grid always miss and cost about twice as much; real quotes never are.
_CACHE_SIZE = 1 << 16
_price_text: dict[float, bytes] = {}
_size_text: dict[float, bytes] = {}
_cached_price_text = _price_text.get
_cached_size_text = _size_text.get
# A tickPrice/tickSize payload is under 256 bytes unless its ids are absurd: its length prefix is one of these.
_SHORT_LENGTHS = [bytes((0, 0, 0, n)) for n in range(256)]


def _size_bytes(size: float, sv: int) -> bytes:
    """A size as `fmt_size` writes it (whole units before 163), or LocalProtocolError if not finite."""
    if not math.isfinite(size):
        raise LocalProtocolError(f"market-data size must be a finite number, got {size!r}")
    if sv < _FRACTIONAL or not size % 1:
        return b"%d" % size
    return b"%r" % float(size)


def _tick_price(m: TickPrice, sv: int) -> bytes:
    # Exactly 7 fields (v6): ib_async unpacks them into 7 names.
    price = m.price
    price_text = _cached_price_text(price)
    if price_text is None:
        if len(_price_text) >= _CACHE_SIZE:
            _price_text.clear()
        price_text = _price_text[price] = b"%r" % float(price)
    size = m.size
    if sv >= _FRACTIONAL:
        size_text = _cached_size_text(size)
        if size_text is None:
            if len(_size_text) >= _CACHE_SIZE:
                _size_text.clear()
            size_text = _size_text[size] = _size_bytes(size, sv)
    else:
        size_text = _size_bytes(size, sv)
    if m.can_auto_execute or m.past_limit or m.pre_open:
        attrib = m.can_auto_execute | m.past_limit << 1 | m.pre_open << 2
        payload = b"1\x006\x00%d\x00%d\x00%s\x00%s\x00%d\x00" % (m.req_id, m.tick_type, price_text, size_text, attrib)
    else:
        payload = b"1\x006\x00%d\x00%d\x00%s\x00%s\x000\x00" % (m.req_id, m.tick_type, price_text, size_text)
    n = len(payload)
    return (_SHORT_LENGTHS[n] if n < 256 else _pack_length(n)) + payload


def _tick_size(m: TickSize, sv: int) -> bytes:
    # Not memoised: volume sizes (tick type 8) grow without repeating.
    size = m.size
    if not size % 1:
        payload = b"2\x006\x00%d\x00%d\x00%d\x00" % (m.req_id, m.tick_type, size)
    else:  # fractional, nan or inf
        payload = b"2\x006\x00%d\x00%d\x00%s\x00" % (m.req_id, m.tick_type, _size_bytes(size, sv))
    n = len(payload)
    return (_SHORT_LENGTHS[n] if n < 256 else _pack_length(n)) + payload


def encode_ticks(messages: Iterable[TickPrice | TickSize], sv: int) -> bytes:
    """Frame a batch of tickPrice/tickSize messages into one bytes object, ready for one socket write."""
    tick_price = _tick_price
    tick_size = _tick_size
    return b"".join([tick_price(m, sv) if isinstance(m, TickPrice) else tick_size(m, sv) for m in messages])


def _tick_string(m: TickString, sv: int) -> bytes:
    return frame_fields(["46", "6", fmt_int(m.req_id), fmt_int(m.tick_type), m.value])


def _tick_generic(m: TickGeneric, sv: int) -> bytes:
    return frame_fields(["45", "6", fmt_int(m.req_id), fmt_int(m.tick_type), fmt_num(m.value)])


def _tick_efp(m: TickEfp, sv: int) -> bytes:
    # ibapi 9.81 maps these fields onto its wrapper signature one to one, so the count must be exact.
    return frame_fields(
        [
            "47",
            "6",
            fmt_int(m.req_id),
            fmt_int(m.tick_type),
            fmt_num(m.basis_points),
            m.formatted_basis_points,
            fmt_num(m.total_dividends),
            fmt_int(m.hold_days),
            m.future_last_trade_date,
            fmt_num(m.dividend_impact),
            fmt_num(m.dividends_to_last_trade_date),
        ]
    )


def _computed(value: float | None, not_computed: str) -> str:
    return not_computed if value is None else fmt_num(value) or not_computed


def _tick_option_computation(m: TickOptionComputation, sv: int) -> bytes:
    # No version field from PRICE_BASED_VOLATILITY (156), below every version we serve. Both clients read
    # every value with float() and no fallback, so "not computed" is a number: -1 or -2 as IB defines.
    return frame_fields(
        [
            "21",
            fmt_int(m.req_id),
            fmt_int(m.tick_type),
            fmt_int(m.tick_attrib),
            _computed(m.implied_vol, "-1"),
            _computed(m.delta, "-2"),
            _computed(m.opt_price, "-1"),
            _computed(m.pv_dividend, "-1"),
            _computed(m.gamma, "-2"),
            _computed(m.vega, "-2"),
            _computed(m.theta, "-2"),
            _computed(m.und_price, "-1"),
        ]
    )


def _tick_snapshot_end(m: TickSnapshotEnd, sv: int) -> bytes:
    return frame_fields(["57", "1", fmt_int(m.req_id)])


def _tick_req_params(m: TickReqParams, sv: int) -> bytes:
    return frame_fields(["81", fmt_int(m.req_id), fmt_num(m.min_tick), m.bbo_exchange, fmt_int(m.snapshot_permissions)])


def _market_data_type(m: MarketDataType, sv: int) -> bytes:
    return frame_fields(["58", "1", fmt_int(m.req_id), fmt_int(m.market_data_type)])


def _tick_by_tick_last(m: TickByTickLast, sv: int) -> bytes:
    mask = m.past_limit | m.unreported << 1
    return frame_fields(
        [
            "99",
            fmt_int(m.req_id),
            "2" if m.all_last else "1",
            fmt_int(m.time),
            fmt_price(m.price),
            fmt_size(m.size, sv),
            fmt_int(mask),
            m.exchange,
            m.special_conditions,
        ]
    )


def _tick_by_tick_bid_ask(m: TickByTickBidAsk, sv: int) -> bytes:
    # Bit order differs from historicalTicksBidAsk (97): here bit 1 is bidPastLow.
    mask = m.bid_past_low | m.ask_past_high << 1
    return frame_fields(
        [
            "99",
            fmt_int(m.req_id),
            "3",
            fmt_int(m.time),
            fmt_price(m.bid_price),
            fmt_price(m.ask_price),
            fmt_size(m.bid_size, sv),
            fmt_size(m.ask_size, sv),
            fmt_int(mask),
        ]
    )


def _tick_by_tick_mid_point(m: TickByTickMidPoint, sv: int) -> bytes:
    return frame_fields(["99", fmt_int(m.req_id), "4", fmt_int(m.time), fmt_price(m.mid_point)])


def _real_time_bar(m: RealTimeBar, sv: int) -> bytes:
    return frame_fields(
        [
            "50",
            "3",
            fmt_int(m.req_id),
            fmt_int(m.time),
            fmt_price(m.open),
            fmt_price(m.high),
            fmt_price(m.low),
            fmt_price(m.close),
            fmt_size(m.volume, sv),
            fmt_decimal(m.wap),
            fmt_int(m.count),
        ]
    )


ENCODERS: dict[type[Response], Encoder] = {
    TickPrice: _tick_price,
    TickSize: _tick_size,
    TickString: _tick_string,
    TickGeneric: _tick_generic,
    TickEfp: _tick_efp,
    TickOptionComputation: _tick_option_computation,
    TickSnapshotEnd: _tick_snapshot_end,
    TickReqParams: _tick_req_params,
    MarketDataType: _market_data_type,
    TickByTickLast: _tick_by_tick_last,
    TickByTickBidAsk: _tick_by_tick_bid_ask,
    TickByTickMidPoint: _tick_by_tick_mid_point,
    RealTimeBar: _real_time_bar,
    **depth.ENCODERS,
}
