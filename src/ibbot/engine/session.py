"""A supervised, governed IB session: the framework's part 1 put together (composition root, no logic of its own).

    async with TradingSession(SessionSettings(target=resolve_target("sim"))) as session:
        aapl = await session.contracts.qualify(Instrument.stock("AAPL"))
        feed = await session.feeds.quotes(aapl, callback=print)
        bars = await session.history.bars(aapl, start, end, "1 min")

`target = "sim"` starts the embedded simulator in-process first (on a free loopback port). Everything sent to IB
passes the governor; the supervisor keeps the session alive and, after every reconnect, `Continuity` brings
feeds, fills and state back, then `Resynced` is emitted to the session's listeners. Fills reach listeners exactly
once (`Fill` events), whether live or recovered.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from ibbot.broker.base import Broker, BrokerEvent, Streamed
from ibbot.broker.ib import IbBroker
from ibbot.clock import Clock, LiveClock
from ibbot.connection.config import ConnectionSettings
from ibbot.connection.supervisor import Supervisor, SupervisorEvent
from ibbot.data.contracts.cache import ContractCache
from ibbot.data.contracts.service import ContractService
from ibbot.data.feeds import Feeds
from ibbot.data.gateway import Gateway
from ibbot.data.governor import Governor
from ibbot.data.history.cache import ParquetHistoryCache
from ibbot.data.history.service import HistoryService
from ibbot.data.limits import GovernorLimits
from ibbot.engine.resync import Continuity, FillTracker
from ibbot.model import Fill

log = logging.getLogger(__name__)

SessionEvent = SupervisorEvent | BrokerEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionSettings:
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    governor: GovernorLimits = field(default_factory=GovernorLimits)
    data_dir: Path = Path(".ibbot")
    sim: Any = None  # a SimConfig for the embedded simulator (target "sim"); None: its defaults, ephemeral
    startup_wait: float | None = 60.0  # how long the first connect may retry (the gateway not up yet)
    seed: int | None = None  # the reconnect jitter's seed (tests); None: from the OS


class TradingSession:
    def __init__(self, settings: SessionSettings, *, clock: Clock | None = None, broker: Broker | None = None) -> None:
        self.settings = settings
        self.clock = clock or LiveClock()
        self.broker: Broker = broker or IbBroker(clock=self.clock)
        self.governor = Governor(settings.governor, self.clock)
        self.gateway = Gateway(self.broker, self.governor)
        self.feeds = Feeds(self.gateway, self.clock)
        self.fills = FillTracker()
        self.continuity = Continuity(self.gateway, self.feeds, self.fills, self.clock, deliver_fill=self._fill)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.contracts = ContractService(self.gateway, ContractCache(settings.data_dir), self.clock.now)
        self.history = HistoryService(self.gateway, ParquetHistoryCache(settings.data_dir), now_fn=self.clock.now)
        self.simulator: Any = None  # the embedded SimServer, when the target is "sim"
        self._listeners: list[Callable[[SessionEvent], None]] = []
        self._supervisor: Supervisor | None = None
        self._unlisten = self.broker.add_listener(self._on_broker_event)

    @property
    def supervisor(self) -> Supervisor:
        if self._supervisor is None:
            raise RuntimeError("the session has not been started")
        return self._supervisor

    def add_listener(self, listener: Callable[[SessionEvent], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def start(self) -> None:
        target = self.settings.connection.target
        host, port = target.host, target.port
        if target.embedded:
            from ibbot.sim.config import SimConfig
            from ibbot.sim.server import SimServer

            base = self.settings.sim if self.settings.sim is not None else SimConfig(ephemeral=True)
            self.simulator = SimServer(replace(base, host="127.0.0.1", port=0), clock=self.clock)
            await self.simulator.start()
            host, port = "127.0.0.1", self.simulator.port
        rng = random.Random(self.settings.seed)
        self._supervisor = Supervisor(
            self.broker, self.settings.connection, host=host, port=port, clock=self.clock, rng=rng,
            resync=self.continuity.resync, on_lost=self.continuity.session_lost,
            on_silenced=self.continuity.data_silenced,
            startup_wait=self.settings.startup_wait,
        )  # fmt: skip
        self._supervisor.add_listener(self._emit)
        try:
            await self._supervisor.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        try:
            if self._supervisor is not None:
                await self.feeds.close_all() if self.broker.connected else None
                await self._supervisor.stop()
        finally:
            self._unlisten()
            if self.simulator is not None:
                await self.simulator.stop()
                self.simulator = None

    async def __aenter__(self) -> TradingSession:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- events -------------------------------------------------------------------------------------------

    def _on_broker_event(self, event: BrokerEvent) -> None:
        self.feeds.on_event(event)
        if isinstance(event, Fill):
            self.continuity.on_fill(event)  # delivered once, as a Fill, through _fill
            return
        if isinstance(event, Streamed):
            return  # streamed values reach their feeds (above), not every listener
        self._emit(event)

    def _fill(self, fill: Fill) -> None:
        self._emit(fill)

    def _emit(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a bot's listener must not break the session
                log.exception("a session listener raised on %s", type(event).__name__)
