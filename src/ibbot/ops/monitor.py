"""The monitor: what a running bot shows its operator, kept from its events and read from its parts.

Theory of operation. Two kinds of state make a `Snapshot`:

* read at the moment from the bot's parts (always right, never duplicated): the health table and farms
  (`session.supervisor.health`), the governor's counters and lines (`session.governor.stats()`), positions
  and PnL (`service.book` at the latest quotes), working orders and their counts by status
  (`service.manager`), the risk mode (`service.risk_state`) and the last reconciliation;
* kept from events, because nothing else remembers them: the event log, the equity series, recent fills, the
  order round-trip histogram (intent written -> IB's first answer), the message rate between two samples,
  IB's NetLiquidation, the count of risk refusals and resyncs.

Events arrive through `on_event` (session events and `ibbot.ops.decisions`) and the order service's listener
interface (`on_order`, `on_fill`). The monitor has no task and no lock: `sample(now)` is called by the shell
(`ibbot.ops.operations`) every few seconds, and `snapshot()` by whoever shows it. `subscribe(callback)` is
told of every change, so a dashboard can push at once instead of polling. Both the session and the service
are optional: without a service the snapshot has no orders (and `read_only` is set).
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from ibbot.broker.base import Streamed
from ibbot.clock import Clock
from ibbot.connection.codes import Severity, classify
from ibbot.connection.health import HealthSnapshot
from ibbot.connection.supervisor import HealthChanged, Resynced
from ibbot.data.governor import GovernorStats
from ibbot.model import AccountValue, Fill, Notice, Order, OrderStatus, Position, Quote
from ibbot.ops.decisions import (
    Acknowledged,
    CommissionRecorded,
    OperatorAction,
    OrderRecorded,
    ReconciliationRecorded,
    RiskChecked,
    RiskStateSaved,
)
from ibbot.ops.snapshot import (
    Counters,
    EquityPoint,
    FillView,
    GovernorView,
    HealthView,
    Histogram,
    LogEntry,
    OrderView,
    PnLView,
    PositionView,
    RiskView,
    Snapshot,
    VerdictView,
)
from ibbot.ops.views import fill_view, health_view, is_rejected, mark_of, quantity_text, summarize

log = logging.getLogger(__name__)

ZERO = Decimal(0)
_LEVELS = {Severity.INFO: "info", Severity.NOTICE: "notice", Severity.WARNING: "warning"}
_HEALTH_LEVELS = {"ready": "notice", "degraded": "warning", "offline": "error", "disconnected": "error",
                  "halted": "error", "resetting": "notice"}  # fmt: skip
_NET_LIQUIDATION = "NetLiquidation"
_BASE = ("USD", "BASE", "")
EQUITY_LABEL = "IB net liq. + own PnL since"
RATE_WINDOW = 10.0  # seconds the message rate is averaged over
PNL_LABEL = "PnL (own fills)"


class MonitoredSession(Protocol):
    """What the monitor reads of `ibbot.engine.session.TradingSession`."""

    governor: Any  # a Governor (stats(), limits)

    @property
    def supervisor(self) -> Any: ...  # a Supervisor (health)


class MonitoredService(Protocol):
    """What the monitor reads of `ibbot.engine.orders.OrderService`."""

    manager: Any  # orders, working()
    book: Any  # positions(), pnl(marks)
    risk_state: Any
    last_reconciliation: Any
    last_run_id: int | None
    journal: Any


class Monitor:
    def __init__(
        self,
        clock: Clock,
        *,
        session: MonitoredSession | None = None,
        service: MonitoredService | None = None,
        quotes: Callable[[], Mapping[str, Quote]] = dict,
        label: str = "",
        log_size: int = 500,
        fills_kept: int = 50,
        equity_points: int = 17_280,  # a day at one sample every 5 s
    ) -> None:
        self.clock = clock
        self.session = session
        self.service = service
        self.label = label
        self.controls: Any = None  # an ibbot.ops.controls.Controls when actions are allowed
        self._quotes = quotes
        self._log: collections.deque[LogEntry] = collections.deque(maxlen=log_size)
        self._seq = 0
        self._fills: collections.deque[FillView] = collections.deque(maxlen=fills_kept)
        self._equity: collections.deque[EquityPoint] = collections.deque(maxlen=equity_points)
        self._roundtrip = Histogram()
        self._answered: set[str] = set()  # order refs whose first answer from IB was timed
        self._fill_count = 0
        self._risk_refusals = 0
        self._resyncs = 0
        self._net_liquidation: tuple[Decimal, Decimal] | None = None  # IB's figure, and our PnL when it came
        self._on_net_liquidation = False  # the equity series is in IB's NetLiquidation terms
        self._sent: collections.deque[tuple[float, int]] = collections.deque()  # (monotonic, messages sent)
        self._rate = 0.0  # messages per second over the last RATE_WINDOW seconds
        self._subscribers: list[Callable[[], None]] = []
        if service is not None:
            self._load(service)

    def _load(self, service: MonitoredService) -> None:
        """What the journal already holds: the fill count and the latest fills (oldest first into the deque)."""
        fills = service.journal.fills()
        self._fill_count = len(fills)
        for fill in fills[-self._fills.maxlen :] if self._fills.maxlen else ():
            self._fills.appendleft(fill_view(fill))
        self._answered.update(order.order_ref for order in service.manager.orders)

    # --- change notification ---------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """`callback()` after every change; returns the function that unsubscribes it."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _changed(self) -> None:
        for callback in list(self._subscribers):
            try:
                callback()
            except Exception:  # a viewer's bug must not stop the others
                log.exception("a monitor subscriber raised")

    def note(self, level: str, kind: str, text: str, time: datetime | None = None) -> None:
        """One line in the event log (newest first in the snapshot)."""
        self._seq += 1
        self._log.append(LogEntry(seq=self._seq, time=time or self.clock.now(), level=level, kind=kind, text=text))
        self._changed()

    # --- events ----------------------------------------------------------------------------------------------

    def on_event(self, event: object) -> None:
        """A session event or a decision; anything else is ignored."""
        if isinstance(event, Streamed):
            return  # quotes and bars: read through `quotes` when a snapshot is made
        if isinstance(event, HealthChanged):
            self._on_health(event.snapshot)
        elif isinstance(event, Resynced):
            self._resyncs += 1
            report = event.report
            failed = f", {len(report.failed)} failed" if report.failed else ""
            self.note("notice", "resync", (
                f"resynced after {report.reconnect.value} in {report.duration.total_seconds():.1f} s: "
                f"{len(report.resubscribed)} subscriptions, {report.total_bars} bars backfilled, "
                f"{report.fills_recovered} fills recovered{failed}"
            ))  # fmt: skip
        elif isinstance(event, Notice):
            self._on_notice(event)
        elif isinstance(event, AccountValue):
            value = event.as_decimal() if event.tag == _NET_LIQUIDATION and event.currency in _BASE else None
            if value is not None:
                self._net_liquidation = (value, self._pnl().total if self.service is not None else ZERO)
        else:
            self._on_decision(event)

    def _on_health(self, health: HealthSnapshot) -> None:
        state = health.state.value
        reason = f": {health.reason}" if health.reason else ""
        self.note(_HEALTH_LEVELS.get(state, "info"), "health", f"connection {state}{reason}", health.since)

    def _on_notice(self, notice: Notice) -> None:
        code = classify(notice.code, notice.text)
        if code.severity is Severity.INFO:
            return  # routine (2104, 2106, 2158 ...): never shown as errors
        level = _LEVELS.get(code.severity, "error")
        self.note(level, "notice", f"IB {notice.code}: {notice.text}")

    def _on_decision(self, event: object) -> None:
        if isinstance(event, OrderRecorded) and event.changed:
            order = event.order
            if order.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.FILLED):
                rejected = is_rejected(order)
                why = f" ({order.reason})" if order.reason else ""
                shown = "rejected" if rejected else order.status.value
                self.note("warning" if rejected else "info", "order", f"{order.order_ref} {shown}{why}")
            elif order.status is OrderStatus.SUBMITTED and not event.ib_status:  # our record as it left
                request = order.request
                what = f"{request.side.value} {quantity_text(request.quantity)} {request.instrument}"
                self.note("info", "order", f"{order.order_ref} sent: {what} {request.order_type.value}")
        elif isinstance(event, CommissionRecorded) and event.new:
            for i, view in enumerate(self._fills):
                if view.exec_id == event.exec_id:
                    self._fills[i] = replace(view, commission=event.commission)
                    self._changed()
                    break
        elif isinstance(event, RiskChecked) and not event.verdict.allowed:
            self._risk_refusals += 1
            self.note("warning", "risk", f"refused by {event.verdict.check}: {event.verdict.reason}")
        elif isinstance(event, ReconciliationRecorded):
            level = "notice" if event.verdict == "SAFE" else "error"
            reasons = f": {'; '.join(event.reasons)}" if event.reasons else ""
            self.note(level, "reconciliation", f"reconciliation {event.verdict}{reasons}", event.time)
        elif isinstance(event, Acknowledged):
            self.note("notice", "reconciliation", f"run {event.run.run_id} acknowledged by {event.who}", event.time)
        elif isinstance(event, RiskStateSaved):
            state = event.state
            reason = f": {state.reason}" if state.reason else ""
            level = "error" if state.mode.value == "halted" else "notice"
            self.note(level, "risk", f"risk mode {state.effective.value} (by {state.who or 'ibbot'}){reason}")
        elif isinstance(event, OperatorAction):
            level = "notice" if event.outcome == "ok" else "warning"
            self.note(level, "operator", f"{event.action} by {event.who}: {event.outcome}", event.time)

    # the order service's listener interface

    def on_order(self, order: Order) -> None:
        if order.order_ref not in self._answered and order.status is not OrderStatus.SUBMITTED:
            self._answered.add(order.order_ref)  # IB's first answer: the order's round trip is over
            seconds = (self.clock.now() - order.created).total_seconds()
            if seconds >= 0:
                self._roundtrip = self._roundtrip.observe(seconds)
        self._changed()

    def on_fill(self, fill: Fill) -> None:
        self._fill_count += 1
        self._fills.appendleft(fill_view(fill))
        what = f"{fill.side.value} {quantity_text(fill.quantity)} {fill.instrument} @ {fill.price}"
        self.note("notice", "fill", f"filled {what}" + (f" ({fill.order_ref})" if fill.order_ref else ""), fill.time)

    # --- sampling ----------------------------------------------------------------------------------------------

    def sample(self, now: datetime | None = None) -> None:
        """Take an equity point and the message rate since the last sample (the shell calls this periodically).
        The series restarts when IB's NetLiquidation first arrives: points of PnL alone are another scale."""
        moment = now or self.clock.now()
        if self._net_liquidation is not None and not self._on_net_liquidation:
            self._on_net_liquidation = True
            self._equity.clear()
        if self.session is not None:
            mono = self.clock.monotonic()
            self._sent.append((mono, self.session.governor.stats().messages_admitted))
            while len(self._sent) > 2 and mono - self._sent[1][0] >= RATE_WINDOW:
                self._sent.popleft()
            (then, before), (last, sent) = self._sent[0], self._sent[-1]
            self._rate = (sent - before) / (last - then) if last > then else 0.0
        self._equity.append(EquityPoint(time=moment, value=self._equity_value(self._pnl())))
        self._changed()

    def _equity_value(self, pnl: PnLView) -> Decimal:
        return pnl.equity if pnl.equity is not None else pnl.total

    # --- the snapshot ------------------------------------------------------------------------------------------

    def _marks(self) -> dict[str, Decimal]:
        marks = {}
        for key, quote in self._quotes().items():
            mark = mark_of(quote)
            if mark is not None:
                marks[key] = mark
        return marks

    def _pnl(self, marks: Mapping[str, Decimal] | None = None) -> PnLView:
        """PnL from the bot's own fills; equity is IB's last NetLiquidation moved by our PnL since it came
        (IB updates account values every few minutes; the bot's fills and quotes move it in between)."""
        reported = self._net_liquidation
        if self.service is None:
            return PnLView(equity=None if reported is None else reported[0])
        report = self.service.book.pnl(self._marks() if marks is None else marks)
        total = report.total
        equity = None if reported is None else reported[0] + (total.total - reported[1])
        return PnLView(
            realized=total.realized, unrealized=total.unrealized, daily=total.daily, equity=equity,
            unmarked=report.unmarked,
        )  # fmt: skip

    def _positions(self, marks: Mapping[str, Decimal]) -> tuple[PositionView, ...]:
        if self.service is None:
            return ()
        per = {row.instrument.key: row for row in self.service.book.pnl(marks).per_instrument if row.instrument}
        views = []
        for position in self.service.book.positions():
            key = position.instrument.key
            row = per.get(key)
            views.append(self._position_view(position, marks.get(key), row))
        return tuple(sorted(views, key=lambda v: v.symbol))

    @staticmethod
    def _position_view(position: Position, mark: Decimal | None, row: Any) -> PositionView:
        return PositionView(
            account=position.account, symbol=str(position.instrument), key=position.instrument.key,
            quantity=position.quantity, avg_cost=position.avg_cost, mark=mark,
            unrealized=row.unrealized if row is not None else ZERO, realized=row.realized if row is not None else ZERO,
        )  # fmt: skip

    def _governor(self) -> GovernorView:
        if self.session is None:
            return GovernorView()
        governor = self.session.governor
        stats: GovernorStats = governor.stats()
        return GovernorView(
            queued={p.name.lower(): n for p, n in stats.queued.items()},
            historical_waiting=stats.historical_waiting, historical_open=stats.historical_open,
            messages_sent=stats.messages_admitted, messages_per_second=round(self._rate, 2), waits=stats.waits,
            wait_seconds=stats.wait_total, wait_max=stats.wait_max, pacing_delays=stats.pacing_delays,
            pacing_violations=stats.retries, timeouts=stats.timeouts, line_refusals=stats.refusals,
            lines={kind.value: n for kind, n in stats.lines_in_use.items()},
            line_budget=governor.limits.market_data_lines,
        )  # fmt: skip

    def _health(self) -> HealthView:
        if self.session is None:
            return HealthView()
        try:
            return health_view(self.session.supervisor.health)
        except RuntimeError:  # the session has not been started
            return HealthView(state="disconnected", phase="disconnected", reason="not started")

    def _verdict(self) -> VerdictView:
        service = self.service
        if service is None or service.last_reconciliation is None:
            last = service.journal.last_reconciliation() if service is not None else None
            if last is None:
                return VerdictView()
            return VerdictView(verdict=last.verdict, time=last.time, reasons=last.reasons, run_id=last.run_id,
                               acknowledged_by=last.acknowledged_by)  # fmt: skip
        result = service.last_reconciliation
        return VerdictView(
            verdict=result.verdict.name, time=result.time, reasons=result.reasons,
            discrepancies=len(result.discrepancies), run_id=service.last_run_id,
        )  # fmt: skip

    def _risk(self) -> RiskView:
        if self.service is None:
            return RiskView()
        state = self.service.risk_state
        return RiskView(
            mode=state.effective.value, reason=state.reason or state.daily_loss_reason, who=state.who,
            since=state.since, daily_loss_tripped=state.daily_loss_tripped,
        )  # fmt: skip

    def _orders(self) -> tuple[tuple[OrderView, ...], dict[str, int], int]:
        if self.service is None:
            return (), {}, 0
        return summarize(self.service.manager.orders)

    def snapshot(self) -> Snapshot:
        marks = self._marks()
        working, counts, rejects = self._orders()
        pnl = self._pnl(marks)
        return Snapshot(
            time=self.clock.now(), label=self.label, source="live", read_only=self.controls is None,
            health=self._health(), governor=self._governor(), positions=self._positions(marks), pnl=pnl,
            working=working, fills=tuple(self._fills), risk=self._risk(), verdict=self._verdict(),
            log=tuple(reversed(self._log)), equity=tuple(self._equity),
            equity_label=EQUITY_LABEL if pnl.equity is not None else PNL_LABEL,
            counters=Counters(fills=self._fill_count, orders_by_status=counts, rejects=rejects,
                              risk_refusals=self._risk_refusals, resyncs=self._resyncs, roundtrip=self._roundtrip),
        )  # fmt: skip
