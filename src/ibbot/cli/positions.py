"""`ibbot positions`: what the journal's fills hold (with realized PnL and IB's last reported positions beside
them), or the target's positions."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ibbot.cli import common, render
from ibbot.engine.reconciler import BROKER_SOURCE
from ibbot.model import Position
from ibbot.oms import PositionBook
from ibbot.store import Journal

if TYPE_CHECKING:
    from ibbot.engine.session import TradingSession


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: show(args), log_level=args.log_level)


def book_of(journal: Journal) -> PositionBook:
    """The bot's own book: the fills of the journal's orders (external orders' fills are IB's business)."""
    ours = {order.order_ref for order in journal.orders()}
    book = PositionBook()
    for fill in journal.fills():
        if fill.order_ref in ours:
            book.apply(fill)
    return book


def journal_positions(journal: Journal) -> dict[str, Any]:
    book = book_of(journal)
    pnl = {row.instrument.key: row for row in book.pnl({}).per_instrument if row.instrument is not None}
    rows = []
    for position in book.positions():
        shown = render.position_json(position)
        row = pnl.get(position.instrument.key)
        shown["realized_pnl"] = row.realized if row is not None else Decimal(0)
        rows.append(shown)
    snapshot = journal.last_positions(BROKER_SOURCE)
    broker = None
    if snapshot is not None:
        broker = {"time": snapshot.time, "positions": [render.position_json(p) for p in snapshot.positions]}
    return {"source": "journal", "journal": journal.url, "positions": rows, "broker_snapshot": broker}


async def show(args: argparse.Namespace) -> int:
    if args.target is not None:

        async def ask(session: TradingSession) -> list[Position]:
            return await session.gateway.positions()

        positions = await common.with_session(args, ask)
        target = common.session_settings(args).connection.target.name
        if args.json:
            render.print_json({"source": "target", "target": target,
                               "positions": [render.position_json(p) for p in positions]})  # fmt: skip
            return common.OK
        held = [(p.account, p.instrument, p.quantity, p.avg_cost) for p in positions]
        table = render.table(f"positions at {target}: {len(held)}", ("account", "instrument", "qty", "avg cost"), held,
                             right=("qty", "avg cost"))  # fmt: skip
        render.console().print(table)
        return common.OK
    journal = common.existing_journal(args)
    if journal is None:
        return common.no_journal(args)
    with journal:
        shown = journal_positions(journal)
    if args.json:
        render.print_json(shown)
        return common.OK
    broker = shown["broker_snapshot"]
    theirs = {(p["account"], p["con_id"]): p["quantity"] for p in broker["positions"]} if broker else {}
    label = f"IB at {render.text(broker['time'])}" if broker else "IB (no reconciliation yet)"
    rows = [(p["account"], p["instrument"], p["quantity"], p["avg_cost"], p["realized_pnl"],
             theirs.get((p["account"], p["con_id"]), Decimal(0)) if broker else None)
            for p in shown["positions"]]  # fmt: skip
    columns = ("account", "instrument", "qty", "avg cost", "realized", label)
    title = f"positions from the journal's fills: {len(rows)}"
    render.console().print(render.table(title, columns, rows, right=("qty", "avg cost", "realized", label)))
    return common.OK
