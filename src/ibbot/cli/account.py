"""`ibbot account`: the journal's view (risk mode, last reconciliation, realized PnL, commissions, counts), or
the target's account values (NetLiquidation, cash, buying power ...)."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ibbot.cli import common, render
from ibbot.cli.positions import book_of
from ibbot.risk import RiskState, load_risk_state
from ibbot.store import Journal

if TYPE_CHECKING:
    from ibbot.engine.session import TradingSession

# The account values shown without --all (IB sends a hundred or so).
MAIN_TAGS = ("NetLiquidation", "TotalCashValue", "AvailableFunds", "BuyingPower", "GrossPositionValue",
             "MaintMarginReq", "ExcessLiquidity", "RealizedPnL", "UnrealizedPnL")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: show(args), log_level=args.log_level)


def risk_state(journal: Journal) -> RiskState:
    return load_risk_state(journal) or RiskState()


def risk_json(state: RiskState) -> dict[str, Any]:
    return {
        "mode": state.mode.value,
        "effective": state.effective.value,
        "reason": state.reason,
        "who": state.who,
        "since": state.since,
        "daily_loss_tripped": state.daily_loss_tripped,
        "daily_loss_reason": state.daily_loss_reason,
    }


def summary(journal: Journal) -> dict[str, Any]:
    orders = journal.orders()
    fills = journal.fills()
    book = book_of(journal)
    total = book.pnl({}).total
    last = journal.last_reconciliation()
    reconciliation = None
    if last is not None:
        reconciliation = {"run_id": last.run_id, "time": last.time, "verdict": last.verdict,
                          "reasons": list(last.reasons), "acknowledged_by": last.acknowledged_by or None}  # fmt: skip
    return {
        "source": "journal",
        "journal": journal.url,
        "risk": risk_json(risk_state(journal)),
        "last_reconciliation": reconciliation,
        "orders": len(orders),
        "working_orders": sum(1 for o in orders if o.status.is_working),
        "fills": len(fills),
        "positions": len(book.positions()),
        "realized_pnl": total.realized,
        "commissions": sum((f.commission for f in fills if f.commission is not None), Decimal(0)),
        "last_fill": journal.last_fill_time(),
    }


async def show(args: argparse.Namespace) -> int:
    if args.target is not None:
        return await common.with_session(args, lambda session: _from_target(args, session))
    journal = common.existing_journal(args)
    if journal is None:
        return common.no_journal(args)
    with journal:
        shown = summary(journal)
    if args.json:
        render.print_json(shown)
        return common.OK
    risk, last = shown["risk"], shown["last_reconciliation"]
    mode = risk["effective"] + (f" ({risk['reason']}, by {risk['who']} at {render.text(risk['since'])})"
                                if risk["reason"] else "")  # fmt: skip
    verdict = "none yet"
    if last is not None:
        verdict = f"{last['verdict']} at {render.text(last['time'])}" + (
            f": {'; '.join(last['reasons'])}" if last["reasons"] else "")  # fmt: skip
    rows = [("risk mode", mode), ("last reconciliation", verdict), ("orders", shown["orders"]),
            ("working orders", shown["working_orders"]), ("fills", shown["fills"]), ("positions", shown["positions"]),
            ("realized PnL", shown["realized_pnl"]), ("commissions", shown["commissions"]),
            ("last fill", shown["last_fill"])]  # fmt: skip
    render.console().print(render.table(f"account (journal {shown['journal']})", ("", "value"), rows))
    return common.OK


async def _from_target(args: argparse.Namespace, session: TradingSession) -> int:
    values = await session.gateway.account_values()
    shown = values if args.all else [v for v in values if v.tag in MAIN_TAGS]
    shown.sort(key=lambda v: (v.account, MAIN_TAGS.index(v.tag) if v.tag in MAIN_TAGS else len(MAIN_TAGS), v.tag))
    info = session.supervisor.session
    accounts = list(info.accounts) if info is not None else []
    target = session.settings.connection.target.name
    if args.json:
        render.print_json({"source": "target", "target": target, "accounts": accounts,
                           "values": [render.account_value_json(v) for v in shown]})  # fmt: skip
        return common.OK
    rows = [(v.account, v.tag, v.value, v.currency) for v in shown]
    title = f"account values at {target} ({', '.join(accounts)})"
    render.console().print(render.table(title, ("account", "tag", "value", "currency"), rows, right=("value",)))
    return common.OK
