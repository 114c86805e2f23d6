"""The audit trail's lines: one kind per decision with who and when, the chain, a torn last line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ibbot.clock import ManualClock
from ibbot.errors import AuditError
from ibbot.model import Fill, Instrument, Order, OrderRequest, OrderStatus, Side
from ibbot.ops import AuditTrail, verify
from ibbot.ops.audit import read, record_of
from ibbot.ops.decisions import (
    CommissionRecorded,
    FillRecorded,
    IntentWritten,
    OperatorAction,
    OrderRecorded,
    ReconciliationRecorded,
    RiskEventRecorded,
    RiskStateSaved,
)
from ibbot.risk import RiskState
from ibbot.store import FillSource

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
AAPL = Instrument.stock("AAPL")
REQUEST = OrderRequest(instrument=AAPL, side=Side.BUY, quantity=Decimal(5), strategy="s1", order_ref="ibb-1")


def test_each_decision_has_its_kind_and_who() -> None:
    sent = Order(request=REQUEST, status=OrderStatus.SUBMITTED, created=NOW, updated=NOW, order_id=7)
    fill = Fill(exec_id="e1", instrument=AAPL, side=Side.BUY, quantity=Decimal(5), price=Decimal(190), time=NOW,
                order_ref="ibb-1")  # fmt: skip
    cases = [
        (IntentWritten(request=REQUEST, time=NOW), "intent", "s1"),
        (OrderRecorded(order=sent), "order_sent", "s1"),
        (OrderRecorded(order=sent, ib_status="PreSubmitted"), "order_status", "s1"),
        (FillRecorded(fill=fill, source=FillSource.RECOVERED, new=True), "fill", "ibbot"),
        (CommissionRecorded(exec_id="e1", commission=Decimal(1), currency="USD", new=True), "commission", "ibbot"),
        (RiskEventRecorded(time=NOW, check="kill_switch", reason="halt: x", details={"who": "ann"}), "risk_event",
         "ann"),
        (ReconciliationRecorded(run_id=3, verdict="SAFE", reasons=(), time=NOW), "reconciliation", "ibbot"),
        (RiskStateSaved(state=RiskState().halt("x", "bob", NOW)), "risk_mode", "bob"),
        (OperatorAction(action="cancel", who="web:c@1.2.3.4", time=NOW, details={"order_ref": "ibb-1"}), "operator",
         "web:c@1.2.3.4"),
    ]  # fmt: skip
    for decision, kind, who in cases:
        assert record_of(decision)[:2] == (kind, who), decision
    assert record_of(FillRecorded(fill=fill, source=FillSource.RECOVERED, new=True))[2]["source"] == "recovered"


def test_lines_are_chained_and_numbered(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    trail = AuditTrail(tmp_path / "audit.jsonl", clock)
    trail.record(IntentWritten(request=REQUEST, time=NOW))
    clock.advance(1)
    trail.record(OperatorAction(action="halt", who="web:ann@127.0.0.1", time=clock.now()))
    trail.close()
    first, second = read(tmp_path / "audit.jsonl")
    assert (first["seq"], second["seq"]) == (1, 2) and second["prev"] == first["hash"]
    assert second["time"] == "2026-11-18T15:30:01+00:00" and second["action"] == "halt"
    assert verify(tmp_path / "audit.jsonl") == 2 and trail.failures == 0
    with pytest.raises(AuditError, match="closed"):
        trail.write("operator", "x", {})


def test_a_torn_last_line_is_ignored_and_a_bad_one_before_it_is_not(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    trail = AuditTrail(path, ManualClock(NOW))
    trail.write("operator", "a", {"action": "halt"})
    trail.close()
    with path.open("a") as out:
        out.write('{"seq": 2, "ti')  # a crash while writing
    assert verify(path) == 1
    again = AuditTrail(path, ManualClock(NOW))  # continues after the intact line
    assert again.write("operator", "b", {})["seq"] == 2
    again.close()
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["seq"] == 2
    path.write_text("not json\n" + lines[0] + "\n")
    with pytest.raises(AuditError, match="not a JSON line"):
        verify(path)
