"""What IB's own client 10.50 (ibapi-stable, v100..226) sends at server versions 178..200 decodes as it meant.

The oracle is its EClient, run in a worker process (`oracles.ibapi10`). Messages whose layout did not change
above 178 must decode exactly as ib_async 2.1.0's do at 178; placeOrder is compared with the client's own
Order object, field by field, in every scenario of test_requests_orders; the messages that changed (cancelOrder
and reqGlobalCancel with IB's OrderCancel, exerciseOptions, reqExecutions, placeOrder's new tail) are checked
value by value at each version where their layout moves. Every frame must be read to its last field.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import ib_async as ia
import pytest

from ibbot.protocol.requests import decode_request
from ibbot.protocol.requests.orders import (
    CancelOrder,
    ExecutionFilter,
    ExerciseOptions,
    OrderCancel,
    PlaceOrder,
    ReqExecutions,
    ReqGlobalCancel,
    decode_place_order,
)
from ibbot.protocol.requests.session import ReqCurrentTimeInMillis
from ibbot.protocol.types import Contract
from oracles import ib_async_requests
from oracles.ibapi10 import dec, from_ib_async, ibapi10_refusals, ibapi10_requests, obj
from unit.protocol.test_requests_orders import SCENARIOS, expected

# the versions the issue names, and each version where a request layout changes above 178
VERSIONS = [178, 187, 194, 197, 200]
EDGES = [179, 180, 183, 184, 186, 189, 190, 191, 192, 198, 199]

STOCK = {"conId": 265598, "symbol": "AAPL", "secType": "STK", "exchange": "SMART", "primaryExchange": "NASDAQ",
         "currency": "USD"}  # fmt: skip
OPTION = {"conId": 555002, "symbol": "SPY", "secType": "OPT", "lastTradeDateOrContractMonth": "20250620",
          "strike": 450.0, "right": "P", "multiplier": "100", "exchange": "SMART", "currency": "USD",
          "localSymbol": "SPY   250620P00450000", "tradingClass": "SPY"}  # fmt: skip


def one(frames: list[list[str]], sv: int) -> Any:
    """The single frame's request, read to its last field."""
    assert len(frames) == 1
    fields = frames[0]
    if fields[0] == "3":
        request, leftover = decode_place_order(fields, sv)
        assert leftover == 0, f"{leftover} fields left unread: {fields[-leftover:]}"
        return request
    request = decode_request(fields, sv)
    assert type(request).__name__ not in ("BadRequest", "UnknownRequest"), request
    return request


# --- every request that kept its layout: as ib_async sends it at 178 -------------------------------------

ILK = ia.Contract(**STOCK)
UNCHANGED: list[tuple[Any, ...]] = [
    ("reqMktData", 1, STOCK, "100,233", False, False, []),
    ("cancelMktData", 1),
    ("reqMktDepth", 2, STOCK, 5, True, []),
    ("cancelMktDepth", 2, True),
    ("reqTickByTickData", 3, STOCK, "BidAsk", 10, True),
    ("cancelTickByTickData", 3),
    ("reqRealTimeBars", 4, STOCK, 5, "MIDPOINT", True, []),
    ("cancelRealTimeBars", 4),
    ("reqHistoricalData", 5, STOCK, "20250102 16:00:00 US/Eastern", "2 D", "5 mins", "TRADES", 1, 1, False, []),
    ("reqHistoricalData", 6, STOCK, "", "1 D", "1 min", "BID_ASK", 0, 2, True, []),
    ("cancelHistoricalData", 5),
    ("reqHeadTimeStamp", 7, STOCK, "TRADES", 1, 1),
    ("cancelHeadTimeStamp", 7),
    ("reqHistogramData", 8, STOCK, True, "3 days"),
    ("cancelHistogramData", 8),
    ("reqHistoricalTicks", 9, STOCK, "20250102 09:30:00 US/Eastern", "", 100, "TRADES", 1, True, []),
    ("reqContractDetails", 10, STOCK),
    ("reqContractDetails", 11, OPTION),
    ("reqMatchingSymbols", 12, "AAP"),
    ("reqSecDefOptParams", 13, "AAPL", "", "STK", 265598),
    ("reqMarketRule", 26),
    ("reqSmartComponents", 14, "a6"),
    ("reqMktDepthExchanges",),
    ("reqFamilyCodes",),
    ("reqSoftDollarTiers", 15),
    ("reqNewsProviders",),
    ("reqUserInfo", 16),
    ("reqAccountSummary", 17, "All", "NetLiquidation,BuyingPower,$LEDGER:ALL"),
    ("cancelAccountSummary", 17),
    ("reqAccountUpdates", True, "DU1234567"),
    ("reqAccountUpdatesMulti", 18, "DU1234567", "", True),
    ("cancelAccountUpdatesMulti", 18),
    ("reqPositions",),
    ("cancelPositions",),
    ("reqPositionsMulti", 19, "DU1234567", ""),
    ("cancelPositionsMulti", 19),
    ("reqPnL", 20, "DU1234567", ""),
    ("cancelPnL", 20),
    ("reqPnLSingle", 21, "DU1234567", "", 265598),
    ("cancelPnLSingle", 21),
    ("reqOpenOrders",),
    ("reqAllOpenOrders",),
    ("reqAutoOpenOrders", True),
    ("reqCompletedOrders", True),
    ("reqIds", 1),
    ("reqCurrentTime",),
    ("reqManagedAccts",),
    ("reqMarketDataType", 3),
    ("setServerLogLevel", 5),
    ("reqNewsBulletins", True),
    ("cancelNewsBulletins",),
    ("reqScannerParameters",),
    ("calculateImpliedVolatility", 22, OPTION, 1.5, 451.0, []),
    ("calculateOptionPrice", 23, OPTION, 0.25, 451.0, []),
    ("cancelCalculateImpliedVolatility", 22),
    ("cancelCalculateOptionPrice", 23),
    ("reqNewsArticle", 24, "BRFG", "BRFG$1234", []),
    ("reqHistoricalNews", 25, 265598, "BRFG+DJNL", "", "", 10, []),
    ("queryDisplayGroups", 27),
    ("subscribeToGroupEvents", 28, 1),
    ("updateDisplayGroup", 28, "265598@SMART"),
    ("unsubscribeFromGroupEvents", 28),
    ("reqWshMetaData", 29),
    ("cancelWshMetaData", 29),
]


def _for_ib_async(arg: Any) -> Any:
    return ia.Contract(**arg) if isinstance(arg, dict) else arg


def _for_ibapi10(arg: Any) -> Any:
    return obj("Contract", **arg) if isinstance(arg, dict) else arg


@pytest.fixture(scope="module")
def as_ib_async_sends_them() -> list[Any]:
    calls = [(name, *map(_for_ib_async, args)) for name, *args in UNCHANGED]
    frames = ib_async_requests(178, lambda c: [getattr(c, name)(*args) for name, *args in calls])
    assert len(frames) == len(UNCHANGED)
    return [one([frame], 178) for frame in frames]


@pytest.mark.parametrize("sv", VERSIONS + EDGES)
def test_unchanged_requests_decode_as_ib_asyncs_at_178(sv: int, as_ib_async_sends_them: list[Any]) -> None:
    frames = ibapi10_requests(sv, *((name, *map(_for_ibapi10, args)) for name, *args in UNCHANGED))
    assert len(frames) == len(UNCHANGED)
    for call, frame, theirs in zip(UNCHANGED, frames, as_ib_async_sends_them, strict=True):
        assert one([frame], sv) == theirs, call[0]


# --- placeOrder: every scenario, against the client's own Order ----------------------------------------


@pytest.mark.parametrize("sv", VERSIONS + [183, 189, 190, 192, 199])
def test_place_order_scenarios_decode_to_the_clients_order(sv: int) -> None:
    orders = [(scenario.name, *placed) for scenario in SCENARIOS for placed in scenario.build()]
    calls = [("placeOrder", oid, from_ib_async(c), from_ib_async(o)) for _, oid, c, o in orders]
    frames = ibapi10_requests(sv, *calls)
    assert len(frames) == len(orders)
    for (name, oid, contract, order), frame in zip(orders, frames, strict=True):
        assert one([frame], sv) == expected10(oid, contract, order, sv), name
    for scenario in SCENARIOS:  # the hand-written checks too, on what 10.50 sent
        mine = [one([frame], sv) for (name, *_), frame in zip(orders, frames, strict=True) if name == scenario.name]
        assert scenario.check(mine), scenario.name


def expected10(order_id: int, contract: Any, order: Any, sv: int) -> PlaceOrder:
    """`expected`, but for what IB's 10.x client no longer sends from the object: eTradeOnly and firmQuoteOnly
    always go out false and nbboPriceCap unset (TWS 983+ refuses them), whatever the order says."""
    want = expected(order_id, contract, order, sv)
    deprecated = {"e_trade_only": False, "firm_quote_only": False, "nbbo_price_cap": None}
    return dataclasses.replace(want, order=dataclasses.replace(want.order, **deprecated))


TENX = {"customerAccount": "CUST-7", "professionalCustomer": True, "includeOvernight": True,
        "manualOrderIndicator": 1, "imbalanceOnly": True}  # fmt: skip
TENX_FROM = {"customer_account": 183, "professional_customer": 184, "include_overnight": 189,
             "manual_order_indicator": 192, "imbalance_only": 199}  # fmt: skip
TENX_OURS = {"customer_account": "CUST-7", "professional_customer": True, "include_overnight": True,
             "manual_order_indicator": 1, "imbalance_only": True}  # fmt: skip


@pytest.mark.parametrize("sv", range(183, 201))
def test_place_order_carries_the_10x_fields_from_their_versions(sv: int) -> None:
    wanted = {name: value for name, value in TENX.items() if sv >= TENX_FROM[_snake[name]]}
    order = obj("Order", action="BUY", totalQuantity=dec(100), orderType="LMT", lmtPrice=150.25, tif="DAY",
                transmit=False, **wanted)  # fmt: skip
    got = one(ibapi10_requests(sv, ("placeOrder", 31, obj("Contract", **STOCK), order)), sv)
    assert isinstance(got, PlaceOrder)
    assert (got.order_id, got.order.total_quantity, got.order.lmt_price, got.order.transmit) == (
        31,
        Decimal(100),
        150.25,
        False,
    )
    for name, value in TENX_OURS.items():
        assert getattr(got.order, name) == (value if sv >= TENX_FROM[name] else Order_defaults[name]), name


_snake = {"customerAccount": "customer_account", "professionalCustomer": "professional_customer",
          "includeOvernight": "include_overnight", "manualOrderIndicator": "manual_order_indicator",
          "imbalanceOnly": "imbalance_only"}  # fmt: skip
Order_defaults = {"customer_account": "", "professional_customer": False, "include_overnight": False,
                  "manual_order_indicator": None, "imbalance_only": False}  # fmt: skip


@pytest.mark.parametrize("sv", [178, 182, 183, 188, 189])
def test_the_client_refuses_10x_fields_the_version_lacks(sv: int) -> None:
    # What is not sent cannot be decoded: the client itself refuses (503) fields the version does not carry.
    late = {name: value for name, value in TENX.items() if sv < TENX_FROM[_snake[name]]}
    for name, value in late.items():
        order = obj("Order", action="BUY", totalQuantity=dec(1), orderType="MKT", **{name: value})
        assert [code for _, code, _ in ibapi10_refusals(sv, ("placeOrder", 1, obj("Contract", **STOCK), order))] == [
            503
        ], name


# --- OrderCancel: cancelOrder and reqGlobalCancel -----------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS + [169, 186, 187, 189, 190, 191, 192, 193])
def test_cancel_order_with_ibs_order_cancel(sv: int) -> None:
    plain = one(ibapi10_requests(sv, ("cancelOrder", 17, obj("OrderCancel"))), sv)
    assert plain == CancelOrder(order_id=17)
    timed = obj("OrderCancel", manualOrderCancelTime="20250101 10:00:00")
    assert one(ibapi10_requests(sv, ("cancelOrder", 18, timed)), sv) == CancelOrder(
        order_id=18, terms=OrderCancel(manual_order_cancel_time="20250101 10:00:00")
    )
    tagged = obj("OrderCancel", manualOrderCancelTime="20250101 10:00:00", extOperator="desk-3", manualOrderIndicator=0)
    if sv < 192:
        assert [code for _, code, _ in ibapi10_refusals(sv, ("cancelOrder", 19, tagged))] == [503]
        return
    assert one(ibapi10_requests(sv, ("cancelOrder", 19, tagged)), sv) == CancelOrder(
        order_id=19,
        terms=OrderCancel(
            manual_order_cancel_time="20250101 10:00:00", ext_operator="desk-3", manual_order_indicator=0
        ),
    )


@pytest.mark.parametrize("sv", VERSIONS + [191, 192])
def test_global_cancel_with_ibs_order_cancel(sv: int) -> None:
    assert one(ibapi10_requests(sv, ("reqGlobalCancel", obj("OrderCancel"))), sv) == ReqGlobalCancel()
    tagged = obj("OrderCancel", extOperator="desk-3", manualOrderIndicator=1)
    if sv < 192:
        assert [code for _, code, _ in ibapi10_refusals(sv, ("reqGlobalCancel", tagged))] == [503]
        return
    assert one(ibapi10_requests(sv, ("reqGlobalCancel", tagged)), sv) == ReqGlobalCancel(
        terms=OrderCancel(ext_operator="desk-3", manual_order_indicator=1)
    )


# --- exerciseOptions, reqExecutions, reqCurrentTimeInMillis --------------------------------------------------

OUR_OPTION = Contract(con_id=555002, symbol="SPY", sec_type="OPT", last_trade_date_or_contract_month="20250620",
                      strike=450.0, right="P", multiplier="100", exchange="SMART", currency="USD",
                      local_symbol="SPY   250620P00450000", trading_class="SPY")  # fmt: skip


@pytest.mark.parametrize("sv", VERSIONS + [179, 180, 183, 184])
def test_exercise_options(sv: int) -> None:
    extras = {"manualOrderTime": "20250620 15:00:00", "customerAccount": "CUST-7", "professionalCustomer": True}
    gates = {"manualOrderTime": 180, "customerAccount": 183, "professionalCustomer": 184}
    args = [extras[name] if sv >= gates[name] else ("" if name != "professionalCustomer" else False) for name in gates]
    got = one(ibapi10_requests(sv, ("exerciseOptions", 8, obj("Contract", **OPTION), 1, 2, "DU1", 1, *args)), sv)
    assert got == ExerciseOptions(
        req_id=8,
        contract=OUR_OPTION,
        exercise_action=1,
        exercise_quantity=2,
        account="DU1",
        override=True,
        manual_order_time=args[0],
        customer_account=args[1],
        professional_customer=args[2],
    )


@pytest.mark.parametrize("sv", VERSIONS + [199])
def test_executions_filter(sv: int) -> None:
    base = {"clientId": 3, "acctCode": "DU1", "time": "20250101 09:30:00", "symbol": "AAPL", "secType": "STK",
            "exchange": "SMART", "side": "BUY"}  # fmt: skip
    ours = ExecutionFilter(client_id=3, acct_code="DU1", time="20250101 09:30:00", symbol="AAPL", sec_type="STK",
                           exchange="SMART", side="BUY")  # fmt: skip
    assert one(ibapi10_requests(sv, ("reqExecutions", 6, obj("ExecutionFilter", **base))), sv) == ReqExecutions(
        req_id=6, filter=ours
    )
    days = obj("ExecutionFilter", **base, lastNDays=3, specificDates=["20250102", "20250103"])
    if sv < 200:
        assert [code for _, code, _ in ibapi10_refusals(sv, ("reqExecutions", 7, days))] == [503]
        return
    got = one(ibapi10_requests(sv, ("reqExecutions", 7, days)), sv)
    assert got.filter.last_n_days == 3 and got.filter.specific_dates == ("20250102", "20250103")
    assert got.filter.symbol == "AAPL" and got.filter.side == "BUY"


@pytest.mark.parametrize("sv", [197, 200])
def test_current_time_in_millis_request(sv: int) -> None:
    assert one(ibapi10_requests(sv, ("reqCurrentTimeInMillis",)), sv) == ReqCurrentTimeInMillis()


def test_current_time_in_millis_is_refused_by_the_client_below_197() -> None:
    assert [code for _, code, _ in ibapi10_refusals(196, ("reqCurrentTimeInMillis",))] == [503]
