"""The gate's persistent mode: transitions, the daily-loss trip, and the journal record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ibbot.errors import RiskStateError
from ibbot.risk import Mode, RiskState
from ibbot.risk.state import TRANSITIONS, Action

T0 = datetime(2026, 3, 2, 15, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def test_a_new_state_is_normal() -> None:
    state = RiskState()
    assert state.mode is Mode.NORMAL and state.effective is Mode.NORMAL and not state.daily_loss_tripped


def test_halt_records_why_who_and_when_and_resume_returns_to_normal() -> None:
    halted = RiskState().halt("runaway strategy", "alice", T0)
    assert (halted.mode, halted.reason, halted.who, halted.since) == (Mode.HALTED, "runaway strategy", "alice", T0)
    resumed = halted.resume("bob", T1)
    assert (resumed.mode, resumed.reason, resumed.who, resumed.since) == (Mode.NORMAL, "", "bob", T1)


def test_a_second_halt_keeps_the_first_and_a_halt_absorbs_weaker_modes() -> None:
    halted = RiskState().halt("first", "alice", T0)
    assert halted.halt("second", "bob", T1) == halted
    assert halted.monitor_only("reconciliation mismatch", "reconcile", T1) == halted
    assert halted.reduce_only("manual", "bob", T1) == halted


def test_monitor_only_is_left_only_by_acknowledging() -> None:
    watching = RiskState().monitor_only("2 positions differ", "reconcile", T0)
    assert watching.effective is Mode.MONITOR_ONLY
    with pytest.raises(RiskStateError, match="acknowledging"):
        watching.resume("alice", T1)
    assert watching.acknowledge("alice", T1).mode is Mode.NORMAL
    assert watching.halt("x", "alice", T1).mode is Mode.HALTED


def test_reduce_only_by_hand_until_resumed() -> None:
    reducing = RiskState().reduce_only("end of quarter", "alice", T0)
    assert reducing.effective is Mode.REDUCE_ONLY
    assert reducing.new_trading_day(T1).mode is Mode.REDUCE_ONLY  # a manual mode survives the day
    assert reducing.resume("alice", T1).mode is Mode.NORMAL


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (RiskState(), "resume"),
        (RiskState(), "acknowledge"),
        (RiskState(mode=Mode.HALTED), "acknowledge"),
        (RiskState(mode=Mode.REDUCE_ONLY), "acknowledge"),
    ],
)
def test_transitions_outside_the_table_raise(state: RiskState, action: str) -> None:
    with pytest.raises(RiskStateError, match=f"cannot {action} while {state.mode.value}"):
        getattr(state, action)("alice", T0)


def test_the_table_covers_every_pair_or_refuses_it_on_purpose() -> None:
    from ibbot.risk.state import _REFUSED

    pairs = {(m, a) for m in Mode for a in Action}
    assert pairs == set(TRANSITIONS) | set(_REFUSED)
    assert not set(TRANSITIONS) & set(_REFUSED)


def test_the_daily_loss_trip_turns_normal_into_reduce_only_until_the_next_day() -> None:
    tripped = RiskState().trip_daily_loss("lost 2,500", T0)
    assert tripped.daily_loss_tripped and tripped.mode is Mode.NORMAL and tripped.effective is Mode.REDUCE_ONLY
    assert tripped.trip_daily_loss("lost 3,000", T1) == tripped  # the first trip is kept
    next_day = tripped.new_trading_day(T1 + timedelta(days=1))
    assert next_day.effective is Mode.NORMAL and not next_day.daily_loss_tripped


def test_a_new_day_resets_the_trip_but_not_a_halt() -> None:
    state = RiskState().trip_daily_loss("lost", T0).halt("kill", "alice", T1)
    later = state.new_trading_day(T1 + timedelta(days=1))
    assert later.mode is Mode.HALTED and not later.daily_loss_tripped
    # Resuming a halt on the day it tripped leaves the trip in effect.
    assert state.resume("alice", T1).effective is Mode.REDUCE_ONLY


@pytest.mark.parametrize(
    "state",
    [
        RiskState(),
        RiskState().halt("kill switch: runaway", "alice", T0),
        RiskState().monitor_only("orders differ", "reconcile", T0).trip_daily_loss("lost 2,000.01", T1),
        RiskState().reduce_only("manual, with ünïcode", "bob", T0.astimezone(timezone(timedelta(hours=-5)))),
    ],
)
def test_the_record_round_trips(state: RiskState) -> None:
    record = state.to_record()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in record.items())
    assert RiskState.from_record(record) == state


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mode": "panic"}, "unknown mode 'panic'"),
        ({"since": "yesterday"}, "not an ISO time"),
        ({"since": "2026-03-02T15:00:00"}, "no time zone"),
    ],
)
def test_a_malformed_record_raises(change: dict[str, str], message: str) -> None:
    record = {**RiskState().halt("x", "a", T0).to_record(), **change}
    with pytest.raises(RiskStateError, match=message):
        RiskState.from_record(record)


def test_a_record_missing_fields_raises() -> None:
    with pytest.raises(RiskStateError, match="lacks daily_loss_reason, daily_loss_since"):
        RiskState.from_record({"mode": "halted", "reason": "", "who": "", "since": ""})


def test_naive_times_are_refused() -> None:
    with pytest.raises(RiskStateError, match="timezone-aware"):
        RiskState().halt("x", "a", datetime(2026, 3, 2))
