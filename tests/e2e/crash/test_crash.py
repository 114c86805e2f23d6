"""kill -9 at 20 points between an order's intent and its fill, then a restart on the same journal: no order is
sent twice, no fill is lost, and every restart reconciles SAFE; on SQLite and PostgreSQL.

`bot.py` places one bracket per run against `ibbot sim --state FILE` (a separate process, shared by the runs)
and sends itself SIGKILL at the Nth occurrence of one of the order path's checkpoints; the next run reconciles
what the dead one left. Afterwards the simulator is asked, as clientId 0, for every order (open and completed)
and every execution, and that is compared with the journal.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ibbot.model import OrderStatus
from ibbot.store import FillSource, Journal
from integration.orders.support import at_the_broker
from integration.support import start_sim_process

BOT = Path(__file__).with_name("bot.py")
# checkpoint:occurrence, in the order they come for one bracket (the statuses' counts are the same every run:
# 3 intents, then each leg's send and record, IB's statuses interleaved, the parent's fill and commission).
KILLS = (
    "intent-written:1",  # the parent's intent durable, the children's not written
    "intent-written:2",
    "intent-written:3",  # all three durable, nothing sent
    "order-sent:1",  # the parent at IB (held: not transmitted), its id not journaled
    "order-recorded:1",
    "order-sent:2",  # the take profit at IB, still held
    "order-recorded:2",
    "order-sent:3",  # the stop loss transmits all three: the parent fills while the bot is dead
    "order-recorded:3",
    "status-received:1",
    "status-recorded:2",
    "status-recorded:4",
    "status-received:5",
    "status-recorded:5",
    "status-received:8",
    "status-recorded:6",
    "fill-received:1",  # the execution arrived, not journaled
    "fill-recorded:1",
    "commission-received:1",
    "commission-recorded:1",
)
# What IB's status says about an order that is over, in the journal's terms.
ENDED = {"Filled": OrderStatus.FILLED, "Cancelled": OrderStatus.CANCELLED}


def events(report: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in report.read_text().splitlines()]


async def test_killed_at_20_points_between_intent_and_fill_nothing_is_doubled_or_lost(
    tmp_path: Path, journal_url: str
) -> None:
    assert len(set(KILLS)) == 20
    report = tmp_path / "report.jsonl"
    sim, port, _ = start_sim_process("--state", str(tmp_path / "sim.sqlite3"), "--log-level", "WARNING")
    try:
        command = [sys.executable, str(BOT), "--target", f"127.0.0.1:{port}", "--journal", journal_url,
                   "--data-dir", str(tmp_path / "bot"), "--report", str(report),
                   *(arg for kill in KILLS for arg in ("--kill", kill))]  # fmt: skip
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=150)
        assert done.returncode == 0, done.stderr[-3000:]
        broker = await at_the_broker(port)
    finally:
        sim.terminate()
        sim.communicate(timeout=10)  # waits, and closes its pipe

    seen = events(report)
    by_kind = {kind: [e for e in seen if e["event"] == kind] for kind in ("reconciled", "killed", "ended")}
    failures = [e for e in seen if e["event"] in ("failed", "survived")]
    assert failures == []
    # Each run died where it was told to, by SIGKILL; the run after each one (and the last) reconciled SAFE.
    assert [e["at"] for e in by_kind["killed"]] == list(KILLS)
    assert [e["status"] for e in by_kind["ended"]] == ["signal 9"] * 20 + ["exit 0"]
    assert [(e["verdict"], e["reasons"]) for e in by_kind["reconciled"]] == [("SAFE", [])] * 21
    assert [e["event"] for e in seen][-2:] == ["finished", "ended"]

    with Journal.open(journal_url) as journal:
        orders = {order.order_ref: order for order in journal.orders()}
        fills = journal.fills()
        sources = journal.fill_sources()
    # Zero duplicates: every orderRef reached the simulator at most once ...
    assert [ref for ref, count in Counter(broker.refs).items() if count > 1] == []
    # ... and exactly the journal's orders did, except the intents a kill left unsent (REJECTED as lost).
    lost = {ref for ref, order in orders.items() if order.status is OrderStatus.REJECTED}
    assert all("lost" in orders[ref].reason for ref in lost)
    assert set(broker.refs) == set(orders) - lost
    assert len(lost) >= 3  # the intent-written kills left at least one each
    # Zero lost fills: the journal's fills are the simulator's executions, commissions included.
    assert {fill.exec_id: fill.commission for fill in fills} == broker.executions
    assert len(fills) >= 10  # one per bracket whose last leg was sent
    assert Counter(sources.values())[FillSource.RECOVERED] >= 5  # made, or seen, while the bot was dead
    # Every order ended as the simulator has it, nothing works, and the position is the fills' sum.
    assert {ref: orders[ref].status for ref in broker.refs} == {ref: ENDED[s] for ref, s in broker.statuses.items()}
    assert broker.working == ()
    assert broker.positions == {"AAPL": sum(fill.signed_quantity for fill in fills)}
