"""Live market data through the official ibapi 9.81.1.post1 (server version 157: US stock sizes in lots)."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from ibbot.clock import ManualClock
from ibbot.testing import running_simulator

T0 = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday, US markets open
AAPL = 265598


async def test_ibapi_streams_ticks_in_lots_and_ends_snapshots() -> None:
    from ibapi.client import EClient  # type: ignore[import-untyped]
    from ibapi.contract import Contract as IbContract  # type: ignore[import-untyped]
    from ibapi.wrapper import EWrapper  # type: ignore[import-untyped]

    class App(EWrapper, EClient):  # type: ignore[misc]
        def __init__(self) -> None:
            EWrapper.__init__(self)
            EClient.__init__(self, self)
            self.ready = threading.Event()
            self.snapshot_done = threading.Event()
            self.prices: defaultdict[int, dict[int, float]] = defaultdict(dict)
            self.sizes: defaultdict[int, dict[int, float]] = defaultdict(dict)
            self.types: dict[int, int] = {}
            self.params: dict[int, tuple[float, str, int]] = {}

        def nextValidId(self, orderId: int) -> None:
            self.ready.set()

        def tickPrice(self, reqId: int, tickType: int, price: float, attrib: Any) -> None:
            self.prices[reqId][tickType] = price

        def tickSize(self, reqId: int, tickType: int, size: int) -> None:
            self.sizes[reqId][tickType] = size

        def marketDataType(self, reqId: int, marketDataType: int) -> None:
            self.types[reqId] = marketDataType

        def tickReqParams(self, tickerId: int, minTick: float, bboExchange: str, snapshotPermissions: int) -> None:
            self.params[tickerId] = (minTick, bboExchange, snapshotPermissions)

        def tickSnapshotEnd(self, reqId: int) -> None:
            self.snapshot_done.set()

    clock = ManualClock(T0)  # still: the picture stays exactly the subscription's
    async with running_simulator(clock=clock) as sim:
        app = App()
        await asyncio.to_thread(app.connect, "127.0.0.1", sim.port, 7)
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        try:
            assert await asyncio.to_thread(app.ready.wait, 5)
            assert app.serverVersion() == 157
            contract = IbContract()
            contract.conId, contract.exchange = AAPL, "SMART"
            app.reqMktData(1, contract, "", False, False, [])

            def streaming() -> bool:
                return {1, 2, 4, 6, 7, 9, 14} <= set(app.prices[1]) and {0, 3, 5, 8} <= set(app.sizes[1])

            await asyncio.wait_for(_poll(streaming), 5)
            quote = sim.sim.prices.quote(AAPL)
            assert app.prices[1][1] == quote.bid and app.prices[1][2] == quote.ask
            assert app.sizes[1][0] == quote.bid_size // 100 and app.sizes[1][3] == quote.ask_size // 100
            assert app.sizes[1][8] == quote.volume // 100, "volume in round lots before version 159"
            assert app.types[1] == 1 and app.params[1] == (0.01, "9c0001", 3)

            app.reqMktData(2, contract, "", True, False, [])
            assert await asyncio.to_thread(app.snapshot_done.wait, 5)
            assert app.prices[2][1] == quote.bid and app.sizes[2][8] == quote.volume // 100
            app.cancelMktData(1)
        finally:
            app.disconnect()
            await asyncio.to_thread(thread.join, 5)


async def _poll(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)
