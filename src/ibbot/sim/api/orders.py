"""Handlers for order requests: place and cancel (`sim.trading.service`), open and completed orders and executions
(`sim.trading.queries`)."""

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
from ibbot.sim.trading import queries as order_queries


def _place_order(ctx: Context, req: PlaceOrder) -> None:
    ctx.sim.trading.place(ctx.session, req, ctx.now, ctx.out)


def _cancel_order(ctx: Context, req: CancelOrder) -> None:
    ctx.sim.trading.cancel(ctx.session, req.order_id, ctx.now, ctx.out)


def _global_cancel(ctx: Context, req: ReqGlobalCancel) -> None:
    ctx.sim.trading.cancel_all(ctx.session, ctx.now, ctx.out)


def _open_orders(ctx: Context, req: ReqOpenOrders) -> None:
    order_queries.open_orders(ctx.sim.trading, ctx.session, ctx.now, ctx.out, every_client=False)


def _all_open_orders(ctx: Context, req: ReqAllOpenOrders) -> None:
    order_queries.open_orders(ctx.sim.trading, ctx.session, ctx.now, ctx.out, every_client=True)


def _auto_open_orders(ctx: Context, req: ReqAutoOpenOrders) -> None:
    # Only clientId 0 can bind TWS's own orders; the simulator has none, so binding is the flag alone.
    if ctx.session.client_id == 0:
        ctx.session.auto_open_orders = req.auto_bind


def _completed_orders(ctx: Context, req: ReqCompletedOrders) -> None:
    order_queries.completed_orders(ctx.sim.trading, ctx.session, ctx.now, ctx.out)


def _executions(ctx: Context, req: ReqExecutions) -> None:
    order_queries.executions(ctx.sim.trading, ctx.session, ctx.now, ctx.out, req_id=req.req_id, wanted=req.filter)


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
