"""`ibbot run`'s terminal view: connection state, quotes, working orders, recent fills, positions and PnL, redrawn
twice a second from what the session, the order service and the runner hold (rich's Live; nothing is asked of IB)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from decimal import Decimal

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ibbot.cli import render
from ibbot.engine.runner import StrategyRunner

_STATE_STYLES = {"ready": "green", "degraded": "yellow", "resetting": "yellow", "syncing": "cyan"}


def _price(value: float) -> str:
    return "" if math.isnan(value) else f"{value:,.2f}"


def view(runner: StrategyRunner) -> Group:
    session, service = runner.session, runner.service
    health = session.supervisor.health
    state = Text(health.state.value.upper(), style=_STATE_STYLES.get(health.state.value, "red bold"))
    header = Text.assemble(
        ("ibbot run ", "bold"), (runner.strategy.name, "bold cyan"), "  ", state,
        f"  {health.reason}" if health.reason else "", f"  risk: {service.mode.value}",
        f"  {session.clock.now():%Y-%m-%d %H:%M:%S} UTC",
    )  # fmt: skip
    quotes = Table(title="quotes", expand=True)
    for column in ("instrument", "bid", "ask", "last", "data"):
        quotes.add_column(column, justify="left" if column in ("instrument", "data") else "right")
    for quote in list(runner.quotes.values()):
        quotes.add_row(quote.instrument.symbol, _price(quote.bid), _price(quote.ask), _price(quote.last),
                       quote.quality.name.lower())  # fmt: skip
    working = [o for o in runner.context.working_orders()]
    orders = render.table("working orders", ("ref", "side", "qty", "type", "status", "instrument"),
                          (render.order_row(o)[:6] for o in working[-8:]))  # fmt: skip
    fills = render.table("recent fills", ("time", "side", "qty", "price", "instrument"),
                         ((f"{f.time:%H:%M:%S}", f.side.value, f.quantity, f.price, f.instrument.symbol)
                          for f in list(runner.fills)[-6:]))  # fmt: skip
    account = runner.context.account()
    positions = render.table(
        "positions and PnL", ("instrument", "quantity", "avg cost"),
        [(p.instrument.symbol, p.quantity, f"{p.avg_cost:,.2f}") for p in runner.context.positions()]
        + [("realized", "", f"{account.realized_pnl:,.2f}"), ("unrealized", "", f"{account.unrealized_pnl:,.2f}"),
           ("equity", "", f"{account.equity:,.2f}" if account.equity != Decimal(0) else "")],
    )  # fmt: skip
    footer = Text(f"bars {runner.bars_seen}  quotes {runner.quotes_seen}  orders {len(runner.context.refs)}  "
                  "Ctrl-C stops cleanly", style="dim")  # fmt: skip
    return Group(header, quotes, orders, fills, positions, footer)


@contextlib.asynccontextmanager
async def showing(runner: StrategyRunner, *, console: Console | None = None) -> AsyncIterator[None]:
    """Redraw the view while the block runs (only on a terminal: a pipe gets the final summary alone)."""
    shown = console or render.console()
    if not shown.is_terminal:
        yield
        return
    with Live(console=shown, refresh_per_second=2, transient=False) as live:

        async def redraw() -> None:
            while True:
                with contextlib.suppress(RuntimeError):  # the session not started yet, or gone
                    live.update(view(runner))
                await asyncio.sleep(0.5)

        task = asyncio.get_running_loop().create_task(redraw())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
