"""Continuity: what each class of reconnect redoes, from the subscription registry and the last-seen marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ibbot.connection.continuity import (
    Backfill,
    LastSeen,
    ReconnectClass,
    ResyncReport,
    Subscription,
    SubscriptionKind,
    SubscriptionRegistry,
    plan_resync,
)

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
K = SubscriptionKind
QUOTES = Subscription(kind=K.QUOTES, instrument="STK:AAPL")
BARS = Subscription(kind=K.BARS, instrument="STK:AAPL", params=(("size", "1 min"),))
RT_BARS = Subscription(kind=K.REALTIME_BARS, instrument="FUT:ES")
HISTORY = Subscription(kind=K.KEEP_UP_TO_DATE_HISTORY, instrument="CASH:EURUSD", params=(("size", "5 mins"),))
TICKS = Subscription(kind=K.TICKS, instrument="STK:MSFT")
DEPTH = Subscription(kind=K.DEPTH, instrument="STK:MSFT", params=(("rows", "5"),))
ALL = (QUOTES, BARS, RT_BARS, HISTORY, TICKS, DEPTH)
SEEN = LastSeen(bars={BARS: T0 - timedelta(minutes=3), HISTORY: T0 - timedelta(minutes=10)}, execution=T0)


def test_1102_resubscribes_nothing_but_backfills_the_silent_bar_series() -> None:
    plan = plan_resync(ReconnectClass.DATA_KEPT, ALL, SEEN)
    assert plan.resubscribe == ()
    assert {b.series for b in plan.backfill} == {BARS, RT_BARS, HISTORY}
    assert plan.refresh_orders and plan.refresh_positions
    assert plan.recover_executions and plan.recover_executions_since == T0
    assert not plan.reconcile_positions


def test_1102_without_bar_series_verifies_only() -> None:
    plan = plan_resync(ReconnectClass.DATA_KEPT, (QUOTES, TICKS, DEPTH), SEEN)
    assert plan.verify_only


def test_data_resumed_on_the_same_session_touches_no_order_state() -> None:
    plan = plan_resync(ReconnectClass.DATA_RESUMED, (HISTORY, QUOTES), SEEN)
    assert plan.resubscribe == tuple(SubscriptionRegistry((HISTORY, QUOTES)))
    assert plan.backfill == (Backfill(series=HISTORY, since=T0 - timedelta(minutes=10)),)
    assert not (plan.recover_executions or plan.refresh_orders or plan.refresh_positions or plan.refresh_account)


@pytest.mark.parametrize("reconnect", [ReconnectClass.DATA_LOST, ReconnectClass.SOCKET, ReconnectClass.RESTART])
def test_lost_data_resubscribes_everything_and_backfills_bars_from_the_last_seen(reconnect: ReconnectClass) -> None:
    plan = plan_resync(reconnect, reversed(ALL), SEEN)
    assert set(plan.resubscribe) == set(ALL)
    assert plan.resubscribe == tuple(SubscriptionRegistry(ALL))  # a stable order, whatever the input order
    assert set(plan.backfill) == {
        Backfill(series=BARS, since=T0 - timedelta(minutes=3)),
        Backfill(series=HISTORY, since=T0 - timedelta(minutes=10)),
        Backfill(series=RT_BARS, since=None),  # never saw a bar: the series' own lookback
    }
    assert plan.recover_executions_since == T0
    assert plan.refresh_orders and plan.refresh_positions and plan.refresh_account
    assert plan.unfilled_gaps == (TICKS,)
    assert not plan.verify_only
    assert plan.reconcile_positions is (reconnect is ReconnectClass.RESTART)


def test_no_subscriptions_and_no_marks_still_refresh_the_account_state() -> None:
    plan = plan_resync(ReconnectClass.SOCKET, (), LastSeen())
    assert plan.resubscribe == () and plan.backfill == ()
    assert plan.recover_executions and plan.recover_executions_since is None  # the whole day TWS reports
    assert plan.refresh_orders and plan.refresh_positions and plan.refresh_account


def test_the_registry_adds_removes_and_refuses_an_unknown_removal() -> None:
    registry = SubscriptionRegistry()
    registry.add(BARS)
    registry.add(Subscription(kind=K.BARS, instrument="STK:AAPL", params=(("size", "1 min"),)))  # the same one
    registry.add(QUOTES)
    assert len(registry) == 2 and BARS in registry
    registry.remove(BARS)
    assert list(registry) == [QUOTES]
    with pytest.raises(KeyError):
        registry.remove(BARS)


def test_params_are_kept_sorted_so_equal_subscriptions_compare_equal() -> None:
    one = Subscription(kind=K.DEPTH, instrument="X", params=(("rows", "5"), ("exchange", "ARCA")))
    two = Subscription(kind=K.DEPTH, instrument="X", params=(("exchange", "ARCA"), ("rows", "5")))
    assert one == two and hash(one) == hash(two)


def test_a_report_knows_its_duration_and_totals() -> None:
    report = ResyncReport(
        reconnect=ReconnectClass.DATA_LOST, started=T0, finished=T0 + timedelta(seconds=4),
        resubscribed=(BARS, QUOTES), bars_backfilled=((BARS, 3), (HISTORY, 2)), fills_recovered=1,
    )  # fmt: skip
    assert report.duration == timedelta(seconds=4)
    assert report.total_bars == 5
    with pytest.raises(ValueError, match="before it started"):
        ResyncReport(reconnect=ReconnectClass.SOCKET, started=T0, finished=T0 - timedelta(seconds=1))
