"""Market-data requests as ib_async 2.1.0 and ibapi 9.81 send them decode into our typed requests."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ib_async import TagValue as IbTagValue

from ibbot.errors import FieldError
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests import BadRequest, decode_request
from ibbot.protocol.requests.base import parse_tag_values
from ibbot.protocol.requests.market import (
    DECODERS,
    CancelCalcImpliedVolat,
    CancelCalcOptionPrice,
    CancelMktData,
    CancelMktDepth,
    CancelRealTimeBars,
    CancelTickByTickData,
    ReqCalcImpliedVolat,
    ReqCalcOptionPrice,
    ReqMktData,
    ReqMktDepth,
    ReqMktDepthExchanges,
    ReqRealTimeBars,
    ReqSmartComponents,
    ReqTickByTickData,
)
from ibbot.protocol.types import ComboLeg, Contract, DeltaNeutralContract, TagValue
from oracles import decode_single, ib_async_requests, ibapi_contract, ibapi_requests, wire_contract

VERSIONS = [157, 176, 178]  # no layout here changes in 157..178; 176 is where contract details change
KINDS = ["stock", "option", "future", "forex", "con_id"]


decoded = partial(decode_single, decoders=DECODERS)  # one frame, every field consumed, the table agrees


def ib_contract(kind: str) -> Any:
    import ib_async as ib

    return {
        "stock": lambda: ib.Stock("AAPL", "SMART", "USD", primaryExchange="NASDAQ"),
        "option": lambda: ib.Option(
            "SPY", "20240621", 500.0, "C", "SMART", multiplier="100", currency="USD", tradingClass="SPY"
        ),
        "future": lambda: ib.Future("ES", "202403", "CME", localSymbol="ESH4", multiplier="50", currency="USD"),
        "forex": lambda: ib.Forex("EURUSD"),
        "con_id": lambda: ib.Contract(conId=265598, exchange="SMART"),
        "bag": lambda: ib.Contract(
            secType="BAG",
            symbol="SPY",
            exchange="SMART",
            currency="USD",
            comboLegs=[
                ib.ComboLeg(conId=11, ratio=1, action="BUY", exchange="SMART"),
                ib.ComboLeg(conId=12, ratio=2, action="SELL", exchange="CBOE"),
            ],
        ),
        "delta_neutral": lambda: ib.Stock(
            "SPY",
            "SMART",
            "USD",
            deltaNeutralContract=ib.DeltaNeutralContract(conId=756733, delta=0.5, price=470.25),
        ),
    }[kind]()


def to_ibapi(c: Any) -> Any:
    """The same contract as an ibapi 9.81 object."""
    from ibapi.contract import DeltaNeutralContract as ApiDeltaNeutral

    out = ibapi_contract(c, "includeExpired", "secIdType", "secId")
    if c.deltaNeutralContract:
        dnc = ApiDeltaNeutral()
        dnc.conId, dnc.delta, dnc.price = (
            c.deltaNeutralContract.conId,
            c.deltaNeutralContract.delta,
            c.deltaNeutralContract.price,
        )
        out.deltaNeutralContract = dnc
    return out


as_contract = wire_contract


def with_legs(c: Any) -> Contract:
    legs = tuple(ComboLeg(con_id=x.conId, ratio=x.ratio, action=x.action, exchange=x.exchange) for x in c.comboLegs)
    return as_contract(c, combo_legs=legs)


def with_delta_neutral(c: Any) -> Contract:
    d = c.deltaNeutralContract
    return as_contract(c, delta_neutral_contract=DeltaNeutralContract(con_id=d.conId, delta=d.delta, price=d.price))


# --- reqMktData (1) / cancelMktData (2) -----------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_ib_async_req_mkt_data_plain_contracts(sv: int, kind: str) -> None:
    c = ib_contract(kind)
    frames = ib_async_requests(sv, lambda cl: cl.reqMktData(5, c, "", False, False, []))
    assert len(frames[0]) == 20  # reference 7.2: reqMktData is 20 fields for a non-BAG contract
    assert decoded(frames, sv) == ReqMktData(req_id=5, contract=as_contract(c))


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_req_mkt_data_variants(sv: int) -> None:
    stock, bag, dn = ib_contract("stock"), ib_contract("bag"), ib_contract("delta_neutral")
    frames = ib_async_requests(sv, lambda cl: cl.reqMktData(6, stock, "100,101,104,233,mdoff", False, False, []))
    msg = decoded(frames, sv)
    assert msg.generic_tick_list == "100,101,104,233,mdoff"
    assert msg.generic_ticks == ("100", "101", "104", "233", "mdoff")

    frames = ib_async_requests(sv, lambda cl: cl.reqMktData(7, stock, "", True, True, []))
    assert decoded(frames, sv) == ReqMktData(
        req_id=7, contract=as_contract(stock), snapshot=True, regulatory_snapshot=True
    )

    frames = ib_async_requests(sv, lambda cl: cl.reqMktData(8, bag, "233", False, False, []))
    assert len(frames[0]) == 20 + 1 + 4 * 2  # leg count, then 4 fields per leg
    assert decoded(frames, sv) == ReqMktData(req_id=8, contract=with_legs(bag), generic_tick_list="233")

    frames = ib_async_requests(sv, lambda cl: cl.reqMktData(9, dn, "", False, False, []))
    assert decoded(frames, sv) == ReqMktData(req_id=9, contract=with_delta_neutral(dn))

    opts = [IbTagValue("a", "1"), IbTagValue("b", "x=y")]
    frames = ib_async_requests(sv, lambda cl: cl.reqMktData(10, stock, "", False, False, opts))
    assert decoded(frames, sv).mkt_data_options == (
        TagValue(tag="a", value="1"),
        TagValue(tag="b", value="x=y"),
    )

    assert decoded(ib_async_requests(sv, lambda cl: cl.cancelMktData(10)), sv) == CancelMktData(req_id=10)


@pytest.mark.parametrize("kind", [*KINDS, "bag", "delta_neutral"])
def test_ibapi_req_mkt_data(kind: str) -> None:
    c = ib_contract(kind)
    expected = {"bag": with_legs, "delta_neutral": with_delta_neutral}.get(kind, as_contract)(c)
    frames = ibapi_requests(lambda cl: cl.reqMktData(3, to_ibapi(c), "100,225", True, False, []))
    assert decoded(frames, 157) == ReqMktData(req_id=3, contract=expected, generic_tick_list="100,225", snapshot=True)


def test_ibapi_cancel_mkt_data() -> None:
    assert decoded(ibapi_requests(lambda cl: cl.cancelMktData(3)), 157) == CancelMktData(req_id=3)


# --- depth (10, 11, 82, 83) ---------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("smart", [False, True])
def test_ib_async_mkt_depth(sv: int, smart: bool) -> None:
    c = ib_contract("stock")
    opts = [IbTagValue("x", "1")]
    frames = ib_async_requests(sv, lambda cl: cl.reqMktDepth(4, c, 10, smart, opts))
    assert decoded(frames, sv) == ReqMktDepth(
        req_id=4,
        contract=as_contract(c),
        num_rows=10,
        is_smart_depth=smart,
        mkt_depth_options=(TagValue(tag="x", value="1"),),
    )
    frames = ib_async_requests(sv, lambda cl: cl.cancelMktDepth(4, smart))
    assert decoded(frames, sv) == CancelMktDepth(req_id=4, is_smart_depth=smart)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_depth_exchanges_and_smart_components(sv: int) -> None:
    frames = ib_async_requests(sv, lambda cl: cl.reqMktDepthExchanges())
    assert decoded(frames, sv) == ReqMktDepthExchanges()
    frames = ib_async_requests(sv, lambda cl: cl.reqSmartComponents(12, "a6"))
    assert decoded(frames, sv) == ReqSmartComponents(req_id=12, bbo_exchange="a6")


@pytest.mark.parametrize("smart", [False, True])
def test_ibapi_mkt_depth(smart: bool) -> None:
    c = ib_contract("future")
    frames = ibapi_requests(lambda cl: cl.reqMktDepth(4, to_ibapi(c), 5, smart, []))
    assert decoded(frames, 157) == ReqMktDepth(req_id=4, contract=as_contract(c), num_rows=5, is_smart_depth=smart)
    frames = ibapi_requests(lambda cl: cl.cancelMktDepth(4, smart))
    assert decoded(frames, 157) == CancelMktDepth(req_id=4, is_smart_depth=smart)
    assert decoded(ibapi_requests(lambda cl: cl.reqMktDepthExchanges()), 157) == ReqMktDepthExchanges()
    frames = ibapi_requests(lambda cl: cl.reqSmartComponents(12, "a6"))
    assert decoded(frames, 157) == ReqSmartComponents(req_id=12, bbo_exchange="a6")


# --- tick-by-tick (97, 98) ------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("tick_type", ["Last", "AllLast", "BidAsk", "MidPoint"])
def test_ib_async_tick_by_tick(sv: int, tick_type: str) -> None:
    c = ib_contract("option")
    frames = ib_async_requests(sv, lambda cl: cl.reqTickByTickData(13, c, tick_type, 0, False))
    assert decoded(frames, sv) == ReqTickByTickData(req_id=13, contract=as_contract(c), tick_type=tick_type)
    frames = ib_async_requests(sv, lambda cl: cl.reqTickByTickData(14, c, tick_type, 100, True))
    assert decoded(frames, sv) == ReqTickByTickData(
        req_id=14, contract=as_contract(c), tick_type=tick_type, number_of_ticks=100, ignore_size=True
    )
    frames = ib_async_requests(sv, lambda cl: cl.cancelTickByTickData(14))
    assert decoded(frames, sv) == CancelTickByTickData(req_id=14)


@pytest.mark.parametrize("tick_type", ["Last", "AllLast", "BidAsk", "MidPoint"])
def test_ibapi_tick_by_tick(tick_type: str) -> None:
    c = ib_contract("stock")
    frames = ibapi_requests(lambda cl: cl.reqTickByTickData(13, to_ibapi(c), tick_type, 10, True))
    assert decoded(frames, 157) == ReqTickByTickData(
        req_id=13, contract=as_contract(c), tick_type=tick_type, number_of_ticks=10, ignore_size=True
    )
    assert decoded(ibapi_requests(lambda cl: cl.cancelTickByTickData(13)), 157) == CancelTickByTickData(req_id=13)


# --- real-time bars (50, 51) ----------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_real_time_bars(sv: int) -> None:
    c = ib_contract("forex")
    opts = [IbTagValue("k", "v")]
    frames = ib_async_requests(sv, lambda cl: cl.reqRealTimeBars(15, c, 5, "MIDPOINT", True, opts))
    assert decoded(frames, sv) == ReqRealTimeBars(
        req_id=15,
        contract=as_contract(c),
        bar_size=5,
        what_to_show="MIDPOINT",
        use_rth=True,
        real_time_bars_options=(TagValue(tag="k", value="v"),),
    )
    assert decoded(ib_async_requests(sv, lambda cl: cl.cancelRealTimeBars(15)), sv) == CancelRealTimeBars(req_id=15)


def test_ibapi_real_time_bars() -> None:
    from ibapi.tag_value import TagValue as ApiTagValue

    c = ib_contract("stock")
    frames = ibapi_requests(lambda cl: cl.reqRealTimeBars(15, to_ibapi(c), 5, "TRADES", False, [ApiTagValue("k", "v")]))
    assert decoded(frames, 157) == ReqRealTimeBars(
        req_id=15,
        contract=as_contract(c),
        bar_size=5,
        what_to_show="TRADES",
        use_rth=False,
        real_time_bars_options=(TagValue(tag="k", value="v"),),
    )
    assert decoded(ibapi_requests(lambda cl: cl.cancelRealTimeBars(15)), 157) == CancelRealTimeBars(req_id=15)


# --- option calculations (54-57) ------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_option_calculations(sv: int) -> None:
    c = ib_contract("option")
    opts = [IbTagValue("a", "1"), IbTagValue("b", "2")]
    frames = ib_async_requests(sv, lambda cl: cl.calculateImpliedVolatility(16, c, 5.5, 501.25, opts))
    assert decoded(frames, sv) == ReqCalcImpliedVolat(
        req_id=16,
        contract=as_contract(c),
        option_price=5.5,
        under_price=501.25,
        options=(TagValue(tag="a", value="1"), TagValue(tag="b", value="2")),
    )
    frames = ib_async_requests(sv, lambda cl: cl.calculateOptionPrice(17, c, 0.2, 499.0, []))
    assert decoded(frames, sv) == ReqCalcOptionPrice(
        req_id=17, contract=as_contract(c), volatility=0.2, under_price=499.0
    )
    frames = ib_async_requests(sv, lambda cl: cl.cancelCalculateImpliedVolatility(16))
    assert decoded(frames, sv) == CancelCalcImpliedVolat(req_id=16)
    frames = ib_async_requests(sv, lambda cl: cl.cancelCalculateOptionPrice(17))
    assert decoded(frames, sv) == CancelCalcOptionPrice(req_id=17)


def test_ibapi_option_calculations() -> None:
    from ibapi.tag_value import TagValue as ApiTagValue

    c = ib_contract("option")
    frames = ibapi_requests(
        lambda cl: cl.calculateImpliedVolatility(16, to_ibapi(c), 5.5, 501.25, [ApiTagValue("a", "1")])
    )
    assert decoded(frames, 157) == ReqCalcImpliedVolat(
        req_id=16,
        contract=as_contract(c),
        option_price=5.5,
        under_price=501.25,
        options=(TagValue(tag="a", value="1"),),
    )
    frames = ibapi_requests(lambda cl: cl.calculateOptionPrice(17, to_ibapi(c), 0.2, 499.0, []))
    assert decoded(frames, 157) == ReqCalcOptionPrice(
        req_id=17, contract=as_contract(c), volatility=0.2, under_price=499.0
    )
    frames = ibapi_requests(lambda cl: cl.cancelCalculateImpliedVolatility(16))
    assert decoded(frames, 157) == CancelCalcImpliedVolat(req_id=16)
    frames = ibapi_requests(lambda cl: cl.cancelCalculateOptionPrice(17))
    assert decoded(frames, 157) == CancelCalcOptionPrice(req_id=17)


# --- options lists and bad input ------------------------------------------------------------------------


def test_parse_tag_values_forms() -> None:
    assert parse_tag_values("") == ()
    assert parse_tag_values("a=1") == (TagValue(tag="a", value="1"),)  # trailing ';' optional
    assert parse_tag_values("a=;b=c=d;") == (TagValue(tag="a", value=""), TagValue(tag="b", value="c=d"))
    for bad in ("novalue;", "=1;"):
        with pytest.raises(FieldError):
            parse_tag_values(bad)


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters=";=\0"), min_size=1)


@given(st.lists(st.tuples(_TEXT, _TEXT | st.just(""))))
def test_parse_tag_values_round_trips_ib_async_encoding(pairs: list[tuple[str, str]]) -> None:
    text = "".join(f"{tag}={value};" for tag, value in pairs)  # ib_async's list encoding in Client.send
    assert parse_tag_values(text) == tuple(TagValue(tag=t, value=v) for t, v in pairs)


def test_malformed_market_requests_become_bad_requests() -> None:
    fields = ib_async_requests(178, lambda cl: cl.reqMktData(8, ib_contract("bag"), "", False, False, []))[0]
    fields[15] = "1000"  # a leg count that cannot fit the message
    assert isinstance(decode_request(fields, 178), BadRequest)
    fields = ib_async_requests(178, lambda cl: cl.reqMktData(8, ib_contract("stock"), "", False, False, []))[0]
    fields[-1] = "garbage"
    assert isinstance(decode_request(fields, 178), BadRequest)
    assert isinstance(decode_request(fields[:-3], 178), BadRequest)  # truncated


def test_market_table_covers_the_family() -> None:
    assert set(DECODERS) == {
        ClientMsgId.REQ_MKT_DATA,
        ClientMsgId.CANCEL_MKT_DATA,
        ClientMsgId.REQ_MKT_DEPTH,
        ClientMsgId.CANCEL_MKT_DEPTH,
        ClientMsgId.REQ_TICK_BY_TICK_DATA,
        ClientMsgId.CANCEL_TICK_BY_TICK_DATA,
        ClientMsgId.REQ_REAL_TIME_BARS,
        ClientMsgId.CANCEL_REAL_TIME_BARS,
        ClientMsgId.REQ_CALC_IMPLIED_VOLAT,
        ClientMsgId.REQ_CALC_OPTION_PRICE,
        ClientMsgId.CANCEL_CALC_IMPLIED_VOLAT,
        ClientMsgId.CANCEL_CALC_OPTION_PRICE,
        ClientMsgId.REQ_MKT_DEPTH_EXCHANGES,
        ClientMsgId.REQ_SMART_COMPONENTS,
    }
