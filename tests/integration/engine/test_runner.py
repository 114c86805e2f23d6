"""A strategy run in paper mode against the embedded simulator: its hooks, its orders through the order service,
its fills once, its stop (cleanly, also when a hook raises), and the kill switch thrown from another process.

The simulator's clock runs 20 times the wall clock's pace: a 30-second bar takes 1.5 s."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from ibbot import Strategy
from ibbot.cli import live_view
from ibbot.connection.supervisor import Resynced
from ibbot.engine.runner import StrategyRunner
from ibbot.model import Bar, Order, OrderStatus, Quote
from ibbot.risk import Mode, save_risk_state
from ibbot.store import Journal
from ibbot.strategy.context import Execution, WorkingOrders
from integration.orders.support import at_the_broker, service_on
from integration.support import until

from .helpers import running_session

RATE = 20.0


class Flip(Strategy):
    """Long one share on even bars, short one on odd ones; stops asking after `bars` bars."""

    bars: int = 4

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.done = asyncio.Event()

    def on_start(self) -> None:
        self.stock = self.instrument("AAPL")
        self.subscribe_bars(self.stock, "30 secs")
        self.subscribe_quotes(self.stock)
        self.seen: list[Bar] = []
        self.quotes: list[Quote] = []
        self.fills: list[Execution] = []
        self.orders: list[Order] = []
        self.stopped = False

    def on_bar(self, bar: Bar) -> None:
        assert bar.instrument is self.stock  # the handle the strategy keeps, not IB's qualified instrument
        assert self.history(self.stock, 1)[-1] is bar
        self.seen.append(bar)
        if len(self.seen) <= self.bars:
            self.order_target(self.stock, 1 if len(self.seen) % 2 else -1)
        else:
            self.done.set()

    def on_quote(self, quote: Quote) -> None:
        self.quotes.append(quote)

    def on_fill(self, fill: Execution) -> None:
        assert fill.instrument is self.stock
        self.fills.append(fill)

    def on_order(self, order: Order) -> None:
        self.orders.append(order)

    def on_stop(self) -> None:
        self.stopped = True


class Raiser(Strategy):
    """Rests a limit 3% below the market on its first bar (inside the gate's 5% band), raises on its second."""

    def on_start(self) -> None:
        self.stock = self.instrument("AAPL")
        self.subscribe_bars(self.stock, "5 secs")
        self.count = 0

    def on_bar(self, bar: Bar) -> None:
        self.count += 1
        if self.count == 1:
            self.resting = self.buy(self.stock, 1, limit=round(bar.close * 0.97, 2))
        elif self.count == 2:
            raise ValueError("a bug in the strategy")


class Rester(Raiser):
    """Rests its limit on the first bar and then only watches."""

    def on_bar(self, bar: Bar) -> None:
        if not self.count:
            super().on_bar(bar)


async def test_a_strategy_trades_on_bars_and_sees_each_fill_once(tmp_path: Path) -> None:
    url = Journal.default_url(tmp_path / "journal")
    async with running_session(tmp_path / "data", rate=RATE) as (session, _), service_on(session, url) as stack:
        strategy = Flip()
        runner = StrategyRunner(session, stack.service, strategy)
        stop = asyncio.Event()
        run = asyncio.create_task(runner.run(stop=stop))
        async with asyncio.timeout(30):
            await strategy.done.wait()
            await until(lambda: len(strategy.fills) >= 4, 30)  # the last order's fill follows its bar
        stop.set()
        result = await run

        assert result.ok and strategy.stopped
        assert [o.side.value for o in result.orders] == ["BUY", "SELL", "BUY", "SELL"]
        assert [o.request.quantity for o in result.orders] == [Decimal(1), Decimal(2), Decimal(2), Decimal(2)]
        assert all(o.status is OrderStatus.FILLED for o in result.orders)
        assert len({f.exec_id for f in strategy.fills}) == len(strategy.fills) == 4
        assert strategy.position(strategy.stock).quantity == -1
        assert strategy.quotes and all(q.instrument is strategy.stock for q in strategy.quotes)
        assert any(o.status is OrderStatus.FILLED for o in strategy.orders)
        times = [b.time for b in strategy.seen]
        assert times == sorted(set(times))
        journaled = {f.exec_id for f in stack.journal.fills()}
        assert {f.exec_id for f in result.fills} <= journaled
        assert strategy.account.realized_pnl != 0 or strategy.account.unrealized_pnl != 0


@pytest.mark.parametrize("policy", [WorkingOrders.CANCEL, WorkingOrders.KEEP])
async def test_a_strategy_that_raises_is_stopped_cleanly(tmp_path: Path, policy: WorkingOrders) -> None:
    url = Journal.default_url(tmp_path / "journal")
    async with running_session(tmp_path / "data", rate=RATE) as (session, _), service_on(session, url) as stack:
        strategy = Raiser()
        result = await asyncio.wait_for(
            StrategyRunner(session, stack.service, strategy, working_orders=policy).run(), 30
        )
        assert result.failure is not None and result.failure.hook == "on_bar"
        assert "a bug in the strategy" in result.failure.describe(strategy.name)
        assert "ValueError" in result.failure.traceback
        (order,) = result.orders
        broker = await at_the_broker(session.simulator.port)
        if policy is WorkingOrders.CANCEL:
            assert order.status is OrderStatus.CANCELLED
            assert order.order_ref not in broker.working
        else:
            assert order.status.is_working and order.order_ref in broker.working
        assert session.supervisor.health.ready  # the session and the journal go on


async def test_the_kill_switch_thrown_from_another_process_halts_the_run(tmp_path: Path) -> None:
    url = Journal.default_url(tmp_path / "journal")
    async with running_session(tmp_path / "data", rate=RATE) as (session, _), service_on(session, url) as stack:
        strategy = Rester()
        runner = StrategyRunner(session, stack.service, strategy, halt_poll=0.05)
        stop = asyncio.Event()
        run = asyncio.create_task(runner.run(stop=stop))
        await until(lambda: any(o.order_id for o in stack.service.manager.working()), 10)  # the limit is at IB
        other = Journal.open(url)  # what `ibbot halt` does from its own process
        halted = stack.service.risk_state.halt("operator", "ops@desk", session.clock.now())
        save_risk_state(other, halted)
        other.close()
        await until(lambda: stack.service.mode is Mode.HALTED, 10)
        stop.set()
        result = await run
        assert all(not o.status.is_working for o in result.orders)
        broker = await at_the_broker(session.simulator.port)
        assert not broker.working


async def test_a_strategy_sees_the_same_bar_series_across_a_drop(tmp_path: Path) -> None:
    url = Journal.default_url(tmp_path / "journal")
    async with (
        running_session(tmp_path / "data", rate=RATE) as (session, events),
        service_on(session, url) as stack,
    ):
        strategy = Flip({"bars": 0})  # watches only
        runner = StrategyRunner(session, stack.service, strategy)
        stop = asyncio.Event()
        run = asyncio.create_task(runner.run(stop=stop))
        await until(lambda: len(getattr(strategy, "seen", ())) >= 2, 20)
        mark = len(events)
        await session.simulator.faults.drop_all()
        await events.wait_for(Resynced, since=mark, timeout=20)
        seen = len(strategy.seen)
        await until(lambda: len(strategy.seen) >= seen + 2, 20)
        rendered = Console(record=True, width=140)
        rendered.print(live_view.view(runner))
        stop.set()
        result = await run
        assert result.ok
        times = [b.time for b in strategy.seen]
        assert all(b - a == timedelta(seconds=30) for a, b in zip(times, times[1:], strict=False)), times
        screen = rendered.export_text()
        assert "Flip" in screen and "READY" in screen and "AAPL" in screen and "positions and PnL" in screen
