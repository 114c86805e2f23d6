"""The snapshot's JSON round trip, its readiness rule, and the round-trip histogram's cumulative buckets."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ibbot.ops.snapshot import (
    Counters,
    EquityPoint,
    FarmView,
    FillView,
    HealthView,
    Histogram,
    PnLView,
    Snapshot,
    VerdictView,
    from_json,
    to_json,
)

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


def full() -> Snapshot:
    return Snapshot(
        time=NOW, label="sim",
        health=HealthView(state="ready", phase="live", since=NOW,
                          farms=(FarmView(name="usfarm", kind="market", status="up", ok=True, since=NOW),)),
        pnl=PnLView(realized=Decimal("-1.5"), unrealized=Decimal("2.25"), equity=Decimal("1000000.75")),
        fills=(FillView(exec_id="e1", symbol="AAPL", side="BUY", quantity=Decimal(10), price=Decimal("190.1"),
                        time=NOW, commission=None),),
        verdict=VerdictView(verdict="SAFE", reasons=("a", "b")),
        equity=(EquityPoint(time=NOW, value=Decimal(5)),),
        counters=Counters(fills=3, orders_by_status={"filled": 2}, rejects=1,
                          roundtrip=Histogram().observe(0.02).observe(3.0)),
    )  # fmt: skip


def test_json_round_trips_every_part() -> None:
    snapshot = full()
    data = to_json(snapshot)
    assert data["ready"] is True and data["not_ready"] == []
    assert data["pnl"]["equity"] == 1000000.75 and data["health"]["since"] == NOW.isoformat()
    back = from_json(Snapshot, data)
    assert back == snapshot


def test_not_ready_says_why() -> None:
    waiting = Snapshot(time=NOW, health=HealthView(state="offline", reason="TWS lost IB (1100)"))
    assert not waiting.ready
    assert waiting.not_ready_reasons() == ("connection offline: TWS lost IB (1100)", "reconciliation not run yet")
    stale = Snapshot(time=NOW, stale=True, health=HealthView(state="ready"), verdict=VerdictView(verdict="SAFE"))
    assert not stale.ready and stale.not_ready_reasons() == ("the bot has stopped writing its status",)
    monitor_only = Snapshot(time=NOW, health=HealthView(state="ready"), verdict=VerdictView(verdict="MONITOR_ONLY"))
    assert monitor_only.not_ready_reasons() == ("reconciliation MONITOR_ONLY",)


def test_the_histogram_counts_cumulatively_with_an_infinite_bucket() -> None:
    histogram = Histogram(bounds=(0.1, 1.0)).observe(0.05).observe(0.5).observe(7.0)
    assert histogram.counts == (1, 2, 3) and histogram.count == 3
    assert histogram.total == 7.55
