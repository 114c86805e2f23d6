"""The kill switch end to end: a halt leaves no working order at the simulator (as another client sees it), holds
across a restart of the bot until resumed, and with `flatten` closes the position; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ibbot.engine.killswitch import KILL_SWITCH
from ibbot.errors import RiskRefusedError
from ibbot.model import OrderStatus, Side
from ibbot.risk import Mode

from .support import at_the_broker, limit, market, replaying, service_on


async def test_a_halt_cancels_everything_at_ib_and_holds_across_a_restart_until_resumed(
    tmp_path: Path, journal_url: str
) -> None:
    async with replaying(tmp_path, journal_url) as (stack, _):
        service, port = stack.service, stack.session.simulator.port
        resting = await service.submit(limit(stack.aapl, Side.BUY, 3, "50.00", strategy="a"))
        other = await service.submit(limit(stack.aapl, Side.SELL, 1, "900.00", strategy="b"))
        built = await service.bracket(market(stack.aapl, Side.BUY, 2), Decimal("900"), Decimal("10"))
        entry, profit, loss = (r.order_ref for r in built.requests)
        await stack.seen.until(lambda: stack.status(entry) is OrderStatus.FILLED)
        await stack.seen.until(lambda: all(stack.status(ref) is OrderStatus.WORKING for ref in (profit, loss)))
        await stack.seen.until(lambda: stack.status(other.order_ref) is OrderStatus.WORKING)
        assert len((await at_the_broker(port)).working) == 4

        await service.halt("a test", "the tester")
        broker = await at_the_broker(port)
        assert broker.working == ()
        assert {broker.statuses[ref] for ref in (resting.order_ref, other.order_ref, profit, loss)} == {"Cancelled"}
        assert service.manager.working() == () and service.mode is Mode.HALTED
        assert broker.positions == {"AAPL": Decimal(2)}  # no flatten asked
        with pytest.raises(RiskRefusedError, match="halted"):
            await service.submit(market(stack.aapl, Side.BUY, 1))
        (halted,) = [e for e in stack.journal.risk_events() if e.check == KILL_SWITCH]
        assert halted.reason == "halt: a test" and dict(halted.details)["who"] == "the tester"
        await service.close()

        # The bot restarts: a new service on the same journal is halted before it does anything.
        async with service_on(stack.session, journal_url) as again:
            restarted = again.service
            assert restarted.mode is Mode.HALTED and restarted.risk_state.who == "the tester"
            placed = len(stack.session.simulator.sim.trading.records)
            with pytest.raises(RiskRefusedError, match="halted"):
                await restarted.submit(market(again.aapl, Side.BUY, 1))
            with pytest.raises(RiskRefusedError, match="halted"):
                await restarted.bracket(market(again.aapl, Side.BUY, 1), Decimal("900"), Decimal("10"))
            assert len(stack.session.simulator.sim.trading.records) == placed  # nothing reached IB
            restarted.resume("the tester")
            assert restarted.risk_state.mode is Mode.NORMAL
            bought = await restarted.submit(market(again.aapl, Side.BUY, 1))
            await again.seen.until(lambda: again.status(bought.order_ref) is OrderStatus.FILLED)
            working = await restarted.submit(limit(again.aapl, Side.BUY, 1, "50.00"))
            await again.seen.until(lambda: again.status(working.order_ref) is OrderStatus.WORKING)

            # Halting with flatten: the cancels confirmed first, then the position (2 + 1) sold at market.
            await restarted.halt("flatten", "the tester", flatten=True)
            flattening = [o for o in restarted.manager.orders if o.request.strategy == "risk"]
            assert [(o.side, o.request.quantity) for o in flattening] == [(Side.SELL, Decimal(3))]
            await again.seen.until(lambda: again.status(flattening[0].order_ref) is OrderStatus.FILLED)
            broker = await at_the_broker(port)
            assert broker.working == () and broker.positions == {}
            assert restarted.positions() == () or all(p.is_flat for p in restarted.positions())
            assert restarted.mode is Mode.HALTED
