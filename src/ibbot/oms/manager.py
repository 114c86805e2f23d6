"""The order manager: every order of this framework by `order_ref` and by IB's ids, moved by IB's reports.

Pure: the shell journals what comes back (the intent from `create` before anything is sent, then every change
and every new fill) and does the sending. Fills are recorded exactly once by `exec_id`, whichever path brings
them (live, recovered after a reconnect, replayed from the journal at start-up): the set of seen ids is the
only gate. An order's filled quantity is the larger of IB's orderStatus figure and the sum of its fills, so a
status that runs ahead of its executions, or fills replayed onto an order adopted with its filled quantity,
never count twice; the average price comes from the fills (Decimal) once they have caught up.

Reports about orders the manager does not know are `ExternalOrder`s, never errors. Notices move an order only
on a code that ends it (201 rejected, 202 cancelled) or rejects a new order (`REJECTS_PENDING`, while it is
still unacknowledged); every other code about an order (399, 2109, 2137, 10349 ...) is attached as a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from ibbot.connection.codes import OrderEffect, Scope, classify
from ibbot.errors import OrderError, OrderStateError
from ibbot.model import Fill, Notice, Order, OrderRequest, OrderStatus, OrderUpdate
from ibbot.oms import lifecycle
from ibbot.oms.changes import CancelPlan, ExternalOrder, FillOutcome, OrderChange
from ibbot.oms.refs import OrderRefs
from ibbot.oms.validation import DEFAULT_RULES, ValidationRules, validate
from ibbot.oms.values import copy_order, copy_request
from ibbot.protocol.types import fast_constructor

ZERO = Decimal(0)
_CANCELLABLE = frozenset({OrderStatus.SUBMITTED, OrderStatus.WORKING, OrderStatus.PARTIALLY_FILLED})
_UNACKNOWLEDGED = frozenset({OrderStatus.NEW, OrderStatus.SUBMITTED})
_NOT_ABOUT_ORDERS = frozenset({Scope.SESSION, Scope.REQUEST})
_CANCEL_CODE = 202
# The terminal states as a tuple: `in` compares identities, where `status.is_terminal` hashes the enum in Python.
OVER = tuple(status for status in OrderStatus if status.is_terminal)
# The same objects as Order(...), OrderChange(...), FillOutcome(...) at a fraction of the cost: every order makes
# several.
_new_order = fast_constructor(Order)
_new_change = fast_constructor(OrderChange)
_new_outcome = fast_constructor(FillOutcome)


class OrderManager:
    def __init__(self, refs: OrderRefs | None = None, rules: ValidationRules = DEFAULT_RULES) -> None:
        self._refs = refs  # None: every request must come with its order_ref (reconciliation, replays)
        self._rules = rules
        self._orders: dict[str, Order] = {}
        self._working: dict[str, Order] = {}  # the orders not over yet: the gate asks for them on every order
        self._by_id: dict[tuple[int, int], str] = {}  # (client id, order id): IB's order ids are per client
        self._by_perm: dict[int, str] = {}
        self._exec_ids: set[str] = set()
        self._fill_totals: dict[str, tuple[Decimal, Decimal]] = {}  # quantity and quantity x price of fills

    # --- what the manager holds ------------------------------------------------------------------------

    def by_ref(self, order_ref: str) -> Order | None:
        return self._orders.get(order_ref)

    def find(self, order_ref: str = "", client_id: int = 0, order_id: int = 0, perm_id: int = 0) -> Order | None:
        """The order a report names: by orderRef when it has one, else by permId, else by client and order id."""
        if order_ref:
            # A foreign orderRef is never ours, whatever ids it shares with one of ours.
            return self._orders.get(order_ref)
        ref = self._by_perm.get(perm_id) if perm_id else None
        if ref is None and order_id:
            ref = self._by_id.get((client_id, order_id))
        return None if ref is None else self._orders[ref]

    @property
    def orders(self) -> tuple[Order, ...]:
        return tuple(self._orders.values())

    @property
    def known_exec_ids(self) -> frozenset[str]:
        return frozenset(self._exec_ids)

    def working(self, strategy: str | None = None) -> tuple[Order, ...]:
        """Orders not over yet (NEW included), of one strategy or of all."""
        if strategy is None:
            return tuple(self._working.values())
        return tuple(order for order in self._working.values() if order.request.strategy == strategy)

    def cancel_targets(self, strategy: str | None = None) -> tuple[Order, ...]:
        """What cancel-all must send a cancel for: sent, not over, no cancel pending."""
        return tuple(order for order in self.working(strategy) if order.status in _CANCELLABLE)

    # --- the framework's own steps ---------------------------------------------------------------------

    def create(self, request: OrderRequest, now: datetime) -> Order:
        """A NEW order for a validated `request`, with an order_ref; the shell journals it, then sends it."""
        if not request.order_ref:
            if self._refs is None:
                raise OrderError(f"{request.side.value} {request.instrument}: no order_ref and no OrderRefs")
            request = copy_request(request, order_ref=self._refs.next())
        if request.order_ref in self._orders:
            raise OrderError(f"order_ref {request.order_ref} is already in use")
        checked = validate(request, now, self._rules)
        order = _new_order(request=checked, status=OrderStatus.NEW, created=now, updated=now)
        self._store(order)
        return order

    def submitted(self, order_ref: str, order_id: int, client_id: int, now: datetime) -> Order:
        """The shell sent the order under IB's `order_id` on `client_id`."""
        order = self._get(order_ref)
        if order.order_id and (order.order_id, order.client_id) != (order_id, client_id):
            raise OrderStateError(
                f"order {order_ref} was sent as {order.client_id}/{order.order_id}, not {client_id}/{order_id}"
            )
        if order.status is OrderStatus.NEW:
            order = lifecycle.step(order, lifecycle.API_PENDING, time=now)
        # IB's acknowledgement may already have moved it: then only the ids are new.
        order = copy_order(order, order_id=order_id, client_id=client_id)
        self._store(order)
        return order

    def reject(self, order_ref: str, reason: str, now: datetime) -> OrderChange:
        """An intent that could not leave (not connected, refused by the shell): REJECTED, never re-sent."""
        order = self._get(order_ref)
        if order.status is not OrderStatus.NEW:
            raise OrderStateError(f"order {order_ref} is {order.status.value}: only a NEW order can be refused here")
        return self._change(order, lifecycle.step(order, lifecycle.REJECT, time=now, reason=reason), "refused")

    def modify(self, order_ref: str, request: OrderRequest, now: datetime) -> Order:
        """The order with its new request (quantity, prices, time in force); the shell sends it under the same id."""
        order = self._get(order_ref)
        old = order.request
        if order.status.is_terminal or order.status is OrderStatus.PENDING_CANCEL:
            raise OrderError(f"order {order_ref} is {order.status.value}: it cannot be modified")
        if request.instrument.key != old.instrument.key or request.side is not old.side:
            raise OrderError(f"order {order_ref}: a modify must keep {old.side.value} {old.instrument}")
        if request.order_type is not old.order_type:
            raise OrderError(f"order {order_ref}: IB does not change an order's type ({old.order_type.value})")
        if request.order_ref not in ("", order_ref):
            raise OrderError(f"order {order_ref}: a modify cannot change the order_ref to {request.order_ref}")
        if request.quantity <= order.filled:
            raise OrderError(f"order {order_ref}: quantity {request.quantity} is not above the filled {order.filled}")
        kept = replace(request, order_ref=order_ref, parent_ref=old.parent_ref, strategy=old.strategy)
        kept = replace(kept, oca_group=old.oca_group, oca_type=old.oca_type)  # the links of a bracket or group stay
        order = replace(order, request=validate(kept, now, self._rules), updated=now)
        self._store(order)
        return order

    def cancel(self, order_ref: str, now: datetime) -> CancelPlan:
        return self._plan((self._get(order_ref),), now)

    def cancel_all(self, now: datetime, strategy: str | None = None) -> CancelPlan:
        """Every order of `strategy` (of all strategies with None): cancels to send, unsent intents dropped."""
        return self._plan(self.working(strategy), now)

    def global_cancel(self, now: datetime) -> CancelPlan:
        """reqGlobalCancel: IB cancels every open order of the account, ours and others'."""
        return replace(self._plan(self.working(), now), global_cancel=True)

    # --- what IB reports ---------------------------------------------------------------------------------

    def on_update(self, update: OrderUpdate) -> OrderChange | ExternalOrder | None:
        """An orderStatus: the change it made, None for a duplicate or stale one, or an external order."""
        order = self.find(update.order_ref, update.client_id, update.order_id, update.perm_id)
        if order is None:
            reason = f"orderRef {update.order_ref!r} is not ours" if update.order_ref else "no orderRef"
            return ExternalOrder(update=update, reason=reason)
        moved = lifecycle.advance(order, update)
        if moved is order:
            return None
        return self._change(order, moved, f"orderStatus {update.ib_status}")

    def on_fill(self, fill: Fill) -> FillOutcome:
        """An execution: new (record it, the order moved) or a duplicate by exec_id (drop it)."""
        if fill.exec_id in self._exec_ids:
            return FillOutcome(fill=fill, new=False)
        order = self.find(fill.order_ref, fill.client_id, fill.order_id, fill.perm_id)
        if order is None:
            self._exec_ids.add(fill.exec_id)
            return FillOutcome(fill=fill, new=True, external=True)
        if fill.side is not order.side:
            raise OrderStateError(
                f"fill {fill.exec_id} is a {fill.side.value} for {order.side.value} order {order.order_ref}"
            )
        self._exec_ids.add(fill.exec_id)
        quantity, notional = self._fill_totals.get(order.order_ref, (ZERO, ZERO))
        quantity, notional = quantity + fill.quantity, notional + fill.quantity * fill.price
        self._fill_totals[order.order_ref] = (quantity, notional)
        average = notional / quantity
        complete = max(quantity, order.filled) >= order.request.quantity
        event = lifecycle.COMPLETE_FILL if complete else lifecycle.PARTIAL_FILL
        moved = lifecycle.step(order, event, time=fill.time, filled=quantity, avg_fill_price=average)
        if quantity >= moved.filled and moved.avg_fill_price != average:
            moved = copy_order(moved, avg_fill_price=average)  # the fills' exact Decimal over IB's float
        change = self._change(order, moved, f"fill {fill.exec_id}")
        linked = fill if fill.order_ref else replace(fill, order_ref=order.order_ref)
        return _new_outcome(fill=linked, new=True, change=change)

    def on_notice(self, notice: Notice, *, client_id: int | None = None) -> OrderChange | None:
        """An error or notice: the order it moved or warned, or None when it concerns none of ours."""
        code = classify(notice.code, notice.text)
        if notice.req_id < 0 or code.scope in _NOT_ABOUT_ORDERS:
            return None
        order = self._find_by_order_id(notice.req_id, client_id)
        if order is None:
            return None
        text = f"{notice.code} {notice.text}"
        ends = code.order_effect is OrderEffect.ENDS and not order.status.is_terminal
        rejects_new = code.order_effect is OrderEffect.REJECTS_PENDING and order.status in _UNACKNOWLEDGED
        if not (ends or rejects_new):
            return OrderChange(order=order, previous=order.status, cause=f"notice {notice.code}", warning=text)
        event = lifecycle.CANCELLED if notice.code == _CANCEL_CODE else lifecycle.REJECT
        moved = lifecycle.step(order, event, time=notice.time, reason=text)
        return self._change(order, moved, f"notice {notice.code}")

    # --- start-up ------------------------------------------------------------------------------------------

    def adopt(self, order: Order, fills: Iterable[Fill] = ()) -> None:
        """A journaled order (and its journaled fills) taken over as it stands, nothing re-sent."""
        self._store(order)
        for fill in fills:
            if fill.exec_id in self._exec_ids:
                continue
            self._exec_ids.add(fill.exec_id)
            quantity, notional = self._fill_totals.get(order.order_ref, (ZERO, ZERO))
            self._fill_totals[order.order_ref] = (quantity + fill.quantity, notional + fill.quantity * fill.price)

    def know_exec_ids(self, exec_ids: Iterable[str]) -> None:
        """Exec ids the journal already holds (external fills included): they will be duplicates."""
        self._exec_ids.update(exec_ids)

    # --- internals ---------------------------------------------------------------------------------------

    def _get(self, order_ref: str) -> Order:
        order = self._orders.get(order_ref)
        if order is None:
            raise OrderError(f"no order {order_ref!r}")
        return order

    def _store(self, order: Order) -> None:
        ref = order.request.order_ref
        self._orders[ref] = order
        if order.status in OVER:
            self._working.pop(ref, None)
        else:
            self._working[ref] = order
        if order.order_id:
            self._by_id[(order.client_id, order.order_id)] = ref
        if order.perm_id:
            self._by_perm[order.perm_id] = ref

    def _change(self, before: Order, after: Order, cause: str) -> OrderChange:
        self._store(after)
        return _new_change(order=after, previous=before.status, cause=cause)

    def _find_by_order_id(self, order_id: int, client_id: int | None) -> Order | None:
        matches = [
            self._orders[ref]
            for (client, number), ref in self._by_id.items()
            if number == order_id and (client_id is None or client == client_id)
        ]
        live = [order for order in matches if order.status.is_working]
        candidates = live or matches
        return candidates[-1] if candidates else None

    def _plan(self, orders: Iterable[Order], now: datetime) -> CancelPlan:
        send: list[Order] = []
        dropped: list[OrderChange] = []
        skipped: list[Order] = []
        for order in orders:
            if order.status is OrderStatus.NEW:
                moved = lifecycle.step(order, lifecycle.CANCELLED, time=now, reason="cancelled before it was sent")
                dropped.append(self._change(order, moved, "cancelled unsent"))
            elif order.status in _CANCELLABLE:
                send.append(order)
            else:
                skipped.append(order)
        return CancelPlan(send=tuple(send), dropped=tuple(dropped), skipped=tuple(skipped))
