"""`ibbot fills`: the journal's fills (each execution once, by exec id), or the target's executions."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ibbot.cli import common, render
from ibbot.model import Fill

if TYPE_CHECKING:
    from ibbot.engine.session import TradingSession


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: show(args), log_level=args.log_level)


async def show(args: argparse.Namespace) -> int:
    since = common.parse_moment(args.since, end=False) if args.since else None
    if args.target is not None:

        async def ask(session: TradingSession) -> list[Fill]:
            return await session.gateway.executions(since)

        fills = await common.with_session(args, ask)
        source = {"source": "target", "target": common.session_settings(args).connection.target.name}
    else:
        journal = common.existing_journal(args)
        if journal is None:
            return common.no_journal(args)
        with journal:
            fills = journal.fills(order_ref=args.order, since=since)
        source = {"source": "journal", "journal": journal.url}
    if args.json:
        render.print_json({**source, "fills": [render.fill_json(f) for f in fills]})
        return common.OK
    where = source.get("target") or "the journal"
    rows = [render.fill_row(f) for f in fills]
    title = f"fills in {where}: {len(rows)}" if args.target is None else f"executions at {where}: {len(rows)}"
    render.console().print(render.table(title, render.FILL_COLUMNS, rows, right=render.FILL_RIGHT))
    return common.OK
