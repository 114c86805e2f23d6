"""Part 1's faults in the middle of the order flow, through the order service on a TradingSession (embedded
simulator, `OffsetClock`): a fill made while the bot could not hear it is journaled once, whichever paths bring
it (the resync's recovered executions, the reconciliation, the late live messages), and every order ends as the
simulator has it; on SQLite and PostgreSQL.

The simulator holds its answers back (its latency fault) while it fills a market order, then the fault strikes:
the fill happened at IB and the bot never heard of it, exactly as a fill during a disconnect looks to a bot.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ibbot.connection.supervisor import Resynced
from ibbot.model import OrderStatus, OrderUpdate, Side
from ibbot.oms import Verdict
from ibbot.store import FillSource

from .support import Stack, at_the_broker, limit, market, replaying

# IB's status of an order, in the journal's terms.
STATUS = {"Filled": OrderStatus.FILLED, "Submitted": OrderStatus.WORKING, "Cancelled": OrderStatus.CANCELLED}


async def filled_unheard(stack: Stack, quantity: int, *, held: float = 2.0) -> str:
    """A market order the simulator fills while its answers are held back (`held` seconds): the bot has not
    heard of the fill."""
    sim = stack.session.simulator
    executed = len(sim.sim.trading.executions)
    sim.faults.set_latency(held)
    order = await stack.service.submit(market(stack.aapl, Side.BUY, quantity, strategy="faults"))
    async with asyncio.timeout(10):
        while len(sim.sim.trading.executions) == executed:  # the simulator's own state: nothing to await
            await asyncio.sleep(0.02)
    sim.faults.set_latency(0.0)
    assert stack.status(order.order_ref) is OrderStatus.SUBMITTED  # no answer yet
    return order.order_ref


async def assert_as_the_simulator_has_it(stack: Stack) -> None:
    """Every journal order in IB's status, every execution journaled exactly once, the same position."""
    broker = await at_the_broker(stack.session.simulator.port)
    journal = stack.journal
    assert {o.order_ref: o.status for o in journal.orders()} == {r: STATUS[s] for r, s in broker.statuses.items()}
    assert {f.exec_id: f.commission for f in journal.fills()} == broker.executions
    assert broker.positions == {"AAPL": sum(f.signed_quantity for f in journal.fills())}
    again = await stack.service.reconcile()
    assert (again.verdict, again.reasons, again.fills, again.changes) == (Verdict.SAFE, (), (), ())


@pytest.mark.parametrize("fault", ["drop", "restart"])
async def test_a_fill_made_while_the_socket_was_down_is_journaled_once(
    tmp_path: Path, journal_url: str, fault: str
) -> None:
    async with replaying(tmp_path, journal_url) as (stack, events):
        service, sim = stack.service, stack.session.simulator
        resting = await service.submit(limit(stack.aapl, Side.BUY, 3, "50.00"))
        await stack.seen.until(lambda: stack.status(resting.order_ref) is OrderStatus.WORKING)
        ref = await filled_unheard(stack, 7)
        mark = len(events)
        if fault == "drop":
            await sim.faults.drop_all()
        else:
            await sim.faults.restart(downtime=0.5)
        await events.wait_for(Resynced, since=mark, timeout=20)
        await service.reconciled()
        assert service.last_reconciliation is not None and service.last_reconciliation.verdict is Verdict.SAFE
        assert stack.status(ref) is OrderStatus.FILLED
        assert stack.status(resting.order_ref) is OrderStatus.WORKING
        (fill,) = stack.journal.fills()
        assert fill.order_ref == ref and fill.quantity == 7 and fill.commission is not None
        assert stack.journal.fill_sources() == {fill.exec_id: FillSource.RECOVERED}
        assert [f.exec_id for f in stack.seen.fills] == [fill.exec_id]  # the strategy heard of it once
        (held,) = service.positions()
        assert held.quantity == 7
        await assert_as_the_simulator_has_it(stack)
        # Another drop: the same execution, asked again, is still journaled once.
        mark = len(events)
        await sim.faults.drop_all()
        await events.wait_for(Resynced, since=mark, timeout=20)
        await service.reconciled()
        assert len(stack.journal.fills()) == 1
        await assert_as_the_simulator_has_it(stack)


@pytest.mark.parametrize("data_lost", [True, False], ids=["1101", "1102"])
async def test_a_fill_during_lost_connectivity_is_journaled_once_though_it_arrives_twice(
    tmp_path: Path, journal_url: str, data_lost: bool
) -> None:
    async with replaying(tmp_path, journal_url) as (stack, events):
        service, sim = stack.service, stack.session.simulator
        ref = await filled_unheard(stack, 4, held=0.8)  # longer than the resync takes
        mark = len(events)
        sim.faults.connectivity_lost()  # 1100 now; the fill's own messages still held back
        sim.faults.connectivity_restored(data_lost=data_lost)
        await events.wait_for(Resynced, since=mark, timeout=20)
        await service.reconciled()
        # The held-back execDetails, orderStatus and commissionReport arrive after the reconciliation recovered
        # them: a second path for the same fill.
        await events.wait_for(OrderUpdate, lambda u: u.order_ref == ref and u.ib_status == "Filled", since=mark)
        assert service.last_reconciliation is not None and service.last_reconciliation.verdict is Verdict.SAFE
        assert stack.status(ref) is OrderStatus.FILLED
        (fill,) = stack.journal.fills()
        assert fill.order_ref == ref and fill.quantity == 4 and fill.commission is not None
        assert [f.exec_id for f in stack.seen.fills] == [fill.exec_id]
        # Its history never counts the fill twice (a later event may add the perm id IB gave it).
        history = stack.journal.order_history(ref)
        assert history[-1].status is OrderStatus.FILLED and {e.filled for e in history} <= {0, 4}
        await assert_as_the_simulator_has_it(stack)
