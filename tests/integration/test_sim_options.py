"""Option chains as ib_async 2.1.0 sees them: strikes around the live price at the exchanges' spacing, kept as
the price moves; open interest and option volume on an option (tick 101/100/105); an option's listing in the
account messages and the underlying qualified from it."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta

from ib_async import MarketOrder, Option, Stock

from .sim_options_support import (
    expiry_near,
    far_from_reference,
    open_interest,
    price_of,
    pumping,
    session,
    strikes_of,
    until,
)


async def test_a_chain_far_from_the_reference_price_straddles_the_live_price_at_the_right_spacing() -> None:
    start, symbol, ratio = far_from_reference()
    assert abs(math.log(ratio)) > 0.1, "the premise: the ETF trades far from its reference price"
    async with session(start) as s:
        (under,) = await s.ib.qualifyContractsAsync(Stock(symbol, "SMART", "USD"))
        spot = await price_of(s.ib, under)
        chains = await s.ib.reqSecDefOptParamsAsync(symbol, "", "STK", under.conId)
        smart = next(c for c in chains if c.exchange == "SMART")
        expiry = expiry_near(smart.expirations, start, 30)
        puts, calls = await strikes_of(s.ib, symbol, expiry, "P"), await strikes_of(s.ib, symbol, expiry, "C")
        assert puts == calls and set(puts) <= set(smart.strikes)  # reqSecDefOptParams and the details agree
        below, above = [k for k in puts if k < spot], [k for k in puts if k > spot]
        assert len(below) >= 20 and len(above) >= 20, (spot, puts)  # OTM puts and OTM calls to write
        assert min(puts) < spot * 0.85 and max(puts) > spot * 1.15
        near = [k for k in puts if abs(k / spot - 1) < 0.03]
        assert {b - a for a, b in zip(near, near[1:], strict=False)} == {1.0}  # $1 strikes near the money
        far = [k for k in puts if abs(k / spot - 1) > 0.2]
        assert far and all(k % 5 == 0 for k in far)  # $5 far from it
        assert not s.errors or all(code >= 2100 for _, code, _ in s.errors), s.errors


async def test_strikes_stay_listed_and_new_ones_come_as_days_pass() -> None:
    start, symbol, _ = far_from_reference()
    async with session(start) as s:
        (under,) = await s.ib.qualifyContractsAsync(Stock(symbol, "SMART", "USD"))
        chains = await s.ib.reqSecDefOptParamsAsync(symbol, "", "STK", under.conId)
        smart = next(c for c in chains if c.exchange == "SMART")
        monthly = expiry_near(smart.expirations, start, 60)
        before = await strikes_of(s.ib, symbol, monthly, "P")
        (held,) = await s.ib.qualifyContractsAsync(Option(symbol, monthly, before[0], "P", "SMART"))
        s.clock.advance(timedelta(days=14).total_seconds())  # two weeks on: ten listing days
        await s.ib.reqCurrentTimeAsync()
        after = await strikes_of(s.ib, symbol, monthly, "P")
        assert set(before) <= set(after), "listed strikes are never removed"
        chains_after = await s.ib.reqSecDefOptParamsAsync(symbol, "", "STK", under.conId)
        smart_after = next(c for c in chains_after if c.exchange == "SMART")
        assert smart_after.expirations[0] > smart.expirations[0]  # the dailies of the first days expired
        assert set(smart_after.expirations) - set(smart.expirations)  # and new expiries were listed
        (again,) = await s.ib.qualifyContractsAsync(Option(conId=held.conId))
        assert again.localSymbol == held.localSymbol


async def test_tick_101_on_an_option_gives_its_open_interest() -> None:
    start, symbol, _ = far_from_reference()
    async with session(start) as s:
        (under,) = await s.ib.qualifyContractsAsync(Stock(symbol, "SMART", "USD"))
        spot = await price_of(s.ib, under)
        chains = await s.ib.reqSecDefOptParamsAsync(symbol, "", "STK", under.conId)
        expiry = expiry_near(next(c for c in chains if c.exchange == "SMART").expirations, start, 30)
        strike = min(await strikes_of(s.ib, symbol, expiry, "P"), key=lambda k: abs(k - spot * 0.97))
        put, call = await s.ib.qualifyContractsAsync(
            Option(symbol, expiry, strike, "P", "SMART"), Option(symbol, expiry, strike, "C", "SMART")
        )
        assert await open_interest(s.ib, put) > 100  # near the money: thousands of contracts
        assert await open_interest(s.ib, call) > 0
        ticker = s.ib.reqMktData(put, "100,101,105")
        await until(lambda: not math.isnan(ticker.putOpenInterest) and not math.isnan(ticker.avOptionVolume))
        assert math.isnan(ticker.callOpenInterest)  # a put's figures come in the put ticks, as IB sends them
        assert ticker.putVolume >= 0 and ticker.avOptionVolume > 0
        underlying = s.ib.reqMktData(under, "100,101,105")
        await until(lambda: not math.isnan(underlying.callOpenInterest) and not math.isnan(underlying.putVolume))
        assert underlying.putOpenInterest > ticker.putOpenInterest  # the chain's sum


async def test_an_options_listing_in_the_portfolio_qualifies_its_underlying() -> None:
    start, symbol, _ = far_from_reference()
    async with session(start) as s, pumping(s.clock):
        (under,) = await s.ib.qualifyContractsAsync(Stock(symbol, "SMART", "USD"))
        spot = await price_of(s.ib, under)
        chains = await s.ib.reqSecDefOptParamsAsync(symbol, "", "STK", under.conId)
        expiry = expiry_near(next(c for c in chains if c.exchange == "SMART").expirations, start, 30)
        strike = min(await strikes_of(s.ib, symbol, expiry, "P"), key=lambda k: abs(k - spot))
        (put,) = await s.ib.qualifyContractsAsync(Option(symbol, expiry, strike, "P", "SMART"))
        trade = s.ib.placeOrder(put, MarketOrder("SELL", 1))
        await until(lambda: trade.orderStatus.status == "Filled")
        await until(lambda: any(i.contract.conId == put.conId for i in s.ib.portfolio()))
        (item,) = [i for i in s.ib.portfolio() if i.contract.conId == put.conId]
        assert item.contract.primaryExchange == "AMEX" and item.position == -1  # an options exchange, not SMART
        (position,) = [p for p in await s.ib.reqPositionsAsync() if p.contract.conId == put.conId]
        assert position.contract.exchange == ""  # TWS leaves it empty for options
        stock = Stock(item.contract.symbol, "SMART", "USD", primaryExchange=item.contract.primaryExchange)
        (qualified,) = await asyncio.wait_for(s.ib.qualifyContractsAsync(stock), 10)
        assert qualified.conId == under.conId and qualified.primaryExchange == under.primaryExchange
        assert not [code for _, code, _ in s.errors if code == 200]


def test_the_far_moment_is_a_market_day() -> None:
    start, _, _ = far_from_reference()
    assert isinstance(start, datetime) and start.weekday() == 2
