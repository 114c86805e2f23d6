"""A whole bot for the dashboard's tests: a TradingSession on its embedded simulator (a Wednesday at the wall
clock's pace), a journal, an OrderService, the operations attached, AAPL quotes feeding the marks, and the
dashboard served on a free loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ibbot.clock import OffsetClock
from ibbot.connection.backoff import BackoffPolicy
from ibbot.connection.config import ConnectionSettings
from ibbot.engine.orders import OrderService
from ibbot.engine.session import SessionSettings, TradingSession
from ibbot.model import Fill, Instrument, Order, OrderRequest, OrderType, Quote, Side
from ibbot.notify import Notifier, NotifySettings
from ibbot.ops import Operations, dashboard_token
from ibbot.ops.token import DashboardToken
from ibbot.risk import RiskGate, RiskLimits
from ibbot.sim.config import SimConfig
from ibbot.store import Journal
from ibbot.web import WebServer, serve

T0 = datetime(2026, 11, 18, 15, 30, 2, tzinfo=UTC)  # a Wednesday, US markets open
FAST_BACKOFF = BackoffPolicy(initial=0.2, factor=2.0, cap=1.0, jitter=0.2)
LIMITS = RiskLimits(
    max_order_notional=None, max_position_notional=None, max_gross_exposure=None, price_band_percent=None,
    market_band_percent=None, allow_outside_hours=True, max_orders_per_window=None,
)  # fmt: skip


class Events:
    """Everything a source emitted, and a way to wait (with a timeout) until something matches."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = asyncio.Event()

    def __call__(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    def on_order(self, order: Order) -> None:
        self(order)

    def on_fill(self, fill: Fill) -> None:
        self(fill)

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def wait_for(self, kind: type[Any], since: int = 0, timeout: float = 10.0) -> Any:
        await self.until(lambda: any(isinstance(i, kind) for i in self.items[since:]), timeout)
        return next(i for i in self.items[since:] if isinstance(i, kind))


@dataclass(kw_only=True)
class Bot:
    session: TradingSession
    journal: Journal
    service: OrderService
    ops: Operations
    web: WebServer
    token: DashboardToken
    aapl: Instrument
    clock: OffsetClock
    data_dir: Path
    events: Events  # the session's events
    orders: Events  # the service's orders and fills
    quotes: dict[str, Quote] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.web.url

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token.value}"}

    def working_at_simulator(self) -> list[Any]:
        """The orders still working in the simulator's own matching engine."""
        return list(self.session.simulator.sim.trading.engine.open_orders())

    def executions_at_simulator(self) -> list[Any]:
        return list(self.session.simulator.sim.trading.executions)


def market(instrument: Instrument, side: Side, quantity: int) -> OrderRequest:
    return OrderRequest(instrument=instrument, side=side, quantity=Decimal(quantity), strategy="demo")


def limit(instrument: Instrument, side: Side, quantity: int, price: str) -> OrderRequest:
    return OrderRequest(instrument=instrument, side=side, quantity=Decimal(quantity), order_type=OrderType.LIMIT,
                        limit_price=Decimal(price), strategy="demo")  # fmt: skip


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    notifiers: list[Notifier] | None = None,
    notify: NotifySettings | None = None,
    view_requires_token: bool = False,
    sample_every: float = 0.25,
    limits: RiskLimits = LIMITS,
) -> AsyncIterator[Bot]:
    clock = OffsetClock(T0)
    data_dir = tmp_path / "data"
    connection = replace(ConnectionSettings(), backoff=FAST_BACKOFF, connect_timeout=5.0, reset_windows=())
    settings = SessionSettings(connection=connection, data_dir=data_dir, sim=SimConfig(ephemeral=True),
                               startup_wait=10.0, seed=7)  # fmt: skip
    session = TradingSession(settings, clock=clock)
    events = Events()
    session.add_listener(events)
    quotes: dict[str, Quote] = {}
    async with session:
        server = session.simulator
        journal = Journal.open(Journal.default_url(data_dir))
        service = OrderService(session, journal, RiskGate(limits), clock=clock, quotes=lambda: quotes)
        ops = Operations(session, service, data_dir=data_dir, notify=notify, notifiers=notifiers,
                         quotes=lambda: quotes, sample_every=sample_every, status_every=0.5)  # fmt: skip
        orders = Events()
        service.add_listener(orders)
        try:
            await service.start()
            await ops.start()
            aapl = await session.contracts.qualify(Instrument.stock("AAPL"))
            await session.feeds.quotes(aapl, callback=lambda q: quotes.__setitem__(q.instrument.key, q))
            token = dashboard_token(data_dir)
            web = await serve(ops.monitor, "127.0.0.1", 0, token, view_requires_token=view_requires_token,
                              clock=clock, push_interval=0.5)  # fmt: skip
            try:
                yield Bot(session=session, journal=journal, service=service, ops=ops, web=web, token=token, aapl=aapl,
                          clock=clock, data_dir=data_dir, events=events, orders=orders, quotes=quotes)  # fmt: skip
            finally:
                await web.stop()
        finally:
            await ops.close()
            await service.close()
            journal.close()
    assert not server.failures, server.failures
