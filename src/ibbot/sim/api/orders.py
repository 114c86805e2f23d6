"""Handlers for order requests: place, cancel, open and completed orders, executions."""

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
from ibbot.protocol.responses.orders import CompletedOrdersEnd, ExecDetailsEnd, OpenOrderEnd
from ibbot.sim import errors
from ibbot.sim.api.base import Context, Handler


def _place_order(ctx: Context, req: PlaceOrder) -> None:
    ctx.sim.note_order_id(req.order_id)
    if ctx.sim.config.read_only:
        ctx.error(req.order_id, *errors.READ_ONLY)
        return
    ctx.error(req.order_id, *errors.NOT_SUPPORTED("order execution yet"))


def _cancel_order(ctx: Context, req: CancelOrder) -> None:
    if ctx.sim.config.read_only:
        ctx.error(req.order_id, *errors.READ_ONLY)
        return
    ctx.error(req.order_id, 10147, f"OrderId {req.order_id} that needs to be cancelled is not found.")


def _global_cancel(ctx: Context, req: ReqGlobalCancel) -> None:
    if ctx.sim.config.read_only:
        ctx.error(-1, *errors.READ_ONLY)


def _open_orders(ctx: Context, req: ReqOpenOrders | ReqAllOpenOrders) -> None:
    ctx.reply(OpenOrderEnd())


def _auto_open_orders(ctx: Context, req: ReqAutoOpenOrders) -> None:
    ctx.session.auto_open_orders = req.auto_bind


def _completed_orders(ctx: Context, req: ReqCompletedOrders) -> None:
    ctx.reply(CompletedOrdersEnd())


def _executions(ctx: Context, req: ReqExecutions) -> None:
    ctx.reply(ExecDetailsEnd(req_id=req.req_id))


HANDLERS: dict[type, Handler] = {
    PlaceOrder: _place_order,
    CancelOrder: _cancel_order,
    ReqGlobalCancel: _global_cancel,
    ReqOpenOrders: _open_orders,
    ReqAllOpenOrders: _open_orders,
    ReqAutoOpenOrders: _auto_open_orders,
    ReqCompletedOrders: _completed_orders,
    ReqExecutions: _executions,
}
