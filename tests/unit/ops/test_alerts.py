"""What the alerts send, and when: fills, rejects once, refusals without floods, halts, verdicts, a long
disconnect (counted from the end of a reset window), the Sunday re-login, the daily summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from ibbot.connection.health import Health, HealthSnapshot, Phase
from ibbot.connection.resets import auto_restart
from ibbot.connection.supervisor import HealthChanged
from ibbot.model import Fill, Instrument, Order, OrderRequest, OrderStatus, Side
from ibbot.notify import NotifySettings, Severity
from ibbot.ops import Alerts
from ibbot.ops.decisions import OrderRecorded, ReconciliationRecorded, RiskChecked, RiskStateSaved
from ibbot.ops.snapshot import PnLView, Snapshot
from ibbot.risk import Mode, RiskState
from ibbot.risk.checks import Refusal
from ibbot.risk.gate import Verdict

AAPL = Instrument.stock("AAPL")
WED = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # 10:00 in New York
SETTINGS = NotifySettings(disconnect_after=60, daily_summary=time(16, 30))


def health(state: Health, at: datetime, reason: str = "") -> HealthChanged:
    phase = Phase.LIVE if state is Health.READY else Phase.DISCONNECTED
    snapshot = HealthSnapshot(state=state, phase=phase, since=at, farms=(), reason=reason, in_reset_window=False,
                              link_lost=False, competing_session=False)  # fmt: skip
    return HealthChanged(snapshot=snapshot)


def request(quantity: int = 10) -> OrderRequest:
    return OrderRequest(instrument=AAPL, side=Side.BUY, quantity=Decimal(quantity), strategy="s1", order_ref="ibb-1")


def refusal(at: datetime, check: str = "order_quantity") -> RiskChecked:
    verdict = Verdict(time=at, mode=Mode.NORMAL, order_ref="ibb-1", strategy="s1",
                      refusals=(Refusal(check=check, reason="quantity 500 exceeds 100"),))  # fmt: skip
    return RiskChecked(request=request(500), verdict=verdict)


def test_a_fill_is_sent_with_its_ids() -> None:
    alerts = Alerts(SETTINGS, WED)
    fill = Fill(exec_id="e1", instrument=AAPL, side=Side.SELL, quantity=Decimal("30.0"), price=Decimal("190.25"),
                time=WED, order_ref="ibb-1")  # fmt: skip
    (note,) = alerts.on_fill(fill, WED)
    assert note.kind == "fill" and note.title == "Filled SELL 30 AAPL @ 190.25"
    assert note.fields == {"exec_id": "e1", "order": "ibb-1"} and note.severity is Severity.INFO


def test_a_reject_is_sent_once_per_order_201_cancellations_included() -> None:
    alerts = Alerts(SETTINGS, WED)
    cancelled = Order(request=request(), status=OrderStatus.CANCELLED, created=WED, updated=WED,
                      reason="201 Order rejected - reason: margin")  # fmt: skip
    (note,) = alerts.on_event(OrderRecorded(order=cancelled, ib_status="Cancelled"), WED)
    assert note.kind == "reject" and "margin" in note.text
    assert alerts.on_event(OrderRecorded(order=cancelled), WED) == []
    plain = Order(request=replace(request(), order_ref="ibb-2"), status=OrderStatus.CANCELLED, created=WED, updated=WED)
    assert alerts.on_event(OrderRecorded(order=plain), WED) == []  # a cancel is not a reject


def test_the_same_refusal_within_five_minutes_is_counted_not_resent() -> None:
    alerts = Alerts(SETTINGS, WED)
    (first,) = alerts.on_event(refusal(WED), WED)
    assert first.kind == "risk_refusal" and first.fields["check"] == "order_quantity"
    for minute in (1, 2, 3):
        assert alerts.on_event(refusal(WED), WED + timedelta(minutes=minute)) == []
    assert alerts.on_event(refusal(WED, "mode"), WED + timedelta(minutes=3)) != []  # another check: sent
    (later,) = alerts.on_event(refusal(WED), WED + timedelta(minutes=6))
    assert "3 more refused by order_quantity" in later.text


def test_a_halt_and_its_resume_are_sent_with_who() -> None:
    alerts = Alerts(SETTINGS, WED)
    halted = RiskState().halt("operator halt", "web:ann@127.0.0.1", WED)
    (note,) = alerts.on_event(RiskStateSaved(state=halted), WED)
    assert note.title == "Trading HALTED" and note.severity is Severity.CRITICAL
    assert note.fields == {"by": "web:ann@127.0.0.1"} and note.text == "operator halt"
    assert alerts.on_event(RiskStateSaved(state=halted), WED) == []  # saved again: not news
    (resumed,) = alerts.on_event(RiskStateSaved(state=halted.resume("bob", WED)), WED)
    assert resumed.title == "Trading resumed" and "bob" in resumed.text


def test_a_verdict_other_than_safe_is_sent_once() -> None:
    alerts = Alerts(SETTINGS, WED)
    assert alerts.on_event(ReconciliationRecorded(run_id=1, verdict="SAFE", reasons=(), time=WED), WED) == []
    monitor = ReconciliationRecorded(run_id=2, verdict="MONITOR_ONLY", reasons=("AAPL: ours 0, IB's 5",), time=WED)
    (note,) = alerts.on_event(monitor, WED)
    assert note.severity is Severity.WARNING and "AAPL: ours 0, IB's 5" in note.text and "acknowledge" in note.text
    assert alerts.on_event(ReconciliationRecorded(run_id=3, verdict="MONITOR_ONLY", reasons=monitor.reasons,
                                                  time=WED), WED) == []  # fmt: skip
    (halt,) = alerts.on_event(ReconciliationRecorded(run_id=4, verdict="HALT", reasons=("x",), time=WED), WED)
    assert halt.severity is Severity.CRITICAL


def test_a_disconnect_is_sent_after_the_configured_time_and_the_reconnect_after_it() -> None:
    alerts = Alerts(SETTINGS, WED)
    alerts.on_event(health(Health.DISCONNECTED, WED, "socket closed"), WED)
    assert alerts.tick(WED + timedelta(seconds=59)) == []
    (down,) = alerts.tick(WED + timedelta(seconds=61))
    assert down.title == "Disconnected" and "socket closed" in down.text and down.severity is Severity.CRITICAL
    assert alerts.tick(WED + timedelta(seconds=90)) == []  # once
    (back,) = alerts.on_event(health(Health.READY, WED + timedelta(seconds=95)), WED + timedelta(seconds=95))
    assert back.title == "Reconnected" and "1 min 35 s" in back.text


def test_a_short_disconnect_is_not_sent_at_all() -> None:
    alerts = Alerts(SETTINGS, WED)
    alerts.on_event(health(Health.DISCONNECTED, WED), WED)
    assert alerts.tick(WED + timedelta(seconds=30)) == []
    assert alerts.on_event(health(Health.READY, WED + timedelta(seconds=31)), WED) == []


def test_inside_a_reset_window_the_clock_starts_at_its_end() -> None:
    restart = auto_restart(time(23, 45), "America/New_York", minutes=10)
    alerts = Alerts(SETTINGS, WED, reset_windows=(restart,))
    start = datetime(2026, 11, 19, 4, 46, tzinfo=UTC)  # 23:46 New York, Wednesday night
    alerts.on_event(health(Health.RESETTING, start), start)
    assert alerts.tick(start + timedelta(minutes=9)) == []  # inside the window
    assert alerts.tick(start + timedelta(minutes=9, seconds=50)) == []  # window over 23:55, 60 s not yet
    (note,) = alerts.tick(start + timedelta(minutes=10, seconds=5))
    assert note.title == "Disconnected"


def test_still_down_after_the_first_restart_past_sunday_says_a_login_is_needed() -> None:
    restart = auto_restart(time(23, 45), "America/New_York", minutes=10)
    sunday = datetime(2026, 11, 23, 4, 46, tzinfo=UTC)  # 23:46 Sunday in New York
    alerts = Alerts(SETTINGS, sunday - timedelta(hours=1), reset_windows=(restart,))
    alerts.on_event(health(Health.RESETTING, sunday), sunday)
    assert alerts.tick(sunday + timedelta(minutes=5)) == []  # the restart may still come back
    (login,) = alerts.tick(sunday + timedelta(minutes=9, seconds=1))  # the window is over at 23:55
    assert login.title == "IB Gateway re-login needed" and "2FA" in login.text and login.severity is Severity.CRITICAL
    assert [n.title for n in alerts.tick(sunday + timedelta(minutes=11))] == ["Disconnected"]


def test_the_daily_summary_goes_once_a_day_at_its_time() -> None:
    alerts = Alerts(SETTINGS, WED)  # 10:00 New York: today's summary is still to come
    snapshot = Snapshot(time=WED, label="sim", pnl=PnLView(realized=Decimal("12.5"), daily=Decimal(3)))
    alerts.on_fill(Fill(exec_id="e", instrument=AAPL, side=Side.BUY, quantity=Decimal(1), price=Decimal(1), time=WED),
                   WED)  # fmt: skip
    assert alerts.tick(WED + timedelta(hours=6), snapshot) == []  # 16:00
    (summary,) = alerts.tick(WED + timedelta(hours=6, minutes=31), snapshot)
    assert summary.kind == "daily_summary" and summary.title == "Daily summary 2026-11-18 (sim)"
    assert summary.fields["fills"] == "1" and summary.fields["realized"] == "12.50"
    assert alerts.tick(WED + timedelta(hours=7), snapshot) == []
    (tomorrow,) = alerts.tick(WED + timedelta(days=1, hours=6, minutes=31), snapshot)
    assert tomorrow.fields["fills"] == "0"


def test_a_start_after_the_summary_time_waits_for_tomorrow_and_events_can_be_turned_off() -> None:
    late = WED + timedelta(hours=8)  # 18:00 New York
    assert Alerts(SETTINGS, late).tick(late, Snapshot(time=late)) == []
    quiet = Alerts(NotifySettings(events=frozenset({"halt"})), WED)
    fill = Fill(exec_id="e", instrument=AAPL, side=Side.BUY, quantity=Decimal(1), price=Decimal(1), time=WED)
    assert quiet.on_fill(fill, WED) == [] and quiet.on_event(refusal(WED), WED) == []
    assert quiet.on_event(RiskStateSaved(state=RiskState().halt("x", "y", WED)), WED) != []
