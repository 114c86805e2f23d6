"""The order service end to end against the embedded simulator: the write-ahead path, the back path, brackets,
modify and cancels, refusals; on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from ibbot.errors import OrderError, RiskRefusedError
from ibbot.model import OrderStatus, Side
from ibbot.oms import Verdict

from .support import LIMITS, limit, market, trading


async def test_a_market_order_is_journaled_before_it_leaves_and_its_fill_once(tmp_path: Path, journal_url: str) -> None:
    written: list[tuple[str, OrderStatus | None]] = []
    holder: dict[str, object] = {}

    def checkpoint(name: str) -> None:
        journal = holder.get("journal")
        if name == "intent-written" and journal is not None:
            (intent,) = journal.intents_without_order()  # type: ignore[attr-defined]
            written.append((name, intent.status))

    async with trading(tmp_path, journal_url, checkpoint=checkpoint) as stack:
        service, journal = stack.service, stack.journal
        assert service.last_reconciliation is not None and service.last_reconciliation.verdict is Verdict.SAFE
        holder["journal"] = journal
        order = await service.submit(market(stack.aapl, Side.BUY, 10, strategy="s1"))
        assert written == [("intent-written", OrderStatus.NEW)]  # durable before placeOrder
        assert order.order_id > 0 and order.order_ref.startswith("ibb-")
        await stack.seen.until(lambda: stack.status(order.order_ref) is OrderStatus.FILLED)
        await stack.seen.until(lambda: bool(journal.fills()) and journal.fills()[0].commission is not None)
        (fill,) = journal.fills()
        assert fill.order_ref == order.order_ref and fill.quantity == 10
        assert [f.exec_id for f in stack.seen.fills] == [fill.exec_id]
        stored = journal.order(order.order_ref)
        assert stored is not None and stored.status is OrderStatus.FILLED and stored.filled == 10
        history = [event.status for event in journal.order_history(order.order_ref)]
        assert history[0] is OrderStatus.SUBMITTED and history[-1] is OrderStatus.FILLED
        (held,) = service.positions()
        assert held.quantity == 10
        assert service.book.pnl({}).total.realized == -fill.commission  # type: ignore[operator]
        # A reconciliation now finds nothing to change and the fill already journaled.
        again = await service.reconcile()
        assert again.verdict is Verdict.SAFE and again.fills == () and again.changes == ()
        assert len(journal.fills()) == 1
        assert journal.fills()[0].exec_id == fill.exec_id


async def test_a_bracket_is_journaled_first_then_transmitted_by_its_last_leg(tmp_path: Path, journal_url: str) -> None:
    sent: list[str] = []
    async with trading(tmp_path, journal_url, checkpoint=sent.append) as stack:
        service = stack.service
        built = await service.bracket(market(stack.aapl, Side.BUY, 5), Decimal("900"), Decimal("10"))
        assert [name for name in sent if name in ("intent-written", "order-sent")] == ["intent-written"] * 3 + [
            "order-sent"
        ] * 3
        entry, profit, loss = (service.order(r.order_ref) for r in built.requests)
        assert entry is not None and profit is not None and loss is not None
        assert profit.request.parent_ref == entry.order_ref and loss.request.transmit
        await stack.seen.until(lambda: stack.status(entry.order_ref) is OrderStatus.FILLED)
        await stack.seen.until(lambda: stack.status(loss.order_ref) is OrderStatus.WORKING)
        assert stack.status(profit.order_ref) is OrderStatus.WORKING
        cancelled = await service.cancel_all()
        assert {o.order_ref for o in cancelled} == {profit.order_ref, loss.order_ref}
        await stack.seen.until(lambda: not service.manager.working())
        assert stack.status(loss.order_ref) is OrderStatus.CANCELLED
        assert {o.status for o in stack.journal.orders()} == {OrderStatus.FILLED, OrderStatus.CANCELLED}


async def test_modify_then_cancel_a_resting_limit(tmp_path: Path, journal_url: str) -> None:
    async with trading(tmp_path, journal_url) as stack:
        service = stack.service
        order = await service.submit(limit(stack.aapl, Side.BUY, 3, "50.00"))
        await stack.seen.until(lambda: stack.status(order.order_ref) is OrderStatus.WORKING)
        await service.modify(order.order_ref, limit(stack.aapl, Side.BUY, 4, "51.00"))
        stored = stack.journal.order(order.order_ref)
        assert stored is not None and stored.request.quantity == 4 and stored.request.limit_price == Decimal("51.00")
        (reported,) = [r for r in await stack.session.gateway.open_orders() if r.update.order_ref == order.order_ref]
        assert reported.request.limit_price == Decimal("51.00")
        await service.cancel(order.order_ref)
        await stack.seen.until(lambda: stack.status(order.order_ref) is OrderStatus.CANCELLED)
        stored = stack.journal.order(order.order_ref)
        assert stored is not None and stored.status is OrderStatus.CANCELLED


async def test_a_refusal_is_journaled_and_nothing_is_sent(tmp_path: Path, journal_url: str) -> None:
    small = replace(LIMITS, max_order_quantity=Decimal(5))
    async with trading(tmp_path, journal_url, limits=small) as stack:
        with pytest.raises(RiskRefusedError, match="order_quantity"):
            await stack.service.submit(market(stack.aapl, Side.BUY, 6))
        with pytest.raises(OrderError, match="minimum tick"):
            await stack.service.submit(limit(stack.aapl, Side.BUY, 1, "50.001"))
        (event,) = stack.journal.risk_events()
        assert event.check == "order_quantity" and "6" in event.reason
        assert stack.journal.orders() == []
        assert [r for r in await stack.session.gateway.open_orders()] == []
        assert await stack.session.gateway.executions() == []
