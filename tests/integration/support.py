"""Helpers the integration tests share: polling for a condition, a live market with one ib_async client, and
`ibbot sim` as a subprocess."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

from ib_async import IB

from ibbot.clock import ManualClock
from ibbot.sim.config import SimConfig
from ibbot.sim.server import SimServer
from ibbot.testing import running_simulator

T0 = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday, US markets open


def start_sim_process(*args: str, capture_stderr: bool = False) -> tuple[subprocess.Popen[str], int, str]:
    """`python -m ibbot sim --port 0 ARGS` in a subprocess: the process, its port, and the line it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ibbot", "sim", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if capture_stderr else None,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "listening on 127.0.0.1:" in line, line
    return proc, int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1]), line


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `condition()` holds, polling every 10 ms; `TimeoutError` after `timeout` seconds."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


@asynccontextmanager
async def live_market(
    *, pump: bool = True, **limits: object
) -> AsyncIterator[tuple[SimServer, IB, ManualClock, list[tuple[int, int]]]]:
    """A simulator on a fixed Wednesday (its clock moving a second per step when `pump`) and one client,
    whose errors other than farm notices are collected."""
    clock = ManualClock(T0)
    config = replace(SimConfig(), extra={"limits": dict(limits)} if limits else {})

    async def advance() -> None:
        while True:
            await asyncio.sleep(0.25)
            clock.advance(1.0)

    async with running_simulator(config, clock=clock) as sim:
        ib = IB()
        errors: list[tuple[int, int]] = []

        def on_error(req_id: int, code: int, text: str, contract: object) -> None:
            if code // 100 != 21:  # not a farm notice
                errors.append((req_id, code))

        ib.errorEvent += on_error
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        task = asyncio.create_task(advance()) if pump else None
        try:
            yield sim, ib, clock, errors
        finally:
            if task is not None:
                task.cancel()
            ib.disconnect()
