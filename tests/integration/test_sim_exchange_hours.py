"""Following real exchange hours (`exchange_hours = true`): a closed market streams nothing; an open one does."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from ib_async import IB, Stock

from ibbot.clock import ManualClock
from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator

from .support import until

SATURDAY_NOON = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # 11:00 New York


async def ticks_over(start: datetime, exchange_hours: bool, seconds: int) -> int:
    clock = ManualClock(start)
    async with running_simulator(SimConfig(exchange_hours=exchange_hours, tick_interval=3600), clock=clock) as sim:
        ib = IB()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        ticker = ib.reqMktData(aapl)
        await until(lambda: not math.isnan(ticker.bid))
        updates = 0

        def count(t: object) -> None:
            nonlocal updates
            updates += 1

        ticker.updateEvent += count
        for _ in range(seconds):
            clock.advance(1)
            sim.deliver(sim.sim.step(clock.now()))  # the streaming timer is parked (tick_interval one hour)
        await ib.reqCurrentTimeAsync()  # everything streamed before this answer has been read
        ib.disconnect()
        return updates


async def test_a_closed_market_is_quiet_when_following_exchange_hours() -> None:
    assert await ticks_over(SATURDAY_NOON, exchange_hours=True, seconds=30) == 0


async def test_around_the_clock_by_default_and_open_markets_stream() -> None:
    assert await ticks_over(SATURDAY_NOON, exchange_hours=False, seconds=30) > 0
    assert await ticks_over(MONDAY_MORNING, exchange_hours=True, seconds=30) > 0
