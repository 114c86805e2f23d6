"""Orders across clients with ib_async 2.1.0: master clients, global cancel, the order and execution queries,
and working orders surviving a restart fault."""

from __future__ import annotations

from ib_async import ExecutionFilter, LimitOrder, MarketOrder, Stock

from .sim_orders_support import market, qualified


async def test_client_zero_and_the_master_client_see_other_clients_orders() -> None:
    async with market(master_client_id=7) as m:
        watcher = await m.connect(0)
        master = await m.connect(7)
        other = await m.connect(3)
        trader = await m.connect(1)
        aapl = await qualified(trader)
        trade = trader.ib.placeOrder(aapl, MarketOrder("BUY", 10))
        await m.run_until(trader, lambda: trade.orderStatus.status == "Filled")
        for client in (watcher, master):
            await m.sync(client)
            (seen,) = client.ib.trades()
            assert (seen.order.clientId, seen.order.orderId) == (1, trade.order.orderId)
            assert seen.orderStatus.status == "Filled"
            assert [f.execution.execId for f in seen.fills] == [trade.fills[0].execution.execId]
        await m.sync(other)
        assert other.ib.trades() == []  # an ordinary client sees only its own


async def test_global_cancel_cancels_every_clients_orders() -> None:
    async with market() as m:
        first = await m.connect(1)
        second = await m.connect(2)
        aapl = await qualified(first)
        mine = first.ib.placeOrder(aapl, LimitOrder("BUY", 10, 100.00))
        theirs = second.ib.placeOrder(aapl, LimitOrder("SELL", 10, 300.00, tif="GTC"))
        await m.sync(first)
        await m.sync(second)
        assert len(await first.ib.reqAllOpenOrdersAsync()) == 2
        first.ib.reqGlobalCancel()
        await m.sync(first)
        await m.sync(second)
        assert mine.orderStatus.status == theirs.orderStatus.status == "Cancelled"
        assert 202 in second.codes(theirs.order.orderId)


async def test_open_completed_orders_and_executions_with_their_filter() -> None:
    async with market() as m:
        c = await m.connect(1)
        other = await m.connect(2)
        aapl = await qualified(c)
        msft = await qualified(c, Stock("MSFT", "SMART", "USD"))
        bought = c.ib.placeOrder(aapl, MarketOrder("BUY", 10))
        sold = c.ib.placeOrder(msft, MarketOrder("SELL", 5))
        resting = c.ib.placeOrder(aapl, LimitOrder("BUY", 1, 100.00, tif="GTC"))
        elsewhere = other.ib.placeOrder(aapl, LimitOrder("BUY", 2, 100.00, tif="GTC"))
        await m.run_until(c, lambda: bought.orderStatus.status == sold.orderStatus.status == "Filled")
        await m.sync(other)
        assert [t.order.permId for t in await c.ib.reqOpenOrdersAsync()] == [resting.order.permId]
        everyone = await c.ib.reqAllOpenOrdersAsync()
        assert sorted(t.order.permId for t in everyone) == sorted([resting.order.permId, elsewhere.order.permId])
        completed = await c.ib.reqCompletedOrdersAsync(False)
        assert sorted(t.order.permId for t in completed) == sorted([bought.order.permId, sold.order.permId])
        assert {t.orderStatus.status for t in completed} == {"Filled"}
        fills = await c.ib.reqExecutionsAsync()
        assert {f.contract.symbol for f in fills} == {"AAPL", "MSFT"}
        assert all(f.commissionReport.commission > 0 for f in c.ib.fills())  # ib_async keeps reports there
        sells = await c.ib.reqExecutionsAsync(ExecutionFilter(side="SELL"))
        assert {(f.contract.symbol, f.execution.side) for f in sells} == {("MSFT", "SLD")}
        assert {f.contract.symbol for f in await c.ib.reqExecutionsAsync(ExecutionFilter(symbol="aapl"))} == {"AAPL"}
        later = await c.ib.reqExecutionsAsync(ExecutionFilter(time="20240304 10:30:00 US/Eastern"))
        assert later == []
        assert await other.ib.reqExecutionsAsync() == []  # another client's fills are not its own


async def test_working_gtc_orders_are_visible_again_after_a_restart() -> None:
    async with market() as m:
        c = await m.connect(1)
        aapl = await qualified(c)
        working = c.ib.placeOrder(aapl, LimitOrder("BUY", 10, 100.00, tif="GTC"))
        filled = c.ib.placeOrder(aapl, MarketOrder("BUY", 10))
        await m.run_until(c, lambda: filled.orderStatus.status == "Filled")
        await m.server.faults.restart(0.1)
        assert not c.ib.isConnected()
        await c.ib.connectAsync("127.0.0.1", m.server.port, clientId=1, timeout=5)
        (trade,) = c.ib.openTrades()
        assert (trade.order.permId, trade.order.lmtPrice, trade.orderStatus.status) == (
            working.order.permId,
            100.0,
            "Submitted",
        )
        assert [f.execution.execId for f in c.ib.fills()] == [filled.fills[0].execution.execId]
        c.ib.cancelOrder(trade.order)
        await m.sync(c)
        assert trade.orderStatus.status == "Cancelled"
