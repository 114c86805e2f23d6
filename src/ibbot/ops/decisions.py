"""Every decision of the order path as an event: the journal and the risk gate, observed where they record.

The order service decides through its risk gate and records through its journal; nothing leaves or changes
without passing one of the two. So the operations layer observes the path there, without a hook in the
service: `AuditedJournal` is the service's journal (the same database, the same methods) and emits one event
per write; `AuditedGate` is its gate and emits every verdict, allowed or refused. The audit trail, the monitor
and the alerts all listen to these events (`ibbot.ops.operations` wires them).

    intent written ahead      IntentWritten      journal.record_intent
    risk verdict              RiskChecked        gate.check (every order and every modify)
    order sent, each status   OrderRecorded      journal.record_order
    fill, commission          FillRecorded, CommissionRecorded
    risk event (refusal, kill switch, daily loss)      RiskEventRecorded
    reconciliation verdict, its acknowledgement        ReconciliationRecorded, Acknowledged
    risk mode saved (halt, resume, monitor-only ...)   RiskStateSaved
    a person's action on the dashboard                 OperatorAction (emitted by ibbot.ops.controls)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ibbot.model import Fill, Order, OrderRequest
from ibbot.risk import RISK_STATE_KEY, RiskContext, RiskGate, RiskState, risk_state_from_text
from ibbot.risk.gate import Verdict
from ibbot.store import FillSource, Journal, ReconciliationRun

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class IntentWritten:
    request: OrderRequest
    time: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskChecked:
    request: OrderRequest
    verdict: Verdict


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRecorded:
    order: Order
    ib_status: str = ""
    changed: bool = True  # False: the journal already had this state (nothing new)


@dataclass(frozen=True, slots=True, kw_only=True)
class FillRecorded:
    fill: Fill
    source: FillSource
    new: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CommissionRecorded:
    exec_id: str
    commission: Decimal
    currency: str
    new: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskEventRecorded:
    time: datetime
    check: str
    reason: str
    order_ref: str = ""
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconciliationRecorded:
    run_id: int
    verdict: str
    reasons: tuple[str, ...]
    time: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledged:
    run: ReconciliationRun
    who: str
    time: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskStateSaved:
    state: RiskState


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorAction:
    """A person's action: what, who (name and address), when, and how it ended ("ok" or the error)."""

    action: str  # halt, resume, flatten, cancel, acknowledge
    who: str
    time: datetime
    details: Mapping[str, str] = field(default_factory=dict)
    outcome: str = "ok"


Decision = (
    IntentWritten
    | RiskChecked
    | OrderRecorded
    | FillRecorded
    | CommissionRecorded
    | RiskEventRecorded
    | ReconciliationRecorded
    | Acknowledged
    | RiskStateSaved
    | OperatorAction
)
Emit = Callable[[Decision], None]


def _emitting(listeners: Sequence[Emit], event: Decision) -> None:
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # an observer's bug must never fail the order path it watches
            log.exception("a decision listener raised on %s", type(event).__name__)


class AuditedJournal(Journal):
    """The journal `inner` is, sharing its database, with one event per write to `emit`.

    It takes over `inner`'s connection state (the engine, the URL, the prepared statements), so reads and
    writes are the journal's own code; only the writes are wrapped, after they succeed.
    """

    def __init__(self, inner: Journal, emit: Emit | Sequence[Emit]) -> None:
        for name, value in vars(inner).items():
            setattr(self, name, value)
        self._emit = [emit] if callable(emit) else list(emit)

    def record_intent(self, request: OrderRequest, created: datetime) -> None:
        super().record_intent(request, created)
        _emitting(self._emit, IntentWritten(request=request, time=created))

    def record_order(self, order: Order, *, ib_status: str = "") -> bool:
        changed = super().record_order(order, ib_status=ib_status)
        _emitting(self._emit, OrderRecorded(order=order, ib_status=ib_status, changed=changed))
        return changed

    def record_fill(self, fill: Fill, source: FillSource) -> bool:
        new = super().record_fill(fill, source)
        _emitting(self._emit, FillRecorded(fill=fill, source=source, new=new))
        return new

    def record_commission(self, exec_id: str, commission: Decimal, currency: str) -> bool:
        new = super().record_commission(exec_id, commission, currency)
        _emitting(self._emit, CommissionRecorded(exec_id=exec_id, commission=commission, currency=currency, new=new))
        return new

    def record_risk_event(
        self, *, time: datetime, check: str, reason: str, order_ref: str = "", details: Mapping[str, str] | None = None
    ) -> int:
        event_id = super().record_risk_event(
            time=time, check=check, reason=reason, order_ref=order_ref, details=details
        )
        event = RiskEventRecorded(
            time=time, check=check, reason=reason, order_ref=order_ref, details=dict(details or {})
        )
        _emitting(self._emit, event)
        return event_id

    def record_reconciliation(self, verdict: str, reasons: Sequence[str], time: datetime) -> int:
        run_id = super().record_reconciliation(verdict, reasons, time)
        event = ReconciliationRecorded(run_id=run_id, verdict=verdict, reasons=tuple(reasons), time=time)
        _emitting(self._emit, event)
        return run_id

    def acknowledge_reconciliation(self, run_id: int, who: str, time: datetime) -> ReconciliationRun:
        run = super().acknowledge_reconciliation(run_id, who, time)
        _emitting(self._emit, Acknowledged(run=run, who=who, time=time))
        return run

    def set_state(self, key: str, value: str) -> None:
        super().set_state(key, value)
        if key == RISK_STATE_KEY:
            _emitting(self._emit, RiskStateSaved(state=risk_state_from_text(value)))


class AuditedGate(RiskGate):
    """The gate `inner` is (its limits and checks), emitting every verdict it gives."""

    def __init__(self, inner: RiskGate, emit: Emit | Sequence[Emit]) -> None:
        super().__init__(inner.limits, checks=inner.checks)
        self._emit = [emit] if callable(emit) else list(emit)

    def check(self, request: OrderRequest, context: RiskContext) -> Verdict:
        verdict = super().check(request, context)
        _emitting(self._emit, RiskChecked(request=request, verdict=verdict))
        return verdict
