"""`ibbot flatten`: cancel the bot's working orders, then close every position its fills hold with market orders
(sent past the risk gate, as the kill switch's are: they only reduce), and wait for the fills."""

from __future__ import annotations

import argparse
import sys

from ibbot.cli import acting, common, render
from ibbot.engine.orders import OrderService
from ibbot.errors import ConfigError
from ibbot.model import Order, OrderStatus
from ibbot.risk import halt_plan


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: flatten(args), log_level=args.log_level)


async def flatten(args: argparse.Namespace) -> int:
    wait = acting.wait_of(args)
    journal = common.existing_journal(args)
    if journal is None:
        return common.no_journal(args)
    with journal:
        async with acting.order_service(args, journal) as service:
            return await _flatten(args, service, wait)


async def _flatten(args: argparse.Namespace, service: OrderService, wait: float) -> int:
    symbols = {s.strip().upper() for s in args.symbol}
    positions = [p for p in service.positions() if not symbols or p.instrument.symbol.upper() in symbols]
    keys = {p.instrument.key for p in positions}
    working = [o for o in service.manager.working() if o.instrument.key in keys or not symbols]
    refused = next((reason for reason in (acting.foreign(service, o) for o in working) if reason), "")
    if refused:
        raise ConfigError(refused)
    for order in working:
        await service.cancel(order.order_ref)
    refs = [o.order_ref for o in working]
    if not await acting.until(service, lambda: all(acting.ended(service, ref) for ref in refs), wait):
        print(f"ibbot: working orders not confirmed cancelled within {wait:g} s; nothing was sent", file=sys.stderr)
        return common.FAILED
    closing = halt_plan((), positions, flatten=True).flatten
    async with service.lock:  # the manager and the journal see these like the kill switch's own orders
        sent = [await service.send_created(order) for order in service.create_unchecked(closing)]
    closed = [o.order_ref for o in sent]
    done = await acting.until(service, lambda: all(acting.ended(service, ref) for ref in closed), wait)
    final = [order for order in (service.order(ref) for ref in closed) if order is not None]
    _show(args, final, cancelled=refs)
    if not done or any(o.status is not OrderStatus.FILLED for o in final):
        print(f"ibbot: not every closing order filled within {wait:g} s (see `ibbot orders --open`)", file=sys.stderr)
        return common.FAILED
    return common.OK


def _show(args: argparse.Namespace, orders: list[Order], *, cancelled: list[str]) -> None:
    if args.json:
        render.print_json({"cancelled": cancelled, "orders": [render.order_json(o) for o in orders]})
        return
    if not orders:
        render.note("no position to close")
        return
    title = f"closing orders: {len(orders)} (after cancelling {len(cancelled)} working)"
    rows = [render.order_row(o) for o in orders]
    render.console().print(render.table(title, render.ORDER_COLUMNS, rows, right=render.ORDER_RIGHT))
