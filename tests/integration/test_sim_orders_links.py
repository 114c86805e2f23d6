"""Linked orders with ib_async 2.1.0: brackets (ib.bracketOrder) and one-cancels-all groups."""

from __future__ import annotations

from ib_async import LimitOrder

from .sim_orders_support import market, qualified


async def test_bracket_parent_fill_activates_children_and_a_child_fill_cancels_the_other() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        q = m.quote()
        bracket = c.ib.bracketOrder(
            "BUY",
            10,
            limitPrice=round(q.ask + 0.10, 2),  # marketable: the parent fills at once
            takeProfitPrice=round(q.ask + 0.04, 2),
            stopLossPrice=round(q.bid - 0.04, 2),
        )
        parent, take_profit, stop_loss = (c.ib.placeOrder(aapl, o) for o in bracket)
        await m.sync(c)
        assert parent.orderStatus.status == "Filled"
        assert take_profit.orderStatus.status == "Submitted"  # a working limit
        assert stop_loss.orderStatus.status == "PreSubmitted"  # a stop waiting for its trigger
        assert take_profit.orderStatus.parentId == parent.order.orderId
        await m.run_until(c, lambda: "Filled" in (take_profit.orderStatus.status, stop_loss.orderStatus.status))
        statuses = {take_profit.orderStatus.status, stop_loss.orderStatus.status}
        assert statuses == {"Filled", "Cancelled"}
        assert sum(len(t.fills) for t in (take_profit, stop_loss)) == 1


async def test_bracket_children_wait_while_the_parent_rests() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        bracket = c.ib.bracketOrder("BUY", 10, limitPrice=100.00, takeProfitPrice=300.00, stopLossPrice=90.00)
        parent, take_profit, stop_loss = (c.ib.placeOrder(aapl, o) for o in bracket)
        await m.sync(c)
        assert parent.orderStatus.status == "Submitted"
        assert take_profit.orderStatus.status == stop_loss.orderStatus.status == "PreSubmitted"
        c.ib.cancelOrder(parent.order)
        await m.sync(c)
        assert {t.orderStatus.status for t in (parent, take_profit, stop_loss)} == {"Cancelled"}


async def test_one_cancels_all_group() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        q = m.quote()
        orders = [LimitOrder("BUY", 10, 100.00), LimitOrder("BUY", 10, round(q.ask + 0.10, 2))]
        resting, marketable = (c.ib.placeOrder(aapl, o) for o in c.ib.oneCancelsAll(orders, "pair", 1))
        await m.sync(c)
        assert marketable.orderStatus.status == "Filled"
        assert resting.orderStatus.status == "Cancelled"
        assert resting.order.ocaGroup == "pair"
