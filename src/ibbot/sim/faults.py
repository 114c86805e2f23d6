"""Scripted faults: what can go wrong with TWS, on demand (tests) or on a schedule (config, soak tests).

`FaultPlan` parses the `[[faults]]` entries of the simulator's TOML (pure); `FaultController` (owned by the
server) carries them out. Each fault is what a client of the real TWS sees: the socket dropped, 1100 then
1101/1102, data-farm notices, a competing session, a nightly restart with the state kept, added latency,
rejected orders.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ibbot.clock import Clock
from ibbot.errors import ConfigError
from ibbot.sim.link import FARMS
from ibbot.sim.outbox import Outbox

log = logging.getLogger(__name__)

KINDS = (
    "drop",  # close every connection
    "connectivity_lost",  # 1100, data stops; then `restore` after `duration` seconds with `data_lost`
    "farm_down",  # `farm` (market | hmds | secdef) broken for `duration` seconds
    "competing_session",  # 10197 for `duration` seconds
    "restart",  # the server goes away for `duration` seconds and comes back with its state
    "latency",  # `seconds` added to every write for `duration` seconds
    "reject_orders",  # the next `count` orders are rejected
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    at: float  # seconds after the server started
    kind: str
    duration: float = 0.0
    farm: str = "market"
    data_lost: bool = False
    seconds: float = 0.0
    count: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.at < 0 or self.duration < 0 or self.seconds < 0 or self.count < 0:
            raise ConfigError(f"fault {self.kind}: times and counts must not be negative")
        if self.farm not in FARMS:
            raise ConfigError(f"fault {self.kind}: farm must be one of {', '.join(FARMS)}")
        if self.kind == "latency" and self.seconds <= 0:
            # the delay is `seconds`; `duration` is how long it lasts (a latency of 0 for 20 s did nothing)
            raise ConfigError(
                "fault latency: seconds (the delay added to every write) must be positive, "
                "e.g. seconds = 0.5 in [[faults]] or latency@1:20,seconds=0.5 on the command line"
            )


def parse_faults(entries: object) -> tuple[Fault, ...]:
    """The `[[faults]]` array of tables of the simulator's config, validated and ordered by time."""
    if entries is None:
        return ()
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ConfigError("faults must be an array of tables ([[faults]])")
    faults = []
    for entry in entries:
        try:
            faults.append(Fault(**dict(entry)))
        except TypeError as exc:
            raise ConfigError(f"fault {dict(entry)}: {exc}") from None
    return tuple(sorted(faults, key=lambda f: f.at))


class FaultableSimulator(Protocol):
    """What faults change in the simulator (`ibbot.sim.simulator.Simulator`)."""

    reject_next_orders: int

    def lose_connectivity(self, now: datetime) -> Outbox: ...

    def restore_connectivity(self, data_lost: bool, now: datetime) -> Outbox: ...

    def set_farm(self, farm: str, up: bool) -> Outbox: ...

    def set_competing_session(self, active: bool) -> Outbox: ...


class FaultableServer(Protocol):
    """What faults do to the server (`ibbot.sim.server.SimServer`): its sockets, its writes, its simulator."""

    latency: float

    @property
    def sim(self) -> FaultableSimulator: ...

    @property
    def clock(self) -> Clock: ...

    def deliver(self, out: Outbox) -> None: ...

    async def drop_all(self) -> None: ...

    async def stop(self) -> None: ...

    async def start(self) -> None: ...


class FaultController:
    """Carries out faults against a running server. Every method is safe to call from a test."""

    def __init__(self, server: FaultableServer) -> None:
        self._server = server
        self._tasks: set[asyncio.Task[None]] = set()

    # --- immediate faults ------------------------------------------------------------------------------

    async def drop_all(self) -> None:
        log.warning("fault: dropping every connection")
        await self._server.drop_all()

    def connectivity_lost(self) -> None:
        log.warning("fault: connectivity between IB and TWS lost (1100)")
        self._server.deliver(self._server.sim.lose_connectivity(self._server.clock.now()))

    def connectivity_restored(self, *, data_lost: bool) -> None:
        log.warning("fault: connectivity restored (%s)", "1101 data lost" if data_lost else "1102 data maintained")
        self._server.deliver(self._server.sim.restore_connectivity(data_lost, self._server.clock.now()))

    def farm(self, farm: str, *, up: bool) -> None:
        if farm not in FARMS:
            raise ValueError(f"farm must be one of {FARMS}")
        log.warning("fault: %s farm %s", farm, "OK" if up else "broken")
        self._server.deliver(self._server.sim.set_farm(farm, up))

    def competing_session(self, *, active: bool) -> None:
        log.warning("fault: competing live session %s", "started" if active else "ended")
        self._server.deliver(self._server.sim.set_competing_session(active))

    def set_latency(self, seconds: float) -> None:
        self._server.latency = seconds

    def reject_next_orders(self, count: int) -> None:
        self._server.sim.reject_next_orders = count

    async def restart(self, downtime: float) -> None:
        """A nightly restart: the listener and every client go away, then come back with the state."""
        log.warning("fault: restarting, down for %.1f s", downtime)
        await self._server.stop()
        await asyncio.sleep(downtime)
        await self._server.start()

    # --- schedules -------------------------------------------------------------------------------------

    def schedule(self, faults: tuple[Fault, ...]) -> None:
        for fault in faults:
            task = asyncio.create_task(self._run(fault), name=f"fault-{fault.kind}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def cancel(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, fault: Fault) -> None:
        await asyncio.sleep(fault.at)
        actions: dict[str, Any] = {
            "drop": self._drop,
            "connectivity_lost": self._connectivity,
            "farm_down": self._farm_down,
            "competing_session": self._competing,
            "restart": self._restart,
            "latency": self._latency,
            "reject_orders": self._reject,
        }
        await actions[fault.kind](fault)

    async def _drop(self, fault: Fault) -> None:
        await self.drop_all()

    async def _connectivity(self, fault: Fault) -> None:
        self.connectivity_lost()
        await asyncio.sleep(fault.duration)
        self.connectivity_restored(data_lost=fault.data_lost)

    async def _farm_down(self, fault: Fault) -> None:
        self.farm(fault.farm, up=False)
        await asyncio.sleep(fault.duration)
        self.farm(fault.farm, up=True)

    async def _competing(self, fault: Fault) -> None:
        self.competing_session(active=True)
        await asyncio.sleep(fault.duration)
        self.competing_session(active=False)

    async def _restart(self, fault: Fault) -> None:
        await self.restart(fault.duration)

    async def _latency(self, fault: Fault) -> None:
        self.set_latency(fault.seconds)
        if fault.duration:
            await asyncio.sleep(fault.duration)
            self.set_latency(0.0)

    async def _reject(self, fault: Fault) -> None:
        self.reject_next_orders(fault.count)
