"""The kill switch as a pure plan: halting cancels every working order and, if asked, flattens every position.

`halt` returns the HALTED state (which the caller saves, so the halt persists across restarts until `resume`)
and a `HaltPlan`: the orders to cancel and, when flattening, one market order per non-flat position on the
opposite side for its whole size, with strategy "risk". The caller sends the cancels first and the flattening
orders once the cancels are confirmed (a working order filling meanwhile would change what flat means), and
sends the flattening orders past the gate: in HALTED the gate refuses every order, and these are its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ibbot.model import Order, OrderRequest, OrderType, Position, Side, TimeInForce
from ibbot.risk.state import RiskState

RISK_STRATEGY = "risk"  # the strategy name on the gate's own orders


@dataclass(frozen=True, slots=True, kw_only=True)
class HaltPlan:
    """What a halt does: cancel `cancel`, then (if flattening) send `flatten`."""

    cancel: tuple[Order, ...] = ()
    flatten: tuple[OrderRequest, ...] = ()


def halt_plan(working: Iterable[Order], positions: Iterable[Position], *, flatten: bool) -> HaltPlan:
    """Every working order to cancel; with `flatten`, a market order closing each tradable non-flat position."""
    cancel = tuple(order for order in working if order.status.is_working)
    if not flatten:
        return HaltPlan(cancel=cancel)
    closing = tuple(
        OrderRequest(
            instrument=p.instrument,
            side=Side.SELL if p.quantity > 0 else Side.BUY,
            quantity=abs(p.quantity),
            order_type=OrderType.MARKET,
            tif=TimeInForce.DAY,
            account=p.account,
            strategy=RISK_STRATEGY,
        )
        for p in positions
        if not p.is_flat and p.instrument.is_tradable
    )
    return HaltPlan(cancel=cancel, flatten=closing)


def halt(
    state: RiskState,
    *,
    reason: str,
    who: str,
    now: datetime,
    working: Iterable[Order],
    positions: Iterable[Position],
    flatten: bool,
) -> tuple[RiskState, HaltPlan]:
    """Engage the kill switch: the HALTED state to save and the plan to carry out."""
    return state.halt(reason, who, now), halt_plan(working, positions, flatten=flatten)


def resume(state: RiskState, *, who: str, now: datetime) -> RiskState:
    """Release the kill switch (or a manual reduce-only): NORMAL again, unless today's loss trip still holds."""
    return state.resume(who, now)
