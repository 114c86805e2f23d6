"""Market-data requests: top of book, depth, tick-by-tick, real-time bars, option calculations, and cancels.

Every layout here is fixed across server versions 157..200 (the gates that shaped them, such as
TRADING_CLASS 68, LINKING 70, SMART_DEPTH 146, TICK_BY_TICK_IGNORE_SIZE 140, all lie below 157).
Options lists travel as one field `tag=value;tag=value;` (`base.read_tag_values`); the history family
reuses `read_combo_legs`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ibbot.errors import FieldError
from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests.base import (
    FROZEN,
    Decoder,
    Request,
    read_contract,
    read_counted_tag_values,
    read_delta_neutral_contract,
    read_tag_values,
    req_id_only,
)
from ibbot.protocol.types import ComboLeg, Contract, TagValue

# --- shared field groups -----------------------------------------------------------------------------


def read_count(r: FieldReader, what: str, fields_each: int) -> int:
    """A repeat count, checked against what is left so a wild count fails cleanly instead of mis-reading."""
    n = r.int(what)
    if n < 0 or n * fields_each > r.remaining():
        raise FieldError(f"field {r.pos - 1} ({what}): count {n} does not fit the message")
    return n


def read_combo_legs(r: FieldReader) -> tuple[ComboLeg, ...]:
    """A BAG's legs as data requests carry them: count, then (conId, ratio, action, exchange) each."""
    return tuple(
        ComboLeg(
            con_id=r.int("comboLeg.conId"),
            ratio=r.int("comboLeg.ratio"),
            action=r.str("comboLeg.action"),
            exchange=r.str("comboLeg.exchange"),
        )
        for _ in range(read_count(r, "comboLegsCount", 4))
    )


# --- messages ----------------------------------------------------------------------------------------


@dataclass(**FROZEN)
class ReqMktData(Request):
    """reqMktData (1); `contract` carries BAG legs and the delta-neutral leg when the client sent them."""

    msg_id = ClientMsgId.REQ_MKT_DATA
    req_id: int
    contract: Contract
    generic_tick_list: str = ""
    snapshot: bool = False
    regulatory_snapshot: bool = False
    mkt_data_options: tuple[TagValue, ...] = ()

    @property
    def generic_ticks(self) -> tuple[str, ...]:
        """The comma-separated generic tick list as items (`"100,233,mdoff"` -> 3 items)."""
        return tuple(item.strip() for item in self.generic_tick_list.split(",") if item.strip())


@dataclass(**FROZEN)
class CancelMktData(Request):
    msg_id = ClientMsgId.CANCEL_MKT_DATA
    req_id: int


@dataclass(**FROZEN)
class ReqMktDepth(Request):
    msg_id = ClientMsgId.REQ_MKT_DEPTH
    req_id: int
    contract: Contract
    num_rows: int
    is_smart_depth: bool = False
    mkt_depth_options: tuple[TagValue, ...] = ()


@dataclass(**FROZEN)
class CancelMktDepth(Request):
    msg_id = ClientMsgId.CANCEL_MKT_DEPTH
    req_id: int
    is_smart_depth: bool = False


@dataclass(**FROZEN)
class ReqTickByTickData(Request):
    """reqTickByTickData (97): `tick_type` is `Last`, `AllLast`, `BidAsk` or `MidPoint`."""

    msg_id = ClientMsgId.REQ_TICK_BY_TICK_DATA
    req_id: int
    contract: Contract
    tick_type: str
    number_of_ticks: int = 0
    ignore_size: bool = False


@dataclass(**FROZEN)
class CancelTickByTickData(Request):
    msg_id = ClientMsgId.CANCEL_TICK_BY_TICK_DATA
    req_id: int


@dataclass(**FROZEN)
class ReqRealTimeBars(Request):
    """reqRealTimeBars (50): `bar_size` is in seconds (TWS only serves 5)."""

    msg_id = ClientMsgId.REQ_REAL_TIME_BARS
    req_id: int
    contract: Contract
    bar_size: int
    what_to_show: str
    use_rth: bool
    real_time_bars_options: tuple[TagValue, ...] = ()


@dataclass(**FROZEN)
class CancelRealTimeBars(Request):
    msg_id = ClientMsgId.CANCEL_REAL_TIME_BARS
    req_id: int


@dataclass(**FROZEN)
class ReqCalcImpliedVolat(Request):
    """calculateImpliedVolatility (54): the volatility implied by an option price."""

    msg_id = ClientMsgId.REQ_CALC_IMPLIED_VOLAT
    req_id: int
    contract: Contract
    option_price: float
    under_price: float
    options: tuple[TagValue, ...] = ()


@dataclass(**FROZEN)
class ReqCalcOptionPrice(Request):
    """calculateOptionPrice (55): the option price and greeks for a volatility."""

    msg_id = ClientMsgId.REQ_CALC_OPTION_PRICE
    req_id: int
    contract: Contract
    volatility: float
    under_price: float
    options: tuple[TagValue, ...] = ()


@dataclass(**FROZEN)
class CancelCalcImpliedVolat(Request):
    msg_id = ClientMsgId.CANCEL_CALC_IMPLIED_VOLAT
    req_id: int


@dataclass(**FROZEN)
class CancelCalcOptionPrice(Request):
    msg_id = ClientMsgId.CANCEL_CALC_OPTION_PRICE
    req_id: int


@dataclass(**FROZEN)
class ReqMktDepthExchanges(Request):
    msg_id = ClientMsgId.REQ_MKT_DEPTH_EXCHANGES


@dataclass(**FROZEN)
class ReqSmartComponents(Request):
    msg_id = ClientMsgId.REQ_SMART_COMPONENTS
    req_id: int
    bbo_exchange: str


# --- decoders ----------------------------------------------------------------------------------------


def _req_mkt_data(r: FieldReader, sv: int) -> ReqMktData:
    r.int("version")
    req_id = r.int("reqId")
    contract = read_contract(r)
    legs = read_combo_legs(r) if contract.sec_type == "BAG" else ()
    dnc = read_delta_neutral_contract(r)
    return ReqMktData(
        req_id=req_id,
        contract=dataclasses.replace(contract, combo_legs=legs, delta_neutral_contract=dnc),
        generic_tick_list=r.str("genericTickList"),
        snapshot=r.bool("snapshot"),
        regulatory_snapshot=r.bool("regulatorySnapshot"),
        mkt_data_options=read_tag_values(r, "mktDataOptions"),
    )


def _req_mkt_depth(r: FieldReader, sv: int) -> ReqMktDepth:
    r.int("version")
    return ReqMktDepth(
        req_id=r.int("reqId"),
        contract=read_contract(r),
        num_rows=r.int("numRows"),
        is_smart_depth=r.bool("isSmartDepth"),
        mkt_depth_options=read_tag_values(r, "mktDepthOptions"),
    )


def _cancel_mkt_depth(r: FieldReader, sv: int) -> CancelMktDepth:
    r.int("version")
    return CancelMktDepth(req_id=r.int("reqId"), is_smart_depth=r.bool("isSmartDepth"))


def _req_tick_by_tick(r: FieldReader, sv: int) -> ReqTickByTickData:
    return ReqTickByTickData(
        req_id=r.int("reqId"),
        contract=read_contract(r),
        tick_type=r.str("tickType"),
        number_of_ticks=r.int("numberOfTicks"),
        ignore_size=r.bool("ignoreSize"),
    )


def _req_real_time_bars(r: FieldReader, sv: int) -> ReqRealTimeBars:
    r.int("version")
    return ReqRealTimeBars(
        req_id=r.int("reqId"),
        contract=read_contract(r),
        bar_size=r.int("barSize"),
        what_to_show=r.str("whatToShow"),
        use_rth=r.bool("useRTH"),
        real_time_bars_options=read_tag_values(r, "realTimeBarsOptions"),
    )


def _req_calc_implied_volat(r: FieldReader, sv: int) -> ReqCalcImpliedVolat:
    r.int("version")
    return ReqCalcImpliedVolat(
        req_id=r.int("reqId"),
        contract=read_contract(r),
        option_price=r.float("optionPrice"),
        under_price=r.float("underPrice"),
        options=read_counted_tag_values(r, "options"),
    )


def _req_calc_option_price(r: FieldReader, sv: int) -> ReqCalcOptionPrice:
    r.int("version")
    return ReqCalcOptionPrice(
        req_id=r.int("reqId"),
        contract=read_contract(r),
        volatility=r.float("volatility"),
        under_price=r.float("underPrice"),
        options=read_counted_tag_values(r, "options"),
    )


def _req_mkt_depth_exchanges(r: FieldReader, sv: int) -> ReqMktDepthExchanges:
    return ReqMktDepthExchanges()


def _req_smart_components(r: FieldReader, sv: int) -> ReqSmartComponents:
    return ReqSmartComponents(req_id=r.int("reqId"), bbo_exchange=r.str("bboExchange"))


DECODERS: dict[ClientMsgId, Decoder] = {
    ClientMsgId.REQ_MKT_DATA: _req_mkt_data,
    ClientMsgId.CANCEL_MKT_DATA: req_id_only(CancelMktData, versioned=True),
    ClientMsgId.REQ_MKT_DEPTH: _req_mkt_depth,
    ClientMsgId.CANCEL_MKT_DEPTH: _cancel_mkt_depth,
    ClientMsgId.REQ_TICK_BY_TICK_DATA: _req_tick_by_tick,
    ClientMsgId.CANCEL_TICK_BY_TICK_DATA: req_id_only(CancelTickByTickData, versioned=False),
    ClientMsgId.REQ_REAL_TIME_BARS: _req_real_time_bars,
    ClientMsgId.CANCEL_REAL_TIME_BARS: req_id_only(CancelRealTimeBars, versioned=True),
    ClientMsgId.REQ_CALC_IMPLIED_VOLAT: _req_calc_implied_volat,
    ClientMsgId.REQ_CALC_OPTION_PRICE: _req_calc_option_price,
    ClientMsgId.CANCEL_CALC_IMPLIED_VOLAT: req_id_only(CancelCalcImpliedVolat, versioned=True),
    ClientMsgId.CANCEL_CALC_OPTION_PRICE: req_id_only(CancelCalcOptionPrice, versioned=True),
    ClientMsgId.REQ_MKT_DEPTH_EXCHANGES: _req_mkt_depth_exchanges,
    ClientMsgId.REQ_SMART_COMPONENTS: _req_smart_components,
}
