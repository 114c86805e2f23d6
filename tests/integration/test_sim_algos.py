"""IB's algos as ib_async 2.1.0 sees them: an Adaptive Patient sell at the midpoint fills within minutes and
openOrder / completedOrder show the algo and its parameters; a VWAP works a stock order over its window;
unknown algos and bad parameters are refused with 400."""

from __future__ import annotations

import math

from ib_async import LimitOrder, MarketOrder, Option, Order, Stock, TagValue, Trade

from .sim_orders_support import Client, Market, market, qualified

SPY = 756733


def priced(value: float) -> bool:
    return not math.isnan(value) and value > 0


async def near_the_money_put(m: Market, c: Client) -> Option:
    """A SPY put about a month out, near the money."""
    (spy,) = await c.ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    spot = m.last(SPY)
    chains = await c.ib.reqSecDefOptParamsAsync("SPY", "", "STK", spy.conId)
    smart = next(chain for chain in chains if chain.exchange == "SMART")
    expiry = smart.expirations[min(len(smart.expirations) - 1, 20)]
    details = await c.ib.reqContractDetailsAsync(Option("SPY", expiry, right="P", exchange="SMART"))
    strike = min((d.contract.strike for d in details if d.contract), key=lambda k: abs(k - spot * 0.98))
    (put,) = await c.ib.qualifyContractsAsync(Option("SPY", expiry, strike, "P", "SMART"))
    assert isinstance(put, Option)
    return put


def adaptive(action: str, limit: float, priority: str) -> Order:
    return LimitOrder(
        action, 1, limit, algoStrategy="Adaptive", algoParams=[TagValue("adaptivePriority", priority)], tif="DAY"
    )


async def test_an_adaptive_patient_midpoint_sell_fills_within_minutes_and_echoes_its_algo() -> None:
    async with market() as m:
        c = await m.connect()
        put = await near_the_money_put(m, c)
        ticker = c.ib.reqMktData(put)
        await m.run_until(c, lambda: priced(ticker.bid) and priced(ticker.ask))
        mid = round((ticker.bid + ticker.ask) / 2, 2)
        placed_at = m.clock.now()
        trade = c.ib.placeOrder(put, adaptive("SELL", mid, "Patient"))
        await m.sync(c)
        assert trade.orderStatus.status == "Submitted", c.errors
        watcher = await m.connect(client_id=0)  # sees every client's orders, decoded from openOrder
        (seen,) = [t for t in await watcher.ib.reqAllOpenOrdersAsync() if t.order.permId == trade.order.permId]
        assert seen.order.algoStrategy == "Adaptive"
        assert seen.order.algoParams == [TagValue("adaptivePriority", "Patient")]
        reprices = 0
        for _ in range(40):  # a bot re-pegs a limit the market moved away from, as it would on TWS
            steps = 0
            while trade.orderStatus.status != "Filled" and steps < 60:
                await m.advance(c, 5.0)
                steps += 1
            if trade.orderStatus.status == "Filled":
                break
            order = trade.order
            order.lmtPrice = round((ticker.bid + ticker.ask) / 2, 2)
            c.ib.placeOrder(put, order)
            reprices += 1
        assert trade.orderStatus.status == "Filled", (reprices, c.errors)
        fill = trade.fills[-1]
        assert reprices <= 5 and fill.execution.price >= trade.order.lmtPrice - 1e-9
        minutes = (fill.execution.time - placed_at).total_seconds() / 60  # simulated time
        assert minutes < 30  # a patient midpoint order fills in minutes, repriced once if the market moved away
        completed = await c.ib.reqCompletedOrdersAsync(apiOnly=True)
        (done,) = [t for t in completed if t.order.permId == trade.order.permId]
        assert done.order.algoStrategy == "Adaptive" and done.order.algoParams == [
            TagValue("adaptivePriority", "Patient")
        ]


async def test_urgent_fills_sooner_than_patient() -> None:
    async with market() as m:
        c = await m.connect()
        put = await near_the_money_put(m, c)
        ticker = c.ib.reqMktData(put)
        await m.run_until(c, lambda: priced(ticker.bid) and priced(ticker.ask))
        urgent = c.ib.placeOrder(put, MarketOrder("SELL", 1, algoStrategy="Adaptive",
                                                  algoParams=[TagValue("adaptivePriority", "Urgent")]))  # fmt: skip
        patient = c.ib.placeOrder(put, MarketOrder("BUY", 1, algoStrategy="Adaptive",
                                                   algoParams=[TagValue("adaptivePriority", "Patient")]))  # fmt: skip
        urgent_steps = await m.run_until(c, lambda: urgent.orderStatus.status == "Filled", seconds=5.0, limit=60)
        patient_steps = urgent_steps + await m.run_until(
            c, lambda: patient.orderStatus.status == "Filled", seconds=5.0, limit=200
        )
        assert urgent_steps * 5 <= 60  # within Urgent's minute
        assert patient_steps > 3 * urgent_steps  # Patient waits for a better price


async def test_a_vwap_works_a_stock_order_over_its_window() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        order = MarketOrder("BUY", 300, algoStrategy="Vwap", algoParams=[
            TagValue("maxPctVol", "0.2"), TagValue("startTime", "10:00:00 US/Eastern"),
            TagValue("endTime", "10:10:00 US/Eastern"),
        ])  # fmt: skip
        trade = c.ib.placeOrder(aapl, order)
        await m.run_until(c, lambda: trade.orderStatus.status == "Filled", seconds=10.0, limit=90)
        assert len(trade.fills) >= 5  # sliced over the ten minutes, not one print
        assert sum(f.execution.shares for f in trade.fills) == 300


async def test_unknown_algos_and_bad_parameters_are_refused_with_400() -> None:
    async with market() as m:
        c = await m.connect()
        aapl = await qualified(c)
        bad: list[Trade] = [
            c.ib.placeOrder(aapl, LimitOrder("BUY", 1, 1.0, algoStrategy="Adaptiv")),
            c.ib.placeOrder(aapl, adaptive("BUY", 1.0, "Slowly")),
            c.ib.placeOrder(
                aapl, LimitOrder("BUY", 1, 1.0, algoStrategy="Vwap", algoParams=[TagValue("noSuchTag", "1")])
            ),  # fmt: skip
        ]
        await m.sync(c)
        for trade in bad:
            codes = [code for rid, code, _ in c.errors if rid == trade.order.orderId]
            assert codes == [400], c.errors
        assert not await c.ib.reqAllOpenOrdersAsync()
