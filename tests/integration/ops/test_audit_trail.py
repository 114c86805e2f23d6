"""The audit trail of a bot trading against the simulator: every decision on one chained line (intent, risk
verdict, order sent, status, fill, commission, reconciliation, risk events and modes, the operator's actions with
who and when), a restart continuing the chain, and a changed line caught."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from ibbot.clock import LiveClock
from ibbot.errors import AuditError, RiskRefusedError, RiskStateError
from ibbot.model import Fill, OrderStatus, Side
from ibbot.ops import AuditTrail, verify
from ibbot.ops.audit import read

from ..web.support import LIMITS, limit, market, running_bot


async def test_every_decision_of_a_session_is_one_chained_line(tmp_path: Path) -> None:
    small = replace(LIMITS, max_order_quantity=Decimal(100))
    async with running_bot(tmp_path, limits=small) as bot:
        service, controls = bot.service, bot.ops.controls
        filled = await service.submit(market(bot.aapl, Side.BUY, 20))
        resting = await service.submit(limit(bot.aapl, Side.BUY, 3, "50.00"))
        with pytest.raises(RiskRefusedError):
            await service.submit(market(bot.aapl, Side.BUY, 1000))
        await bot.orders.until(lambda: any(isinstance(i, Fill) for i in bot.orders.items)
                               and service.order(resting.order_ref).status is OrderStatus.WORKING)  # fmt: skip
        await bot.orders.until(lambda: all(f.commission is not None for f in bot.journal.fills()))
        with pytest.raises(RiskStateError):
            await controls.resume("web:ann@10.0.0.5")  # not halted: refused, and recorded as refused
        await controls.halt("web:ann@10.0.0.5", "lunch")
        await controls.resume("web:ann@10.0.0.5")
        path = bot.ops.audit.path
    lines = list(read(path))
    assert verify(path) == len(lines) > 10
    kinds = {line["kind"] for line in lines}
    assert {"reconciliation", "intent", "risk_verdict", "order_sent", "order_status", "fill", "commission",
            "risk_event", "risk_mode", "operator"} <= kinds  # fmt: skip
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))

    def about(ref: str) -> list[str]:
        return [line["kind"] for line in lines if line.get("order_ref") == ref]

    trail = about(filled.order_ref)
    assert trail.index("risk_verdict") < trail.index("intent") < trail.index("order_sent") < trail.index("fill")
    assert trail.count("order_sent") == 1 and trail[-1] in ("order_status", "fill")
    (refused,) = [line for line in lines if line["kind"] == "risk_verdict" and not line["allowed"]]
    assert refused["refusals"][0]["check"] == "order_quantity" and refused["who"] == "demo"
    (fill,) = [line for line in lines if line["kind"] == "fill"]
    assert fill["order_ref"] == filled.order_ref and Decimal(fill["quantity"]) == 20 and fill["new"] is True
    operator = [line for line in lines if line["kind"] == "operator"]
    assert [(o["action"], o["outcome"].split(":")[0]) for o in operator] == [
        ("resume", "refused"), ("halt", "ok"), ("resume", "ok")]  # fmt: skip
    assert {o["who"] for o in operator} == {"web:ann@10.0.0.5"}
    modes = [(m["mode"], m["who"]) for m in lines if m["kind"] == "risk_mode"]
    assert modes == [("halted", "web:ann@10.0.0.5"), ("normal", "web:ann@10.0.0.5")]
    cancelled = [
        line for line in lines if line.get("order_ref") == resting.order_ref and line["kind"] == "order_status"
    ]
    assert cancelled[-1]["status"] == "cancelled"  # the halt's cancel, recorded
    assert lines[0]["kind"] == "reconciliation" and lines[0]["verdict"] == "SAFE" and lines[0]["who"] == "ibbot"


def test_a_restart_continues_the_chain_and_a_changed_line_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    clock = LiveClock()
    first = AuditTrail(path, clock)
    first.write("operator", "web:a@127.0.0.1", {"action": "halt"})
    first.write("operator", "web:a@127.0.0.1", {"action": "resume"})
    first.close()
    again = AuditTrail(path, clock)
    again.write("operator", "web:b@127.0.0.1", {"action": "halt"})
    again.close()
    assert verify(path) == 3
    lines = path.read_text().splitlines()
    changed = json.loads(lines[1])
    changed["who"] = "someone else"
    path.write_text("\n".join([lines[0], json.dumps(changed), lines[2]]) + "\n")
    with pytest.raises(AuditError, match="line 2"):
        verify(path)
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")  # a line removed
    with pytest.raises(AuditError, match="line 2"):
        verify(path)
