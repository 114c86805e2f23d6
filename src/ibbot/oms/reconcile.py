"""Reconciliation, at start-up and after every reconnect: the journal against what IB says, and a verdict.

Theory of operation. The journal's orders are adopted into a fresh `OrderManager` that already knows the
journal's exec ids; IB's executions go through `on_fill` first (new ones are to be recorded, exactly once), then
IB's open and completed orders through `on_update` (orders filled or cancelled while the bot was down are
brought up to date). What is left is judged:

* An intent (NEW or SUBMITTED: journaled, never acknowledged) that IB shows, by orderRef, is adopted as IB
  has it. One IB does not show, and that has no fills, is marked REJECTED as lost. It is never re-sent: it may
  be IB's answer we missed rather than the order, and re-sending under the same ref could double a position;
  the strategy decides again, under a new ref.
* Orders IB shows that the journal does not know are external; a working one could change a position.
* The position the journal's fills imply (plus the new fills) is compared with IB's positions.

Verdict: HALT when the two sides cannot both be right: IB reports less filled for one of our orders than the
journal recorded (a journaled fill IB does not know, for an order it does know), IB's status is a step the
table forbids (the journal says Filled, IB says Submitted), or a fill contradicts its order's side.
MONITOR_ONLY (no new orders until a person acknowledges) on a position discrepancy, a working external order,
or a working order of ours that IB no longer knows. SAFE otherwise; every finding is listed either way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from ibbot.errors import OrderStateError
from ibbot.model import Fill, Order, OrderRequest, OrderStatus, OrderUpdate, Position
from ibbot.oms import lifecycle
from ibbot.oms.changes import ExternalOrder, OrderChange
from ibbot.oms.manager import OrderManager
from ibbot.oms.positions import Discrepancy, PositionBook

_UNACKNOWLEDGED = frozenset({OrderStatus.NEW, OrderStatus.SUBMITTED})


class Verdict(enum.Enum):
    SAFE = "safe"  # trade on
    MONITOR_ONLY = "monitor_only"  # a discrepancy: no new orders until a person acknowledges it
    HALT = "halt"  # the journal and IB contradict each other: stop


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerOrder:
    """An order as IB lists it (open or completed). `update.filled`/`remaining` come from IB's orderStatus or
    the completed order; both zero means IB gave no quantities, and no fill check is made on them."""

    update: OrderUpdate
    request: OrderRequest | None = None  # what IB says the order is, where the adapter could build it


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconciliation:
    time: datetime
    verdict: Verdict
    reasons: tuple[str, ...]  # what decided the verdict (empty when SAFE)
    notes: tuple[str, ...]  # findings that do not stop trading (lost intents, external orders that ended ...)
    changes: tuple[OrderChange, ...]  # journal orders to bring up to date (adopted and lost intents included)
    fills: tuple[Fill, ...]  # our fills the journal lacks, linked to their order_ref
    adopted: tuple[str, ...]  # order_refs of unacknowledged intents IB shows
    lost: tuple[str, ...]  # order_refs of unacknowledged intents IB does not show (marked REJECTED)
    unresolved: tuple[str, ...]  # order_refs of working journal orders IB no longer shows (left as they are)
    external_orders: tuple[ExternalOrder, ...]
    external_fills: tuple[Fill, ...]
    discrepancies: tuple[Discrepancy, ...]


def reconcile(
    *,
    journal_orders: Iterable[Order],
    journal_fill_ids: Collection[str],
    journal_positions: Iterable[Position],
    broker_open_orders: Iterable[BrokerOrder],
    broker_completed: Iterable[BrokerOrder],
    broker_executions: Iterable[Fill],
    broker_positions: Iterable[Position],
    our_client_ids: Collection[int],
    now: datetime,
    is_ours: Callable[[str], bool] = lambda order_ref: False,
) -> Reconciliation:
    journal = {order.order_ref: order for order in journal_orders}
    manager = OrderManager()
    for order in journal.values():
        manager.adopt(order)
    manager.know_exec_ids(journal_fill_ids)
    halts: list[str] = []
    monitors: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()  # journal refs IB showed (an order or a fill)

    fills: list[Fill] = []
    external_fills: list[Fill] = []
    for fill in sorted(broker_executions, key=lambda fill: fill.time):
        try:
            outcome = manager.on_fill(fill)
        except OrderStateError as error:
            halts.append(str(error))
            continue
        if not outcome.new:
            continue
        if outcome.external:
            external_fills.append(fill)
            notes.append(f"external fill {fill.exec_id}: {fill.side.value} {fill.quantity} {fill.instrument}")
        else:
            fills.append(outcome.fill)
            seen.add(outcome.fill.order_ref)

    externals: list[ExternalOrder] = []
    for broker in (*broker_open_orders, *broker_completed):
        update = broker.update
        known = manager.find(update.order_ref, update.client_id, update.order_id, update.perm_id)
        if known is not None:
            seen.add(known.order_ref)
            journaled = journal.get(known.order_ref)
            has_quantities = update.filled > 0 or update.remaining > 0
            if journaled is not None and has_quantities and update.filled < journaled.filled:
                halts.append(f"order {known.order_ref}: the journal has {journaled.filled} filled, IB {update.filled}")
                continue
        try:
            result = manager.on_update(update)
        except OrderStateError as error:
            halts.append(f"{error} (IB's {update.ib_status}, journal's {known.status.value if known else '?'})")
            continue
        if isinstance(result, ExternalOrder):
            external = _external(result, broker.request, our_client_ids, is_ours)
            externals.append(external)
            (monitors if external.working else notes).append(f"external order {_describe(external)}")

    adopted, lost, unresolved = [], [], []
    for ref, order in journal.items():
        current = manager.by_ref(ref) or order  # every journal order was adopted above
        if order.status in _UNACKNOWLEDGED:
            if ref in seen:
                adopted.append(ref)
            else:
                lost.append(ref)
                reason = "lost: never acknowledged and not found at IB after a restart; not re-sent"
                manager.adopt(lifecycle.step(current, lifecycle.REJECT, time=now, reason=reason))
                notes.append(f"intent {ref} ({_request_text(order.request)}) {reason}")
        elif current.status.is_working and ref not in seen:
            unresolved.append(ref)
            monitors.append(f"order {ref} is {current.status.value} in the journal but unknown to IB")

    book = PositionBook.from_positions(journal_positions)
    for fill in fills:
        book.apply(fill)
    discrepancies = tuple(book.compare(broker_positions))
    monitors.extend(f"position differs: {discrepancy}" for discrepancy in discrepancies)

    changes = tuple(
        OrderChange(order=after, previous=before.status, cause="reconciliation")
        for ref, before in journal.items()
        if (after := manager.by_ref(ref)) is not None and after != before
    )
    verdict = Verdict.HALT if halts else Verdict.MONITOR_ONLY if monitors else Verdict.SAFE
    return Reconciliation(
        time=now,
        verdict=verdict,
        reasons=(*halts, *monitors),
        notes=tuple(notes),
        changes=changes,
        fills=tuple(fills),
        adopted=tuple(adopted),
        lost=tuple(lost),
        unresolved=tuple(unresolved),
        external_orders=tuple(externals),
        external_fills=tuple(external_fills),
        discrepancies=discrepancies,
    )


def _external(
    report: ExternalOrder,
    request: OrderRequest | None,
    our_client_ids: Collection[int],
    is_ours: Callable[[str], bool],
) -> ExternalOrder:
    update = report.update
    if update.order_ref and is_ours(update.order_ref):
        reason = f"orderRef {update.order_ref} looks like ibbot's but the journal does not know it"
    elif update.client_id in our_client_ids and update.order_id > 0:
        reason = f"placed by our client id {update.client_id} but unknown to the journal"
    else:
        reason = report.reason
    return ExternalOrder(update=update, reason=reason, request=request)


def _request_text(request: OrderRequest) -> str:
    return f"{request.side.value} {request.quantity} {request.instrument} {request.order_type.value}"


def _describe(external: ExternalOrder) -> str:
    update = external.update
    what = _request_text(external.request) if external.request is not None else "details unknown"
    return f"{update.client_id}/{update.order_id} perm {update.perm_id} ({what}, {update.ib_status}): {external.reason}"
