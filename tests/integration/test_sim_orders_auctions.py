"""Auction and pegged order types end to end with ib_async 2.1.0: LOC, OPG, MIDPRICE and REL."""

from __future__ import annotations

from datetime import UTC, datetime

from ib_async import LimitOrder, MarketOrder, Order

from .sim_orders_support import AAPL, market, qualified

CLOSE = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)  # 16:00 New York
PRE_MARKET = datetime(2024, 3, 4, 13, 0, tzinfo=UTC)  # 08:00 New York


async def test_limit_on_close_fills_at_the_close_only_within_its_limit() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        last = m.last()
        generous = c.ib.placeOrder(
            aapl, Order(action="BUY", totalQuantity=10, orderType="LOC", lmtPrice=round(last * 2, 2))
        )
        stingy = c.ib.placeOrder(
            aapl, Order(action="BUY", totalQuantity=10, orderType="LOC", lmtPrice=round(last / 2, 2))
        )
        await m.sync(c)
        assert generous.orderStatus.status == stingy.orderStatus.status == "Submitted"
        await m.advance(c, 6 * 3600)
        path = m.server.sim.prices.path(AAPL)
        close = path.price(path.last_ticks(int(CLOSE.timestamp())))
        assert generous.orderStatus.status == "Filled" and generous.fills[0].execution.price == close
        assert stingy.orderStatus.status == "Cancelled"  # the auction did not reach its limit


async def test_opening_orders_fill_at_the_open() -> None:
    async with market(start=PRE_MARKET) as m:
        c = await m.connect()
        aapl = await qualified(c)
        opg = c.ib.placeOrder(aapl, MarketOrder("BUY", 10, tif="OPG"))
        await m.sync(c)
        assert opg.orderStatus.status in ("PreSubmitted", "Submitted")
        await m.advance(c, 3600)  # 09:00: not open yet
        assert opg.orderStatus.status != "Filled"
        await m.advance(c, 1800)  # 09:30: the opening auction
        assert opg.orderStatus.status == "Filled"
        opened = int(datetime(2024, 3, 4, 14, 30, tzinfo=UTC).timestamp())
        assert opg.fills[0].execution.time.timestamp() >= opened


async def test_midprice_fills_between_bid_and_ask() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        quote = m.quote()
        trade = c.ib.placeOrder(
            aapl, Order(action="BUY", totalQuantity=10, orderType="MIDPRICE", lmtPrice=round(quote.ask * 1.01, 2))
        )
        await m.run_until(c, lambda: trade.orderStatus.status == "Filled")
        price = trade.fills[0].execution.price
        assert quote.bid - 1 <= price <= quote.ask + 1  # near the touch of the moment it filled
        assert not c.codes(trade.order.orderId)


async def test_relative_order_pegs_to_its_side_and_fills() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        quote = m.quote()
        # Pegged one cent above the bid: with a one-cent spread that is the ask, so it fills at once.
        trade = c.ib.placeOrder(aapl, Order(action="BUY", totalQuantity=10, orderType="REL", auxPrice=0.01))
        await m.run_until(c, lambda: trade.orderStatus.status == "Filled")
        assert trade.fills[0].execution.shares == 10
        assert trade.fills[0].execution.price <= round(quote.bid + 0.01, 2) + 1e-9  # never above its peg
        sell = c.ib.placeOrder(aapl, LimitOrder("SELL", 10, round(m.last() * 0.9, 2)))
        await m.run_until(c, lambda: sell.orderStatus.status == "Filled")


async def test_trailing_stop_limit_ratchets_then_works_as_a_limit() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        order = Order(action="SELL", totalQuantity=10, orderType="TRAIL LIMIT", auxPrice=0.05, lmtPriceOffset=0.02)
        trade = c.ib.placeOrder(aapl, order)
        await m.sync(c)
        assert trade.orderStatus.status == "PreSubmitted", c.errors  # untriggered
        await m.run_until(c, lambda: trade.orderStatus.status == "Filled")
        # Once triggered at its trailing stop it became a limit `offset` below it: never filled below that.
        assert not c.codes(trade.order.orderId)
        assert trade.fills[0].execution.shares == 10


async def test_good_till_date_expires_at_its_date() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        until_1630 = LimitOrder("BUY", 10, 100.00, tif="GTD", goodTillDate="20240304 16:30:00 UTC")
        trade = c.ib.placeOrder(aapl, until_1630)
        await m.advance(c, 1800)  # 15:30 UTC
        assert trade.orderStatus.status == "Submitted"
        await m.advance(c, 3600)  # 16:30 UTC
        assert trade.orderStatus.status == "Cancelled"
