"""The paper account through the official ibapi 9.81.1.post1: reqPositions and reqAccountUpdates, before and
after a fill."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ibbot.clock import ManualClock
from ibbot.testing import running_simulator

ACCOUNT = "DU1234567"
AAPL = 265598
START = datetime(2024, 7, 10, 15, 0, tzinfo=UTC)


async def test_ibapi_positions_and_account_updates() -> None:
    from ibapi.client import EClient
    from ibapi.wrapper import EWrapper

    class App(EWrapper, EClient):  # type: ignore[misc]
        def __init__(self) -> None:
            EWrapper.__init__(self)
            EClient.__init__(self, self)
            self.ready = threading.Event()
            self.positions_done = threading.Event()
            self.download_done = threading.Event()
            self.positions: list[tuple[str, int, float, float]] = []
            self.values: dict[tuple[str, str], str] = {}
            self.portfolio: list[tuple[int, float, float, float, str]] = []

        def nextValidId(self, orderId: int) -> None:
            self.ready.set()

        def position(self, account: str, contract: Any, position: Any, avgCost: float) -> None:
            self.positions.append((account, contract.conId, float(position), avgCost))

        def positionEnd(self) -> None:
            self.positions_done.set()

        def updateAccountValue(self, key: str, val: str, currency: str, accountName: str) -> None:
            self.values[key, currency] = val

        def updatePortfolio(
            self,
            contract: Any,
            position: Any,
            marketPrice: float,
            marketValue: float,
            averageCost: float,
            unrealizedPNL: float,
            realizedPNL: float,
            accountName: str,
        ) -> None:
            self.portfolio.append((contract.conId, float(position), marketValue, averageCost, contract.primaryExchange))

        def accountDownloadEnd(self, accountName: str) -> None:
            self.download_done.set()

    async def wait(event: threading.Event) -> None:
        assert await asyncio.to_thread(event.wait, 5)

    async def until(condition: Any) -> None:
        for _ in range(500):
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("condition not met in 5 s")

    async with running_simulator(clock=ManualClock(START)) as sim:
        app = App()
        await asyncio.to_thread(app.connect, "127.0.0.1", sim.port, 7)
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        try:
            await wait(app.ready)
            app.reqPositions()
            app.reqAccountUpdates(True, ACCOUNT)
            await wait(app.positions_done)
            await wait(app.download_done)
            assert app.positions == [] and app.portfolio == []
            assert float(app.values["NetLiquidation", "USD"]) == 1_000_000
            assert app.values["AccountCode", ""] == ACCOUNT

            aapl = sim.sim.securities.by_con_id(AAPL)
            assert aapl is not None
            sim.sim.accounts.apply_fill(
                ACCOUNT,
                aapl,
                buy=True,
                quantity=Decimal(200),
                price=Decimal("170"),
                commission=Decimal(1),
                commission_currency="USD",
                now=sim.clock.now(),
            )
            await until(lambda: bool(app.positions) and bool(app.portfolio))
            assert app.positions == [(ACCOUNT, AAPL, 200.0, 170.005)]
            con_id, position, value, cost, primary = app.portfolio[-1]
            assert (con_id, position, cost, primary) == (AAPL, 200.0, 170.005, "NASDAQ")
            await until(lambda: float(app.values["GrossPositionValue", "USD"]) == value)
            assert float(app.values["TotalCashValue", "USD"]) == 1_000_000 - 34_001
        finally:
            app.disconnect()
            await asyncio.to_thread(thread.join, 5)
