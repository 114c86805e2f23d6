"""A bot written as IB's TWS API guide writes them, on IB's own pythonclient 10.50 (PyPI `ibapi-stable`).

    PYTHONPATH=.venv/ibapi-stable python bracket_bot.py PORT

It subclasses EWrapper and EClient, runs the client's message loop in a thread, and trades one bracket: a
marketable parent limit and two children, only the last of which transmits; Decimal quantities throughout.
Then it cancels the take-profit with IB's OrderCancel, cancels what is left with reqGlobalCancel, asks for its
executions of the last day, for the time in milliseconds, and for an order that does not exist (an error,
with the errorTime argument 10.x added). It prints one JSON object with everything it saw, for the test to
assert on. Nothing here imports ibbot.
"""

from __future__ import annotations

import json
import sys
import threading
from decimal import Decimal
from typing import Any

from ibapi.client import EClient
from ibapi.contract import Contract, ContractDetails
from ibapi.execution import Execution, ExecutionFilter
from ibapi.order import Order
from ibapi.order_cancel import OrderCancel
from ibapi.order_state import OrderState
from ibapi.wrapper import EWrapper

TIMEOUT = 20.0
CLIENT_ID = 7
MARKET_DATA, DETAILS, EXECUTIONS = 1, 2, 3


class BracketBot(EWrapper, EClient):
    def __init__(self) -> None:
        EWrapper.__init__(self)
        EClient.__init__(self, self)
        self.changed = threading.Condition()
        self.next_order_id = 0
        self.quotes: dict[int, float] = {}
        self.details: list[dict[str, Any]] = []
        self.details_done = False
        self.errors: list[dict[str, Any]] = []
        self.statuses: dict[int, list[str]] = {}
        self.open_orders: list[dict[str, Any]] = []
        self.open_orders_done = 0
        self.executions: list[dict[str, Any]] = []
        self.executions_done = False
        self.commissions: list[dict[str, Any]] = []
        self.millis: list[int] = []

    # --- EWrapper callbacks: each records what it got and wakes the main thread -----------------------------

    def _record(self, what: list[Any], value: Any) -> None:
        with self.changed:
            what.append(value)
            self.changed.notify_all()

    def nextValidId(self, orderId: int) -> None:
        with self.changed:
            self.next_order_id = orderId
            self.changed.notify_all()

    def error(
        self, reqId: int, errorTime: int, errorCode: int, errorString: str, advancedOrderRejectJson: str = ""
    ) -> None:
        self._record(self.errors, {"reqId": reqId, "time": errorTime, "code": errorCode, "text": errorString})

    def tickPrice(self, reqId: int, tickType: int, price: float, attrib: Any) -> None:
        with self.changed:
            self.quotes[tickType] = price
            self.changed.notify_all()

    def contractDetails(self, reqId: int, contractDetails: ContractDetails) -> None:
        c = contractDetails.contract
        found = {"conId": c.conId, "symbol": c.symbol, "primaryExchange": c.primaryExchange}
        found |= {"minTick": contractDetails.minTick, "ineligible": contractDetails.ineligibilityReasonList}
        self._record(self.details, found)

    def contractDetailsEnd(self, reqId: int) -> None:
        with self.changed:
            self.details_done = True
            self.changed.notify_all()

    def orderStatus(
        self,
        orderId: int,
        status: str,
        filled: Decimal,
        remaining: Decimal,
        avgFillPrice: float,
        permId: int,
        parentId: int,
        lastFillPrice: float,
        clientId: int,
        whyHeld: str,
        mktCapPrice: float,
    ) -> None:
        with self.changed:
            self.statuses.setdefault(orderId, []).append(status)
            self.changed.notify_all()

    def openOrder(self, orderId: int, contract: Contract, order: Order, orderState: OrderState) -> None:
        self._record(
            self.open_orders,
            {"orderId": orderId, "status": orderState.status, "submitter": order.submitter,
             "totalQuantity": str(order.totalQuantity), "parentId": order.parentId, "orderType": order.orderType},
        )  # fmt: skip
        with self.changed:
            self.statuses.setdefault(orderId, []).append(orderState.status)

    def openOrderEnd(self) -> None:
        with self.changed:
            self.open_orders_done += 1
            self.changed.notify_all()

    def execDetails(self, reqId: int, contract: Contract, execution: Execution) -> None:
        self._record(
            self.executions,
            {"reqId": reqId, "orderId": execution.orderId, "execId": execution.execId, "side": execution.side,
             "shares": str(execution.shares), "price": execution.price, "submitter": execution.submitter,
             "symbol": contract.symbol},
        )  # fmt: skip

    def execDetailsEnd(self, reqId: int) -> None:
        with self.changed:
            self.executions_done = True
            self.changed.notify_all()

    def commissionAndFeesReport(self, commissionAndFeesReport: Any) -> None:
        report = commissionAndFeesReport
        self._record(self.commissions, {"execId": report.execId, "commissionAndFees": report.commissionAndFees})

    def currentTimeInMillis(self, timeInMillis: int) -> None:
        self._record(self.millis, timeInMillis)

    # --- the bot -------------------------------------------------------------------------------------------

    def wait_for(self, condition: Any, what: str) -> None:
        with self.changed:
            if not self.changed.wait_for(condition, TIMEOUT):
                raise TimeoutError(f"no {what} within {TIMEOUT} s")

    def last_status(self, order_id: int) -> str:
        return (self.statuses.get(order_id) or [""])[-1]


def stock() -> Contract:
    contract = Contract()
    contract.symbol = "AAPL"
    contract.secType = "STK"
    contract.exchange = "SMART"
    contract.currency = "USD"
    contract.primaryExchange = "NASDAQ"
    return contract


def bracket_order(
    parent_id: int, action: str, quantity: Decimal, limit: float, take_profit: float, stop_loss: float
) -> list[Order]:
    """The guide's BracketOrder: the children name the parent, and only the last one transmits."""
    parent = Order()
    parent.orderId = parent_id
    parent.action = action
    parent.orderType = "LMT"
    parent.totalQuantity = quantity
    parent.lmtPrice = limit
    parent.transmit = False

    profit = Order()
    profit.orderId = parent_id + 1
    profit.action = "SELL" if action == "BUY" else "BUY"
    profit.orderType = "LMT"
    profit.totalQuantity = quantity
    profit.lmtPrice = take_profit
    profit.parentId = parent_id
    profit.transmit = False

    loss = Order()
    loss.orderId = parent_id + 2
    loss.action = profit.action
    loss.orderType = "STP"
    loss.auxPrice = stop_loss
    loss.totalQuantity = quantity
    loss.parentId = parent_id
    loss.transmit = True  # releases the whole bracket
    return [parent, profit, loss]


def main(port: int) -> dict[str, Any]:
    app = BracketBot()
    app.connect("127.0.0.1", port, CLIENT_ID)
    loop = threading.Thread(target=app.run, daemon=True)
    loop.start()
    try:
        app.wait_for(lambda: app.next_order_id > 0, "nextValidId")
        server_version = app.serverVersion()

        app.reqCurrentTimeInMillis()
        app.wait_for(lambda: app.millis, "currentTimeInMillis")

        app.reqContractDetails(DETAILS, stock())
        app.wait_for(lambda: app.details_done, "contractDetailsEnd")

        app.reqMarketDataType(1)
        app.reqMktData(MARKET_DATA, stock(), "", False, False, [])
        app.wait_for(lambda: 1 in app.quotes and 2 in app.quotes, "a bid and an ask")
        app.cancelMktData(MARKET_DATA)
        bid, ask = app.quotes[1], app.quotes[2]

        first = app.next_order_id
        quantity = Decimal("10")
        orders = bracket_order(first, "BUY", quantity, round(ask + 0.10, 2), round(ask + 50, 2), round(bid - 50, 2))
        for order in orders:
            app.placeOrder(order.orderId, stock(), order)
        app.wait_for(lambda: app.last_status(first) == "Filled" and app.commissions, "the parent's fill")
        app.wait_for(lambda: app.last_status(first + 1) in ("Submitted", "PreSubmitted"), "the take-profit working")
        app.wait_for(lambda: app.last_status(first + 2) in ("Submitted", "PreSubmitted"), "the stop working")

        app.cancelOrder(first + 1, OrderCancel())
        app.wait_for(lambda: app.last_status(first + 1) == "Cancelled", "the take-profit's cancel")
        app.reqGlobalCancel(OrderCancel())
        app.wait_for(lambda: app.last_status(first + 2) == "Cancelled", "the stop's cancel")

        nothing = 10**6
        app.cancelOrder(nothing, OrderCancel())
        app.wait_for(lambda: any(e["reqId"] == nothing for e in app.errors), "the error about no such order")

        flt = ExecutionFilter()
        flt.symbol = "AAPL"
        flt.lastNDays = 1
        app.reqExecutions(EXECUTIONS, flt)
        app.wait_for(lambda: app.executions_done, "execDetailsEnd")

        app.reqOpenOrders()
        app.wait_for(lambda: app.open_orders_done > 0, "openOrderEnd")
        app.reqCurrentTimeInMillis()
        app.wait_for(lambda: len(app.millis) == 2, "the second currentTimeInMillis")
    finally:
        app.disconnect()
        loop.join(TIMEOUT)
    with app.changed:
        return {
            "server_version": server_version,
            "first_order_id": first,
            "quotes": {"bid": bid, "ask": ask},
            "millis": app.millis,
            "details": app.details,
            "errors": app.errors,
            "statuses": {str(k): v for k, v in app.statuses.items()},
            "open_orders": app.open_orders,
            "executions": app.executions,
            "commissions": app.commissions,
        }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
