"""`ibbot cancel ID|--all`: cancel one order (by ibbot ref, IB order id or perm id) or every working order, and
wait for IB to confirm."""

from __future__ import annotations

import argparse
import sys

from ibbot.cli import acting, common, render
from ibbot.engine.orders import OrderService
from ibbot.errors import ConfigError
from ibbot.model import Order, OrderStatus


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: cancel(args), log_level=args.log_level)


async def cancel(args: argparse.Namespace) -> int:
    if (args.id is None) == (not args.all):
        raise ConfigError("name one order to cancel, or --all")
    if (args.strategy or args.everything) and not args.all:
        raise ConfigError("--strategy and --global go with --all")
    wait = acting.wait_of(args)
    journal = common.existing_journal(args)
    if journal is None:
        return common.no_journal(args)
    with journal:
        wanted = acting.find_order(journal, args.id) if args.id else None  # a bad id fails before connecting
        async with acting.order_service(args, journal) as service:
            if wanted is None:
                return await _cancel_all(args, service, wait)
            return await _cancel_one(args, service, wanted.order_ref, wait)


async def _cancel_one(args: argparse.Namespace, service: OrderService, ref: str, wait: float) -> int:
    order = service.order(ref)
    assert order is not None  # the journal's orders are the manager's
    if order.status.is_terminal:
        print(f"ibbot: order {ref} is {order.status.value}; there is nothing to cancel", file=sys.stderr)
        _show(args, [order])
        return common.FAILED
    refusal = acting.foreign(service, order)
    if refusal:
        raise ConfigError(refusal)
    await service.cancel(ref)
    done = await acting.until(service, lambda: acting.ended(service, ref), wait)
    final = service.order(ref)
    assert final is not None
    _show(args, [final])
    if not done:
        print(f"ibbot: the cancel of {ref} was sent; IB has not confirmed it within {wait:g} s", file=sys.stderr)
        return common.FAILED
    return common.OK if final.status is OrderStatus.CANCELLED else common.FAILED


async def _cancel_all(args: argparse.Namespace, service: OrderService, wait: float) -> int:
    working = [o for o in service.manager.working() if args.strategy is None or o.request.strategy == args.strategy]
    refused = [acting.foreign(service, o) for o in working]
    if any(refused) and not args.everything:
        raise ConfigError(next(r for r in refused if r) + " (or add --global)")
    sent = await service.cancel_all(args.strategy)
    if args.everything:
        await service.global_cancel()
    refs = [o.order_ref for o in working]
    done = await acting.until(service, lambda: all(acting.ended(service, ref) for ref in refs), wait)
    final = [order for order in (service.order(ref) for ref in refs) if order is not None]
    _show(args, final)
    if not done:
        left = ", ".join(o.order_ref for o in final if o.status.is_working)
        print(f"ibbot: {len(sent)} cancels sent; not confirmed within {wait:g} s: {left}", file=sys.stderr)
        return common.FAILED
    return common.OK


def _show(args: argparse.Namespace, orders: list[Order]) -> None:
    if args.json:
        render.print_json({"orders": [render.order_json(o) for o in orders]})
        return
    title = f"cancelled: {sum(o.status is OrderStatus.CANCELLED for o in orders)} of {len(orders)}"
    rows = [render.order_row(o) for o in orders]
    render.console().print(render.table(title, render.ORDER_COLUMNS, rows, right=render.ORDER_RIGHT))
