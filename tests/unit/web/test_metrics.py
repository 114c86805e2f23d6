"""/metrics from a snapshot, read back with prometheus-client's own parser."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from prometheus_client.parser import text_string_to_metric_families

from ibbot.ops.snapshot import (
    Counters,
    FarmView,
    GovernorView,
    HealthView,
    Histogram,
    PnLView,
    RiskView,
    Snapshot,
    VerdictView,
)
from ibbot.web import Metrics

NOW = datetime(2026, 11, 18, tzinfo=UTC)


def exposition(snapshot: Snapshot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = Metrics(lambda: snapshot).render().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_every_figure_of_the_snapshot_is_a_metric() -> None:
    snapshot = Snapshot(
        time=NOW,
        health=HealthView(state="degraded", farms=(FarmView(name="usfarm", kind="market", status="down", ok=False),)),
        governor=GovernorView(queued={"order": 2, "data": 1}, messages_sent=40, messages_per_second=3.5, waits=4,
                              wait_seconds=0.5, pacing_violations=1, lines={"market data": 7}, line_budget=100),
        pnl=PnLView(realized=Decimal("-2.5"), unrealized=Decimal(4), daily=Decimal(1)),
        risk=RiskView(mode="monitor_only"),
        verdict=VerdictView(verdict="MONITOR_ONLY", discrepancies=2),
        counters=Counters(fills=9, orders_by_status={"filled": 5, "working": 1}, rejects=2, risk_refusals=3,
                          roundtrip=Histogram().observe(0.004).observe(0.2).observe(30.0)),
    )  # fmt: skip
    found = exposition(snapshot)
    assert found[("ibbot_connection_state", (("state", "degraded"),))] == 1
    assert found[("ibbot_connection_state", (("state", "ready"),))] == 0
    assert found[("ibbot_ready", ())] == 0
    assert found[("ibbot_farm_up", (("farm", "usfarm"), ("kind", "market"), ("status", "down")))] == 0
    assert found[("ibbot_governor_queue_depth", (("priority", "order"),))] == 2
    assert found[("ibbot_messages_sent_total", ())] == 40 and found[("ibbot_messages_per_second", ())] == 3.5
    assert found[("ibbot_pacing_violations_total", ())] == 1
    assert found[("ibbot_market_data_lines", (("kind", "market data"),))] == 7
    assert found[("ibbot_market_data_line_budget", ())] == 100
    assert found[("ibbot_fills_total", ())] == 9 and found[("ibbot_rejects_total", ())] == 2
    assert found[("ibbot_orders", (("status", "filled"),))] == 5 and found[("ibbot_orders", (("status", "new"),))] == 0
    assert found[("ibbot_pnl", (("kind", "realized"),))] == -2.5 and found[("ibbot_equity", ())] == 1.5
    assert found[("ibbot_risk_mode", (("mode", "monitor_only"),))] == 1
    assert found[("ibbot_reconciliation_discrepancies", ())] == 2
    assert found[("ibbot_order_roundtrip_seconds_count", ())] == 3
    assert found[("ibbot_order_roundtrip_seconds_bucket", (("le", "0.005"),))] == 1
    assert found[("ibbot_order_roundtrip_seconds_bucket", (("le", "0.25"),))] == 2
    assert found[("ibbot_order_roundtrip_seconds_bucket", (("le", "+Inf"),))] == 3
    assert abs(found[("ibbot_order_roundtrip_seconds_sum", ())] - 30.204) < 1e-9


def test_two_apps_do_not_share_a_registry() -> None:
    first = exposition(Snapshot(time=NOW, counters=Counters(fills=1)))
    second = exposition(Snapshot(time=NOW, counters=Counters(fills=2)))
    assert first[("ibbot_fills_total", ())] == 1 and second[("ibbot_fills_total", ())] == 2
