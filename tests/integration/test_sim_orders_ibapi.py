"""Orders with the official ibapi 9.81.1.post1 client: a bracket exactly as IB's guide sends it, a market order
and a limit order, seen through openOrder / orderStatus / execDetails / commissionReport."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from ibapi.client import EClient  # type: ignore[import-untyped]
from ibapi.contract import Contract  # type: ignore[import-untyped]
from ibapi.order import Order  # type: ignore[import-untyped]
from ibapi.wrapper import EWrapper  # type: ignore[import-untyped]

from .sim_orders_support import Market, market

CLIENT_ID = 5


class App(EWrapper, EClient):  # type: ignore[misc]
    """Records every order callback; `wait` blocks (in a worker thread) until a condition holds."""

    def __init__(self) -> None:
        EWrapper.__init__(self)
        EClient.__init__(self, self)
        self.changed = threading.Condition()
        self.next_id = 0
        self.open_orders: list[tuple[int, str, Any]] = []  # (orderId, status, order)
        self.statuses: list[tuple[int, str, float, float]] = []  # (orderId, status, filled, remaining)
        self.executions: list[Any] = []
        self.commissions: list[Any] = []
        self.errors: list[tuple[int, int]] = []
        self.times = 0
        self.callbacks: list[str] = []  # the order in which they came

    def _note(self, name: str) -> None:
        self.callbacks.append(name)
        self.changed.notify_all()

    def nextValidId(self, orderId: int) -> None:
        with self.changed:
            self.next_id = orderId
            self._note("nextValidId")

    def openOrder(self, orderId: int, contract: Contract, order: Order, orderState: Any) -> None:
        with self.changed:
            self.open_orders.append((orderId, orderState.status, order))
            self._note("openOrder")

    def orderStatus(self, orderId: int, status: str, filled: float, remaining: float, *args: Any) -> None:
        with self.changed:
            self.statuses.append((orderId, status, float(filled), float(remaining)))
            self._note("orderStatus")

    def execDetails(self, reqId: int, contract: Contract, execution: Any) -> None:
        with self.changed:
            self.executions.append(execution)
            self._note("execDetails")

    def commissionReport(self, commissionReport: Any) -> None:
        with self.changed:
            self.commissions.append(commissionReport)
            self._note("commissionReport")

    def currentTime(self, time: int) -> None:
        with self.changed:
            self.times += 1
            self._note("currentTime")

    def error(self, reqId: int, errorCode: int, errorString: str) -> None:
        with self.changed:
            self.errors.append((reqId, errorCode))
            self._note("error")

    def status(self, order_id: int) -> str:
        with self.changed:
            return next((s for i, s, *_ in reversed(self.statuses) if i == order_id), "")

    async def wait(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        def block() -> bool:
            with self.changed:
                return self.changed.wait_for(condition, timeout)

        assert await asyncio.to_thread(block), "condition not met"

    async def sync(self) -> None:
        """A reqCurrentTime round trip: everything sent before its answer has been read."""
        with self.changed:
            seen = self.times
        self.reqCurrentTime()
        await self.wait(lambda: self.times > seen)


@asynccontextmanager
async def ibapi_client(m: Market) -> AsyncIterator[App]:
    app = App()
    await asyncio.to_thread(app.connect, "127.0.0.1", m.server.port, CLIENT_ID)
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    try:
        await app.wait(lambda: app.next_id > 0)
        yield app
    finally:
        app.disconnect()
        await asyncio.to_thread(thread.join, 5)


def aapl() -> Contract:
    contract = Contract()
    contract.symbol, contract.secType, contract.exchange, contract.currency = "AAPL", "STK", "SMART", "USD"
    return contract


def order(action: str, quantity: int, order_type: str, **values: Any) -> Order:
    o = Order()
    o.action, o.totalQuantity, o.orderType = action, quantity, order_type
    # ibapi 9.81 defaults both to True, which newer TWS rejects (10268/10269); IB's guide turns them off.
    o.eTradeOnly = False
    o.firmQuoteOnly = False
    for name, value in values.items():
        setattr(o, name, value)
    return o


def bracket(
    parent_id: int, action: str, quantity: int, limit: float, take_profit: float, stop_loss: float
) -> list[Order]:
    """IB's guide's BracketOrder: only the last child transmits, which releases the whole chain."""
    parent = order(action, quantity, "LMT", orderId=parent_id, lmtPrice=limit, transmit=False)
    reverse = "SELL" if action == "BUY" else "BUY"
    profit = order(reverse, quantity, "LMT", orderId=parent_id + 1, lmtPrice=take_profit, parentId=parent_id)
    profit.transmit = False
    loss = order(reverse, quantity, "STP", orderId=parent_id + 2, auxPrice=stop_loss, parentId=parent_id)
    loss.transmit = True
    return [parent, profit, loss]


async def test_ibapi_bracket_as_ibs_guide_sends_it() -> None:
    async with market() as m, ibapi_client(m) as app:
        q = m.quote()
        first = app.next_id
        orders = bracket(first, "BUY", 10, round(q.ask + 0.10, 2), round(q.ask + 0.04, 2), round(q.bid - 0.04, 2))
        for o in orders[:2]:
            app.placeOrder(o.orderId, aapl(), o)
        await app.sync()
        assert app.status(first) == app.status(first + 1) == "PreSubmitted"  # held: nothing transmitted yet
        assert not app.executions
        app.placeOrder(orders[2].orderId, aapl(), orders[2])
        await app.sync()
        assert app.status(first) == "Filled"
        assert (app.status(first + 1), app.status(first + 2)) == ("Submitted", "PreSubmitted")
        assert [e.orderId for e in app.executions] == [first]
        assert app.errors == [] or all(code >= 2100 for _, code in app.errors)
        for _ in range(900):
            if "Filled" in (app.status(first + 1), app.status(first + 2)):
                break
            m.step()
            await app.sync()
        assert {app.status(first + 1), app.status(first + 2)} == {"Filled", "Cancelled"}
        assert len(app.commissions) == len(app.executions) == 2


async def test_ibapi_market_and_limit_orders() -> None:
    async with market() as m, ibapi_client(m) as app:
        market_id = app.next_id
        app.placeOrder(market_id, aapl(), order("BUY", 10, "MKT"))
        await app.wait(lambda: len(app.commissions) == 1)
        assert app.status(market_id) == "Filled"
        (execution,) = app.executions
        assert (execution.orderId, execution.side, float(execution.shares), execution.clientId) == (
            market_id,
            "BOT",
            10,
            CLIENT_ID,
        )
        assert execution.time.endswith("US/Eastern") and execution.permId > 0
        assert app.commissions[0].execId == execution.execId and app.commissions[0].commission == 1.0
        fill = app.callbacks[app.callbacks.index("openOrder") :]
        # filled on arrival: no orderStatus for the acceptance (IB: "commonly" none for such orders)
        assert fill[:5] == ["openOrder", "execDetails", "orderStatus", "openOrder", "commissionReport"]
        assert [s for i, s, *_ in app.open_orders if i == market_id] == ["Submitted", "Filled"]

        limit_id = market_id + 1
        action, limit = m.resting_limit()  # a buy below the bid or a sell above the ask, that the market reaches
        app.placeOrder(limit_id, aapl(), order(action, 10, "LMT", lmtPrice=limit))
        await app.sync()
        assert app.status(limit_id) == "Submitted"
        for _ in range(1800):
            if app.status(limit_id) == "Filled":
                break
            m.step()
            await app.sync()
        assert app.status(limit_id) == "Filled"
        price = app.executions[-1].price
        assert app.executions[-1].orderId == limit_id and (price <= limit if action == "BUY" else price >= limit)
        assert app.open_orders[-1][2].lmtPrice == limit
