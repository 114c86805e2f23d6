"""`async with running_simulator() as sim:` — a simulated TWS on a free loopback port for the block's duration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from ibbot.clock import Clock
from ibbot.sim.config import SimConfig
from ibbot.sim.server import SimServer


@asynccontextmanager
async def running_simulator(
    config: SimConfig | None = None, *, clock: Clock | None = None, **settings: Any
) -> AsyncIterator[SimServer]:
    """Start `ibbot sim` in-process, ephemeral, on 127.0.0.1 and a free port (`server.port`)."""
    base = config or SimConfig()
    config = replace(base, host="127.0.0.1", port=0, ephemeral=True, **settings)
    async with SimServer(config, clock=clock) as server:
        yield server
    if server.failures:
        raise SimulatorError(server.failures) from server.failures[0]


class SimulatorError(AssertionError):
    """The simulator met bugs of its own while a test used it (each was logged with its traceback)."""

    def __init__(self, failures: list[Exception]) -> None:
        super().__init__(f"{len(failures)} simulator failure(s), first: {failures[0]!r}")
        self.failures = failures
