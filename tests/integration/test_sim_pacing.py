"""IB's message-rate limit as a client that does not throttle itself meets it (simulator time is manual)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ib_async import IB

from ibbot.clock import ManualClock
from ibbot.testing import running_simulator

from .support import until


async def test_over_50_messages_per_second_gets_100_then_a_disconnect() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    async with running_simulator(clock=clock) as sim:
        ib = IB()
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        ib.client.MaxRequests = 0  # no client-side throttle, as a naive bot would have
        lost = asyncio.Event()
        ib.disconnectedEvent += lost.set
        for violation in (1, 2):
            clock.advance(1.5)
            for _ in range(60):
                ib.client.reqCurrentTime()
            await until(lambda: codes.count(100) == violation)  # noqa: B023 - evaluated inside the loop
            assert ib.isConnected()
        clock.advance(1.5)
        for _ in range(60):
            ib.client.reqCurrentTime()
        await asyncio.wait_for(lost.wait(), 5)
        assert codes.count(100) == 3


async def test_a_throttled_client_never_meets_the_limit() -> None:
    async with running_simulator() as sim:
        ib = IB()
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        assert ib.client.MaxRequests == 45  # ib_async's default pacing: 45 requests a second
        answers: list[int] = []
        original = ib.wrapper.currentTime
        ib.wrapper.currentTime = lambda time: (answers.append(time), original(time))
        for _ in range(100):
            ib.client.reqCurrentTime()  # queued by ib_async's throttle, sent over about 2 seconds
        await until(lambda: len(answers) == 100, timeout=10)
        assert 100 not in codes
        ib.disconnect()
