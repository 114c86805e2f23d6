"""Orders as an ib_async 2.1.0 client sees them: fills, resting limits, modify and cancel, IB's rejections."""

from __future__ import annotations

from decimal import Decimal

from ib_async import LimitOrder, MarketOrder, Order, Stock

from .sim_orders_support import AAPL, market, qualified


async def test_market_order_fills_with_execution_and_commission() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        ask = m.quote().ask
        trade = c.ib.placeOrder(aapl, MarketOrder("BUY", 100))
        await m.run_until(
            c, lambda: trade.orderStatus.status == "Filled" and bool(trade.fills[-1].commissionReport.execId)
        )
        assert trade.order.permId > 0  # openOrder came before the fill
        (fill,) = trade.fills
        assert fill.execution.side == "BOT" and fill.execution.shares == 100
        assert fill.execution.price == ask and fill.execution.time.tzinfo is not None
        assert fill.execution.clientId == 1 and fill.execution.orderId == trade.order.orderId
        assert fill.commissionReport.commission == 1.0  # IB's fixed minimum: 100 x $0.005 < $1.00
        assert fill.commissionReport.realizedPNL == 0.0  # an opening fill (sent as UNSET)
        assert [f.execution.execId for f in c.ib.fills()] == [fill.execution.execId]
        assert [entry.status for entry in trade.log][-1] == "Filled"


async def test_market_order_larger_than_the_touch_fills_in_parts() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        size = 3000
        assert m.quote().ask_size < size
        trade = c.ib.placeOrder(aapl, MarketOrder("BUY", size))
        await m.run_until(c, lambda: trade.orderStatus.status == "Filled")
        await m.sync(c)
        assert len(trade.fills) > 1
        assert sum(f.execution.shares for f in trade.fills) == size
        assert [f.execution.cumQty for f in trade.fills][-1] == size
        assert trade.orderStatus.avgFillPrice > 0
        # the per-order commission is spread over the fills: together they are 3000 x $0.005
        assert round(sum(f.commissionReport.commission for f in trade.fills), 2) == 15.0


async def test_resting_limit_fills_when_the_market_comes_to_it() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        action, limit = m.resting_limit()  # a buy below the bid or a sell above the ask, that the market reaches
        trade = c.ib.placeOrder(aapl, LimitOrder(action, 10, limit))
        await m.sync(c)
        assert trade.orderStatus.status == "Submitted" and not trade.fills
        await m.run_until(c, lambda: trade.orderStatus.status == "Filled", limit=1800, skip_silent=True)
        price = trade.fills[0].execution.price
        assert price <= limit if action == "BUY" else price >= limit


async def test_modify_price_and_size_then_cancel() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        order = LimitOrder("BUY", 10, 100.00, tif="GTC")
        trade = c.ib.placeOrder(aapl, order)
        await m.sync(c)
        assert trade.orderStatus.status == "Submitted"
        perm_id = trade.order.permId
        order.lmtPrice = 101.00
        c.ib.placeOrder(aapl, order)
        order.totalQuantity = 20
        c.ib.placeOrder(aapl, order)
        await m.sync(c)
        (seen,) = await c.ib.reqOpenOrdersAsync()
        assert (seen.order.lmtPrice, seen.order.totalQuantity, seen.order.permId) == (101.0, 20, perm_id)
        assert "Modified" in [e.message for e in trade.log]  # ib_async's word for an acknowledged modify
        c.ib.cancelOrder(order)
        await m.sync(c)
        assert trade.orderStatus.status == "Cancelled"
        assert (order.orderId, 202) in [(r, code) for r, code, _ in c.errors]
        assert await c.ib.reqOpenOrdersAsync() == []


async def test_ib_rejections_and_the_server_keeps_serving() -> None:
    async with market() as m:
        c = await m.connect()
        ib = c.ib
        aapl = await qualified(c)
        cases = {
            434: MarketOrder("BUY", 0),
            110: LimitOrder("BUY", 10, 100.005),
            387: Order(action="BUY", totalQuantity=10, orderType="BOGUS"),
            10268: MarketOrder("BUY", 10, eTradeOnly=True),
            10269: MarketOrder("BUY", 10, firmQuoteOnly=True),
        }
        for code, order in cases.items():
            trade = ib.placeOrder(aapl, order)
            await m.sync(c)
            assert c.codes(trade.order.orderId) == [code], (code, c.errors)
        unknown = ib.placeOrder(Stock("NOSUCH", "SMART", "USD"), MarketOrder("BUY", 1))
        await m.sync(c)
        assert c.codes(unknown.order.orderId) == [200]
        too_big = ib.placeOrder(aapl, MarketOrder("BUY", 1_000_000))  # $170M against $1M of cash
        await m.sync(c)
        assert c.codes(too_big.order.orderId) == [201] and too_big.orderStatus.status == "Cancelled"
        assert "YOUR ORDER IS NOT ACCEPTED" in c.errors[-1][2]
        # a filled order: modify 104, cancel 10148; an unknown one: cancel 10147
        filled = ib.placeOrder(aapl, MarketOrder("BUY", 10))
        await m.run_until(c, lambda: filled.orderStatus.status == "Filled")
        ib.client.placeOrder(filled.order.orderId, aapl, MarketOrder("BUY", 20))
        ib.client.cancelOrder(filled.order.orderId, "")
        ib.client.cancelOrder(999_999, "")
        await m.sync(c)
        assert c.codes(filled.order.orderId) == [104, 10148]
        assert c.codes(999_999) == [10147]
        # 103: the id of a finished order used again for another contract
        cancelled = ib.placeOrder(aapl, LimitOrder("BUY", 1, 100.00))
        await m.sync(c)
        ib.cancelOrder(cancelled.order)
        await m.sync(c)
        msft = await qualified(c, Stock("MSFT", "SMART", "USD"))
        ib.client.placeOrder(cancelled.order.orderId, msft, LimitOrder("BUY", 1, 100.00))
        await m.sync(c)
        assert c.codes(cancelled.order.orderId) == [202, 103]
        assert (await ib.reqCurrentTimeAsync()).year == 2024


async def test_read_only_api_refuses_orders() -> None:
    async with market(read_only=True) as m:
        c = await m.connect()
        aapl = await qualified(c)
        trade = c.ib.placeOrder(aapl, MarketOrder("BUY", 1))
        c.ib.client.cancelOrder(trade.order.orderId, "")
        await m.sync(c)
        assert c.codes(trade.order.orderId) == [321, 321]
        assert "Read-Only" in c.errors[-1][2]
        assert trade.orderStatus.status != "Filled"


async def test_scripted_rejection_fault_rejects_the_next_orders_only() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        m.server.faults.reject_next_orders(1)
        first = c.ib.placeOrder(aapl, MarketOrder("BUY", 1))
        second = c.ib.placeOrder(aapl, MarketOrder("BUY", 1))
        await m.run_until(c, lambda: second.orderStatus.status == "Filled")
        assert first.orderStatus.status == "Cancelled"
        assert (first.order.orderId, 201, "Order rejected - reason:Simulated rejection") in c.errors


async def test_what_if_reports_margin_and_commission_without_trading() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        state = await c.ib.whatIfOrderAsync(aapl, MarketOrder("BUY", 100))
        price = Decimal(str(m.quote().ask))
        assert float(state.initMarginChange) == float(price * 100 * Decimal("0.5"))  # Reg T: 50% of a long
        assert float(state.equityWithLoanBefore) > 0 and float(state.initMarginBefore) == 0
        assert state.commission == 1.0 and state.commissionCurrency == "USD"
        assert c.ib.fills() == [] and await c.ib.reqOpenOrdersAsync() == []
        assert m.server.sim.accounts.ledger("").positions.get(AAPL) is None
