"""The snapshot's views of the model, pure: an order, a fill, the health table, a list of orders summed up.

Shared by the live monitor (`ibbot.ops.monitor`), the watcher (`ibbot.ops.watch`) and the alerts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from ibbot.connection.health import HealthSnapshot
from ibbot.model import Fill, Order, OrderStatus, Quote
from ibbot.ops.snapshot import REJECTED_BY_IB, FarmView, FillView, HealthView, OrderView


def summarize(orders: Iterable[Order]) -> tuple[tuple[OrderView, ...], dict[str, int], int]:
    """The working orders (newest first), the count of orders by status, and the count rejected."""
    counts: dict[str, int] = {}
    working = []
    rejects = 0
    for order in orders:
        counts[order.status.value] = counts.get(order.status.value, 0) + 1
        rejects += is_rejected(order)
        if order.status.is_working:
            working.append(order_view(order))
    return tuple(sorted(working, key=lambda o: o.created, reverse=True)), counts, rejects


def is_rejected(order: Order) -> bool:
    """Rejected by IB or before it left. IB reports its 201 rejection with an orderStatus "Cancelled" that may
    reach the order manager before the 201 itself: such an order ends CANCELLED with the 201 as its reason."""
    if order.status is OrderStatus.REJECTED:
        return True
    return order.status is OrderStatus.CANCELLED and order.reason.startswith(REJECTED_BY_IB)


def quantity_text(quantity: Decimal) -> str:
    """30 for Decimal("30.0"), 0.5 for Decimal("0.50")."""
    return format(quantity.normalize(), "f")


def mark_of(quote: Quote) -> Decimal | None:
    price = quote.price()
    return None if math.isnan(price) or price <= 0 else Decimal(str(price))


def order_view(order: Order) -> OrderView:
    request = order.request
    return OrderView(
        order_ref=order.order_ref, symbol=str(request.instrument), side=request.side.value, quantity=request.quantity,
        order_type=request.order_type.value, status=order.status.value, created=order.created, updated=order.updated,
        limit_price=request.limit_price, stop_price=request.stop_price, filled=order.filled,
        avg_fill_price=order.avg_fill_price, strategy=request.strategy, order_id=order.order_id, reason=order.reason,
        external=order.external,
    )  # fmt: skip


def fill_view(fill: Fill) -> FillView:
    return FillView(
        exec_id=fill.exec_id, symbol=str(fill.instrument), side=fill.side.value, quantity=fill.quantity,
        price=fill.price, time=fill.time, order_ref=fill.order_ref, commission=fill.commission,
    )  # fmt: skip


def health_view(health: HealthSnapshot) -> HealthView:
    farms = tuple(
        FarmView(name=f.name, kind=f.kind.value, status=f.status.value, ok=f.status.ok, since=f.since)
        for f in health.farms
    )
    return HealthView(
        state=health.state.value, phase=health.phase.value, since=health.since, reason=health.reason, farms=farms,
        in_reset_window=health.in_reset_window, link_lost=health.link_lost,
        competing_session=health.competing_session,
    )  # fmt: skip
