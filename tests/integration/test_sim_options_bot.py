"""An options-selling bot, as a production one is written on unmodified ib_async, over two simulated days: it
sells a 0.30-delta put on SPY, QQQ and IWM (the chain from reqSecDefOptParams, the strike by model delta, open
interest from tick 101, an Adaptive Patient limit at the midpoint), holds them, and the next day reconnects to
a restarted simulator and qualifies each underlying from the portfolio's option contract."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from ib_async import IB, LimitOrder, Option, Stock, TagValue, Ticker, Trade

from ibbot.clock import ManualClock

from .sim_options_support import (
    ETFS,
    expiry_near,
    far_from_reference,
    open_interest,
    price_of,
    pumping,
    put_by_delta,
    session,
    until,
)

MIN_OPEN_INTEREST = 50
TARGET_DELTA = 0.30


def greeks_of(ticker: Ticker) -> bool:
    return ticker.modelGreeks is not None and not math.isnan(ticker.modelGreeks.delta or math.nan)


async def sell_a_put(ib: IB, symbol: str, today: datetime) -> tuple[Option, Trade]:
    (under,) = await ib.qualifyContractsAsync(Stock(symbol, "SMART", "USD"))
    spot = await price_of(ib, under)
    chains = await ib.reqSecDefOptParamsAsync(symbol, "", "STK", under.conId)
    smart = next(c for c in chains if c.exchange == "SMART" and c.tradingClass == symbol)
    expiry = expiry_near(smart.expirations, today, 35)
    put, ticker = await put_by_delta(ib, symbol, expiry, spot, TARGET_DELTA)
    assert ticker.modelGreeks is not None and abs(ticker.modelGreeks.delta) <= TARGET_DELTA + 0.08
    assert put.strike < spot  # out of the money
    assert await open_interest(ib, put) >= MIN_OPEN_INTEREST
    quote = ib.reqMktData(put)
    await until(lambda: quote.bid > 0 and quote.ask > 0)
    order = LimitOrder("SELL", 1, round((quote.bid + quote.ask) / 2, 2), tif="DAY")
    order.algoStrategy, order.algoParams = "Adaptive", [TagValue("adaptivePriority", "Patient")]
    return put, ib.placeOrder(put, order)


async def work_until_filled(ib: IB, trades: list[tuple[Option, Trade]]) -> None:
    """Wait for the fills, re-pegging a limit to the midpoint every few simulated minutes, as a bot does."""
    for _ in range(8):
        try:
            await until(lambda: all(t.orderStatus.status == "Filled" for _, t in trades), timeout=2.5)
            return
        except TimeoutError:
            for put, trade in trades:
                if trade.orderStatus.status != "Filled":
                    (ticker,) = await ib.reqTickersAsync(put)
                    if ticker.bid > 0 and ticker.ask > 0:
                        trade.order.lmtPrice = round((ticker.bid + ticker.ask) / 2, 2)
                        ib.placeOrder(put, trade.order)
    raise AssertionError([(p.localSymbol, t.orderStatus.status, t.log[-1].message) for p, t in trades])


async def test_an_options_selling_bot_runs_two_days(tmp_path: Path) -> None:
    start, _, _ = far_from_reference()  # one of the three trades far from its reference price
    state = tmp_path / "paper.sqlite3"
    clock = ManualClock(start)
    async with session(start, state=state, clock=clock) as day1, pumping(clock, seconds=5.0):
        trades = [await sell_a_put(day1.ib, symbol, start) for symbol in ETFS]
        await work_until_filled(day1.ib, trades)
        await until(lambda: len([p for p in day1.ib.positions() if p.contract.secType == "OPT"]) == 3)
        sold = {put.conId: put for put, _ in trades}
        assert not [e for e in day1.errors if e[1] in (200, 201, 400)], day1.errors

    next_day = ManualClock(start + timedelta(days=1))
    async with session(next_day.now(), state=state, clock=next_day) as day2, pumping(next_day, seconds=5.0):
        await until(lambda: len([i for i in day2.ib.portfolio() if i.contract.secType == "OPT"]) == 3)
        for item in [i for i in day2.ib.portfolio() if i.contract.secType == "OPT"]:
            assert item.contract.conId in sold and item.position == -1
            assert item.contract.primaryExchange not in ("", "SMART")
            underlying = Stock(item.contract.symbol, "SMART", "USD", primaryExchange=item.contract.primaryExchange)
            (qualified,) = await day2.ib.qualifyContractsAsync(underlying)
            assert qualified.conId > 0 and qualified.secType == "STK"
            (option,) = await day2.ib.qualifyContractsAsync(Option(conId=item.contract.conId, exchange="SMART"))
            await until(partial(greeks_of, day2.ib.reqMktData(option)))
        assert not [e for e in day2.errors if e[1] == 200], day2.errors
