"""`ibbot orders`: the journal's orders (every one the framework placed or adopted), or the target's open orders."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ibbot.broker.base import ReportedOrder
from ibbot.cli import common, render

if TYPE_CHECKING:
    from ibbot.engine.session import TradingSession


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: show(args), log_level=args.log_level)


async def show(args: argparse.Namespace) -> int:
    if args.target is not None:
        return await common.with_session(args, lambda session: _from_target(args, session))
    journal = common.existing_journal(args)
    if journal is None:
        return common.no_journal(args)
    with journal:
        orders = journal.orders(open_only=args.open, strategy=args.strategy)
    if args.json:
        render.print_json(
            {"source": "journal", "journal": journal.url, "orders": [render.order_json(o) for o in orders]}
        )
        return common.OK
    title = f"{'open ' if args.open else ''}orders in the journal: {len(orders)}"
    rows = [render.order_row(order) for order in orders]
    render.console().print(render.table(title, render.ORDER_COLUMNS, rows, right=render.ORDER_RIGHT))
    return common.OK


def reported_json(reported: ReportedOrder, *, completed: bool) -> dict[str, Any]:
    request, update = reported.request, reported.update
    return {
        "order_ref": update.order_ref or request.order_ref,
        "instrument": str(request.instrument),
        "con_id": request.instrument.con_id,
        "side": request.side.value,
        "quantity": request.quantity,
        "type": request.order_type.value,
        "limit_price": request.limit_price,
        "stop_price": request.stop_price,
        "tif": request.tif.value,
        "ib_status": update.ib_status,
        "filled": update.filled,
        "remaining": update.remaining,
        "avg_fill_price": update.avg_fill_price,
        "order_id": update.order_id,
        "perm_id": update.perm_id,
        "client_id": update.client_id,
        "completed": completed,
    }


async def _from_target(args: argparse.Namespace, session: TradingSession) -> int:
    found = [reported_json(r, completed=False) for r in await session.gateway.open_orders()]
    if args.completed:
        found += [reported_json(r, completed=True) for r in await session.gateway.completed_orders()]
    target = session.settings.connection.target.name
    if args.json:
        render.print_json({"source": "target", "target": target, "orders": found})
        return common.OK
    columns = ("ref", "instrument", "side", "qty", "type", "price", "tif", "IB status", "filled", "id", "client")
    rows = [
        (o["order_ref"], o["instrument"], o["side"], o["quantity"], o["type"],
         o["limit_price"] if o["limit_price"] is not None else o["stop_price"], o["tif"], o["ib_status"],
         o["filled"], o["order_id"], o["client_id"])
        for o in found
    ]  # fmt: skip
    render.console().print(
        render.table(f"orders at {target}: {len(rows)}", columns, rows, right=("qty", "price", "filled", "id"))
    )
    return common.OK
