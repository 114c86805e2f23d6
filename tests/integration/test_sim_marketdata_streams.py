"""Tick-by-tick, real-time bars, depth and option calculations as ib_async 2.1.0 sees them."""

from __future__ import annotations

import asyncio

from ib_async import Forex, Option, Stock, Ticker

from .support import T0, live_market, until

market = live_market


def collect(ticker: Ticker) -> list[object]:
    """Every tick-by-tick event of `ticker` (ib_async clears `tickByTicks` at each batch)."""
    seen: list[object] = []
    ticker.updateEvent += lambda t: seen.extend(t.tickByTicks)
    return seen


async def test_tick_by_tick_of_every_type() -> None:
    async with market(max_tick_by_tick=4) as (_, ib, _clock, errors):
        aapl, msft, nvda, tsla, eur = await ib.qualifyContractsAsync(
            Stock("AAPL", "SMART", "USD"),
            Stock("MSFT", "SMART", "USD"),
            Stock("NVDA", "SMART", "USD"),
            Stock("TSLA", "SMART", "USD"),
            Forex("EURUSD"),
        )
        last = collect(ib.reqTickByTickData(aapl, "Last", numberOfTicks=3))
        all_last = collect(ib.reqTickByTickData(msft, "AllLast"))
        bid_ask = collect(ib.reqTickByTickData(nvda, "BidAsk"))
        mids = collect(ib.reqTickByTickData(eur, "MidPoint"))
        await until(lambda: len(last) >= 5 and bool(all_last and bid_ask and mids))
        assert all(t.price > 0 and t.size > 0 for t in last)  # type: ignore[attr-defined]
        assert all(t.tickType == 2 for t in all_last)  # type: ignore[attr-defined]
        assert all(t.bidPrice < t.askPrice for t in bid_ask)  # type: ignore[attr-defined]
        assert all(t.midPoint > 0 for t in mids)  # type: ignore[attr-defined]
        ib.reqTickByTickData(tsla, "Last")
        await until(lambda: any(code == 10190 for _, code in errors))
        ib.cancelTickByTickData(aapl, "Last")
        freed = collect(ib.reqTickByTickData(tsla, "BidAsk"))  # the freed slot serves another instrument
        await until(lambda: bool(freed))
        assert [code for _, code in errors] == [10190]


async def test_realtime_bars_every_five_seconds_of_the_clock() -> None:
    async with market(pump=False) as (sim, ib, clock, _errors):
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        bars = ib.reqRealTimeBars(aapl, 5, "TRADES", False)
        await until(lambda: sim.sim.market_data_ids(next(iter(sim.sim.sessions.values()))) != [])
        clock.advance(5)
        await until(lambda: len(bars) == 1)
        clock.advance(5)
        await until(lambda: len(bars) == 2)
        first, second = bars
        assert first.time.timestamp() == T0.timestamp() and second.time.timestamp() == T0.timestamp() + 5
        assert first.low <= first.open_ <= first.high and first.volume > 0 and first.wap > 0
        ib.cancelRealTimeBars(bars)
        (msft,) = await ib.qualifyContractsAsync(Stock("MSFT", "SMART", "USD"))
        probe = ib.reqRealTimeBars(msft, 5, "MIDPOINT", False)  # due at the same step as AAPL's next bar
        await ib.reqCurrentTimeAsync()  # the server has handled both requests
        clock.advance(5)
        await until(lambda: len(probe) == 1)
        assert len(bars) == 2, "a cancelled line stays silent"


async def test_depth_and_its_exchanges() -> None:
    async with market() as (_, ib, _clock, _errors):
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        ticker = ib.reqMktDepth(aapl, numRows=5)
        await until(lambda: len(ticker.domBids) == 5 and len(ticker.domAsks) == 5)
        assert ticker.domBids[0].price < ticker.domAsks[0].price
        assert [b.price for b in ticker.domBids] == sorted((b.price for b in ticker.domBids), reverse=True)
        updates = []
        ticker.updateEvent += lambda t: updates.append(t.domTicks)
        await until(lambda: len(updates) >= 2)
        exchanges = await ib.reqMktDepthExchangesAsync()
        assert any(e.exchange == "ISLAND" for e in exchanges)
        components = await asyncio.wait_for(ib.reqSmartComponentsAsync("9c0001"), 5)
        assert any(c.exchange == "NYSE" for c in components)


async def test_option_calculations() -> None:
    async with market() as (_, ib, _clock, _errors):
        chains = await ib.reqSecDefOptParamsAsync("SPY", "", "STK", 756733)
        chain = chains[0]
        strike = chain.strikes[len(chain.strikes) // 2]
        (option,) = await ib.qualifyContractsAsync(Option("SPY", chain.expirations[2], strike, "P", "SMART"))
        priced = await ib.calculateOptionPriceAsync(option, 0.22, strike)
        assert priced is not None and priced.optPrice is not None and priced.optPrice > 0
        assert priced.delta is not None and -1 < priced.delta < 0
        implied = await ib.calculateImpliedVolatilityAsync(option, priced.optPrice, strike)
        assert implied is not None and implied.impliedVol is not None
        assert abs(implied.impliedVol - 0.22) < 1e-4
