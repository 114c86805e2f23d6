"""The simple order-family requests (cancel, open/completed orders, executions, exercise) from both clients."""

from __future__ import annotations

import ib_async as ia
import pytest

from ibbot.protocol.requests import decode_request
from ibbot.protocol.requests.orders import (
    CancelOrder,
    ExecutionFilter,
    ExerciseOptions,
    OrderCancel,
    ReqAllOpenOrders,
    ReqAutoOpenOrders,
    ReqCompletedOrders,
    ReqExecutions,
    ReqGlobalCancel,
    ReqOpenOrders,
)
from ibbot.protocol.types import Contract
from oracles import ib_async_requests, ibapi_requests

VERSIONS = [157, 166, 169, 178]  # cancelOrder changes at 169; the others never change


def one(frames: list[list[str]], sv: int) -> object:
    assert len(frames) == 1
    return decode_request(frames[0], sv)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_order_requests_decode(sv: int) -> None:
    assert one(ib_async_requests(sv, lambda c: c.cancelOrder(17)), sv) == CancelOrder(order_id=17)
    if sv >= 169:
        frames = ib_async_requests(sv, lambda c: c.cancelOrder(17, "20250101 10:00:00"))
        terms = OrderCancel(manual_order_cancel_time="20250101 10:00:00")
        assert one(frames, sv) == CancelOrder(order_id=17, terms=terms)
    assert one(ib_async_requests(sv, lambda c: c.reqOpenOrders()), sv) == ReqOpenOrders()
    assert one(ib_async_requests(sv, lambda c: c.reqAllOpenOrders()), sv) == ReqAllOpenOrders()
    assert one(ib_async_requests(sv, lambda c: c.reqAutoOpenOrders(True)), sv) == ReqAutoOpenOrders(auto_bind=True)
    assert one(ib_async_requests(sv, lambda c: c.reqAutoOpenOrders(False)), sv) == ReqAutoOpenOrders(auto_bind=False)
    assert one(ib_async_requests(sv, lambda c: c.reqGlobalCancel()), sv) == ReqGlobalCancel()
    assert one(ib_async_requests(sv, lambda c: c.reqCompletedOrders(False)), sv) == ReqCompletedOrders(api_only=False)
    assert one(ib_async_requests(sv, lambda c: c.reqCompletedOrders(True)), sv) == ReqCompletedOrders(api_only=True)
    assert one(ib_async_requests(sv, lambda c: c.reqExecutions(5, ia.ExecutionFilter())), sv) == ReqExecutions(req_id=5)
    flt = ia.ExecutionFilter(3, "DU1", "20250101 09:30:00", "AAPL", "STK", "SMART", "BUY")
    assert one(ib_async_requests(sv, lambda c: c.reqExecutions(6, flt)), sv) == ReqExecutions(
        req_id=6,
        filter=ExecutionFilter(
            client_id=3,
            acct_code="DU1",
            time="20250101 09:30:00",
            symbol="AAPL",
            sec_type="STK",
            exchange="SMART",
            side="BUY",
        ),
    )
    option = ia.Option("SPY", "20250620", 450.0, "P", "SMART", "100", "USD", primaryExchange="ARCA")
    option.conId, option.localSymbol, option.tradingClass = 555002, "SPY   250620P00450000", "SPY"
    got = one(ib_async_requests(sv, lambda c: c.exerciseOptions(8, option, 1, 2, "DU1", 1)), sv)
    assert got == ExerciseOptions(
        req_id=8,
        contract=Contract(
            con_id=555002,
            symbol="SPY",
            sec_type="OPT",
            last_trade_date_or_contract_month="20250620",
            strike=450.0,
            right="P",
            multiplier="100",
            exchange="SMART",
            currency="USD",
            local_symbol="SPY   250620P00450000",
            trading_class="SPY",
        ),  # no primaryExchange in this message
        exercise_action=1,
        exercise_quantity=2,
        account="DU1",
        override=True,
    )


def test_ibapi_order_requests_decode() -> None:
    from ibapi.contract import Contract as IContract
    from ibapi.execution import ExecutionFilter as IExecutionFilter

    assert one(ibapi_requests(lambda c: c.cancelOrder(17)), 157) == CancelOrder(order_id=17)
    assert one(ibapi_requests(lambda c: c.reqOpenOrders()), 157) == ReqOpenOrders()
    assert one(ibapi_requests(lambda c: c.reqAllOpenOrders()), 157) == ReqAllOpenOrders()
    assert one(ibapi_requests(lambda c: c.reqAutoOpenOrders(True)), 157) == ReqAutoOpenOrders(auto_bind=True)
    assert one(ibapi_requests(lambda c: c.reqGlobalCancel()), 157) == ReqGlobalCancel()
    assert one(ibapi_requests(lambda c: c.reqCompletedOrders(True)), 157) == ReqCompletedOrders(api_only=True)
    flt = IExecutionFilter()
    flt.clientId, flt.acctCode, flt.symbol, flt.side = 2, "DU9", "MSFT", "SELL"
    assert one(ibapi_requests(lambda c: c.reqExecutions(4, flt)), 157) == ReqExecutions(
        req_id=4, filter=ExecutionFilter(client_id=2, acct_code="DU9", symbol="MSFT", side="SELL")
    )
    opt = IContract()
    opt.conId, opt.symbol, opt.secType, opt.exchange, opt.currency = 555003, "SPY", "OPT", "SMART", "USD"
    opt.lastTradeDateOrContractMonth, opt.strike, opt.right, opt.multiplier = "20250620", 450.0, "C", "100"
    got = one(ibapi_requests(lambda c: c.exerciseOptions(9, opt, 2, 1, "DU9", 0)), 157)
    assert isinstance(got, ExerciseOptions)
    assert (got.req_id, got.contract.con_id, got.contract.strike, got.contract.right) == (9, 555003, 450.0, "C")
    assert (got.exercise_action, got.exercise_quantity, got.account, got.override) == (2, 1, "DU9", False)


def test_cancel_order_without_manual_time_at_169_is_accepted() -> None:
    # ibapi-style cancel (no trailing time) against a 169+ session
    assert decode_request(["4", "1", "17"], 178) == CancelOrder(order_id=17)
