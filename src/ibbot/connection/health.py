"""The connection's health: a phase transition table, the conditions beside it, and one derived `Health` state.

Theory of operation. The session's lifecycle is a table, `TRANSITIONS[(Phase, Trigger)] -> Phase` (h11's
shape: a pair not in the table raises `HealthTransitionError`, so a second reconnect loop, CONNECT_STARTED while
CONNECTING, is a bug that shows). Beside the phase the machine keeps conditions that do not change the
lifecycle: the farm table (each farm UP / DOWN / INACTIVE / CONNECTING since a time, from 2103-2108, 2119,
2157/2158), TWS's link to IB (lost on 1100, back on 1101/1102), a competing session (10197), and whether now is
inside one of IB's reset windows. The one `Health` shown on a dashboard and `/ready` is derived, in this order:

    STOPPED, HALTED                      as the phase says
    DISCONNECTED, CONNECTING, SYNCING    as the phase says, or RESETTING inside a reset window (no alarm)
    LIVE and TWS lost IB (1100)          OFFLINE, or RESETTING inside a reset window
    LIVE and a needed farm is down       DEGRADED, or RESETTING inside a reset window
    LIVE and a competing session         DEGRADED (not a reset matter)
    LIVE otherwise                       READY

1101 (restored, data lost) sends a LIVE session back to SYNCING: its subscriptions must be made again.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from ibbot.errors import HealthTransitionError


class Phase(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"  # socket, handshake, waiting for nextValidId
    SYNCING = "syncing"  # nextValidId seen; positions, orders, account and subscriptions being fetched
    LIVE = "live"  # synced: requests may go out
    HALTED = "halted"  # needs a human: every client id in use, live guard refusal
    STOPPED = "stopped"  # asked to stop; terminal


class Health(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    SYNCING = "syncing"
    READY = "ready"
    DEGRADED = "degraded"  # connected, but a needed farm is down or a competing session holds the data
    OFFLINE = "offline"  # connected to TWS / Gateway, which has lost IB's servers (1100)
    RESETTING = "resetting"  # not ready, inside a known reset window: waited out without alarms
    HALTED = "halted"
    STOPPED = "stopped"


class Trigger(enum.Enum):
    CONNECT_STARTED = "connect started"
    CONNECT_FAILED = "connect failed"  # refused, timed out, or no nextValidId / sync within its timeout
    CONNECTED = "connected"  # nextValidId arrived
    SYNCED = "synced"
    SOCKET_LOST = "socket lost"
    CONNECTIVITY_LOST = "connectivity lost"  # 1100
    RESTORED_DATA_LOST = "restored, data lost"  # 1101
    RESTORED_DATA_KEPT = "restored, data kept"  # 1102
    FARM_CHANGED = "farm changed"  # with a FarmReport
    COMPETING_SESSION_ON = "competing session on"  # 10197
    COMPETING_SESSION_OFF = "competing session off"  # data flows again
    RESET_WINDOW_ENTERED = "reset window entered"
    RESET_WINDOW_LEFT = "reset window left"
    HALT = "halt"
    RESUME = "resume"  # a human fixed what halted the session
    STOP = "stop"


def _rows() -> dict[tuple[Phase, Trigger], Phase]:
    ph, t = Phase, Trigger
    table = {
        (ph.DISCONNECTED, t.CONNECT_STARTED): ph.CONNECTING,
        (ph.CONNECTING, t.CONNECTED): ph.SYNCING,
        (ph.CONNECTING, t.CONNECT_FAILED): ph.DISCONNECTED,
        (ph.CONNECTING, t.SOCKET_LOST): ph.DISCONNECTED,
        (ph.SYNCING, t.SYNCED): ph.LIVE,
        (ph.SYNCING, t.CONNECT_FAILED): ph.DISCONNECTED,
        (ph.SYNCING, t.SOCKET_LOST): ph.DISCONNECTED,
        (ph.LIVE, t.SOCKET_LOST): ph.DISCONNECTED,
        (ph.LIVE, t.RESTORED_DATA_LOST): ph.SYNCING,  # subscriptions are gone: resync
        (ph.HALTED, t.RESUME): ph.DISCONNECTED,
        (ph.HALTED, t.SOCKET_LOST): ph.HALTED,  # halting closes the socket; its close may be reported
    }
    # Conditions that arrive on any open socket keep the phase (the machine records them beside it).
    for phase in (ph.CONNECTING, ph.SYNCING, ph.LIVE):
        for trigger in (
            t.CONNECTIVITY_LOST, t.RESTORED_DATA_KEPT, t.FARM_CHANGED, t.COMPETING_SESSION_ON,
            t.COMPETING_SESSION_OFF,
        ):  # fmt: skip
            table[(phase, trigger)] = phase
    table[(ph.CONNECTING, t.RESTORED_DATA_LOST)] = ph.CONNECTING  # nothing subscribed yet
    table[(ph.SYNCING, t.RESTORED_DATA_LOST)] = ph.SYNCING  # the sync under way makes them again
    for phase in (ph.DISCONNECTED, ph.CONNECTING, ph.SYNCING, ph.LIVE, ph.HALTED):
        table[(phase, t.RESET_WINDOW_ENTERED)] = phase
        table[(phase, t.RESET_WINDOW_LEFT)] = phase
        table[(phase, t.STOP)] = ph.STOPPED
        if phase is not ph.HALTED:
            table[(phase, t.HALT)] = ph.HALTED
    return table


TRANSITIONS: Mapping[tuple[Phase, Trigger], Phase] = MappingProxyType(_rows())


class FarmKind(enum.Enum):
    MARKET = "market"
    HMDS = "hmds"
    SECDEF = "secdef"


class FarmStatus(enum.Enum):
    UP = "up"
    DOWN = "down"
    INACTIVE = "inactive"  # dormant, available on demand: fine
    CONNECTING = "connecting"

    @property
    def ok(self) -> bool:
        return self in (FarmStatus.UP, FarmStatus.INACTIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class FarmReport:
    """One farm notice: which farm (TWS's name, e.g. "usfarm"), its kind and its new status."""

    name: str
    kind: FarmKind
    status: FarmStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class FarmState:
    name: str
    kind: FarmKind
    status: FarmStatus
    since: datetime


_FARM_CODES: Mapping[int, tuple[FarmKind, FarmStatus]] = MappingProxyType(
    {
        2103: (FarmKind.MARKET, FarmStatus.DOWN),
        2104: (FarmKind.MARKET, FarmStatus.UP),
        2105: (FarmKind.HMDS, FarmStatus.DOWN),
        2106: (FarmKind.HMDS, FarmStatus.UP),
        2107: (FarmKind.HMDS, FarmStatus.INACTIVE),
        2108: (FarmKind.MARKET, FarmStatus.INACTIVE),
        2119: (FarmKind.MARKET, FarmStatus.CONNECTING),
        2157: (FarmKind.SECDEF, FarmStatus.DOWN),
        2158: (FarmKind.SECDEF, FarmStatus.UP),
    }
)


def farm_report(code: int, text: str) -> FarmReport | None:
    """The farm notice in (code, text), or None if the code is not one. The name ends the text.

    TWS words them "...connection is OK:usfarm" or, for inactive farms, "...available upon demand.usfarm.nj";
    a notice without a name counts for the kind as a whole (named after it).
    """
    known = _FARM_CODES.get(code)
    if known is None:
        return None
    kind, status = known
    name = ""
    if ":" in text:
        name = text.rsplit(":", 1)[1]
    elif "demand." in text:
        name = text.split("demand.", 1)[1]
    return FarmReport(name=name.strip() or kind.value, kind=kind, status=status)


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthSnapshot:
    state: Health
    phase: Phase
    since: datetime  # when `state` last changed
    farms: tuple[FarmState, ...]  # by name
    reason: str
    in_reset_window: bool
    link_lost: bool
    competing_session: bool

    @property
    def ready(self) -> bool:
        """READY: synced, TWS linked to IB, every needed farm OK, no competing session."""
        return self.state is Health.READY


ALL_FARMS = frozenset(FarmKind)


class HealthMachine:
    """The phase table plus the conditions beside it; `apply(trigger, now)` returns the derived `Health`."""

    def __init__(self, now: datetime, *, needed_farms: frozenset[FarmKind] = ALL_FARMS) -> None:
        self._phase = Phase.DISCONNECTED
        self._needed = needed_farms
        self._farms: dict[str, FarmState] = {}
        self._link_lost = False
        self._competing = False
        self._in_window = False
        self._note = ""
        self._state = Health.DISCONNECTED
        self._since = now

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def state(self) -> Health:
        return self._state

    def apply(self, trigger: Trigger, now: datetime, *, farm: FarmReport | None = None, reason: str = "") -> Health:
        """Take `trigger` at `now`; `farm` goes with FARM_CHANGED, `reason` says why (shown in the snapshot)."""
        target = TRANSITIONS.get((self._phase, trigger))
        if target is None:
            raise HealthTransitionError(f"{trigger.value!r} is not allowed while {self._phase.value}")
        if (trigger is Trigger.FARM_CHANGED) != (farm is not None):
            raise HealthTransitionError("a farm report goes with FARM_CHANGED, and only with it")
        self._record(trigger, now, farm)
        if reason or target is not self._phase:  # a note lasts until the phase moves on
            self._note = reason
        self._phase = target
        state = self._derive()
        if state is not self._state:
            self._state, self._since = state, now
        return state

    def _record(self, trigger: Trigger, now: datetime, farm: FarmReport | None) -> None:
        if trigger in (Trigger.CONNECT_STARTED, Trigger.CONNECT_FAILED, Trigger.SOCKET_LOST):
            # a new socket starts from nothing: TWS sends the farm notices again on every connection
            self._farms.clear()
            self._link_lost = self._competing = False
        elif trigger is Trigger.CONNECTIVITY_LOST:
            self._link_lost = True
        elif trigger in (Trigger.RESTORED_DATA_LOST, Trigger.RESTORED_DATA_KEPT):
            self._link_lost = False
        elif trigger is Trigger.COMPETING_SESSION_ON:
            self._competing = True
        elif trigger is Trigger.COMPETING_SESSION_OFF:
            self._competing = False
        elif trigger is Trigger.RESET_WINDOW_ENTERED:
            self._in_window = True
        elif trigger is Trigger.RESET_WINDOW_LEFT:
            self._in_window = False
        elif farm is not None:
            previous = self._farms.get(farm.name)
            if previous is None or previous.status is not farm.status:
                self._farms[farm.name] = FarmState(name=farm.name, kind=farm.kind, status=farm.status, since=now)

    def _down_farms(self) -> list[FarmState]:
        return [f for f in self._farms.values() if f.kind in self._needed and not f.status.ok]

    def _derive(self) -> Health:
        phase = self._phase
        if phase is Phase.STOPPED:
            return Health.STOPPED
        if phase is Phase.HALTED:
            return Health.HALTED
        if phase is not Phase.LIVE:
            return Health.RESETTING if self._in_window else Health[phase.name]
        if self._link_lost:
            return Health.RESETTING if self._in_window else Health.OFFLINE
        if self._down_farms():
            return Health.RESETTING if self._in_window else Health.DEGRADED
        return Health.DEGRADED if self._competing else Health.READY

    def _reason(self) -> str:
        parts = []
        if self._in_window and self._state is Health.RESETTING:
            parts.append("inside a reset window")
        if self._link_lost:
            parts.append("TWS lost its connection to IB (1100)")
        down = self._down_farms()
        if down:
            parts.append("farm " + ", ".join(f"{f.name} ({f.kind.value}) {f.status.value}" for f in down))
        if self._competing:
            parts.append("a competing live session holds the market data (10197)")
        if self._note:
            parts.append(self._note)
        return "; ".join(parts)

    def snapshot(self) -> HealthSnapshot:
        return HealthSnapshot(
            state=self._state,
            phase=self._phase,
            since=self._since,
            farms=tuple(self._farms[name] for name in sorted(self._farms)),
            reason=self._reason(),
            in_reset_window=self._in_window,
            link_lost=self._link_lost,
            competing_session=self._competing,
        )
