"""The journal's own small frozen records: what it returns besides model types (events, runs, snapshots)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ibbot.model import OrderStatus, Position

# A reconciliation run ends in one of these (ibbot.oms decides which; the journal only keeps it).
VERDICTS = frozenset({"SAFE", "MONITOR_ONLY", "HALT"})


class FillSource(enum.Enum):
    """By which path an execution reached the journal (the first path wins: a fill is recorded once)."""

    LIVE = "live"  # execDetails while connected
    RECOVERED = "recovered"  # reqExecutions after a reconnect or restart
    REPLAYED = "replayed"  # a backtest or a replayed day


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent:
    """One change of an order, in the order they were recorded (`seq` grows)."""

    seq: int
    order_ref: str
    time: datetime
    status: OrderStatus
    ib_status: str  # IB's own status text when the change came from IB ("" otherwise)
    filled: Decimal
    avg_fill_price: Decimal | None
    reason: str
    amended: tuple[tuple[str, str], ...] = ()  # request fields changed by this event: (name, new value as text)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskEvent:
    """A risk check that refused or halted something."""

    event_id: int
    time: datetime
    check: str
    reason: str
    order_ref: str = ""
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconciliationRun:
    """One reconciliation's verdict with its reasons; MONITOR_ONLY waits for a person's acknowledgement."""

    run_id: int
    time: datetime
    verdict: str
    reasons: tuple[str, ...]
    acknowledged_by: str = ""
    acknowledged_at: datetime | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionSnapshot:
    """The positions one source reported (or implied) at one time; an empty tuple is a flat account."""

    snapshot_id: int
    time: datetime
    source: str
    positions: tuple[Position, ...]
