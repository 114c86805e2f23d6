"""Orders the bot did not place: a person's (clientId 0, or TWS's master client) at the same account. The
reconciliation reports them as external, the position they change yields MONITOR_ONLY and no new order passes
until a person acknowledges; the acknowledged difference is not reported again, after a restart neither; on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from ib_async import IB, LimitOrder, MarketOrder, Stock, Trade

from ibbot.errors import RiskRefusedError
from ibbot.model import OrderStatus, Side
from ibbot.oms import Verdict
from ibbot.risk import Mode
from ibbot.sim.config import SimConfig

from .support import market, replaying, service_on

MASTER = 9


async def until_status(trade: Trade, status: str) -> None:
    async with asyncio.timeout(10):
        while trade.orderStatus.status != status:
            await trade.statusEvent


@pytest.mark.parametrize("person", [0, MASTER], ids=["client0", "master"])
async def test_a_manual_order_is_external_and_its_position_needs_an_acknowledgement(
    tmp_path: Path, journal_url: str, person: int
) -> None:
    sim = SimConfig(ephemeral=True, master_client_id=MASTER)
    async with replaying(tmp_path, journal_url, sim=sim) as (stack, _):
        service = stack.service
        ours = await service.submit(market(stack.aapl, Side.BUY, 1))
        await stack.seen.until(lambda: stack.status(ours.order_ref) is OrderStatus.FILLED)

        manual = IB()
        await manual.connectAsync("127.0.0.1", stack.session.simulator.port, clientId=person, timeout=10)
        try:
            (aapl,) = await manual.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
            resting = manual.placeOrder(aapl, LimitOrder("BUY", 2, 50.0))
            bought = manual.placeOrder(aapl, MarketOrder("BUY", 5))
            await until_status(resting, "Submitted")
            await until_status(bought, "Filled")

            result = await service.reconcile()
            assert result.verdict is Verdict.MONITOR_ONLY
            # A completed order carries its permId, not its order id: that is what names them.
            externals = {e.update.perm_id: e for e in result.external_orders}
            assert set(externals) == {resting.order.permId, bought.order.permId}
            assert externals[resting.order.permId].working and not externals[bought.order.permId].working
            assert externals[resting.order.permId].update.client_id == person
            assert {perm for (_, _, perm) in service.externals} == set(externals)
            (differs,) = result.discrepancies
            assert differs.instrument.symbol == "AAPL" and differs.difference == 5
            # Both decide the verdict: the working external order and the position it does not explain.
            assert [r.split(" ")[:2] for r in result.reasons] == [["external", "order"], ["position", "differs:"]]
            assert f"perm {resting.order.permId}" in result.reasons[0]
            assert stack.journal.last_reconciliation().verdict == "MONITOR_ONLY"  # type: ignore[union-attr]
            # No new order passes, and nothing reaches IB.
            assert service.mode is Mode.MONITOR_ONLY
            placed = len(stack.session.simulator.sim.trading.records)
            with pytest.raises(RiskRefusedError, match="monitor-only"):
                await service.submit(market(stack.aapl, Side.BUY, 1))
            assert len(stack.session.simulator.sim.trading.records) == placed
            # The person cancels the resting order and acknowledges: the 5 shares become an accepted offset.
            manual.cancelOrder(resting.order)
            await until_status(resting, "Cancelled")
        finally:
            manual.disconnect()
        service.acknowledge("the tester")
        assert service.risk_state.mode is Mode.NORMAL
        acknowledged = stack.journal.reconciliations(limit=2)[0]
        assert acknowledged.verdict == "MONITOR_ONLY" and acknowledged.acknowledged_by == "the tester"
        again = await service.reconcile()
        assert (again.verdict, again.discrepancies) == (Verdict.SAFE, ())
        more = await service.submit(market(stack.aapl, Side.BUY, 2))
        await stack.seen.until(lambda: stack.status(more.order_ref) is OrderStatus.FILLED)
        assert (await service.reconcile()).verdict is Verdict.SAFE  # 1 + 2 ours, 5 accepted: IB's 8

        # A restart (a new service on the same journal) remembers the accepted offset.
        await service.close()
        async with service_on(stack.session, journal_url) as restarted:
            last = restarted.service.last_reconciliation
            assert last is not None and last.verdict is Verdict.SAFE and restarted.service.mode is Mode.NORMAL
            (held,) = restarted.service.positions()
            assert held.quantity == Decimal(3)  # the bot's own fills; the accepted offset is kept apart
