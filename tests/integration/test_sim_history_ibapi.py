"""Historical bars as IB's own ibapi 9.81.1.post1 client (EWrapper/EClient) receives them."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

from ibbot.clock import ManualClock
from ibbot.sim.market.bars import SessionFilter, historical_bars
from ibbot.sim.market.series import BAR_SIZES, WhatToShow
from ibbot.testing import running_simulator

from .test_sim_history import AFTER_CLOSE


async def test_ibapi_historical_data_and_an_error() -> None:
    from ibapi.client import EClient  # type: ignore[import-untyped]
    from ibapi.contract import Contract as IbContract  # type: ignore[import-untyped]
    from ibapi.wrapper import EWrapper  # type: ignore[import-untyped]

    class App(EWrapper, EClient):  # type: ignore[misc]
        def __init__(self) -> None:
            EWrapper.__init__(self)
            EClient.__init__(self, self)
            self.ready = threading.Event()
            self.done = threading.Event()
            self.bars: list[Any] = []
            self.end: tuple[str, str] = ("", "")
            self.errors: list[tuple[int, int, str]] = []

        def nextValidId(self, orderId: int) -> None:
            self.ready.set()

        def historicalData(self, reqId: int, bar: Any) -> None:
            self.bars.append(bar)

        def historicalDataEnd(self, reqId: int, start: str, end: str) -> None:
            self.end = (start, end)
            self.done.set()

        def error(self, reqId: int, errorCode: int, errorString: str) -> None:
            if reqId != -1:
                self.errors.append((reqId, errorCode, errorString))
                self.done.set()

    def stock(symbol: str) -> IbContract:
        contract = IbContract()
        contract.symbol, contract.secType, contract.exchange, contract.currency = symbol, "STK", "SMART", "USD"
        return contract

    async with running_simulator(clock=ManualClock(AFTER_CLOSE)) as sim:
        app = App()
        await asyncio.to_thread(app.connect, "127.0.0.1", sim.port, 5)
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        try:
            assert await asyncio.to_thread(app.ready.wait, 5)
            app.reqHistoricalData(1, stock("AAPL"), "", "1 D", "1 min", "TRADES", 1, 1, False, [])
            assert await asyncio.to_thread(app.done.wait, 5)
            assert len(app.bars) == 390
            assert app.bars[0].date == "20240312 09:30:00 US/Eastern"
            assert app.bars[-1].date == "20240312 15:59:00 US/Eastern"
            assert app.end == ("20240312 00:00:00 US/Eastern", "20240312 17:00:00 US/Eastern")
            # Server version 157 < 175: US-stock volumes come in round lots, as TWS sends them.
            opening = dt.datetime(2024, 3, 12, 13, 30, tzinfo=dt.UTC)
            (first,) = historical_bars(
                sim.sim.prices.path(265598),
                start=opening,
                end=opening + dt.timedelta(minutes=1),
                bar_size=BAR_SIZES["1 min"],
                what=WhatToShow.TRADES,
                sessions=SessionFilter.LIQUID,
            )
            assert int(app.bars[0].volume) == first.volume // 100
            assert all(int(b.volume) > 0 and b.barCount > 0 for b in app.bars)
            app.done.clear()
            app.reqHistoricalData(2, stock("AAPL"), "", "1 D", "1 secs", "TRADES", 1, 1, False, [])
            assert await asyncio.to_thread(app.done.wait, 5)
            assert app.errors == [(2, 162, "Historical Market Data Service error message:invalid step: 1")]
            app.done.clear()
            app.bars.clear()
            app.reqHistoricalData(3, stock("MSFT"), "", "1 D", "1 day", "TRADES", 1, 2, False, [])
            assert await asyncio.to_thread(app.done.wait, 5)
            (day,) = app.bars
            assert day.date == "20240312"  # daily bars are dates whatever formatDate says
            assert dt.datetime.strptime(day.date, "%Y%m%d").date() == AFTER_CLOSE.date()
        finally:
            app.disconnect()
            await asyncio.to_thread(thread.join, 5)
