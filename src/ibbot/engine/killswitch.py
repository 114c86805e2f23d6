"""The kill switch and the person's decisions, carried out: halt (cancel everything, optionally flatten),
resume, and the acknowledgement that ends a reconciliation's MONITOR_ONLY.

`ibbot.risk.kill_switch` plans; this shell sends. A halt is saved in the journal's state table before any
cancel leaves, so a crash mid-halt restarts halted. The cancels go first (RISK priority at the governor);
flattening market orders are sent only once every cancel is confirmed (a working order filling meanwhile would
change what flat means), past the gate, which refuses everything while HALTED: these orders are its own.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from ibbot.engine.reconciler import OFFSETS_SOURCE
from ibbot.errors import RiskStateError
from ibbot.model import Position
from ibbot.risk import halt_plan

# The service is typed loosely here: ibbot.engine.orders imports this module (no cycle back).
OrderService = Any

KILL_SWITCH = "kill_switch"  # the check name on the journal's risk events


async def halt(service: OrderService, reason: str, who: str, *, flatten: bool, timeout: float) -> None:
    """HALTED (journaled), every working order cancelled and confirmed, then with `flatten` positions closed."""
    async with service.lock:
        now = service.clock.now()
        service.set_risk_state(service.risk_state.halt(reason, who, now))
        details = {"who": who, "flatten": str(flatten).lower()}
        service.journal.record_risk_event(time=now, check=KILL_SWITCH, reason=f"halt: {reason}", details=details)
        plan = service.manager.cancel_all(now)
        for change in plan.dropped:
            service.journal.record_order(change.order)
        for order in plan.send:
            await service.gateway.cancel_order(order.order_id)
        await _until_nothing_works(service, timeout)
        if not flatten:
            return
        closing = halt_plan((), service.book.positions(), flatten=True).flatten
        for order in service.create_unchecked(closing):
            await service.send_created(order)


async def _until_nothing_works(service: OrderService, timeout: float) -> None:
    # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that arrives as its inner
    # wait finishes, and the task carrying the halt (a runner's halt watch) would then never end.
    try:
        async with asyncio.timeout(timeout):
            while service.manager.working():
                service.changed.clear()
                await service.changed.wait()
    except TimeoutError:
        left = ", ".join(o.order_ref for o in service.manager.working())
        raise RiskStateError(
            f"halted, but these orders are not confirmed cancelled after {timeout} s: {left}"
        ) from None


def resume(service: OrderService, who: str) -> None:
    now = service.clock.now()
    service.set_risk_state(service.risk_state.resume(who, now))
    service.journal.record_risk_event(time=now, check=KILL_SWITCH, reason="resumed", details={"who": who})


def acknowledge(service: OrderService, who: str) -> None:
    """A person has looked at the MONITOR_ONLY verdict: its position differences become accepted offsets."""
    now = service.clock.now()
    state = service.risk_state.acknowledge(who, now)
    result = service.last_reconciliation
    if result is not None and result.discrepancies:
        old = service.journal.last_positions(OFFSETS_SOURCE)
        offsets: dict[tuple[str, str], Position] = {}
        for position in old.positions if old is not None else ():
            offsets[(position.account, position.instrument.key)] = position
        for found in result.discrepancies:
            key = (found.account, found.instrument.key)
            held = offsets.get(key)
            quantity = (held.quantity if held is not None else Decimal(0)) + found.difference
            offsets[key] = Position(account=found.account, instrument=found.instrument, quantity=quantity)
        kept = [position for position in offsets.values() if position.quantity != 0]
        service.journal.record_positions(kept, now, OFFSETS_SOURCE)
    run = service.last_run_id
    if run is None:
        last = service.journal.last_reconciliation()
        run = last.run_id if last is not None else None
    if run is not None:
        service.journal.acknowledge_reconciliation(run, who, now)
    service.set_risk_state(state)
