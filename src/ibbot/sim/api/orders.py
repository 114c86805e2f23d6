"""Handlers for order requests: place, cancel, open and completed orders, executions (all in `sim.trading`)."""

from __future__ import annotations

from ibbot.protocol.requests.orders import (
    CancelOrder,
    PlaceOrder,
    ReqAllOpenOrders,
    ReqAutoOpenOrders,
    ReqCompletedOrders,
    ReqExecutions,
    ReqGlobalCancel,
    ReqOpenOrders,
)
from ibbot.sim.api.base import Context, Handler


def _place_order(ctx: Context, req: PlaceOrder) -> None:
    ctx.sim.trading.place(ctx.session, req, ctx.now, ctx.out)


def _cancel_order(ctx: Context, req: CancelOrder) -> None:
    ctx.sim.trading.cancel(ctx.session, req.order_id, ctx.now, ctx.out)


def _global_cancel(ctx: Context, req: ReqGlobalCancel) -> None:
    ctx.sim.trading.cancel_all(ctx.session, ctx.now, ctx.out)


def _open_orders(ctx: Context, req: ReqOpenOrders) -> None:
    ctx.sim.trading.open_orders(ctx.session, ctx.now, ctx.out, every_client=False)


def _all_open_orders(ctx: Context, req: ReqAllOpenOrders) -> None:
    ctx.sim.trading.open_orders(ctx.session, ctx.now, ctx.out, every_client=True)


def _auto_open_orders(ctx: Context, req: ReqAutoOpenOrders) -> None:
    # Only clientId 0 can bind TWS's own orders; the simulator has none, so binding is the flag alone.
    if ctx.session.client_id == 0:
        ctx.session.auto_open_orders = req.auto_bind


def _completed_orders(ctx: Context, req: ReqCompletedOrders) -> None:
    ctx.sim.trading.completed_orders(ctx.session, ctx.now, ctx.out)


def _executions(ctx: Context, req: ReqExecutions) -> None:
    ctx.sim.trading.executions(ctx.session, req.req_id, req.filter, ctx.now, ctx.out)


HANDLERS: dict[type, Handler] = {
    PlaceOrder: _place_order,
    CancelOrder: _cancel_order,
    ReqGlobalCancel: _global_cancel,
    ReqOpenOrders: _open_orders,
    ReqAllOpenOrders: _all_open_orders,
    ReqAutoOpenOrders: _auto_open_orders,
    ReqCompletedOrders: _completed_orders,
    ReqExecutions: _executions,
}
