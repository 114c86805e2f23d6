"""What the order manager hands back: an order's change, an order or fill that is not ours, a fill's outcome,
and the plan of a cancel."""

from __future__ import annotations

from dataclasses import dataclass

from ibbot.model import Fill, Order, OrderRequest, OrderStatus, OrderUpdate
from ibbot.oms.lifecycle import TERMINAL_WORDS


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderChange:
    """`order` as it is now, the state it came from and why; `warning` carries an informational code."""

    order: Order
    previous: OrderStatus
    cause: str
    warning: str = ""

    @property
    def moved(self) -> bool:
        return self.order.status is not self.previous


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalOrder:
    """An order IB reports that the journal does not know (another client, TWS itself, a foreign orderRef)."""

    update: OrderUpdate
    reason: str
    request: OrderRequest | None = None  # what the broker says it is, where the adapter could build it

    @property
    def working(self) -> bool:
        return self.update.ib_status not in TERMINAL_WORDS


@dataclass(frozen=True, slots=True, kw_only=True)
class FillOutcome:
    """One execution's fate: new (record it) or a duplicate by exec_id (drop it); ours or external."""

    fill: Fill
    new: bool
    change: OrderChange | None = None  # the order it moved (None: a duplicate or an external fill)
    external: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelPlan:
    """What a cancel asks of the shell: cancelOrder for `send`; `dropped` never left and are cancelled here."""

    send: tuple[Order, ...] = ()
    dropped: tuple[OrderChange, ...] = ()
    skipped: tuple[Order, ...] = ()  # already ending (PendingCancel) or over
    global_cancel: bool = False  # reqGlobalCancel: also cancels orders that are not ours
