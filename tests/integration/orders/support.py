"""What the order path's integration tests share: limits for a simulator without quotes, a trading stack
(session on the embedded simulator, journal, order service) and a listener to wait on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ib_async import IB

from ibbot.connection.config import ConnectionSettings
from ibbot.connection.targets import ClientIdPolicy, resolve_target
from ibbot.engine.orders import OrderService
from ibbot.engine.session import SessionSettings, TradingSession
from ibbot.model import Fill, Instrument, Order, OrderRequest, OrderType, Side
from ibbot.risk import RiskGate, RiskLimits
from ibbot.sim.config import SimConfig
from ibbot.store import Journal
from integration.engine.helpers import Recorder, running_session

# The tests trade without a quote feed: the checks that need a price are off, every other one is on.
LIMITS = RiskLimits(
    max_order_notional=None,
    max_position_notional=None,
    max_gross_exposure=None,
    price_band_percent=None,
    market_band_percent=None,
    allow_outside_hours=True,
    max_orders_per_window=None,
)


class Seen:
    """The service's listener: every order change and fill, and a way to wait (with a timeout) for one."""

    def __init__(self) -> None:
        self.orders: list[Order] = []
        self.fills: list[Fill] = []
        self._changed = asyncio.Event()

    def on_order(self, order: Order) -> None:
        self.orders.append(order)
        self._changed.set()

    def on_fill(self, fill: Fill) -> None:
        self.fills.append(fill)
        self._changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async def wait() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)


@dataclass(kw_only=True)
class Stack:
    session: TradingSession
    journal: Journal
    service: OrderService
    seen: Seen
    aapl: Instrument

    def status(self, order_ref: str) -> Any:
        order = self.service.order(order_ref)
        return None if order is None else order.status


def market(instrument: Instrument, side: Side, quantity: int, **fields: Any) -> OrderRequest:
    return OrderRequest(instrument=instrument, side=side, quantity=Decimal(quantity), **fields)


def limit(instrument: Instrument, side: Side, quantity: int, price: str, **fields: Any) -> OrderRequest:
    return OrderRequest(
        instrument=instrument, side=side, quantity=Decimal(quantity), order_type=OrderType.LIMIT,
        limit_price=Decimal(price), **fields,
    )  # fmt: skip


@asynccontextmanager
async def service_on(session: TradingSession, journal_url: str, **options: Any) -> AsyncIterator[Stack]:
    """An order service (started: reconciled) over a running session and a journal at `journal_url`."""
    journal = Journal.open(journal_url)
    service = OrderService(session, journal, RiskGate(options.pop("limits", LIMITS)), clock=session.clock, **options)
    seen = Seen()
    service.add_listener(seen)
    try:
        await service.start()
        aapl = await session.contracts.qualify(Instrument.stock("AAPL"))
        yield Stack(session=session, journal=journal, service=service, seen=seen, aapl=aapl)
    finally:
        await service.close()
        journal.close()


@asynccontextmanager
async def sim_session(data_dir: Path, *, target: str = "sim", client_id: int = 1) -> AsyncIterator[TradingSession]:
    """A TradingSession; on the embedded simulator (ephemeral) by default, else at `target` (HOST:PORT)."""
    connection = ConnectionSettings(
        target=resolve_target(target), client_ids=ClientIdPolicy(first=client_id, last=client_id + 5, start=client_id)
    )
    settings = SessionSettings(connection=connection, data_dir=data_dir, sim=SimConfig(ephemeral=True), seed=1)
    async with TradingSession(settings) as session:
        yield session


@asynccontextmanager
async def trading(tmp_path: Path, journal_url: str, **options: Any) -> AsyncIterator[Stack]:
    async with sim_session(tmp_path / "data") as session, service_on(session, journal_url, **options) as stack:
        yield stack


@asynccontextmanager
async def replaying(
    tmp_path: Path, journal_url: str, *, sim: SimConfig | None = None, **options: Any
) -> AsyncIterator[tuple[Stack, Recorder]]:
    """An order service on a session replaying a fixed Wednesday (engine tests' `running_session`: quick
    reconnects, faults at hand), with the session's recorder of every event."""
    async with (
        running_session(tmp_path / "data", sim=sim) as (session, events),
        service_on(session, journal_url, **options) as stack,
    ):
        yield stack, events


@dataclass(frozen=True, kw_only=True)
class AtTheBroker:
    """What another client (clientId 0: every client's orders and executions) sees at the simulator."""

    refs: tuple[str, ...]  # the orderRef of every open and every completed order, repeats kept
    statuses: dict[str, str]  # orderRef -> IB's status
    working: tuple[str, ...]  # orderRefs of open orders
    executions: dict[str, Decimal]  # execId -> commission (0 until its report)
    positions: dict[str, Decimal]  # symbol -> position


async def at_the_broker(port: int, client_id: int = 0) -> AtTheBroker:
    """Ask the simulator on `port` as `client_id` (0 sees every client's orders and executions)."""
    ib = IB()
    await ib.connectAsync("127.0.0.1", port, clientId=client_id, timeout=10)
    try:
        open_trades = await ib.reqAllOpenOrdersAsync()
        completed = await ib.reqCompletedOrdersAsync(False)
        # ib_async completes its own Fill with the commissionReport that follows each execDetails, not the copy
        # the request returns.
        fills = [ib.wrapper.fills[f.execution.execId] for f in await ib.reqExecutionsAsync()]
        positions = await ib.reqPositionsAsync()
    finally:
        ib.disconnect()
    trades = [*open_trades, *completed]
    return AtTheBroker(
        refs=tuple(t.order.orderRef for t in trades),
        statuses={t.order.orderRef: t.orderStatus.status for t in trades},
        working=tuple(t.order.orderRef for t in open_trades),
        executions={f.execution.execId: Decimal(str(f.commissionReport.commission)) for f in fills},
        positions={p.contract.symbol: Decimal(str(p.position)) for p in positions if p.position},
    )
