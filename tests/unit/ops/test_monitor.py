"""The monitor's own state, fed event by event: the event log (routine notices left out), fills and their
commissions, the order round trip, refusals, the equity series and its change notifications."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ibbot.clock import ManualClock
from ibbot.connection.continuity import ReconnectClass, ResyncReport
from ibbot.connection.health import Health, HealthSnapshot, Phase
from ibbot.connection.supervisor import HealthChanged, Resynced
from ibbot.model import AccountValue, Fill, Instrument, Notice, Order, OrderRequest, OrderStatus, Side
from ibbot.ops import Monitor
from ibbot.ops.decisions import CommissionRecorded, OrderRecorded, ReconciliationRecorded, RiskChecked
from ibbot.risk import Mode
from ibbot.risk.checks import Refusal
from ibbot.risk.gate import Verdict

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
AAPL = Instrument.stock("AAPL")
REQUEST = OrderRequest(instrument=AAPL, side=Side.BUY, quantity=Decimal(5), order_ref="ibb-1")


def monitor() -> tuple[Monitor, ManualClock, list[int]]:
    clock = ManualClock(NOW)
    watched = Monitor(clock, label="sim")
    pushes: list[int] = []
    watched.subscribe(lambda: pushes.append(1))
    return watched, clock, pushes


def test_the_log_shows_health_resyncs_and_notices_but_not_routine_ones() -> None:
    watched, clock, pushes = monitor()
    down = HealthSnapshot(state=Health.OFFLINE, phase=Phase.LIVE, since=NOW, farms=(), reason="1100",
                          in_reset_window=False, link_lost=True, competing_session=False)  # fmt: skip
    watched.on_event(HealthChanged(snapshot=down))
    watched.on_event(Notice(code=2104, text="Market data farm connection is OK:usfarm", time=NOW))
    watched.on_event(Notice(code=1100, text="Connectivity between IB and TWS has been lost.", time=NOW))
    report = ResyncReport(reconnect=ReconnectClass.SOCKET, started=NOW, finished=NOW, fills_recovered=2)
    watched.on_event(Resynced(report=report))
    log = watched.snapshot().log
    assert [(e.kind, e.level) for e in log] == [("resync", "notice"), ("notice", "warning"), ("health", "error")]
    assert "2 fills recovered" in log[0].text and log[2].text == "connection offline: 1100"
    assert [e.seq for e in log] == [3, 2, 1] and len(pushes) == 3
    assert watched.snapshot().counters.resyncs == 1 and watched.snapshot().read_only


def test_fills_their_commissions_and_the_round_trip() -> None:
    watched, clock, _ = monitor()
    order = Order(request=REQUEST, status=OrderStatus.SUBMITTED, created=NOW, updated=NOW)
    watched.on_order(order)  # our own record as it left: not IB's answer
    clock.advance(0.03)
    watched.on_order(Order(request=REQUEST, status=OrderStatus.WORKING, created=NOW, updated=clock.now()))
    watched.on_order(Order(request=REQUEST, status=OrderStatus.FILLED, created=NOW, updated=clock.now()))
    roundtrip = watched.snapshot().counters.roundtrip
    assert roundtrip.count == 1 and abs(roundtrip.total - 0.03) < 1e-9
    assert roundtrip.counts[roundtrip.bounds.index(0.05)] == 1 and roundtrip.counts[0] == 0
    fill = Fill(exec_id="e1", instrument=AAPL, side=Side.BUY, quantity=Decimal("5.0"), price=Decimal(190),
                time=NOW, order_ref="ibb-1")  # fmt: skip
    watched.on_fill(fill)
    watched.on_event(CommissionRecorded(exec_id="e1", commission=Decimal("1.25"), currency="USD", new=True))
    snapshot = watched.snapshot()
    assert snapshot.counters.fills == 1 and snapshot.fills[0].commission == Decimal("1.25")
    assert snapshot.log[0].text == "filled BUY 5 AAPL @ 190 (ibb-1)"


def test_orders_refusals_and_verdicts_in_the_log() -> None:
    watched, _, _ = monitor()
    sent = Order(request=REQUEST, status=OrderStatus.SUBMITTED, created=NOW, updated=NOW)
    watched.on_event(OrderRecorded(order=sent))
    watched.on_event(OrderRecorded(order=sent, ib_status="PendingSubmit"))  # IB's echo: not a second "sent"
    rejected = Order(request=REQUEST, status=OrderStatus.CANCELLED, created=NOW, updated=NOW, reason="201 no margin")
    watched.on_event(OrderRecorded(order=rejected, ib_status="Cancelled"))
    verdict = Verdict(time=NOW, mode=Mode.HALTED, refusals=(Refusal(check="mode", reason="trading is halted"),))
    watched.on_event(RiskChecked(request=REQUEST, verdict=verdict))
    watched.on_event(ReconciliationRecorded(run_id=1, verdict="MONITOR_ONLY", reasons=("AAPL differs",), time=NOW))
    texts = [e.text for e in reversed(watched.snapshot().log)]
    assert texts == ["ibb-1 sent: BUY 5 AAPL MKT", "ibb-1 rejected (201 no margin)",
                     "refused by mode: trading is halted", "reconciliation MONITOR_ONLY: AAPL differs"]  # fmt: skip
    assert watched.snapshot().counters.risk_refusals == 1


def test_equity_is_sampled_and_restarts_on_ibs_net_liquidation() -> None:
    watched, clock, _ = monitor()
    watched.sample()
    clock.advance(5)
    watched.sample()
    assert [p.value for p in watched.snapshot().equity] == [0, 0]
    assert watched.snapshot().equity_label == "PnL (own fills)"
    watched.on_event(AccountValue(account="DU1", tag="NetLiquidation", value="100000.50", currency="USD"))
    watched.sample()
    snapshot = watched.snapshot()
    assert [p.value for p in snapshot.equity] == [Decimal("100000.50")]  # a new scale: the series restarts
    assert snapshot.pnl.equity == Decimal("100000.50") and snapshot.equity_label.startswith("IB net liq")
