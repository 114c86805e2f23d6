"""What the CLI's command tests share: a hermetic environment, a simulator running in a thread of its own (the
commands call `asyncio.run` themselves, so it cannot share their loop), and a journal with real orders in it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ibbot.cli import main
from ibbot.connection.config import ConnectionSettings
from ibbot.connection.targets import ClientIdPolicy, resolve_target
from ibbot.engine.orders import OrderService
from ibbot.engine.session import SessionSettings, TradingSession
from ibbot.model import Instrument, OrderRequest, OrderStatus, OrderType, Side
from ibbot.risk import RiskGate, RiskLimits
from ibbot.sim.config import SimConfig
from ibbot.sim.server import SimServer
from ibbot.store import Journal

# The orders placed here trade without a quote feed: the checks that need a price are off.
LIMITS = RiskLimits(
    max_order_notional=None, max_position_notional=None, max_gross_exposure=None, price_band_percent=None,
    market_band_percent=None, allow_outside_hours=True, max_orders_per_window=None,
)  # fmt: skip


@pytest.fixture
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No IBBOT_* variable and no ./ibbot.toml reach the command; the working directory is tmp_path."""
    import os

    for name in list(os.environ):
        if name.startswith("IBBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class SimThread:
    """A simulated TWS on a free loopback port, served by an event loop in a thread of its own."""

    def __init__(self, config: SimConfig) -> None:
        self._config = config
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="cli-test-sim", daemon=True)
        self.server: SimServer | None = None
        self.error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported by start() / stop()
            self.error = exc
            self._started.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with SimServer(self._config) as server:
            self.server = server
            self._started.set()
            await self._stop.wait()

    def start(self) -> SimThread:
        self._thread.start()
        if not self._started.wait(10) or self.error is not None or self.server is None:
            raise RuntimeError(f"the simulator did not start: {self.error!r}")
        return self

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def call(self, work: Any) -> Any:
        """Run `work(server)` (a plain function) on the simulator's loop and return what it returns."""

        async def inside() -> Any:
            return work(self.server)

        return asyncio.run_coroutine_threadsafe(inside(), self._loop).result(10)

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()
        if self.server is not None and self.server.failures:
            raise AssertionError(f"simulator failures: {self.server.failures!r}")


def sim_config(**settings: Any) -> SimConfig:
    return SimConfig(host="127.0.0.1", port=0, ephemeral=True, **settings)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimThread]:
    thread = SimThread(sim_config()).start()
    try:
        yield thread
    finally:
        thread.stop()


@dataclass(kw_only=True)
class Placed:
    """What `place_orders` left in the journal."""

    filled: str  # a market order that filled
    working: str  # a limit order far from the market, still working
    refs: list[str] = field(default_factory=list)


def session_settings(target: str, data_dir: Path, *, client_id: int = 1) -> SessionSettings:
    connection = ConnectionSettings(
        target=resolve_target(target), client_ids=ClientIdPolicy(first=client_id, last=client_id + 5, start=client_id)
    )
    return SessionSettings(connection=connection, data_dir=data_dir, sim=sim_config(), seed=1, startup_wait=5.0)


async def _place(target: str, data_dir: Path, journal_url: str, working: int) -> Placed:
    async with TradingSession(session_settings(target, data_dir)) as session:
        journal = Journal.open(journal_url)
        service = OrderService(session, journal, RiskGate(LIMITS), clock=session.clock)
        try:
            await service.start()
            aapl = await session.contracts.qualify(Instrument.stock("AAPL"))
            bought = await service.submit(
                OrderRequest(instrument=aapl, side=Side.BUY, quantity=Decimal(10), strategy="demo")
            )
            resting = []
            for i in range(working):
                resting.append(await service.submit(OrderRequest(
                    instrument=aapl, side=Side.BUY, quantity=Decimal(1), order_type=OrderType.LIMIT,
                    limit_price=Decimal(10 + i), strategy="demo",
                )))  # fmt: skip

            def settled() -> bool:
                done = service.order(bought.order_ref)
                rest = [service.order(o.order_ref) for o in resting]
                return (
                    done is not None and done.status is OrderStatus.FILLED
                    and all(o is not None and o.status is OrderStatus.WORKING for o in rest)
                    and any(f.commission is not None for f in journal.fills(order_ref=bought.order_ref))
                )  # fmt: skip

            async with asyncio.timeout(10):
                while not settled():
                    service.changed.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(service.changed.wait(), 0.2)
            refs = [bought.order_ref, *(o.order_ref for o in resting)]
            return Placed(filled=bought.order_ref, working=refs[1] if working else "", refs=refs)
        finally:
            await service.close()
            journal.close()


def place_orders(target: str, data_dir: Path, journal_url: str, *, working: int = 1) -> Placed:
    """A bot's run: 10 AAPL bought at market (filled) and `working` far-away limit orders, journaled."""
    return asyncio.run(_place(target, data_dir, journal_url, working))
