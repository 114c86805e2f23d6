"""An options bot on IB's own pythonclient 10.50 (PyPI `ibapi-stable`), written as IB's guide writes them.

    PYTHONPATH=.venv/ibapi-stable python options_bot.py PORT

It fetches SPY's option chain with reqSecDefOptParams, one expiry's puts with reqContractDetails, the open
interest of a put near the money with generic tick 101, then places an Adaptive Patient sell at the midpoint,
reads the order back from openOrder, cancels it and reads it from completedOrder. It prints one JSON object with
everything it saw, for the test to assert on. Nothing here imports ibbot.
"""

from __future__ import annotations

import json
import sys
import threading
from decimal import Decimal
from typing import Any

from ibapi.client import EClient
from ibapi.contract import Contract, ContractDetails
from ibapi.order import Order
from ibapi.order_cancel import OrderCancel
from ibapi.order_state import OrderState
from ibapi.tag_value import TagValue
from ibapi.wrapper import EWrapper

TIMEOUT = 20.0
CLIENT_ID = 9
UNDERLYING, CHAIN, PUTS, SPY_QUOTE, PUT_QUOTE = 1, 2, 3, 4, 5


class OptionsBot(EWrapper, EClient):
    def __init__(self) -> None:
        EWrapper.__init__(self)
        EClient.__init__(self, self)
        self.changed = threading.Condition()
        self.next_order_id = 0
        self.details: dict[int, list[ContractDetails]] = {}
        self.done: set[int] = set()
        self.chains: list[dict[str, Any]] = []
        self.prices: dict[tuple[int, int], float] = {}
        self.sizes: dict[tuple[int, int], float] = {}
        self.open_orders: list[dict[str, Any]] = []
        self.completed: list[dict[str, Any]] = []
        self.completed_done = False
        self.statuses: dict[int, str] = {}
        self.errors: list[dict[str, Any]] = []

    def _notify(self) -> None:
        self.changed.notify_all()

    def nextValidId(self, orderId: int) -> None:
        with self.changed:
            self.next_order_id = orderId
            self._notify()

    def error(
        self, reqId: int, errorTime: int, errorCode: int, errorString: str, advancedOrderRejectJson: str = ""
    ) -> None:
        with self.changed:
            self.errors.append({"reqId": reqId, "code": errorCode, "text": errorString})
            self._notify()

    def contractDetails(self, reqId: int, contractDetails: ContractDetails) -> None:
        with self.changed:
            self.details.setdefault(reqId, []).append(contractDetails)

    def contractDetailsEnd(self, reqId: int) -> None:
        with self.changed:
            self.done.add(reqId)
            self._notify()

    def securityDefinitionOptionParameter(
        self,
        reqId: int,
        exchange: str,
        underlyingConId: int,
        tradingClass: str,
        multiplier: str,
        expirations: Any,
        strikes: Any,
    ) -> None:
        with self.changed:
            self.chains.append(
                {"exchange": exchange, "underlyingConId": underlyingConId, "tradingClass": tradingClass,
                 "multiplier": multiplier, "expirations": sorted(expirations), "strikes": sorted(strikes)}
            )  # fmt: skip

    def securityDefinitionOptionParameterEnd(self, reqId: int) -> None:
        with self.changed:
            self.done.add(reqId)
            self._notify()

    def tickPrice(self, reqId: int, tickType: int, price: float, attrib: Any) -> None:
        with self.changed:
            self.prices[(reqId, tickType)] = price
            self._notify()

    def tickSize(self, reqId: int, tickType: int, size: Decimal) -> None:
        with self.changed:
            self.sizes[(reqId, tickType)] = float(size)
            self._notify()

    def openOrder(self, orderId: int, contract: Contract, order: Order, orderState: OrderState) -> None:
        with self.changed:
            self.open_orders.append(_order(order, contract, orderState))
            self._notify()

    def orderStatus(self, orderId: int, status: str, *args: Any) -> None:
        with self.changed:
            self.statuses[orderId] = status
            self._notify()

    def completedOrder(self, contract: Contract, order: Order, orderState: OrderState) -> None:
        with self.changed:
            self.completed.append(_order(order, contract, orderState))

    def completedOrdersEnd(self) -> None:
        with self.changed:
            self.completed_done = True
            self._notify()

    def wait_for(self, condition: Any, what: str) -> None:
        with self.changed:
            if not self.changed.wait_for(condition, TIMEOUT):
                raise TimeoutError(f"no {what} within {TIMEOUT} s")


def _order(order: Order, contract: Contract, state: OrderState) -> dict[str, Any]:
    params = [[t.tag, t.value] for t in (order.algoParams or [])]
    return {"orderId": order.orderId, "permId": order.permId, "status": state.status, "conId": contract.conId,
            "algoStrategy": order.algoStrategy, "algoParams": params, "lmtPrice": order.lmtPrice}  # fmt: skip


def spy() -> Contract:
    contract = Contract()
    contract.symbol, contract.secType, contract.exchange, contract.currency = "SPY", "STK", "SMART", "USD"
    return contract


def spy_put(expiry: str, strike: float = 0.0) -> Contract:
    contract = Contract()
    contract.symbol, contract.secType, contract.exchange, contract.currency = "SPY", "OPT", "SMART", "USD"
    contract.lastTradeDateOrContractMonth, contract.right, contract.multiplier = expiry, "P", "100"
    if strike:
        contract.strike = strike
    return contract


def main(port: int) -> dict[str, Any]:
    app = OptionsBot()
    app.connect("127.0.0.1", port, CLIENT_ID)
    loop = threading.Thread(target=app.run, daemon=True)
    loop.start()
    try:
        app.wait_for(lambda: app.next_order_id > 0, "nextValidId")
        server_version = app.serverVersion()
        app.reqContractDetails(UNDERLYING, spy())
        app.wait_for(lambda: UNDERLYING in app.done, "SPY's contract details")
        con_id = app.details[UNDERLYING][0].contract.conId

        app.reqSecDefOptParams(CHAIN, "SPY", "", "STK", con_id)
        app.wait_for(lambda: CHAIN in app.done, "securityDefinitionOptionParameterEnd")
        smart = next(c for c in app.chains if c["exchange"] == "SMART")
        expiry = smart["expirations"][min(12, len(smart["expirations"]) - 1)]
        app.reqContractDetails(PUTS, spy_put(expiry))
        app.wait_for(lambda: PUTS in app.done, "the expiry's puts")
        strikes = sorted(d.contract.strike for d in app.details.get(PUTS, []))

        app.reqMarketDataType(1)
        app.reqMktData(SPY_QUOTE, spy(), "", False, False, [])
        app.wait_for(lambda: (SPY_QUOTE, 1) in app.prices and (SPY_QUOTE, 2) in app.prices, "SPY's bid and ask")
        spot = (app.prices[(SPY_QUOTE, 1)] + app.prices[(SPY_QUOTE, 2)]) / 2
        app.cancelMktData(SPY_QUOTE)
        strike = min(strikes, key=lambda k: abs(k - spot * 0.97))

        app.reqMktData(PUT_QUOTE, spy_put(expiry, strike), "101", False, False, [])
        app.wait_for(
            lambda: (PUT_QUOTE, 28) in app.sizes and (PUT_QUOTE, 1) in app.prices and (PUT_QUOTE, 2) in app.prices,
            "the put's open interest (tick 28) and its bid and ask",
        )
        bid, ask = app.prices[(PUT_QUOTE, 1)], app.prices[(PUT_QUOTE, 2)]
        app.cancelMktData(PUT_QUOTE)

        order = Order()
        order.action, order.orderType, order.totalQuantity = "SELL", "LMT", Decimal(1)
        order.lmtPrice = round((bid + ask) / 2, 2)
        order.tif = "DAY"
        order.algoStrategy = "Adaptive"
        order.algoParams = [TagValue("adaptivePriority", "Patient")]
        order_id = app.next_order_id
        app.placeOrder(order_id, spy_put(expiry, strike), order)
        app.wait_for(lambda: any(o["orderId"] == order_id for o in app.open_orders), "the order's openOrder")
        app.cancelOrder(order_id, OrderCancel())
        app.wait_for(lambda: app.statuses.get(order_id) == "Cancelled", "the order's cancel")
        app.reqCompletedOrders(True)
        app.wait_for(lambda: app.completed_done, "completedOrdersEnd")
    finally:
        app.disconnect()
        loop.join(TIMEOUT)
    with app.changed:
        return {
            "server_version": server_version,
            "underlying": con_id,
            "chains": app.chains,
            "expiry": expiry,
            "strikes": strikes,
            "strike": strike,
            "spot": spot,
            "open_interest": app.sizes[(PUT_QUOTE, 28)],
            "call_open_interest": app.sizes.get((PUT_QUOTE, 27)),
            "order_id": order_id,
            "open_orders": app.open_orders,
            "completed": app.completed,
            "errors": app.errors,
        }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
