"""The gate's persistent mode (`RiskState`): its transitions as a table, and its record for the journal.

A person's or the system's decision (`mode`) is kept apart from the automatic daily-loss trip, and the two
combine into the `effective` mode the checks use:

* NORMAL: every check applies.
* REDUCE_ONLY: only orders that cannot increase an absolute position pass (`ibbot.risk.context.reduces`).
  Set by a person (`reduce_only`), or in effect while the daily-loss trip is set.
* MONITOR_ONLY: no new orders at all, cancels allowed. Set by a reconciliation verdict (`monitor_only`) and
  left only when a person `acknowledge`s it (`resume` is refused: someone must have looked).
* HALTED: the kill switch; no new orders, cancels allowed. Left only by `resume`. It absorbs a later
  reduce-only or monitor-only, because whoever resumes a halt has to look at the account anyway.

The daily-loss trip is reset by `new_trading_day`; a halt, a monitor-only and a manual reduce-only are not
(they persist across restarts and days through `to_record` / `from_record` until a person ends them).
A transition the table does not name raises `RiskStateError`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from ibbot.errors import RiskStateError


class Mode(enum.Enum):
    NORMAL = "normal"
    REDUCE_ONLY = "reduce_only"
    MONITOR_ONLY = "monitor_only"
    HALTED = "halted"


class Action(enum.Enum):
    HALT = "halt"
    RESUME = "resume"
    REDUCE_ONLY = "reduce_only"
    MONITOR_ONLY = "monitor_only"
    ACKNOWLEDGE = "acknowledge"


# (mode, action) -> next mode. Absent pairs are refused with the reason in _REFUSED or a generic one.
TRANSITIONS: dict[tuple[Mode, Action], Mode] = {
    (Mode.NORMAL, Action.HALT): Mode.HALTED,
    (Mode.NORMAL, Action.REDUCE_ONLY): Mode.REDUCE_ONLY,
    (Mode.NORMAL, Action.MONITOR_ONLY): Mode.MONITOR_ONLY,
    (Mode.REDUCE_ONLY, Action.HALT): Mode.HALTED,
    (Mode.REDUCE_ONLY, Action.REDUCE_ONLY): Mode.REDUCE_ONLY,
    (Mode.REDUCE_ONLY, Action.MONITOR_ONLY): Mode.MONITOR_ONLY,
    (Mode.REDUCE_ONLY, Action.RESUME): Mode.NORMAL,
    (Mode.MONITOR_ONLY, Action.HALT): Mode.HALTED,
    (Mode.MONITOR_ONLY, Action.MONITOR_ONLY): Mode.MONITOR_ONLY,
    (Mode.MONITOR_ONLY, Action.ACKNOWLEDGE): Mode.NORMAL,
    (Mode.HALTED, Action.HALT): Mode.HALTED,
    (Mode.HALTED, Action.REDUCE_ONLY): Mode.HALTED,
    (Mode.HALTED, Action.MONITOR_ONLY): Mode.HALTED,
    (Mode.HALTED, Action.RESUME): Mode.NORMAL,
}
_REFUSED = {
    (Mode.MONITOR_ONLY, Action.RESUME): "monitor-only is left by acknowledging the reconciliation, not by resume",
    (Mode.MONITOR_ONLY, Action.REDUCE_ONLY): "monitor-only must be acknowledged first",
    (Mode.NORMAL, Action.RESUME): "trading is not halted or reduce-only; nothing to resume",
    (Mode.NORMAL, Action.ACKNOWLEDGE): "there is no reconciliation verdict to acknowledge",
    (Mode.REDUCE_ONLY, Action.ACKNOWLEDGE): "there is no reconciliation verdict to acknowledge",
    (Mode.HALTED, Action.ACKNOWLEDGE): "trading is halted; resume it instead",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskState:
    """The gate's mode with who set it, why and since when, and the daily-loss trip (reason and time)."""

    mode: Mode = Mode.NORMAL
    reason: str = ""
    who: str = ""
    since: datetime | None = None
    daily_loss_reason: str = ""
    daily_loss_since: datetime | None = None

    def __post_init__(self) -> None:
        for moment in (self.since, self.daily_loss_since):
            if moment is not None and moment.tzinfo is None:
                raise RiskStateError("risk state times must be timezone-aware")

    @property
    def daily_loss_tripped(self) -> bool:
        return self.daily_loss_since is not None

    @property
    def effective(self) -> Mode:
        """The mode the checks apply: a daily-loss trip turns NORMAL into REDUCE_ONLY."""
        if self.mode is Mode.NORMAL and self.daily_loss_tripped:
            return Mode.REDUCE_ONLY
        return self.mode

    # --- transitions ----------------------------------------------------------------------------------------

    def halt(self, reason: str, who: str, now: datetime) -> RiskState:
        return self._apply(Action.HALT, reason, who, now)

    def resume(self, who: str, now: datetime) -> RiskState:
        return self._apply(Action.RESUME, "", who, now)

    def reduce_only(self, reason: str, who: str, now: datetime) -> RiskState:
        return self._apply(Action.REDUCE_ONLY, reason, who, now)

    def monitor_only(self, reason: str, who: str, now: datetime) -> RiskState:
        return self._apply(Action.MONITOR_ONLY, reason, who, now)

    def acknowledge(self, who: str, now: datetime) -> RiskState:
        return self._apply(Action.ACKNOWLEDGE, "", who, now)

    def trip_daily_loss(self, reason: str, now: datetime) -> RiskState:
        """The daily loss limit was passed: reduce-only in effect until `new_trading_day` (first trip kept)."""
        if self.daily_loss_tripped:
            return self
        return replace(self, daily_loss_reason=reason, daily_loss_since=now)

    def new_trading_day(self, now: datetime) -> RiskState:
        """A new trading day: the daily-loss trip resets; a halt, monitor-only or manual reduce-only stays."""
        del now  # kept in the signature so every transition reads alike and a future rule can use it
        return replace(self, daily_loss_reason="", daily_loss_since=None)

    def _apply(self, action: Action, reason: str, who: str, now: datetime) -> RiskState:
        target = TRANSITIONS.get((self.mode, action))
        if target is None:
            why = _REFUSED.get((self.mode, action), "not allowed")
            raise RiskStateError(f"cannot {action.value} while {self.mode.value}: {why}")
        if now.tzinfo is None:
            raise RiskStateError("risk state times must be timezone-aware")
        if target is self.mode is Mode.HALTED:
            return self  # a second halt keeps the first one's reason, who and time; others are absorbed
        if target is Mode.NORMAL:
            return replace(self, mode=target, reason="", who=who, since=now)
        return replace(self, mode=target, reason=reason, who=who, since=now)

    # --- the journal's key/value record --------------------------------------------------------------------

    def to_record(self) -> dict[str, str]:
        return {
            "mode": self.mode.value,
            "reason": self.reason,
            "who": self.who,
            "since": "" if self.since is None else self.since.isoformat(),
            "daily_loss_reason": self.daily_loss_reason,
            "daily_loss_since": "" if self.daily_loss_since is None else self.daily_loss_since.isoformat(),
        }

    @classmethod
    def from_record(cls, record: dict[str, str]) -> RiskState:
        """The state saved by `to_record`; a missing or malformed field raises `RiskStateError`."""
        missing = sorted(set(_RECORD_KEYS) - set(record))
        if missing:
            raise RiskStateError(f"risk state record lacks {', '.join(missing)}")
        try:
            mode = Mode(record["mode"])
        except ValueError:
            raise RiskStateError(f"risk state record has an unknown mode {record['mode']!r}") from None
        return cls(
            mode=mode,
            reason=record["reason"],
            who=record["who"],
            since=_time(record, "since"),
            daily_loss_reason=record["daily_loss_reason"],
            daily_loss_since=_time(record, "daily_loss_since"),
        )


_RECORD_KEYS = ("mode", "reason", "who", "since", "daily_loss_reason", "daily_loss_since")

# Where the journal keeps the gate's mode: the running bot, `ibbot halt` / `resume` and the dashboard share it.
RISK_STATE_KEY = "risk_state"


class StateStore(Protocol):
    """The journal's key/value state (`ibbot.store.Journal`)."""

    def get_state(self, key: str) -> str | None: ...
    def set_state(self, key: str, value: str) -> None: ...


def risk_state_text(state: RiskState) -> str:
    """The text the journal keeps under `RISK_STATE_KEY`."""
    return json.dumps(state.to_record(), sort_keys=True)


def risk_state_from_text(text: str) -> RiskState:
    return RiskState.from_record(json.loads(text))


def load_risk_state(store: StateStore) -> RiskState | None:
    """The state saved in `store`, None when none was."""
    saved = store.get_state(RISK_STATE_KEY)
    return risk_state_from_text(saved) if saved else None


def save_risk_state(store: StateStore, state: RiskState) -> None:
    store.set_state(RISK_STATE_KEY, risk_state_text(state))


def _time(record: dict[str, str], key: str) -> datetime | None:
    text = record[key]
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RiskStateError(f"risk state record: {key} {text!r} is not an ISO time") from None
    if moment.tzinfo is None:
        raise RiskStateError(f"risk state record: {key} {text!r} has no time zone")
    return moment
