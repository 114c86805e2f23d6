"""Live market data through scripted faults, as ib_async 2.1.0 sees it: 1101/1102, 10197, a market farm down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from ib_async import IB, Stock, Ticker

from ibbot.clock import ManualClock
from ibbot.sim.outbox import Outbox
from ibbot.sim.server import SimServer
from ibbot.testing import running_simulator

from .support import T0, until


class Steps:
    """Counts the server's market steps, so a test can wait for steps to have happened (and data not)."""

    def __init__(self, server: SimServer) -> None:
        self.count = 0
        simulator = server.sim
        step = simulator.step

        def counted(now: datetime) -> Outbox:
            out = step(now)
            self.count += 1
            return out

        simulator.step = counted  # type: ignore[method-assign]

    async def wait(self, n: int) -> None:
        target = self.count + n
        await until(lambda: self.count >= target)


@asynccontextmanager
async def streaming() -> AsyncIterator[tuple[SimServer, IB, Ticker, list[int], Steps, list[int]]]:
    """One ib_async client streaming AAPL from a simulator whose clock moves a second per step."""
    clock = ManualClock(T0)

    async def pump() -> None:
        while True:
            await asyncio.sleep(0.25)
            clock.advance(1.0)

    async with running_simulator(clock=clock) as sim:
        steps = Steps(sim)
        ib = IB()
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        task = asyncio.create_task(pump())
        try:
            (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
            ticker = ib.reqMktData(aapl)
            updates: list[int] = []
            ticker.updateEvent += lambda t: updates.append(1)
            await until(lambda: len(updates) >= 2)
            yield sim, ib, ticker, codes, steps, updates
        finally:
            task.cancel()
            ib.disconnect()


async def test_data_lost_after_1101_and_kept_after_1102() -> None:
    async with streaming() as (sim, _ib, _ticker, codes, steps, updates):
        sim.faults.connectivity_lost()
        sim.faults.connectivity_restored(data_lost=False)
        await until(lambda: 1102 in codes)
        seen = len(updates)
        await until(lambda: len(updates) > seen + 1)  # 1102: the subscription streams on
        sim.faults.connectivity_lost()
        await until(lambda: 1100 in codes)
        sim.faults.connectivity_restored(data_lost=True)
        await until(lambda: 1101 in codes)
        (session,) = sim.sim.sessions.values()
        assert sim.sim.market_data_ids(session) == [] and sim.sim.pacing.lines_open == 0
        seen = len(updates)
        await steps.wait(3)
        assert len(updates) == seen, "after 1101 the client must resubscribe"


async def test_competing_session_stops_data_until_it_ends() -> None:
    async with streaming() as (sim, _ib, _ticker, codes, steps, updates):
        sim.faults.competing_session(active=True)
        await until(lambda: 10197 in codes)
        seen = len(updates)
        await steps.wait(3)
        assert len(updates) == seen
        sim.faults.competing_session(active=False)
        await until(lambda: len(updates) > seen)


async def test_market_farm_down_stops_ticks() -> None:
    async with streaming() as (sim, _ib, _ticker, codes, steps, updates):
        sim.faults.farm("market", up=False)
        await until(lambda: 2103 in codes)
        seen = len(updates)
        await steps.wait(3)
        assert len(updates) == seen
        sim.faults.farm("market", up=True)
        await until(lambda: len(updates) > seen)
