"""What the operator's commands (cancel, flatten, halt, reconcile) share: the order service of part 2 over the
journal and a session at the target, who is acting, and waiting for IB to confirm.

These commands act as the bot: they connect with the configured client id, so they can cancel the bot's orders
when the bot is stopped. While it runs it holds that id (326), the session takes the next one, and IB lets a
client cancel only its own orders: such an order is refused here with that explanation. The kill switch reaches
a running bot through the journal instead (`ibbot halt`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from ibbot.cli import common, render
from ibbot.engine.orders import OrderService
from ibbot.engine.session import TradingSession
from ibbot.errors import ConfigError
from ibbot.model import Order
from ibbot.risk import RiskGate
from ibbot.store import Journal


def who(args: argparse.Namespace) -> str:
    if args.who:
        return str(args.who)
    try:
        return f"{getpass.getuser()} (cli)"
    except (OSError, KeyError):  # no login name in this environment
        return "operator (cli)"


def wait_of(args: argparse.Namespace) -> float:
    if not args.wait > 0:
        raise ConfigError(f"--wait must be a positive number of seconds, got {args.wait}")
    return float(args.wait)


@asynccontextmanager
async def order_service(args: argparse.Namespace, journal: Journal) -> AsyncIterator[OrderService]:
    """An order service at the target, reconciled (so the journal is up to date with IB before anything is sent)."""
    settings = common.session_settings(args)
    async with TradingSession(settings) as session:
        gate = RiskGate(common.load_config(args).risk)
        service = OrderService(session, journal, gate, clock=session.clock, operator=who(args))
        try:
            with render.working(f"reconciling the journal with {settings.connection.target.name}"):
                await service.start()
            yield service
        finally:
            await service.close()


def ended(service: OrderService, ref: str) -> bool:
    """The order is over (filled, cancelled, rejected), or the service does not know it."""
    order = service.order(ref)
    return order is None or order.status.is_terminal


async def until(service: OrderService, condition: Callable[[], bool], timeout: float) -> bool:
    """Wait for `condition` (re-checked on every order change) for up to `timeout` seconds."""

    async def wait() -> None:
        while not condition():
            service.changed.clear()
            await service.changed.wait()

    try:
        await asyncio.wait_for(wait(), timeout)
    except TimeoutError:
        return False
    return True


def find_order(journal: Journal, text: str) -> Order:
    """An order by ibbot's ref, else by IB's order id or perm id; ConfigError naming what was looked for."""
    found = journal.order(text)
    if found is None and text.isdigit():
        number = int(text)
        found = journal.order_by_ids(perm_id=number)
        if found is None:
            matches = [o for o in journal.orders() if o.order_id == number]
            found = matches[-1] if matches else None
    if found is None:
        raise ConfigError(f"no order {text!r} in the journal {journal.url} (see `ibbot orders`)")
    return found


def foreign(service: OrderService, order: Order) -> str:
    """Why this session cannot cancel `order` ("" when it can): IB takes cancels only from the order's client."""
    if not order.order_id or order.client_id in (0, service.client_id):
        return ""
    return (
        f"order {order.order_ref} belongs to client id {order.client_id} and this session is client id "
        f"{service.client_id} (is the bot still connected with it?); IB cancels an order only for its own client: "
        "stop the bot and run this again, or halt it through the journal with `ibbot halt`"
    )
