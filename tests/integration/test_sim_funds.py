"""A US mutual fund through ib_async 2.1.0, as IB trades one: found on FUNDSERV (not SMART), market orders only
(a limit order is 387), and, following exchange hours, a market order placed in the morning waits for 15:59 New
York, when IB sends the day's orders to the fund, then fills there at a fund's commission (3%, at most $14.95)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ib_async import Contract, LimitOrder, MarketOrder

from .sim_orders_support import market

NEW_YORK = ZoneInfo("US/Eastern")
START = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
WINDOW = datetime(2024, 3, 4, 20, 59, tzinfo=UTC)  # 15:59 in New York


def vfiax(exchange: str = "FUNDSERV") -> Contract:
    return Contract(symbol="VFIAX", secType="FUND", exchange=exchange, currency="USD")


async def test_a_fund_order_waits_for_the_nav_window_and_fills_at_a_funds_commission() -> None:
    async with market(START, exchange_hours=True) as m:
        client = await m.connect()
        ib = client.ib
        (details,) = await ib.reqContractDetailsAsync(vfiax())
        assert details.contract is not None and details.contract.localSymbol == "922908710"  # the CUSIP
        assert details.tradingHours.startswith("20240304:1559-20240304:2200")
        assert "MKT" in details.orderTypes.split(",") and "LMT" not in details.orderTypes.split(",")
        assert await ib.reqContractDetailsAsync(vfiax("SMART")) == []
        fund = details.contract

        refused = ib.placeOrder(fund, LimitOrder("BUY", 2.5, 600.0))
        await m.sync(client)
        assert 387 in client.codes(refused.order.orderId)

        trade = ib.placeOrder(fund, MarketOrder("BUY", 2.5))
        await m.run_until(client, lambda: trade.orderStatus.status in ("PreSubmitted", "Submitted"))
        await m.advance(client, seconds=60)
        await m.advance(client, seconds=(WINDOW - m.clock.now()).total_seconds() - 30)  # to 15:58:30
        assert trade.orderStatus.status != "Filled" and not trade.fills  # the day's quotes did not fill it
        await m.run_until(client, lambda: trade.orderStatus.status == "Filled", seconds=10, limit=12)
        (fill,) = trade.fills
        filled_at = fill.execution.time.astimezone(NEW_YORK)
        assert (filled_at.hour, filled_at.minute) == (15, 59)
        assert fill.execution.shares == 2.5 and fill.execution.exchange == "FUNDSERV"
        value = fill.execution.shares * fill.execution.price
        assert fill.commissionReport.commission == round(min(0.03 * value, 14.95), 2)
