"""The connection's health: every phase transition, forbidden ones raise, the derived state and the farm table."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from ibbot.connection.codes import TABLE, Action
from ibbot.connection.health import (
    TRANSITIONS,
    FarmKind,
    FarmReport,
    FarmStatus,
    Health,
    HealthMachine,
    Phase,
    Trigger,
    farm_report,
)
from ibbot.errors import HealthTransitionError
from ibbot.sim import errors as sim_errors

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
T = Trigger

# The table as a reader should see it: every allowed (phase, trigger) and where it goes.
EXPECTED = {
    (Phase.DISCONNECTED, T.CONNECT_STARTED): Phase.CONNECTING,
    (Phase.CONNECTING, T.CONNECTED): Phase.SYNCING,
    (Phase.CONNECTING, T.CONNECT_FAILED): Phase.DISCONNECTED,
    (Phase.CONNECTING, T.SOCKET_LOST): Phase.DISCONNECTED,
    (Phase.SYNCING, T.SYNCED): Phase.LIVE,
    (Phase.SYNCING, T.CONNECT_FAILED): Phase.DISCONNECTED,
    (Phase.SYNCING, T.SOCKET_LOST): Phase.DISCONNECTED,
    (Phase.LIVE, T.SOCKET_LOST): Phase.DISCONNECTED,
    (Phase.LIVE, T.RESTORED_DATA_LOST): Phase.SYNCING,
    (Phase.CONNECTING, T.RESTORED_DATA_LOST): Phase.CONNECTING,
    (Phase.SYNCING, T.RESTORED_DATA_LOST): Phase.SYNCING,
    (Phase.HALTED, T.RESUME): Phase.DISCONNECTED,
    (Phase.HALTED, T.SOCKET_LOST): Phase.HALTED,
}
for _phase in (Phase.CONNECTING, Phase.SYNCING, Phase.LIVE):
    for _trigger in (T.CONNECTIVITY_LOST, T.RESTORED_DATA_KEPT, T.FARM_CHANGED, T.COMPETING_SESSION_ON,
                     T.COMPETING_SESSION_OFF):  # fmt: skip
        EXPECTED[(_phase, _trigger)] = _phase
for _phase in (Phase.DISCONNECTED, Phase.CONNECTING, Phase.SYNCING, Phase.LIVE, Phase.HALTED):
    EXPECTED[(_phase, T.RESET_WINDOW_ENTERED)] = _phase
    EXPECTED[(_phase, T.RESET_WINDOW_LEFT)] = _phase
    EXPECTED[(_phase, T.STOP)] = Phase.STOPPED
    if _phase is not Phase.HALTED:
        EXPECTED[(_phase, T.HALT)] = Phase.HALTED

# How to bring a machine into each phase from the start.
PATHS = {
    Phase.DISCONNECTED: (),
    Phase.CONNECTING: (T.CONNECT_STARTED,),
    Phase.SYNCING: (T.CONNECT_STARTED, T.CONNECTED),
    Phase.LIVE: (T.CONNECT_STARTED, T.CONNECTED, T.SYNCED),
    Phase.HALTED: (T.HALT,),
    Phase.STOPPED: (T.STOP,),
}
FARM = FarmReport(name="usfarm", kind=FarmKind.MARKET, status=FarmStatus.UP)


def machine_in(phase: Phase) -> HealthMachine:
    machine = HealthMachine(T0)
    for trigger in PATHS[phase]:
        machine.apply(trigger, T0)
    assert machine.phase is phase
    return machine


def live() -> HealthMachine:
    return machine_in(Phase.LIVE)


def test_the_table_is_exactly_the_documented_one() -> None:
    assert dict(TRANSITIONS) == EXPECTED


@pytest.mark.parametrize(("phase", "trigger"), list(itertools.product(Phase, Trigger)))
def test_every_pair_goes_where_the_table_says_or_raises(phase: Phase, trigger: Trigger) -> None:
    machine = machine_in(phase)
    farm = FARM if trigger is T.FARM_CHANGED else None
    if (phase, trigger) in EXPECTED:
        machine.apply(trigger, T0, farm=farm)
        assert machine.phase is EXPECTED[(phase, trigger)]
    else:
        with pytest.raises(HealthTransitionError, match=trigger.value):
            machine.apply(trigger, T0, farm=farm)
        assert machine.phase is phase  # a refused trigger changes nothing


def test_a_second_reconnect_loop_is_refused() -> None:
    machine = machine_in(Phase.CONNECTING)
    with pytest.raises(HealthTransitionError):
        machine.apply(T.CONNECT_STARTED, T0)


def test_a_farm_report_goes_with_farm_changed_only() -> None:
    with pytest.raises(HealthTransitionError, match="farm report"):
        live().apply(T.FARM_CHANGED, T0)
    with pytest.raises(HealthTransitionError, match="farm report"):
        live().apply(T.COMPETING_SESSION_ON, T0, farm=FARM)


def test_a_session_comes_up_through_connecting_and_syncing_to_ready() -> None:
    machine = HealthMachine(T0)
    assert machine.state is Health.DISCONNECTED
    states = [machine.apply(t, T0 + timedelta(seconds=i)) for i, t in enumerate(PATHS[Phase.LIVE])]
    assert states == [Health.CONNECTING, Health.SYNCING, Health.READY]
    snapshot = machine.snapshot()
    assert snapshot.ready
    assert snapshot.since == T0 + timedelta(seconds=2)


def test_a_needed_farm_down_degrades_and_its_return_restores_ready() -> None:
    machine = live()
    down = farm_report(*sim_errors.FARM_NOTICES["hmds"][0])
    assert machine.apply(T.FARM_CHANGED, T0 + timedelta(seconds=5), farm=down) is Health.DEGRADED
    snapshot = machine.snapshot()
    assert not snapshot.ready
    assert "ushmds (hmds) down" in snapshot.reason
    assert snapshot.farms[0].since == T0 + timedelta(seconds=5)
    up = farm_report(*sim_errors.FARM_NOTICES["hmds"][1])
    assert machine.apply(T.FARM_CHANGED, T0 + timedelta(seconds=9), farm=up) is Health.READY
    assert machine.snapshot().since == T0 + timedelta(seconds=9)


def test_farms_keep_their_own_state_and_time_of_last_change() -> None:
    machine = live()
    for seconds, (code, text) in enumerate(
        [(2104, "Market data farm connection is OK:usfarm"), (2104, "Market data farm connection is OK:eufarm"),
         (2103, "Market data farm connection is broken:eufarm"), (2104, "Market data farm connection is OK:usfarm")]
    ):  # fmt: skip
        report = farm_report(code, text)
        assert report is not None
        machine.apply(T.FARM_CHANGED, T0 + timedelta(seconds=seconds), farm=report)
    farms = {f.name: f for f in machine.snapshot().farms}
    assert farms["usfarm"].status is FarmStatus.UP
    assert farms["usfarm"].since == T0  # a repeated OK is not a change
    assert farms["eufarm"].status is FarmStatus.DOWN
    assert farms["eufarm"].since == T0 + timedelta(seconds=2)
    assert machine.state is Health.DEGRADED  # one market farm down is enough


def test_an_inactive_farm_is_fine_and_a_farm_nobody_needs_does_not_degrade() -> None:
    machine = live()
    inactive = farm_report(2107, "HMDS data farm connection is inactive but should be available upon demand.ushmds")
    assert inactive == FarmReport(name="ushmds", kind=FarmKind.HMDS, status=FarmStatus.INACTIVE)
    assert machine.apply(T.FARM_CHANGED, T0, farm=inactive) is Health.READY
    quotes_only = HealthMachine(T0, needed_farms=frozenset({FarmKind.MARKET}))
    for trigger in PATHS[Phase.LIVE]:
        quotes_only.apply(trigger, T0)
    secdef_down = farm_report(*sim_errors.FARM_NOTICES["secdef"][0])
    assert quotes_only.apply(T.FARM_CHANGED, T0, farm=secdef_down) is Health.READY


def test_farm_reports_read_every_farm_code_and_nothing_else() -> None:
    assert farm_report(2119, "Market data farm is connecting:usfarm") == FarmReport(
        name="usfarm", kind=FarmKind.MARKET, status=FarmStatus.CONNECTING
    )
    assert farm_report(2108, "Market data farm connection is inactive but should be available upon demand.usfarm.nj")
    assert farm_report(2107, "HMDS data farm connection is inactive.") == FarmReport(
        name="hmds", kind=FarmKind.HMDS, status=FarmStatus.INACTIVE
    )
    assert farm_report(1100, "Connectivity between IB and Trader Workstation has been lost.") is None


def test_1100_goes_offline_and_1102_comes_back_ready_1101_resyncs() -> None:
    machine = live()
    assert machine.apply(T.CONNECTIVITY_LOST, T0) is Health.OFFLINE
    assert "1100" in machine.snapshot().reason
    assert machine.apply(T.RESTORED_DATA_KEPT, T0) is Health.READY
    machine.apply(T.CONNECTIVITY_LOST, T0)
    assert machine.apply(T.RESTORED_DATA_LOST, T0) is Health.SYNCING
    assert machine.apply(T.SYNCED, T0) is Health.READY


def test_inside_a_reset_window_trouble_is_resetting_not_an_alarm() -> None:
    machine = live()
    machine.apply(T.RESET_WINDOW_ENTERED, T0, reason="IB North America reset")
    assert machine.state is Health.READY  # a window by itself is no trouble
    assert machine.apply(T.CONNECTIVITY_LOST, T0) is Health.RESETTING
    assert machine.apply(T.SOCKET_LOST, T0) is Health.RESETTING
    assert machine.apply(T.CONNECT_STARTED, T0) is Health.RESETTING
    assert machine.apply(T.RESET_WINDOW_LEFT, T0) is Health.CONNECTING
    assert machine.snapshot().reason == ""


def test_a_farm_down_inside_a_window_is_resetting_but_a_competing_session_is_degraded() -> None:
    machine = live()
    machine.apply(T.RESET_WINDOW_ENTERED, T0)
    down = farm_report(*sim_errors.FARM_NOTICES["market"][0])
    assert machine.apply(T.FARM_CHANGED, T0, farm=down) is Health.RESETTING
    other = live()
    other.apply(T.RESET_WINDOW_ENTERED, T0)
    assert other.apply(T.COMPETING_SESSION_ON, T0) is Health.DEGRADED
    assert "10197" in other.snapshot().reason
    assert other.apply(T.COMPETING_SESSION_OFF, T0) is Health.READY


def test_a_lost_socket_forgets_farms_link_and_competing_session() -> None:
    machine = live()
    machine.apply(T.FARM_CHANGED, T0, farm=FarmReport(name="usfarm", kind=FarmKind.MARKET, status=FarmStatus.DOWN))
    machine.apply(T.COMPETING_SESSION_ON, T0)
    machine.apply(T.CONNECTIVITY_LOST, T0)
    assert machine.apply(T.SOCKET_LOST, T0) is Health.DISCONNECTED
    snapshot = machine.snapshot()
    assert snapshot.farms == ()
    assert not snapshot.link_lost
    assert not snapshot.competing_session
    for trigger in PATHS[Phase.LIVE]:
        machine.apply(trigger, T0)
    assert machine.state is Health.READY


def test_halt_keeps_its_reason_until_resumed_and_stop_is_final() -> None:
    machine = machine_in(Phase.CONNECTING)
    assert machine.apply(T.HALT, T0, reason="client ids 7-9 all in use") is Health.HALTED
    assert machine.snapshot().reason == "client ids 7-9 all in use"
    machine.apply(T.RESET_WINDOW_ENTERED, T0)
    assert machine.state is Health.HALTED  # a window never hides a halt
    assert machine.snapshot().reason.endswith("client ids 7-9 all in use")
    assert machine.apply(T.RESUME, T0) is Health.RESETTING
    assert machine.apply(T.STOP, T0) is Health.STOPPED
    with pytest.raises(HealthTransitionError):
        machine.apply(T.CONNECT_STARTED, T0)


def test_the_code_table_and_the_farm_table_agree() -> None:
    farm_actions = {Action.MARK_FARM_DOWN, Action.MARK_FARM_UP, Action.MARK_FARM_INACTIVE, Action.MARK_FARM_CONNECTING}
    for code, record in TABLE.items():
        report = farm_report(code, "Market data farm connection is OK:usfarm")
        assert (report is not None) is (record.action in farm_actions), code
        if report is not None:
            expected = {
                Action.MARK_FARM_DOWN: FarmStatus.DOWN, Action.MARK_FARM_UP: FarmStatus.UP,
                Action.MARK_FARM_INACTIVE: FarmStatus.INACTIVE, Action.MARK_FARM_CONNECTING: FarmStatus.CONNECTING,
            }[record.action]  # fmt: skip
            assert report.status is expected, code
