"""The gate: checks in their fixed order, every reason reported, modes, cancels, the daily-loss trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from ibbot.errors import RiskRefusedError
from ibbot.model import PnL
from ibbot.risk import CHECKS, Mode, RiskContext, RiskGate, RiskLimits, RiskState
from unit.risk.support import NOW, OFF, buy, context, d, limit, position, quote, sell


def test_the_table_names_each_check_once_in_the_documented_order() -> None:
    names = [name for name, _ in CHECKS]
    assert names[:2] == ["mode", "daily_loss"] and names[-1] == "order_rate"
    assert len(set(names)) == len(names)
    for name, run in CHECKS:
        assert run.__name__ == f"check_{name}"


def test_an_order_inside_every_default_limit_passes() -> None:
    gate = RiskGate(RiskLimits())
    verdict = gate.check(limit(buy(10, strategy="s1", order_ref="r1"), 100), context(quotes=(quote(),)))
    assert verdict.allowed and verdict.refusals == () and verdict.reason == "" and verdict.events == ()
    verdict.raise_if_refused()  # does not raise


def test_every_refusal_is_reported_and_the_first_is_decisive() -> None:
    limits = replace(OFF, max_order_quantity=d(10), max_order_notional=d(100))
    request = limit(buy(11, strategy="momentum", order_ref="ib-7"), 100)
    verdict = RiskGate(limits).check(request, context())
    assert not verdict.allowed
    assert [r.check for r in verdict.refusals] == ["order_quantity", "order_notional"]
    assert verdict.check == "order_quantity" and verdict.reason == "order quantity 11 exceeds max_order_quantity 10"
    events = verdict.events
    assert [(e.check, e.order_ref, e.strategy, e.mode, e.time) for e in events] == [
        ("order_quantity", "ib-7", "momentum", Mode.NORMAL, NOW),
        ("order_notional", "ib-7", "momentum", Mode.NORMAL, NOW),
    ]
    with pytest.raises(RiskRefusedError) as raised:
        verdict.raise_if_refused()
    assert (raised.value.check, raised.value.reason) == ("order_quantity", verdict.reason)


def test_halted_refuses_everything_even_a_reduction_but_never_a_cancel() -> None:
    gate = RiskGate(OFF)
    halted = context(mode=Mode.HALTED, positions=(position(100),))
    for request in (buy(1), sell(100)):
        verdict = gate.check(request, halted)
        assert verdict.check == "mode" and "halted" in verdict.reason
    cancel = gate.check_cancel("ib-1", halted)
    assert cancel.allowed and cancel.order_ref == "ib-1" and cancel.mode is Mode.HALTED


def test_monitor_only_refuses_new_orders_until_acknowledged() -> None:
    gate = RiskGate(OFF)
    state = RiskState().monitor_only("orders differ from the journal", "reconcile", NOW)
    refused = gate.check(sell(1), context(mode=state.effective, positions=(position(100),)))
    assert refused.check == "mode" and "until the reconciliation is acknowledged" in refused.reason
    assert gate.check_cancel("ib-2", context(mode=state.effective)).allowed
    state = state.acknowledge("alice", NOW + timedelta(minutes=1))
    assert gate.check(buy(1), context(mode=state.effective)).allowed


def test_reduce_only_passes_reductions_and_refuses_increases_and_flips() -> None:
    gate = RiskGate(OFF)
    reducing = context(mode=Mode.REDUCE_ONLY, positions=(position(-50),))
    assert gate.check(buy(50), reducing).allowed
    flip = gate.check(buy(51), reducing)
    assert flip.check == "mode"
    assert flip.reason == "reduce-only: BUY 51 AAPL would not reduce the position -50"


def test_the_daily_loss_trip_switches_to_reduce_only_and_resets_the_next_day() -> None:
    gate = RiskGate(replace(OFF, daily_loss_limit=d(1000)))
    state = RiskState()
    state, event = gate.assess(state, PnL(daily=d(-1000)), NOW)
    assert event is None and state.effective is Mode.NORMAL  # at the limit: still normal
    state, event = gate.assess(state, PnL(daily=d("-1000.5")), NOW)
    assert event is not None and event.check == "daily_loss" and event.mode is Mode.REDUCE_ONLY
    assert (
        event.reason == "daily loss 1,000.5 USD exceeds daily_loss_limit 1,000: reduce-only until the next trading day"
    )
    assert gate.assess(state, PnL(daily=d(-5000)), NOW) == (state, None)  # trips once

    # The loss recovers intraday, but the trip holds: only reductions pass until the next day.
    def held(mode: Mode) -> RiskContext:
        return context(mode=mode, positions=(position(10),), daily=0)

    assert gate.check(buy(1), held(state.effective)).check == "mode"
    assert gate.check(sell(10), held(state.effective)).allowed

    state = state.new_trading_day(NOW + timedelta(days=1))
    assert gate.check(buy(1), held(state.effective)).allowed


def test_the_daily_loss_check_refuses_even_before_the_state_is_assessed() -> None:
    gate = RiskGate(replace(OFF, daily_loss_limit=d(1000)))
    verdict = gate.check(buy(1), context(daily=-1001))
    assert verdict.check == "daily_loss"


def test_assess_with_the_limit_off_never_trips() -> None:
    assert RiskGate(OFF).assess(RiskState(), PnL(daily=d(-(10**9))), NOW) == (RiskState(), None)


def test_a_custom_table_runs_only_its_checks() -> None:
    only_mode = tuple((name, run) for name, run in CHECKS if name == "mode")
    gate = RiskGate(replace(OFF, max_order_quantity=d(1)), checks=only_mode)
    assert gate.check(buy(5), context()).allowed


def test_a_check_whose_limit_is_off_is_not_run_and_a_new_limits_rebuilds_the_list() -> None:
    from ibbot.risk import checks as risk_checks

    gate = RiskGate(RiskLimits(max_order_quantity=None, allow_outside_hours=True))
    active = gate.active()
    assert risk_checks.check_order_quantity not in active and risk_checks.check_trading_hours not in active
    assert risk_checks.check_mode in active and risk_checks.check_asset_class in active
    assert len(active) == len(CHECKS) - 2
    gate.limits = RiskLimits(max_order_quantity=d(1), allow_outside_hours=True)
    assert risk_checks.check_order_quantity in gate.active()
