"""Every order type and time in force end to end with ib_async 2.1.0, on a ManualClock (deterministic per seed)."""

from __future__ import annotations

from datetime import UTC, datetime

from ib_async import LimitOrder, MarketOrder, Order, StopLimitOrder, StopOrder

from .sim_orders_support import AAPL, Client, Market, market, qualified


async def works_then_fills(m: Market, c: Client, order: Order, *, first: str = "PreSubmitted") -> float:
    """Place `order`, check its first status, run the market until it fills; the fill price."""
    trade = c.ib.placeOrder(await qualified(c), order)
    await m.sync(c)
    assert trade.orderStatus.status == first, (order.orderType, trade.orderStatus.status, c.errors)
    await m.run_until(c, lambda: trade.orderStatus.status == "Filled", limit=1800, skip_silent=True)
    assert not c.errors or all(code >= 2100 for _, code, _ in c.errors), c.errors
    return float(trade.fills[-1].execution.price)


async def test_stop_triggers_on_the_last_price_then_fills_as_market() -> None:
    async with market() as m:
        c = await m.connect()
        stop = round(m.last() + 0.03, 2)
        price = await works_then_fills(m, c, StopOrder("BUY", 10, stop))
        assert price >= stop - 0.02  # bought at the ask just after a print at or above the stop


async def test_stop_limit_triggers_and_respects_its_limit() -> None:
    async with market() as m:
        c = await m.connect()
        way, stop = m.touched_level()  # a stop the market trades through: a sell below, or a buy above
        if way == "down":
            limit = round(stop - 0.05, 2)
            assert await works_then_fills(m, c, StopLimitOrder("SELL", 10, limit, stop)) >= limit
        else:
            limit = round(stop + 0.05, 2)
            assert await works_then_fills(m, c, StopLimitOrder("BUY", 10, limit, stop)) <= limit


async def test_trailing_stop_by_amount_and_by_percent() -> None:
    async with market() as m:
        c = await m.connect()
        amount = Order(action="SELL", totalQuantity=10, orderType="TRAIL", auxPrice=0.05)
        percent = Order(action="BUY", totalQuantity=10, orderType="TRAIL", trailingPercent=0.02)
        start = m.last()
        sold = await works_then_fills(m, c, amount)
        bought = await works_then_fills(m, c, percent)
        assert sold > 0 and bought > 0 and abs(sold - start) < 2


async def test_if_touched_orders_wait_for_their_price() -> None:
    async with market() as m:
        c = await m.connect()
        way, touch = m.touched_level()  # touched from above (a buy) or from below (a sell)
        side = "BUY" if way == "down" else "SELL"
        await works_then_fills(m, c, Order(action=side, totalQuantity=10, orderType="MIT", auxPrice=touch))
        way, touch = m.touched_level()
        side, limit = ("BUY", round(touch + 0.05, 2)) if way == "down" else ("SELL", round(touch - 0.05, 2))
        lit = Order(action=side, totalQuantity=10, orderType="LIT", auxPrice=touch, lmtPrice=limit)
        price = await works_then_fills(m, c, lit)
        assert price <= limit if side == "BUY" else price >= limit


async def test_immediate_or_cancel_and_fill_or_kill() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        q = m.quote()
        big = q.ask_size + 5000
        small = c.ib.placeOrder(aapl, LimitOrder("BUY", 10, round(q.ask + 0.5, 2), tif="FOK"))
        fok = c.ib.placeOrder(aapl, LimitOrder("BUY", big, round(q.ask + 0.5, 2), tif="FOK"))
        ioc = c.ib.placeOrder(aapl, LimitOrder("BUY", big, round(q.ask + 0.5, 2), tif="IOC"))
        late = c.ib.placeOrder(aapl, LimitOrder("BUY", 10, round(q.ask + 0.5, 2), tif="FOK"))
        await m.sync(c)
        assert late.orderStatus.status == "Cancelled"  # the IOC took what the touch displayed
        assert ioc.orderStatus.status == "Cancelled" and 0 < ioc.orderStatus.filled < big
        assert fok.orderStatus.status == "Cancelled" and not fok.fills
        assert small.orderStatus.status == "Filled"


async def test_day_orders_expire_at_the_close_and_gtc_orders_stay() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        day = c.ib.placeOrder(aapl, LimitOrder("BUY", 10, 100.00))
        gtc = c.ib.placeOrder(aapl, LimitOrder("BUY", 10, 100.00, tif="GTC"))
        await m.advance(c, 5 * 3600 + 59 * 60)  # 15:59 New York
        assert day.orderStatus.status == "Submitted"
        await m.advance(c, 60)  # 16:00 New York: the regular session's close
        assert day.orderStatus.status == "Cancelled"
        assert gtc.orderStatus.status == "Submitted"


async def test_market_on_close_fills_in_the_closing_auction() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        moc = c.ib.placeOrder(aapl, Order(action="BUY", totalQuantity=10, orderType="MOC"))
        await m.sync(c)
        assert moc.orderStatus.status == "Submitted"
        await m.advance(c, 6 * 3600)
        assert moc.orderStatus.status == "Filled"
        path = m.server.sim.prices.path(AAPL)
        close = path.price(path.last_ticks(int(datetime(2024, 3, 4, 21, 0, tzinfo=UTC).timestamp())))
        assert moc.fills[0].execution.price == close


async def test_outside_regular_hours_only_outside_rth_orders_fill() -> None:
    premarket = datetime(2024, 3, 4, 13, 0, tzinfo=UTC)  # 08:00 New York
    async with market(start=premarket, exchange_hours=True) as m:
        c = await m.connect()
        aapl = await qualified(c)
        regular = c.ib.placeOrder(aapl, MarketOrder("BUY", 10))
        extended = c.ib.placeOrder(aapl, MarketOrder("BUY", 10, outsideRth=True))
        await m.run_until(c, lambda: extended.orderStatus.status == "Filled")
        await m.advance(c, 60)
        assert regular.orderStatus.status == "Submitted" and not regular.fills
        await m.advance(c, 90 * 60)  # 09:31: the regular session is open
        await m.run_until(c, lambda: regular.orderStatus.status == "Filled")
