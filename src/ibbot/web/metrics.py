"""`/metrics` in Prometheus' text format: the one module that imports prometheus_client.

The metrics are read from a `Snapshot` at scrape time by a custom collector in a registry of the app's own
(no global state, nothing recorded twice): the snapshot already holds every count, so the collector only
names them. Counters are totals since the bot's journal began (fills) or since the process started (the
governor's); gauges are the present state; the order round trip is a histogram the monitor keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from ibbot.ops.snapshot import Snapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HEALTH_STATES = ("disconnected", "connecting", "syncing", "ready", "degraded", "offline", "resetting", "halted",
                 "stopped", "unknown")  # fmt: skip
RISK_MODES = ("normal", "reduce_only", "monitor_only", "halted")
VERDICTS = ("SAFE", "MONITOR_ONLY", "HALT")
ORDER_STATUSES = ("new", "submitted", "working", "partially_filled", "pending_cancel", "filled", "cancelled",
                  "rejected")  # fmt: skip


def _enum(name: str, doc: str, label: str, values: tuple[str, ...], current: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for value in values:
        family.add_metric([value], 1.0 if value == current else 0.0)
    return family


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def families(snapshot: Snapshot) -> Iterator[Metric]:
    """Every metric of one snapshot."""
    health, governor, counters, pnl = snapshot.health, snapshot.governor, snapshot.counters, snapshot.pnl
    yield _enum("ibbot_connection_state", "The connection's health state (1 for the current one)", "state",
                HEALTH_STATES, health.state)  # fmt: skip
    yield _gauge("ibbot_ready", "1 when connected, farms up and the last reconciliation SAFE", float(snapshot.ready))
    farms = GaugeMetricFamily("ibbot_farm_up", "1 when the data farm is up (or inactive: on demand)",
                              labels=["farm", "kind", "status"])  # fmt: skip
    for farm in health.farms:
        farms.add_metric([farm.name, farm.kind, farm.status], float(farm.ok))
    yield farms
    yield _counter("ibbot_messages_sent", "Messages the governor let out to IB", governor.messages_sent)
    yield _gauge("ibbot_messages_per_second", "Messages sent per second over the last sample",
                 governor.messages_per_second)  # fmt: skip
    queue = GaugeMetricFamily("ibbot_governor_queue_depth", "Requests waiting for message-rate tokens",
                              labels=["priority"])  # fmt: skip
    for priority, depth in sorted(governor.queued.items()):
        queue.add_metric([priority], depth)
    yield queue
    yield _gauge("ibbot_governor_historical_waiting", "Historical requests waiting for pacing or a slot",
                 governor.historical_waiting)  # fmt: skip
    yield _gauge("ibbot_governor_historical_open", "Historical requests open at IB", governor.historical_open)
    yield _counter("ibbot_governor_waits", "Admissions that had to wait for tokens", governor.waits)
    yield _counter("ibbot_governor_wait_seconds", "Seconds spent waiting for tokens", governor.wait_seconds)
    yield _gauge("ibbot_governor_wait_max_seconds", "The longest wait for tokens", governor.wait_max)
    yield _counter("ibbot_pacing_delays", "Historical requests held back by pacing rules", governor.pacing_delays)
    yield _counter("ibbot_pacing_violations", "162 pacing violations IB answered (retried)", governor.pacing_violations)
    yield _counter("ibbot_request_timeouts", "Requests that got no answer in time", governor.timeouts)
    yield _counter("ibbot_market_data_refusals", "Subscriptions refused by the line budget", governor.line_refusals)
    lines = GaugeMetricFamily("ibbot_market_data_lines", "Subscriptions holding a line, by kind", labels=["kind"])
    for kind, used in sorted(governor.lines.items()):
        lines.add_metric([kind], used)
    yield lines
    if governor.line_budget is not None:
        yield _gauge("ibbot_market_data_line_budget", "Market-data lines allowed", governor.line_budget)
    roundtrip = counters.roundtrip
    buckets = [(str(bound), float(n)) for bound, n in zip(roundtrip.bounds, roundtrip.counts, strict=False)]
    buckets.append(("+Inf", float(roundtrip.count)))
    yield HistogramMetricFamily("ibbot_order_roundtrip_seconds", "From the intent written to IB's first answer",
                                buckets=buckets, sum_value=roundtrip.total)  # fmt: skip
    orders = GaugeMetricFamily("ibbot_orders", "Orders in the journal by status", labels=["status"])
    for status in ORDER_STATUSES:
        orders.add_metric([status], counters.orders_by_status.get(status, 0))
    yield orders
    yield _gauge("ibbot_working_orders", "Orders not over yet", len(snapshot.working))
    yield _counter("ibbot_fills", "Fills in the journal", counters.fills)
    yield _counter("ibbot_rejects", "Orders rejected (by IB or before they left)", counters.rejects)
    yield _counter("ibbot_risk_refusals", "Orders the risk gate refused since the start", counters.risk_refusals)
    yield _counter("ibbot_resyncs", "Resyncs after a reconnect since the start", counters.resyncs)
    pnl_family = GaugeMetricFamily("ibbot_pnl", "Profit and loss from the bot's own fills", labels=["kind"])
    for kind, value in (("realized", pnl.realized), ("unrealized", pnl.unrealized), ("daily", pnl.daily)):
        pnl_family.add_metric([kind], float(value))
    yield pnl_family
    equity = pnl.equity if pnl.equity is not None else pnl.total
    yield _gauge("ibbot_equity", f"Equity: {snapshot.equity_label}", float(equity))
    yield _gauge("ibbot_positions", "Instruments held", len(snapshot.positions))
    verdict = snapshot.verdict
    yield _enum("ibbot_reconciliation_verdict", "The last reconciliation's verdict (1 for it)", "verdict", VERDICTS,
                verdict.verdict)  # fmt: skip
    yield _gauge("ibbot_reconciliation_discrepancies", "Positions the last reconciliation found different",
                 verdict.discrepancies)  # fmt: skip
    yield _enum("ibbot_risk_mode", "The risk gate's effective mode (1 for it)", "mode", RISK_MODES, snapshot.risk.mode)


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        yield from families(self._snapshot())


class Metrics:
    """`render()` returns the exposition text of the snapshot `snapshot()` gives at that moment."""

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(_SnapshotCollector(snapshot))

    def render(self) -> bytes:
        return generate_latest(self._registry)
