"""`ibbot reconcile`: part 2's reconciliation (the journal against IB's orders, executions and positions), its
verdict and reasons; `--acknowledge` is the person's word that ends a MONITOR_ONLY."""

from __future__ import annotations

import argparse
from typing import Any

from ibbot.cli import acting, common, render
from ibbot.engine.orders import OrderService
from ibbot.oms import Reconciliation, Verdict
from ibbot.risk import Mode


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: reconcile(args), log_level=args.log_level)


def result_json(result: Reconciliation) -> dict[str, Any]:
    return {
        "time": result.time,
        "verdict": result.verdict.name,
        "reasons": list(result.reasons),
        "notes": list(result.notes),
        "orders_updated": [change.order.order_ref for change in result.changes],
        "fills_recovered": [fill.exec_id for fill in result.fills],
        "adopted": list(result.adopted),
        "lost": list(result.lost),
        "unresolved": list(result.unresolved),
        "external_orders": [str(external) for external in result.external_orders],
        "external_fills": [fill.exec_id for fill in result.external_fills],
        "discrepancies": [
            {"account": d.account, "instrument": str(d.instrument), "ours": d.ours, "broker": d.broker}
            for d in result.discrepancies
        ],
    }


async def reconcile(args: argparse.Namespace) -> int:
    journal = common.existing_journal(args)
    if journal is None:
        return common.no_journal(args)
    with journal:
        async with acting.order_service(args, journal) as service:
            return _report(args, service)


def _report(args: argparse.Namespace, service: OrderService) -> int:
    result = service.last_reconciliation
    assert result is not None  # order_service reconciles before it yields
    acknowledged = False
    if args.acknowledge and service.risk_state.mode is Mode.MONITOR_ONLY:
        service.acknowledge(acting.who(args))
        acknowledged = True
    shown = {**result_json(result), "acknowledged": acknowledged, "mode": service.risk_state.effective.value}
    if args.json:
        render.print_json(shown)
    else:
        rows: list[tuple[str, object]] = [("verdict", shown["verdict"]), ("trading", shown["mode"])]
        rows += [("reason", reason) for reason in result.reasons]
        rows += [("note", note) for note in result.notes]
        rows += [("difference", f"{d['instrument']} ({d['account']}): ours {d['ours']}, IB's {d['broker']}")
                 for d in shown["discrepancies"]]  # fmt: skip
        for name in ("orders_updated", "fills_recovered", "adopted", "lost", "external_orders"):
            if shown[name]:
                rows.append((name.replace("_", " "), ", ".join(shown[name])))
        if acknowledged:
            rows.append(("acknowledged", f"by {acting.who(args)}: the differences are accepted offsets"))
        render.console().print(render.table("reconciliation", ("", ""), rows))
    return common.OK if result.verdict is Verdict.SAFE or acknowledged else common.NOT_SAFE
