"""Market-data server messages as the real clients read them: ib_async 2.1.0 at 157..178, ibapi 9.81 at 157."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.errors import LocalProtocolError
from ibbot.protocol.framing import FrameBuffer, split_fields
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.base import Response
from ibbot.protocol.responses.depth import (
    DepthExchange,
    MarketDepth,
    MarketDepthL2,
    MktDepthExchanges,
    RerouteMktDataReq,
    RerouteMktDepthReq,
    SmartComponent,
    SmartComponents,
)
from ibbot.protocol.responses.market import (
    MarketDataType,
    RealTimeBar,
    TickByTickBidAsk,
    TickByTickLast,
    TickByTickMidPoint,
    TickEfp,
    TickGeneric,
    TickOptionComputation,
    TickPrice,
    TickReqParams,
    TickSize,
    TickSnapshotEnd,
    TickString,
    encode_ticks,
)
from oracles import ib_async_decode, ibapi_decode

VERSIONS = [157, 178]
# Sizes: MARKET_DATA_IN_SHARES (159), FRACTIONAL_SIZE_SUPPORT (163), and the history-size gate 175.
SIZE_VERSIONS = [157, 159, 162, 163, 165, 175, 178]

BID, ASK, LAST, CLOSE = 1, 2, 4, 9
DELAYED_BID, DELAYED_ASK, DELAYED_LAST = 66, 67, 68
# The size tick ibapi derives from each price tick (ibapi decoder.processTickPriceMsg).
SIZE_OF = {BID: 0, ASK: 3, LAST: 5, DELAYED_BID: 69, DELAYED_ASK: 70, DELAYED_LAST: 71}


def ib_async(sv: int, msg: Response) -> list[tuple[str, tuple[Any, ...]]]:
    return [(c.name, c.args) for c in ib_async_decode(sv, encode_response(msg, sv))]


def ibapi(msg: Response) -> list[tuple[str, tuple[Any, ...]]]:
    return [(c.name, c.args) for c in ibapi_decode(encode_response(msg, 157))]


def fields_of(data: bytes) -> list[str]:
    buf = FrameBuffer()
    buf.feed(data)
    payload = buf.next_frame()
    assert payload is not None
    assert len(buf) == 0
    return split_fields(payload)


# --- tickPrice / tickSize ------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
@pytest.mark.parametrize("tick_type", [BID, ASK, LAST, DELAYED_BID, DELAYED_ASK, DELAYED_LAST, CLOSE])
def test_ib_async_reads_tick_price_with_its_size(sv: int, tick_type: int) -> None:
    msg = TickPrice(req_id=12, tick_type=tick_type, price=187.37, size=300.0)
    assert ib_async(sv, msg) == [("priceSizeTick", (12, tick_type, 187.37, 300.0))]
    fields = fields_of(encode_response(msg, sv))
    assert len(fields) == 7  # ib_async unpacks exactly seven
    assert fields[5] == "300"  # integral sizes are integer text at every version


@pytest.mark.parametrize("tick_type", [BID, ASK, LAST, DELAYED_BID, DELAYED_ASK, DELAYED_LAST])
def test_ibapi_fires_tick_price_and_tick_size_for_bid_ask_last(tick_type: int) -> None:
    calls = ibapi(TickPrice(req_id=3, tick_type=tick_type, price=99.5, size=700))
    assert [name for name, _ in calls] == ["tickPrice", "tickSize"]
    assert calls[0][1][:3] == (3, tick_type, 99.5)
    assert calls[1][1] == (3, SIZE_OF[tick_type], 700)


def test_ibapi_fires_only_tick_price_for_other_tick_types() -> None:
    calls = ibapi(TickPrice(req_id=3, tick_type=CLOSE, price=98.25))
    assert [(name, args[:3]) for name, args in calls] == [("tickPrice", (3, CLOSE, 98.25))]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, (False, False, False)),
        ({"can_auto_execute": True}, (True, False, False)),
        ({"past_limit": True}, (False, True, False)),
        ({"pre_open": True}, (False, False, True)),
        ({"can_auto_execute": True, "past_limit": True, "pre_open": True}, (True, True, True)),
    ],
)
def test_ibapi_reads_tick_price_attribute_mask(flags: dict[str, bool], expected: tuple[bool, ...]) -> None:
    calls = ibapi(TickPrice(req_id=1, tick_type=BID, price=1.25, size=1, **flags))
    attrib = calls[0][1][3]
    assert (attrib.canAutoExecute, attrib.pastLimit, attrib.preOpen) == expected


def test_no_quote_price_minus_one_reaches_both_clients() -> None:
    msg = TickPrice(req_id=2, tick_type=BID, price=-1, size=0)
    assert ib_async(178, msg) == [("priceSizeTick", (2, BID, -1.0, 0.0))]
    assert [args[:3] for _, args in ibapi(msg)] == [(2, BID, -1.0), (2, 0, 0)]


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
def test_fractional_sizes_are_exact_from_163_and_whole_before(sv: int) -> None:
    expected = 0.25 if sv >= 163 else 0.0
    price = TickPrice(req_id=1, tick_type=ASK, price=64000.5, size=0.25)
    assert ib_async(sv, price) == [("priceSizeTick", (1, ASK, 64000.5, expected))]
    size = TickSize(req_id=1, tick_type=8, size=12.75)
    assert ib_async(sv, size) == [("tickSize", (1, 8, 12.75 if sv >= 163 else 12.0))]


def test_ibapi_reads_truncated_sizes_at_157() -> None:
    assert ibapi(TickSize(req_id=1, tick_type=8, size=12.75)) == [("tickSize", (1, 8, 12))]
    assert ibapi(TickPrice(req_id=1, tick_type=BID, price=2.5, size=3.5))[1] == ("tickSize", (1, 0, 3))


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
@pytest.mark.parametrize("tick_type", [0, 3, 5, 8, 21, 69, 74])
def test_ib_async_reads_tick_size(sv: int, tick_type: int) -> None:
    assert ib_async(sv, TickSize(req_id=4, tick_type=tick_type, size=1_234_567)) == [
        ("tickSize", (4, tick_type, 1_234_567.0))
    ]


def test_ibapi_reads_tick_size() -> None:
    assert ibapi(TickSize(req_id=4, tick_type=8, size=1_234_567.0)) == [("tickSize", (4, 8, 1_234_567))]


@pytest.mark.parametrize("sv", [157, 163, 178])
@pytest.mark.parametrize("size", [math.nan, math.inf, -math.inf])
def test_non_finite_sizes_are_refused(sv: int, size: float) -> None:
    with pytest.raises(LocalProtocolError):
        encode_response(TickPrice(req_id=1, tick_type=BID, price=1.0, size=size), sv)
    with pytest.raises(LocalProtocolError):
        encode_response(TickSize(req_id=1, tick_type=8, size=size), sv)


@pytest.mark.parametrize("sv", [157, 178])
def test_a_batch_of_ticks_is_read_as_the_same_callbacks_in_order(sv: int) -> None:
    ticks: list[TickPrice | TickSize] = [
        TickPrice(req_id=1, tick_type=BID, price=10.01, size=100),
        TickPrice(req_id=1, tick_type=ASK, price=10.02, size=200),
        TickSize(req_id=1, tick_type=8, size=5000),
        TickPrice(req_id=2, tick_type=LAST, price=10.01, size=50, past_limit=True),
    ]
    batch = encode_ticks(ticks, sv)
    assert batch == b"".join(encode_response(t, sv) for t in ticks)
    assert [(c.name, c.args) for c in ib_async_decode(sv, batch)] == [
        ("priceSizeTick", (1, BID, 10.01, 100.0)),
        ("priceSizeTick", (1, ASK, 10.02, 200.0)),
        ("tickSize", (1, 8, 5000.0)),
        ("priceSizeTick", (2, LAST, 10.01, 50.0)),
    ]


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=150)
@given(
    price=finite,
    size=st.one_of(st.integers(0, 10**15), st.floats(0, 1e15, allow_nan=False)),
    sv=st.sampled_from([157, 162, 163, 178]),
)
def test_ib_async_reads_back_any_price_and_size(price: float, size: float, sv: int) -> None:
    calls = ib_async(sv, TickPrice(req_id=7, tick_type=BID, price=price, size=size))
    expected_size = float(size) if sv >= 163 else float(int(size))
    assert calls == [("priceSizeTick", (7, BID, price, expected_size))]
    assert ib_async(sv, TickSize(req_id=7, tick_type=8, size=size)) == [("tickSize", (7, 8, expected_size))]


@settings(max_examples=50)
@given(price=finite, size=st.integers(0, 10**12))
def test_ibapi_reads_back_any_price_and_whole_size(price: float, size: int) -> None:
    calls = ibapi(TickPrice(req_id=7, tick_type=ASK, price=price, size=size))
    assert [args[:3] for _, args in calls] == [(7, ASK, price), (7, 3, size)]


# --- other top-of-book messages ------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_tick_string_generic_and_efp(sv: int) -> None:
    rt_volume = "187.37;300;1700000000123;1234567;187.1;true"
    assert ib_async(sv, TickString(req_id=5, tick_type=48, value=rt_volume)) == [("tickString", (5, 48, rt_volume))]
    assert ib_async(sv, TickGeneric(req_id=5, tick_type=49, value=1)) == [("tickGeneric", (5, 49, 1.0))]
    assert ib_async(sv, TickGeneric(req_id=5, tick_type=24, value=0.2375)) == [("tickGeneric", (5, 24, 0.2375))]
    efp = TickEfp(
        req_id=5,
        tick_type=38,
        basis_points=12.5,
        formatted_basis_points="12.50%",
        total_dividends=0.82,
        hold_days=30,
        future_last_trade_date="20240621",
        dividend_impact=0.11,
        dividends_to_last_trade_date=0.4,
    )
    assert ib_async(sv, efp) == [("tickEFP", (5, 38, 12.5, "12.50%", 0.82, 30, "20240621", 0.11, 0.4))]


def test_ibapi_reads_tick_string_generic_and_efp() -> None:
    assert ibapi(TickString(req_id=5, tick_type=45, value="1700000000")) == [("tickString", (5, 45, "1700000000"))]
    assert ibapi(TickGeneric(req_id=5, tick_type=46, value=3.0)) == [("tickGeneric", (5, 46, 3.0))]
    efp = TickEfp(
        req_id=5,
        tick_type=38,
        basis_points=12.5,
        formatted_basis_points="12.50%",
        total_dividends=0.82,
        hold_days=30,
        future_last_trade_date="20240621",
        dividend_impact=0.11,
        dividends_to_last_trade_date=0.4,
    )
    assert ibapi(efp) == [("tickEFP", (5, 38, 12.5, "12.50%", 0.82, 30, "20240621", 0.11, 0.4))]


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_snapshot_end_req_params_and_market_data_type(sv: int) -> None:
    assert ib_async(sv, TickSnapshotEnd(req_id=8)) == [("tickSnapshotEnd", (8,))]
    params = TickReqParams(req_id=8, min_tick=0.01, bbo_exchange="9c0001", snapshot_permissions=3)
    assert ib_async(sv, params) == [("tickReqParams", (8, 0.01, "9c0001", 3))]
    for kind in (1, 2, 3, 4):
        assert ib_async(sv, MarketDataType(req_id=8, market_data_type=kind)) == [("marketDataType", (8, kind))]


def test_ibapi_reads_snapshot_end_req_params_and_market_data_type() -> None:
    assert ibapi(TickSnapshotEnd(req_id=8)) == [("tickSnapshotEnd", (8,))]
    params = TickReqParams(req_id=8, min_tick=0.0001, bbo_exchange="a60001", snapshot_permissions=0)
    assert ibapi(params) == [("tickReqParams", (8, 0.0001, "a60001", 0))]
    assert ibapi(MarketDataType(req_id=8, market_data_type=3)) == [("marketDataType", (8, 3))]


FULL_GREEKS = TickOptionComputation(
    req_id=9,
    tick_type=13,
    tick_attrib=1,
    implied_vol=0.3125,
    delta=-0.45,
    opt_price=3.15,
    pv_dividend=0.12,
    gamma=0.031,
    vega=0.18,
    theta=-0.052,
    und_price=187.5,
)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_option_computation(sv: int) -> None:
    assert ib_async(sv, FULL_GREEKS) == [
        ("tickOptionComputation", (9, 13, 1, 0.3125, -0.45, 3.15, 0.12, 0.031, 0.18, -0.052, 187.5))
    ]
    # Not computed: IB's -1 / -2 markers, which ib_async's wrapper maps to None.
    unset = TickOptionComputation(req_id=9, tick_type=10, delta=0.5)
    assert ib_async(sv, unset) == [("tickOptionComputation", (9, 10, 0, -1.0, 0.5, -1.0, -1.0, -2.0, -2.0, -2.0, -1.0))]


def test_ibapi_reads_option_computation_and_its_not_computed_markers() -> None:
    assert ibapi(FULL_GREEKS) == [
        ("tickOptionComputation", (9, 13, 1, 0.3125, -0.45, 3.15, 0.12, 0.031, 0.18, -0.052, 187.5))
    ]
    unset = TickOptionComputation(req_id=9, tick_type=83, implied_vol=0.2)
    assert ibapi(unset) == [("tickOptionComputation", (9, 83, 0, 0.2, None, None, None, None, None, None, None))]


# --- tick by tick, real-time bars -----------------------------------------------------------------------


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
@pytest.mark.parametrize(("past_limit", "unreported"), [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("all_last", [False, True])
def test_ib_async_reads_tick_by_tick_last(sv: int, past_limit: bool, unreported: bool, all_last: bool) -> None:
    msg = TickByTickLast(
        req_id=20,
        time=1_700_000_000,
        price=187.37,
        size=0.5,
        exchange="ARCA",
        special_conditions="T I",
        past_limit=past_limit,
        unreported=unreported,
        all_last=all_last,
    )
    (call,) = ib_async(sv, msg)
    name, (req_id, tick_type, time, price, size, attrib, exchange, conditions) = call
    assert (name, req_id, tick_type, time, price) == (
        "tickByTickAllLast",
        20,
        2 if all_last else 1,
        1_700_000_000,
        187.37,
    )
    assert size == (0.5 if sv >= 163 else 0.0)
    assert (attrib.pastLimit, attrib.unreported) == (past_limit, unreported)
    assert (exchange, conditions) == ("ARCA", "T I")


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
@pytest.mark.parametrize(("bid_past_low", "ask_past_high"), [(False, False), (True, False), (False, True)])
def test_ib_async_reads_tick_by_tick_bid_ask(sv: int, bid_past_low: bool, ask_past_high: bool) -> None:
    msg = TickByTickBidAsk(
        req_id=21,
        time=1_700_000_001,
        bid_price=187.36,
        ask_price=187.38,
        bid_size=100,
        ask_size=1.5,
        bid_past_low=bid_past_low,
        ask_past_high=ask_past_high,
    )
    (call,) = ib_async(sv, msg)
    name, (req_id, time, bid, ask, bid_size, ask_size, attrib) = call
    assert (name, req_id, time, bid, ask, bid_size) == ("tickByTickBidAsk", 21, 1_700_000_001, 187.36, 187.38, 100.0)
    assert ask_size == (1.5 if sv >= 163 else 1.0)
    assert (attrib.bidPastLow, attrib.askPastHigh) == (bid_past_low, ask_past_high)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_tick_by_tick_mid_point(sv: int) -> None:
    msg = TickByTickMidPoint(req_id=22, time=1_700_000_002, mid_point=187.375)
    assert ib_async(sv, msg) == [("tickByTickMidPoint", (22, 1_700_000_002, 187.375))]


def test_ibapi_reads_every_tick_by_tick_type() -> None:
    last = TickByTickLast(req_id=1, time=5, price=1.5, size=200, exchange="NYSE", unreported=True, all_last=True)
    ((name, args),) = ibapi(last)
    assert (name, args[:5], args[6:]) == ("tickByTickAllLast", (1, 2, 5, 1.5, 200), ("NYSE", ""))
    assert (args[5].pastLimit, args[5].unreported) == (False, True)
    bid_ask = TickByTickBidAsk(
        req_id=2, time=6, bid_price=1.5, ask_price=1.6, bid_size=3, ask_size=4, ask_past_high=True
    )
    ((name, args),) = ibapi(bid_ask)
    assert (name, args[:6]) == ("tickByTickBidAsk", (2, 6, 1.5, 1.6, 3, 4))
    assert (args[6].bidPastLow, args[6].askPastHigh) == (False, True)
    assert ibapi(TickByTickMidPoint(req_id=3, time=7, mid_point=1.55)) == [("tickByTickMidPoint", (3, 7, 1.55))]


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
def test_ib_async_reads_real_time_bar(sv: int) -> None:
    bar = RealTimeBar(
        req_id=30,
        time=1_700_000_005,
        open=187.3,
        high=187.45,
        low=187.25,
        close=187.4,
        volume=Decimal("1200.5"),
        wap=Decimal("187.351"),
        count=17,
    )
    volume = 1200.5 if sv >= 163 else 1200.0
    assert ib_async(sv, bar) == [
        ("realtimeBar", (30, 1_700_000_005, 187.3, 187.45, 187.25, 187.4, volume, 187.351, 17))
    ]


def test_ibapi_reads_real_time_bar() -> None:
    bar = RealTimeBar(
        req_id=30, time=5, open=1.0, high=2.0, low=0.5, close=1.5, volume=Decimal(300), wap=Decimal("1.25"), count=4
    )
    assert ibapi(bar) == [("realtimeBar", (30, 5, 1.0, 2.0, 0.5, 1.5, 300, 1.25, 4))]


# --- depth and routing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
def test_ib_async_reads_market_depth(sv: int) -> None:
    depth = MarketDepth(req_id=40, position=2, operation=1, side=0, price=187.4, size=2.5)
    whole = 2.5 if sv >= 163 else 2.0
    assert ib_async(sv, depth) == [("updateMktDepth", (40, 2, 1, 0, 187.4, whole))]
    for smart in (False, True):
        l2 = MarketDepthL2(
            req_id=41,
            position=0,
            market_maker="NSDQ",
            operation=0,
            side=1,
            price=187.35,
            size=2.5,
            is_smart_depth=smart,
        )
        assert ib_async(sv, l2) == [("updateMktDepthL2", (41, 0, "NSDQ", 0, 1, 187.35, whole, smart))]


def test_ibapi_reads_market_depth() -> None:
    depth = MarketDepth(req_id=40, position=2, operation=2, side=1, price=187.4, size=300)
    assert ibapi(depth) == [("updateMktDepth", (40, 2, 2, 1, 187.4, 300))]
    l2 = MarketDepthL2(
        req_id=41, position=1, market_maker="ARCA", operation=1, side=0, price=1.5, size=7, is_smart_depth=True
    )
    assert ibapi(l2) == [("updateMktDepthL2", (41, 1, "ARCA", 1, 0, 1.5, 7, True))]


EXCHANGES = MktDepthExchanges(
    exchanges=(
        DepthExchange(
            exchange="ISLAND", sec_type="STK", listing_exchange="NASDAQ", service_data_type="Deep2", agg_group=1
        ),
        DepthExchange(exchange="CME", sec_type="FUT", listing_exchange="", service_data_type="Deep", agg_group=2),
    )
)
COMPONENTS = SmartComponents(
    req_id=42,
    components=(
        SmartComponent(bit_number=1, exchange="NYSE", exchange_letter="N"),
        SmartComponent(bit_number=4, exchange="ARCA", exchange_letter="P"),
    ),
)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_depth_exchanges_smart_components_and_reroutes(sv: int) -> None:
    ((name, (descriptions,)),) = ib_async(sv, EXCHANGES)
    assert name == "mktDepthExchanges"
    assert [(d.exchange, d.secType, d.listingExch, d.serviceDataType, d.aggGroup) for d in descriptions] == [
        ("ISLAND", "STK", "NASDAQ", "Deep2", 1),
        ("CME", "FUT", "", "Deep", 2),
    ]
    ((name, (req_id, components)),) = ib_async(sv, COMPONENTS)
    assert (name, req_id) == ("smartComponents", 42)
    assert [(c.bitNumber, c.exchange, c.exchangeLetter) for c in components] == [(1, "NYSE", "N"), (4, "ARCA", "P")]
    assert ib_async(sv, RerouteMktDataReq(req_id=43, con_id=12087792, exchange="IDEALPRO")) == [
        ("rerouteMktDataReq", (43, 12087792, "IDEALPRO"))
    ]
    assert ib_async(sv, RerouteMktDepthReq(req_id=44, con_id=756733, exchange="SMART")) == [
        ("rerouteMktDepthReq", (44, 756733, "SMART"))
    ]
    ((_, (empty,)),) = ib_async(sv, MktDepthExchanges(exchanges=()))
    assert empty == []


def test_ibapi_reads_depth_exchanges_smart_components_and_reroutes() -> None:
    ((name, (descriptions,)),) = ibapi(EXCHANGES)
    assert name == "mktDepthExchanges"
    assert [(d.exchange, d.secType, d.listingExch, d.serviceDataType, d.aggGroup) for d in descriptions] == [
        ("ISLAND", "STK", "NASDAQ", "Deep2", 1),
        ("CME", "FUT", "", "Deep", 2),
    ]
    ((name, (req_id, components)),) = ibapi(COMPONENTS)
    assert (name, req_id) == ("smartComponents", 42)
    assert [(c.bitNumber, c.exchange, c.exchangeLetter) for c in components] == [(1, "NYSE", "N"), (4, "ARCA", "P")]
    assert ibapi(RerouteMktDataReq(req_id=43, con_id=1, exchange="IDEALPRO")) == [
        ("rerouteMktDataReq", (43, 1, "IDEALPRO"))
    ]
    assert ibapi(RerouteMktDepthReq(req_id=44, con_id=2, exchange="SMART")) == [
        ("rerouteMktDepthReq", (44, 2, "SMART"))
    ]
