"""The order service: the asyncio shell that carries an order from a strategy to IB and IB's answers back.

Out: validate -> risk gate (a refusal is journaled as a risk event and raised; nothing is sent) -> the order
manager's intent -> `journal.record_intent` (write-ahead: before anything leaves) -> the governed gateway ->
`manager.submitted` -> `journal.record_order`. Back: the session's OrderUpdate / Fill / CommissionReport /
Notice -> the manager's table -> the journal (a fill once by exec_id, `live` or `recovered`) -> the service's
listeners (`on_order(order)`, `on_fill(fill)`). Positions and PnL come from the bot's own fills (`book`).

The decisions are the cores' (`ibbot.oms`, `ibbot.risk`); this module only sequences them and does the I/O.
Reconciliation lives in `ibbot.engine.reconciler`, the kill switch in `ibbot.engine.killswitch`; both run
through this service's lock, so no order leaves while the journal is compared with the broker.

`checkpoint(name)` is called at each named point of the order path (`CHECKPOINTS`); the crash test passes one
that kills the process there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from ibbot.broker.base import CommissionReport, ReportedOrder
from ibbot.clock import Clock
from ibbot.connection.supervisor import Resynced
from ibbot.engine import killswitch
from ibbot.engine.reconciler import reconcile as run_reconciliation
from ibbot.errors import BrokerError, OrderError, RiskRefusedError
from ibbot.model import (
    Fill,
    LinkChange,
    LinkState,
    Notice,
    Order,
    OrderRequest,
    OrderStatus,
    OrderUpdate,
    Position,
    Quote,
)
from ibbot.oms import Bracket, ExternalOrder, OrderChange, OrderManager, OrderRefs, PositionBook, Reconciliation
from ibbot.oms import bracket as build_bracket
from ibbot.oms.validation import DEFAULT_RULES, ValidationRules, validate
from ibbot.risk import Mode, RiskContext, RiskGate, RiskState, load_risk_state, save_risk_state
from ibbot.store import FillSource, Journal

log = logging.getLogger(__name__)

CHECKPOINTS = (
    "intent-written",  # the intent is durable, nothing sent
    "order-sent",  # placeOrder left, the journal does not know the ids yet
    "order-recorded",  # the sent order (with its ids) is journaled
    "status-received",  # an orderStatus arrived, not journaled yet
    "status-recorded",
    "fill-received",  # an execution arrived, not journaled yet
    "fill-recorded",
    "commission-received",
    "commission-recorded",
)
_CONNECTIVITY_LOST = 1100
_RECENT = timedelta(hours=1)  # order times kept for the order-rate check (its window is shorter)


class OrderGateway(Protocol):
    """The governed broker calls the service uses (`ibbot.data.gateway.Gateway`)."""

    async def place_order(
        self, request: OrderRequest, *, order_id: int | None = None, parent_order_id: int = 0
    ) -> int: ...
    async def modify_order(self, order_id: int, request: OrderRequest) -> None: ...
    async def cancel_order(self, order_id: int) -> None: ...
    async def global_cancel(self) -> None: ...
    async def open_orders(self) -> list[ReportedOrder]: ...
    async def completed_orders(self) -> list[ReportedOrder]: ...
    async def executions(self, since: datetime | None = None) -> list[Fill]: ...
    async def positions(self) -> list[Position]: ...


class _Supervised(Protocol):
    @property
    def client_id(self) -> int: ...


class OrderSession(Protocol):
    """What the service needs of `ibbot.engine.session.TradingSession`."""

    @property
    def gateway(self) -> Any: ...  # an OrderGateway (TradingSession's attribute is the concrete Gateway)

    @property
    def supervisor(self) -> _Supervised: ...

    def add_listener(self, listener: Callable[[Any], None]) -> Callable[[], None]: ...


class OrderListener(Protocol):
    def on_order(self, order: Order) -> None: ...
    def on_fill(self, fill: Fill) -> None: ...


def _no_checkpoint(name: str) -> None:
    del name


class OrderService:
    def __init__(
        self,
        session: OrderSession,
        journal: Journal,
        gate: RiskGate,
        *,
        clock: Clock,
        risk_state: RiskState | None = None,
        refs: OrderRefs | None = None,
        rules: ValidationRules = DEFAULT_RULES,
        quotes: Callable[[], Mapping[str, Quote]] = dict,
        checkpoint: Callable[[str], None] = _no_checkpoint,
        operator: str = "ibbot",
    ) -> None:
        self.session = session
        self.journal = journal
        self.gate = gate
        self.clock = clock
        self.rules = rules
        self.operator = operator  # who the system's own risk decisions are recorded as
        self.refs = refs or OrderRefs("ibb", random.Random(), clock.now)
        self._quotes = quotes
        self._checkpoint = checkpoint
        self.manager = OrderManager(self.refs, rules)
        self.book = PositionBook()  # the bot's own fills
        self.externals: dict[tuple[int, int, int], ExternalOrder] = {}
        self.last_reconciliation: Reconciliation | None = None
        self.last_run_id: int | None = None  # the journal's id of this process's latest reconciliation run
        self.changed = asyncio.Event()  # set on every order change (the kill switch waits on it)
        self.lock = asyncio.Lock()  # orders, reconciliation and the kill switch, one at a time
        self._listeners: list[OrderListener] = []
        self._recent: list[datetime] = []
        self._fills: dict[str, Fill] = {}  # exec_id -> fill, for the commission reports that follow
        self._charged: set[str] = set()  # exec ids whose commission is in the book
        self._recovering = True  # until the first reconciliation: fills arriving now were made while down
        self._tasks: set[asyncio.Task[None]] = set()
        self.risk_state = load_risk_state(journal) or risk_state or RiskState()
        self._load()
        self._unlisten = session.add_listener(self._on_event)

    # --- start and stop ---------------------------------------------------------------------------------------

    def _load(self) -> None:
        """The journal's orders and fills into the manager and the book: nothing is re-sent."""
        fills = self.journal.fills()
        by_ref: dict[str, list[Fill]] = {}
        for fill in fills:
            by_ref.setdefault(fill.order_ref, []).append(fill)
        orders = self.journal.orders()
        ours = {order.order_ref for order in orders}
        for order in orders:
            self.manager.adopt(order, by_ref.get(order.order_ref, ()))
        self.manager.know_exec_ids(fill.exec_id for fill in fills)
        for fill in fills:
            if fill.order_ref in ours:
                self.book.apply(fill)
            if fill.commission is not None:
                self._charged.add(fill.exec_id)

    async def start(self) -> Reconciliation:
        """Reconcile with the broker (the session is connected): the verdict decides whether orders may go."""
        return await run_reconciliation(self)

    async def close(self) -> None:
        self._unlisten()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def add_listener(self, listener: OrderListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # --- what the service holds -------------------------------------------------------------------------------

    @property
    def client_id(self) -> int:
        return self.session.supervisor.client_id

    @property
    def gateway(self) -> OrderGateway:
        gateway: OrderGateway = self.session.gateway
        return gateway

    def order(self, order_ref: str) -> Order | None:
        return self.manager.by_ref(order_ref)

    def positions(self) -> tuple[Position, ...]:
        return self.book.positions()

    def context(self, now: datetime, extra: tuple[Order, ...] = ()) -> RiskContext:
        positions = {position.instrument.key: position for position in self.book.positions()}
        self._recent = [moment for moment in self._recent if now - moment < _RECENT]
        return RiskContext(
            now=now,
            mode=self.risk_state.effective,
            positions=positions,
            working=(*self.manager.working(), *extra),
            quotes=self._quotes(),
            recent_orders=tuple(self._recent),
        )

    # --- out: orders ------------------------------------------------------------------------------------------

    async def submit(self, request: OrderRequest) -> Order:
        """Validate, gate, journal and send one order; `RiskRefusedError` (journaled) when the gate refuses."""
        async with self.lock:
            (order,) = self._prepare((request,))
            return await self._send(order)

    async def bracket(
        self, entry: OrderRequest, take_profit: Decimal | OrderRequest, stop_loss: Decimal | OrderRequest
    ) -> Bracket:
        """Entry, take profit and stop loss: all three gated and journaled first, then sent, the last transmits."""
        built = build_bracket(entry, take_profit, stop_loss, refs=self.refs)
        async with self.lock:
            parent, profit, loss = self._prepare(built.requests)
            sent_parent = await self._send(parent)
            await self._send(profit, parent_order_id=sent_parent.order_id)
            await self._send(loss, parent_order_id=sent_parent.order_id)
        return built

    def _prepare(self, requests: tuple[OrderRequest, ...]) -> list[Order]:
        """Every request validated and gated before any intent is written; then every intent written."""
        now = self.clock.now()
        ready: list[OrderRequest] = []
        pending: list[Order] = []
        for asked in requests:
            named = asked if asked.order_ref else replace(asked, order_ref=self.refs.next())
            checked = validate(named, now, self.rules)
            verdict = self.gate.check(checked, self.context(now, tuple(pending)))
            if not verdict.allowed:
                for event in verdict.events:
                    self.journal.record_risk_event(
                        time=event.time, check=event.check, reason=event.reason, order_ref=event.order_ref,
                        details={"strategy": event.strategy, "mode": event.mode.value},
                    )  # fmt: skip
                raise RiskRefusedError(verdict.check, verdict.reason)
            ready.append(checked)
            # The legs gated before this one count as working orders for the checks after it.
            pending.append(Order(request=checked, status=OrderStatus.NEW, created=now, updated=now))
        return self.create_unchecked(ready)

    def create_unchecked(self, requests: tuple[OrderRequest, ...] | list[OrderRequest]) -> list[Order]:
        """Intents written ahead without the gate: the gate's own orders (the kill switch's flattening)."""
        now = self.clock.now()
        created = []
        for request in requests:
            order = self.manager.create(request, now)
            self.journal.record_intent(order.request, order.created)
            self._recent.append(now)
            self._checkpoint("intent-written")
            created.append(order)
        return created

    async def send_created(self, order: Order, *, parent_order_id: int = 0) -> Order:
        """Send an intent `create_unchecked` wrote (the caller holds the lock)."""
        return await self._send(order, parent_order_id=parent_order_id)

    async def _send(self, order: Order, *, parent_order_id: int = 0) -> Order:
        try:
            order_id = await self.gateway.place_order(order.request, parent_order_id=parent_order_id)
        except BrokerError as exc:
            # Refused before it left (not connected): REJECTED, never re-sent under this ref.
            change = self.manager.reject(order.order_ref, str(exc), self.clock.now())
            self._record(change.order)
            raise
        self._checkpoint("order-sent")
        sent = self.manager.submitted(order.order_ref, order_id, self.client_id, self.clock.now())
        self._record(sent)
        self._checkpoint("order-recorded")
        return sent

    async def modify(self, order_ref: str, request: OrderRequest) -> Order:
        """New terms for a working order (gated like a new order), journaled, then sent under the same id."""
        async with self.lock:
            order = self.prepare_modify(order_ref, request)
            await self.gateway.modify_order(order.order_id, order.request)
            return order

    def prepare(self, requests: tuple[OrderRequest, ...]) -> list[Order]:
        """`submit`'s synchronous half for a runner that holds `lock`: validated, gated, intents written;
        `send_created` sends each afterwards (the strategy runner: hooks are synchronous)."""
        return self._prepare(requests)

    def prepare_modify(self, order_ref: str, request: OrderRequest) -> Order:
        """`modify`'s synchronous half (the caller holds `lock`): gated and journaled; send with `modify_order`."""
        now = self.clock.now()
        current = self.manager.by_ref(order_ref)
        if current is None:
            raise OrderError(f"no order {order_ref!r}")
        kept = replace(request, order_ref=order_ref)
        verdict = self.gate.check(validate(kept, now, self.rules), self.context(now))
        if not verdict.allowed:
            for event in verdict.events:
                self.journal.record_risk_event(
                    time=event.time, check=event.check, reason=event.reason, order_ref=order_ref
                )
            raise RiskRefusedError(verdict.check, verdict.reason)
        order = self.manager.modify(order_ref, kept, now)
        self._record(order)
        return order

    async def cancel(self, order_ref: str) -> None:
        """Cancel one order (never refused; RISK priority at the governor)."""
        await self._carry_out(self.manager.cancel(order_ref, self.clock.now()).send, ())

    async def cancel_all(self, strategy: str | None = None) -> tuple[Order, ...]:
        """Cancel every working order of `strategy` (of every strategy with None); the orders cancels went for."""
        plan = self.manager.cancel_all(self.clock.now(), strategy)
        await self._carry_out(plan.send, plan.dropped)
        return plan.send

    async def global_cancel(self) -> None:
        """reqGlobalCancel: every open order of the account, ours and others'."""
        plan = self.manager.global_cancel(self.clock.now())
        await self._carry_out((), plan.dropped)
        await self.gateway.global_cancel()

    async def _carry_out(self, send: tuple[Order, ...], dropped: tuple[OrderChange, ...]) -> None:
        for change in dropped:
            self._record(change.order)
            self._notify_order(change.order)
        for order in send:
            await self.gateway.cancel_order(order.order_id)

    # --- risk modes -------------------------------------------------------------------------------------------

    def set_risk_state(self, state: RiskState) -> None:
        """Keep the new mode in memory and in the journal's state table (it survives a restart)."""
        if state == self.risk_state:
            return
        self.risk_state = state
        save_risk_state(self.journal, state)

    @property
    def mode(self) -> Mode:
        return self.risk_state.effective

    async def halt(self, reason: str, who: str, *, flatten: bool = False, timeout: float = 10.0) -> None:
        await killswitch.halt(self, reason, who, flatten=flatten, timeout=timeout)

    def resume(self, who: str) -> None:
        killswitch.resume(self, who)

    def acknowledge(self, who: str) -> None:
        killswitch.acknowledge(self, who)

    async def reconcile(self) -> Reconciliation:
        return await run_reconciliation(self)

    # --- back: IB's reports -----------------------------------------------------------------------------------

    def _on_event(self, event: object) -> None:
        if isinstance(event, OrderUpdate):
            self.on_update(event)
        elif isinstance(event, Fill):
            self.on_fill(event, FillSource.RECOVERED if self._recovering else FillSource.LIVE)
        elif isinstance(event, CommissionReport):
            self.on_commission(event)
        elif isinstance(event, Notice):
            if event.code == _CONNECTIVITY_LOST:
                self._recovering = True
            self.on_notice(event)
        elif isinstance(event, LinkChange) and event.state is LinkState.DISCONNECTED:
            self._recovering = True
        elif isinstance(event, Resynced):
            self._spawn(self._after_resync())

    async def reconciled(self) -> None:
        """Wait until the reconciliations a `Resynced` started have finished (their failures are logged)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _after_resync(self) -> None:
        await run_reconciliation(self)

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work, name="ibbot-reconcile")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("reconciliation failed", exc_info=task.exception())

    def on_update(self, update: OrderUpdate) -> None:
        self._checkpoint("status-received")
        result = self.manager.on_update(update)
        if result is None:
            return
        if isinstance(result, ExternalOrder):
            self.externals[(update.client_id, update.order_id, update.perm_id)] = result
            return
        self._record(result.order, ib_status=update.ib_status)
        self._checkpoint("status-recorded")
        self._notify_order(result.order)

    def on_fill(self, fill: Fill, source: FillSource) -> bool:
        """One execution, from whichever path: True when it was new (journaled now)."""
        self._checkpoint("fill-received")
        outcome = self.manager.on_fill(fill)
        if not outcome.new:
            return False
        linked = outcome.fill
        with self.journal.reports():  # the fill and the state it moved its order to: one commit
            self.journal.record_fill(linked, source)
            if outcome.change is not None:
                self._record(outcome.change.order)
        self._fills[linked.exec_id] = linked
        if linked.commission is not None:
            self._charged.add(linked.exec_id)
        if not outcome.external:
            self.book.apply(linked)
        self._checkpoint("fill-recorded")
        for listener in list(self._listeners):
            listener.on_fill(linked)
        if outcome.change is not None:
            self._notify_order(outcome.change.order)
        return True

    def on_commission(self, report: CommissionReport) -> None:
        self._checkpoint("commission-received")
        if report.exec_id in self._charged or not self.journal.record_commission(
            report.exec_id, report.commission, report.currency
        ):
            return  # a repeat (IB sends it again with reqExecutions), or an execution the journal lacks
        self._charged.add(report.exec_id)
        fill = self._fills.get(report.exec_id)
        if fill is not None and self.manager.by_ref(fill.order_ref) is not None:
            self.book.charge(fill.account, fill.instrument, report.commission)
        self._checkpoint("commission-recorded")

    def on_notice(self, notice: Notice) -> None:
        change = self.manager.on_notice(notice, client_id=self.client_id)
        if change is None:
            return
        if change.warning:
            log.info("order %s: %s", change.order.order_ref, change.warning)
            return
        self._record(change.order)
        self._notify_order(change.order)

    # --- internals --------------------------------------------------------------------------------------------

    def _record(self, order: Order, *, ib_status: str = "") -> None:
        self.journal.record_order(order, ib_status=ib_status)

    def recovered(self) -> None:
        """A reconciliation has run: fills from now on are live ones."""
        self._recovering = False

    def _notify_order(self, order: Order) -> None:
        self.changed.set()
        for listener in list(self._listeners):
            listener.on_order(order)
