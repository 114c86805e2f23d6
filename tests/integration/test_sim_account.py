"""The paper account through ib_async 2.1.0: account values, summary, positions, portfolio and PnL streams.

Most fills are booked straight into the simulator's accounts (`sim.sim.accounts.apply_fill`), as the trading
service does; the last test trades through placeOrder. The clock is manual, so marks and PnL move only when a
test advances it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ib_async import IB, MarketOrder, Stock

from ibbot.clock import ManualClock
from ibbot.sim.server import SimServer
from ibbot.testing import running_simulator

from .support import until

ACCOUNT = "DU1234567"
AAPL, MSFT, EURUSD = 265598, 272093, 12087792
START = datetime(2024, 7, 10, 15, 0, tzinfo=UTC)  # a Wednesday, 11:00 in New York


async def connected(port: int, client_id: int = 1) -> tuple[IB, list[tuple[int, int]]]:
    ib = IB()
    errors: list[tuple[int, int]] = []
    ib.errorEvent += lambda req_id, code, text, contract: errors.append((req_id, code))
    await ib.connectAsync("127.0.0.1", port, clientId=client_id, timeout=5)
    return ib, errors


def fill(sim: SimServer, con_id: int, *, buy: bool, quantity: int, price: str, commission: str = "1") -> None:
    instrument = sim.sim.securities.by_con_id(con_id)
    assert instrument is not None
    sim.sim.accounts.apply_fill(
        ACCOUNT,
        instrument,
        buy=buy,
        quantity=Decimal(quantity),
        price=Decimal(price),
        commission=Decimal(commission),
        commission_currency="USD",
        now=sim.clock.now(),
    )


def values(ib: IB) -> dict[tuple[str, str], float]:
    out = {}
    for v in ib.accountValues(ACCOUNT):
        try:
            out[v.tag, v.currency] = float(v.value)
        except ValueError:
            continue
    return out


async def test_a_new_account_shows_its_cash_in_every_key_ib_async_reads() -> None:
    async with running_simulator(clock=ManualClock(START)) as sim:
        ib, _ = await connected(sim.port)
        try:
            v = values(ib)  # the startup sync waited for accountDownloadEnd
            for key in (
                "NetLiquidation",
                "TotalCashValue",
                "BuyingPower",
                "AvailableFunds",
                "ExcessLiquidity",
                "InitMarginReq",
                "MaintMarginReq",
                "GrossPositionValue",
                "EquityWithLoanValue",
            ):
                assert (key, "USD") in v, key
            assert v["NetLiquidation", "USD"] == v["TotalCashValue", "USD"] == 1_000_000
            assert v["BuyingPower", "USD"] == 4_000_000  # day-trading margin account: 4x available funds
            assert v["InitMarginReq", "USD"] == v["GrossPositionValue", "USD"] == 0
            assert v["CashBalance", "BASE"] == v["CashBalance", "USD"] == 1_000_000
            assert v["UnrealizedPnL", "BASE"] == v["RealizedPnL", "BASE"] == 0
            assert ib.positions() == [] and ib.portfolio() == []

            summary = {(s.tag, s.currency): s.value for s in await ib.accountSummaryAsync(ACCOUNT)}
            assert summary["AccountType", ""] == "INDIVIDUAL"
            assert float(summary["NetLiquidation", "USD"]) == 1_000_000
            assert ("CashBalance", "BASE") in summary and ("CashBalance", "USD") in summary  # $LEDGER:ALL
            assert ("Leverage-S", "") in summary and ("DayTradesRemainingT+4", "") in summary
            assert ("AccountReady", "") not in summary, "only the tags asked for"
        finally:
            ib.disconnect()


async def test_a_fill_updates_positions_portfolio_values_and_pnl() -> None:
    clock = ManualClock(START)
    async with running_simulator(clock=clock) as sim:
        ib, _ = await connected(sim.port)
        try:
            pnl = ib.reqPnL(ACCOUNT)
            await until(lambda: pnl.realizedPnL == 0)
            fill(sim, AAPL, buy=True, quantity=100, price="170.00")

            await until(lambda: [p.position for p in ib.positions()] == [100])
            (position,) = ib.positions()
            assert position.contract.conId == AAPL and position.contract.exchange == "NASDAQ"
            assert position.avgCost == 170.01  # IB's average cost carries the commission
            await until(lambda: len(ib.portfolio()) == 1)
            (item,) = ib.portfolio()
            assert item.contract.primaryExchange == "NASDAQ" and item.position == 100
            assert item.marketValue == round(100 * item.marketPrice, 2)
            assert item.unrealizedPNL == round(item.marketValue - 17_001, 2)

            await until(lambda: values(ib)["GrossPositionValue", "USD"] > 0)
            v = values(ib)
            assert v["TotalCashValue", "USD"] == 1_000_000 - 17_001
            assert v["GrossPositionValue", "USD"] == v["StockMarketValue", "BASE"] == item.marketValue
            assert v["NetLiquidation", "USD"] == round(v["TotalCashValue", "USD"] + item.marketValue, 2)
            assert v["InitMarginReq", "USD"] == round(item.marketValue / 2, 2)  # Reg T 50%
            assert v["AvailableFunds", "USD"] == round(v["NetLiquidation", "USD"] - v["InitMarginReq", "USD"], 2)

            single = ib.reqPnLSingle(ACCOUNT, "", AAPL)
            await until(lambda: single.position == 100)
            assert single.value == item.marketValue and single.unrealizedPnL == item.unrealizedPNL
            clock.advance(1)  # a new second: the book is marked again and PnL is sent when it changed
            await until(lambda: pnl.unrealizedPnL == single.unrealizedPnL and pnl.dailyPnL == single.dailyPnL)
            assert pnl.realizedPnL == 0
        finally:
            ib.disconnect()


async def test_a_short_position_and_the_pnl_realized_by_closing_it() -> None:
    async with running_simulator(clock=ManualClock(START)) as sim:
        ib, _ = await connected(sim.port)
        try:
            fill(sim, MSFT, buy=False, quantity=100, price="400.00")
            await until(lambda: [p.position for p in ib.positions()] == [-100])
            assert ib.positions()[0].avgCost == 399.99  # positive for shorts, less the commission
            await until(lambda: [i.position for i in ib.portfolio()] == [-100])
            assert ib.portfolio()[0].marketValue < 0
            v = values(ib)
            assert v["TotalCashValue", "USD"] == 1_000_000 + 40_000 - 1
            assert v["InitMarginReq", "USD"] > 0

            fill(sim, MSFT, buy=True, quantity=100, price="390.00")
            await until(lambda: ib.positions() == [] and ib.portfolio() == [])  # position 0 removes them
            await until(lambda: values(ib)["RealizedPnL", "BASE"] == 998)
            v = values(ib)
            assert v["TotalCashValue", "USD"] == v["NetLiquidation", "USD"] == 1_000_998  # 10 x 100 - 2 commissions
            assert v["GrossPositionValue", "USD"] == 0
            pnl = ib.reqPnL(ACCOUNT)
            single = ib.reqPnLSingle(ACCOUNT, "", MSFT)
            await until(lambda: pnl.realizedPnL == 998 and single.realizedPnL == 998)
            assert single.position == 0 and pnl.unrealizedPnL == 0
        finally:
            ib.disconnect()


async def test_forex_moves_cash_in_two_currencies_at_the_live_rate() -> None:
    async with running_simulator(clock=ManualClock(START)) as sim:
        ib, _ = await connected(sim.port)
        try:
            fill(sim, EURUSD, buy=True, quantity=20_000, price="1.08", commission="2")
            await until(lambda: ("CashBalance", "EUR") in values(ib))
            v = values(ib)
            assert v["CashBalance", "EUR"] == 20_000
            assert v["CashBalance", "USD"] == 1_000_000 - 21_600 - 2
            rate = v["ExchangeRate", "EUR"]
            eur = sim.sim.prices.mark(EURUSD, sim.clock.now())
            assert eur is not None and abs(rate - eur) < 1e-6
            assert v["TotalCashValue", "USD"] == round(1_000_000 - 21_602 + 20_000 * rate, 2)
            assert v["NetLiquidation", "USD"] == v["TotalCashValue", "USD"]  # the pair's value is in the cash
            (position,) = ib.positions()
            assert position.contract.secType == "CASH" and position.contract.exchange == "IDEALPRO"
            assert position.position == 20_000
        finally:
            ib.disconnect()


async def test_multi_requests_and_a_second_client_see_the_same_account() -> None:
    async with running_simulator(clock=ManualClock(START)) as sim:
        ib, _ = await connected(sim.port)
        other, _ = await connected(sim.port, client_id=2)
        try:
            multi: list[tuple[int, str, float]] = []
            ends: list[int] = []
            other.wrapper.positionMulti = lambda req_id, account, model, contract, pos, cost: multi.append(
                (req_id, account, pos)
            )
            other.wrapper.positionMultiEnd = ends.append
            updates: list[tuple[str, str, str]] = []  # accountUpdateMulti of ib_async's startup subscription
            other.wrapper.accountUpdateMulti = lambda req_id, account, model, tag, value, currency: updates.append(
                (account, tag, currency)
            )
            other.client.reqPositionsMulti(7, ACCOUNT, "")
            await until(lambda: ends == [7])
            assert multi == []

            fill(sim, AAPL, buy=True, quantity=10, price="170.00")
            await until(lambda: multi == [(7, ACCOUNT, 10)])  # a live update of the multi subscription
            await until(lambda: [p.position for p in other.positions()] == [10])  # reqPositions of client 2
            await until(lambda: [p.position for p in ib.positions()] == [10])

            # ib_async's startup sent reqAccountUpdatesMulti: a fill sends the rows it changed, and only those
            await until(lambda: (ACCOUNT, "StockMarketValue", "BASE") in updates)
            assert (ACCOUNT, "TotalCashValue", "USD") in updates and (ACCOUNT, "AccountType", "") not in updates
            await until(lambda: values(other)["NetLiquidation", "USD"] == values(ib)["NetLiquidation", "USD"])

            other.client.cancelPositionsMulti(7)
            fill(sim, AAPL, buy=True, quantity=5, price="170.00")
            await until(lambda: [p.position for p in other.positions()] == [15])
            assert multi == [(7, ACCOUNT, 10)], "nothing after cancelPositionsMulti"
        finally:
            other.disconnect()
            ib.disconnect()


async def test_marks_refresh_the_portfolio_every_three_minutes() -> None:
    clock = ManualClock(START)
    async with running_simulator(clock=clock) as sim:
        ib, _ = await connected(sim.port)
        try:
            fill(sim, AAPL, buy=True, quantity=100, price="170.00")
            await until(lambda: len(ib.portfolio()) == 1)
            assert ib.portfolio()[0].position == 100
            times: list[str] = []
            ib.wrapper.updateAccountTime = times.append
            clock.advance(181)
            path = sim.sim.prices.path(AAPL)  # the last price three minutes later (it may be the same)
            mark = path.price(path.last_ticks(int(clock.now().timestamp())))
            await until(lambda: bool(times) and ib.portfolio()[0].marketPrice == mark)
            item = ib.portfolio()[0]
            assert item.unrealizedPNL == round(item.marketValue - 17_001, 2)
            assert times[-1] == "11:03"  # TWS's zone (US/Eastern), HH:MM
            await until(lambda: values(ib)["GrossPositionValue", "USD"] == item.marketValue)
        finally:
            ib.disconnect()


async def test_unknown_accounts_get_321_and_the_session_goes_on() -> None:
    async with running_simulator(clock=ManualClock(START)) as sim:
        ib, errors = await connected(sim.port)
        try:
            ib.reqPnL("DU0000000")
            ib.client.reqPositionsMulti(9, "XX1", "")
            ib.client.reqAccountSummary(11, "SomeGroup", "NetLiquidation")

            def refusals() -> list[tuple[int, int]]:
                return [(req_id, code) for req_id, code in errors if code < 2100]  # not the farm notices

            await until(lambda: len(refusals()) == 3)
            assert sorted(code for _, code in refusals()) == [321, 321, 321]
            assert {9, 11} <= {req_id for req_id, _ in refusals()}
            assert await ib.reqCurrentTimeAsync() is not None
            summary = await ib.accountSummaryAsync()
            assert any(s.tag == "NetLiquidation" for s in summary)
        finally:
            ib.disconnect()


async def test_a_market_order_fills_into_positions_portfolio_and_pnl() -> None:
    clock = ManualClock(START)
    async with running_simulator(clock=clock) as sim:
        ib, _ = await connected(sim.port)
        try:
            (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
            pnl = ib.reqPnL(ACCOUNT)
            trade = ib.placeOrder(aapl, MarketOrder("BUY", 100))
            await until(lambda: trade.orderStatus.status == "Filled")
            await until(lambda: [p.position for p in ib.positions()] == [100])
            fills_cost = sum(f.execution.shares * f.execution.price for f in trade.fills)
            commission = sum(f.commissionReport.commission for f in trade.fills)
            assert ib.positions()[0].avgCost == pytest.approx((fills_cost + commission) / 100)
            await until(lambda: [i.position for i in ib.portfolio()] == [100])
            await until(lambda: values(ib)["TotalCashValue", "USD"] == round(1_000_000 - fills_cost - commission, 2))
            clock.advance(1)
            await until(lambda: pnl.unrealizedPnL == ib.portfolio()[0].unrealizedPNL)

            sold = ib.placeOrder(aapl, MarketOrder("SELL", 100))
            await until(lambda: sold.orderStatus.status == "Filled")
            await until(lambda: ib.positions() == [])
            realized = sum(f.commissionReport.realizedPNL for f in sold.fills)
            await until(lambda: pnl.realizedPnL == round(realized, 2))
        finally:
            ib.disconnect()
