"""What the broker's integration tests share: a listener that records events and waits for one, and a
connected IbBroker against an in-process simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from ibbot.broker import BrokerEvent
from ibbot.broker.ib import IbBroker
from ibbot.clock import ManualClock
from ibbot.sim.config import SimConfig
from ibbot.sim.server import SimServer
from ibbot.testing import running_simulator

E = TypeVar("E")


class Recorder:
    """Every event a broker emitted, and a way to wait (with a timeout) until one matches."""

    def __init__(self) -> None:
        self.events: list[BrokerEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: BrokerEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, kind: type[E], predicate: Callable[[E], bool] = lambda e: True, timeout: float = 10) -> E:
        async def scan() -> E:
            seen = 0
            while True:
                for event in self.events[seen:]:
                    if isinstance(event, kind) and predicate(event):
                        return event
                seen = len(self.events)
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(scan(), timeout)


T0 = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday, US markets open


@asynccontextmanager
async def connected_broker(
    config: SimConfig | None = None, *, client_id: int = 1, pump: bool = True, **settings: Any
) -> AsyncIterator[tuple[SimServer, IbBroker, Recorder]]:
    """A simulator on a fixed Wednesday whose clock moves a second per 50 ms step (when `pump`), and a
    connected broker recording its events."""
    clock = ManualClock(T0)

    async def advance() -> None:
        while True:
            await asyncio.sleep(0.05)  # drives simulated time; nothing waits on it
            clock.advance(1.0)

    async with running_simulator(config, clock=clock, **settings) as sim:
        broker = IbBroker(clock=clock)
        recorder = Recorder()
        broker.add_listener(recorder)
        await broker.connect("127.0.0.1", sim.port, client_id, timeout=10)
        task = asyncio.create_task(advance()) if pump else None
        try:
            yield sim, broker, recorder
        finally:
            if task is not None:
                task.cancel()
            await broker.disconnect()
