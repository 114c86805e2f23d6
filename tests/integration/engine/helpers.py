"""What the framework's end-to-end tests share: a recorder to wait on, and a TradingSession on its embedded
simulator replaying a fixed Wednesday at the wall clock's pace (`OffsetClock`), reconnecting quickly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ibbot.broker.ib import IbBroker
from ibbot.clock import OffsetClock
from ibbot.connection.backoff import BackoffPolicy
from ibbot.connection.config import ConnectionSettings
from ibbot.connection.health import Health
from ibbot.connection.supervisor import HealthChanged, Resynced
from ibbot.data.limits import GovernorLimits
from ibbot.engine.session import SessionSettings, TradingSession
from ibbot.model import Instrument, Notice
from ibbot.sim.config import SimConfig

E = TypeVar("E")

# A Wednesday with US markets open, 3 s into a 5-second bar: the first one completes right after the start.
T0 = datetime(2026, 11, 18, 15, 30, 2, tzinfo=UTC)
FAST_BACKOFF = BackoffPolicy(initial=0.2, factor=2.0, cap=1.0, jitter=0.2)


class Recorder:
    """Everything a source emitted, in order, and a way to wait (with a timeout) until one matches."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Any) -> None:
        self.events.append(event)
        self._changed.set()

    def __len__(self) -> int:
        return len(self.events)

    def of(self, kind: type[E], since: int = 0) -> list[E]:
        return [e for e in self.events[since:] if isinstance(e, kind)]

    async def wait_for(
        self, kind: type[E], predicate: Callable[[E], bool] = lambda e: True, *, since: int = 0, timeout: float = 10
    ) -> E:
        """The first event of `kind` at index `since` or later that matches `predicate`."""
        async with asyncio.timeout(timeout):
            seen = since
            while True:
                for event in self.events[seen:]:
                    if isinstance(event, kind) and predicate(event):
                        return event
                seen = max(seen, len(self.events))
                self._changed.clear()
                await self._changed.wait()

    async def wait_count(self, kind: type[E], count: int, *, since: int = 0, timeout: float = 10) -> list[E]:
        """Wait until `count` events of `kind` arrived from index `since` on; returns them."""
        async with asyncio.timeout(timeout):
            while len(found := self.of(kind, since)) < count:
                self._changed.clear()
                await self._changed.wait()
        return found

    async def wait_health(self, state: Health, *, since: int = 0, timeout: float = 10) -> None:
        """Wait until the session's health became `state` at index `since` or later."""
        await self.wait_for(HealthChanged, lambda e: e.snapshot.state is state, since=since, timeout=timeout)

    def health(self, since: int = 0) -> list[Health]:
        """The health states the session went through from index `since` on."""
        return [e.snapshot.state for e in self.of(HealthChanged, since)]

    def resynced(self, since: int = 0) -> list[Resynced]:
        return self.of(Resynced, since)

    def codes(self) -> set[int]:
        return {n.code for n in self.of(Notice)}


def settings(
    data_dir: Path,
    *,
    sim: SimConfig | None = None,
    governor: GovernorLimits | None = None,
    **connection: Any,
) -> SessionSettings:
    """Session settings for target "sim" with a quick reconnect; `connection` overrides ConnectionSettings."""
    conn = replace(ConnectionSettings(), backoff=FAST_BACKOFF, connect_timeout=5.0, **connection)
    return SessionSettings(
        connection=conn,
        governor=governor or GovernorLimits(),
        data_dir=data_dir,
        sim=sim or SimConfig(ephemeral=True),
        startup_wait=10.0,
        seed=7,
    )


@asynccontextmanager
async def running_session(
    data_dir: Path, *, broker: IbBroker | None = None, start: datetime = T0, rate: float = 1.0, **kwargs: Any
) -> AsyncIterator[tuple[TradingSession, Recorder]]:
    """A started session (embedded simulator) recording every event it emits; the simulator must not have
    met a bug of its own by the end. `rate`: simulated seconds per real second (bar series tests run faster)."""
    clock = OffsetClock(start, rate=rate)
    session = TradingSession(settings(data_dir, **kwargs), clock=clock, broker=broker or IbBroker(clock=clock))
    recorder = Recorder()
    session.add_listener(recorder)
    async with session:
        server = session.simulator
        yield session, recorder
    assert not server.failures, server.failures


async def qualified(session: TradingSession, symbol: str = "AAPL") -> Instrument:
    return await session.contracts.qualify(Instrument.stock(symbol))
