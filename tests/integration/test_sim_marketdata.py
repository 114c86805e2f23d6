"""Live market data as ib_async 2.1.0 sees it: streams, snapshots, delayed data, generic ticks and IB's refusals."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ib_async import IB, Contract, Forex, Index, Option, Stock, Ticker

from ibbot.sim.server import SimServer

from .support import live_market, until


@asynccontextmanager
async def market(**limits: object) -> AsyncIterator[tuple[SimServer, IB, list[tuple[int, int]]]]:
    """A simulator on a fixed Wednesday whose clock moves a second per step, and one ib_async client."""
    async with live_market(**limits) as (sim, ib, _clock, errors):
        yield sim, ib, errors


def priced(value: float) -> bool:
    return not math.isnan(value) and value > 0


async def test_a_stock_streams_quotes_trades_and_volume() -> None:
    async with market() as (_, ib, errors):
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        ticker = ib.reqMktData(aapl)
        await until(lambda: priced(ticker.bid) and priced(ticker.ask) and priced(ticker.last) and ticker.volume > 0)
        assert ticker.bid < ticker.ask and ticker.bidSize > 0 and ticker.askSize > 0
        assert priced(ticker.high) and priced(ticker.low) and priced(ticker.open) and priced(ticker.close)
        assert ticker.minTick == 0.01 and ticker.marketDataType == 1
        updates: list[float] = []
        ticker.updateEvent += lambda t: updates.append(t.volume)
        await until(lambda: len(updates) >= 4)
        assert updates[-1] >= updates[0], "volume only grows"
        await until(lambda: ticker.lastTimestamp is not None)
        ib.cancelMktData(aapl)
        assert errors == []


async def test_forex_has_no_last_and_an_index_no_quotes() -> None:
    async with market() as (_, ib, _errors):
        fx, spx = await ib.qualifyContractsAsync(Forex("EURUSD"), Index("SPX", "CBOE", "USD"))
        eur = ib.reqMktData(fx)
        index = ib.reqMktData(spx)
        await until(lambda: priced(eur.bid) and priced(eur.ask) and priced(index.last) and priced(eur.high))
        assert eur.bid < eur.ask and math.isnan(eur.last) and math.isnan(eur.volume)
        assert math.isnan(index.bid) and math.isnan(index.ask) and index.lastSize == 0


async def test_an_option_line_has_greeks() -> None:
    async with market() as (_, ib, _errors):
        chains = await ib.reqSecDefOptParamsAsync("SPY", "", "STK", 756733)
        chain = chains[0]
        # reqSecDefOptParams lists every expiry's strikes together: an expiry's own come from its contracts
        calls = await ib.reqContractDetailsAsync(Option("SPY", chain.expirations[1], right="C", exchange="SMART"))
        strikes = sorted(d.contract.strike for d in calls if d.contract is not None)
        assert set(strikes) <= set(chain.strikes)
        (spy,) = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
        (under,) = await asyncio.wait_for(ib.reqTickersAsync(spy), 5)
        strike = min(strikes, key=lambda k: abs(k - under.marketPrice()))
        option = Option("SPY", chain.expirations[1], strike, "C", "SMART")
        (qualified,) = await ib.qualifyContractsAsync(option)
        ticker = ib.reqMktData(qualified)
        await until(lambda: ticker.modelGreeks is not None and ticker.bidGreeks is not None and priced(ticker.ask))
        model = ticker.modelGreeks
        assert model is not None and model.undPrice is not None and model.undPrice > 0
        assert model.delta is not None and 0 < model.delta < 1 and model.impliedVol is not None
        assert ticker.bid < ticker.ask


async def test_snapshots_end_with_tick_snapshot_end() -> None:
    async with market() as (sim, ib, _errors):
        aapl, msft = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"), Stock("MSFT", "SMART", "USD"))
        tickers = await asyncio.wait_for(ib.reqTickersAsync(aapl, msft), 5)
        assert all(priced(t.bid) and priced(t.ask) and priced(t.last) for t in tickers)
        assert sim.sim.pacing.lines_open == 0, "a snapshot holds no line"


async def test_delayed_data_when_not_subscribed() -> None:
    async with market(subscriptions=["CASH"]) as (_, ib, errors):
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        live = ib.reqMktData(aapl)
        await until(lambda: any(code == 354 for _, code in errors))
        assert math.isnan(live.bid)
        ib.cancelMktData(aapl)
        ib.reqMarketDataType(3)
        ticker = ib.reqMktData(aapl)
        await until(lambda: priced(ticker.bid) and priced(ticker.last) and ticker.volume > 0)
        assert ticker.marketDataType == 3 and any(code == 10167 for _, code in errors)
        await until(lambda: ticker.delayedLastTimestamp is not None)
        (fx,) = await ib.qualifyContractsAsync(Forex("EURUSD"))
        eur = ib.reqMktData(fx)
        await until(lambda: priced(eur.bid))
        assert eur.marketDataType == 1, "a subscribed class streams live whatever type was asked"


async def test_generic_ticks_233_and_236_and_an_illegal_list() -> None:
    async with market() as (_, ib, errors):
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        ticker = ib.reqMktData(aapl, "233,236,165,293")
        await until(lambda: priced(ticker.rtVolume) and ticker.rtTime is not None and priced(ticker.vwap))
        assert ticker.shortable == 3.0 and ticker.shortableShares > 0
        assert priced(ticker.low52week) and ticker.low52week <= ticker.high52week and ticker.avVolume > 0
        assert ticker.tradeCount > 0
        (msft,) = await ib.qualifyContractsAsync(Stock("MSFT", "SMART", "USD"))
        ib.reqMktData(msft, "104,999")
        await until(lambda: any(code == 321 for _, code in errors))
        ok = ib.reqMktData(msft)  # the server goes on serving
        await until(lambda: priced(ok.bid))


async def test_line_limit_duplicate_id_and_unknown_cancel() -> None:
    async with market(max_market_data_lines=2) as (_, ib, errors):
        contracts = await ib.qualifyContractsAsync(
            Stock("AAPL", "SMART", "USD"), Stock("MSFT", "SMART", "USD"), Stock("NVDA", "SMART", "USD")
        )
        tickers = [ib.reqMktData(c) for c in contracts]
        await until(lambda: any(code == 101 for _, code in errors))
        await until(lambda: priced(tickers[0].bid) and priced(tickers[1].bid))
        assert math.isnan(tickers[2].bid)
        ib.cancelMktData(contracts[1])
        client = ib.client
        client.reqMktData(900, Contract(conId=272093, exchange="SMART"), "", False, False, [])
        client.reqMktData(900, Contract(conId=4815747, exchange="SMART"), "", False, False, [])
        await until(lambda: (900, 102) in errors)
        client.cancelMktData(777)
        await until(lambda: (777, 300) in errors)
        ticker: Ticker = tickers[0]
        before = ticker.volume
        await until(lambda: ticker.volume > before, 10)
