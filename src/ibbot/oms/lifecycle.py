"""The order lifecycle as a table: IB's status words and fill events moving ibbot's `OrderStatus`.

Theory of operation. Every report about an order becomes one *event*: IB's orderStatus word (ApiPending,
PendingSubmit, PendingCancel, PreSubmitted, Submitted, ApiCancelled, Cancelled, Filled, Inactive) or one of
three derived events, `PARTIAL_FILL`, `COMPLETE_FILL` and `REJECT`. `TRANSITIONS[(state, event)]` is the next
state; a pair missing from the table is impossible and raises `OrderStateError` (a bug somewhere, never
ignored). IB's quirks are folded into the derivation of the event, so the table stays a plain lookup:

* "Filled" with remaining > 0 is a partial fill (IB reports partial executions with that word).
* "Submitted"/"PreSubmitted" after some fills leaves the order PARTIALLY_FILLED, not WORKING.
* "Cancelled" whose reason is a rejection (201: ib_async reports IB's rejection as a cancel) is `REJECT`.
* "Inactive" whose reason names a code that ends or rejects an order (201, 203 ...) is `REJECT`; a bare
  "Inactive" is an order IB accepted and holds (a bracket child, outside its hours): it counts as WORKING.
* "PendingCancel" then "Filled": the fill wins (an execution is a fact; the cancel came too late).
* Fills are facts: a complete fill makes an order FILLED from any state, even CANCELLED or REJECTED (the
  cancellation or the rejection raced the execution).

Stale and duplicate reports are no-ops, not errors: the same status again, or a report whose filled quantity is
older (smaller) than what the order already has. Filled quantities only grow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from ibbot.connection.codes import Action, OrderEffect, classify
from ibbot.errors import OrderStateError
from ibbot.model import Order, OrderStatus, OrderUpdate
from ibbot.oms.values import copy_order

# IB's orderStatus words.
API_PENDING = "ApiPending"
PENDING_SUBMIT = "PendingSubmit"
PENDING_CANCEL = "PendingCancel"
PRE_SUBMITTED = "PreSubmitted"
SUBMITTED = "Submitted"
API_CANCELLED = "ApiCancelled"
CANCELLED = "Cancelled"
FILLED = "Filled"
INACTIVE = "Inactive"
IB_STATUSES = frozenset(
    {API_PENDING, PENDING_SUBMIT, PENDING_CANCEL, PRE_SUBMITTED, SUBMITTED, API_CANCELLED, CANCELLED, FILLED, INACTIVE}
)
# Events derived by ibbot.
PARTIAL_FILL = "partial fill"
COMPLETE_FILL = "complete fill"
REJECT = "reject"  # Inactive with a rejecting code, an order-ending notice, or an intent lost before it left
EVENTS = IB_STATUSES | {PARTIAL_FILL, COMPLETE_FILL, REJECT}

# IB words that say the order is over; a report with one of them is never stale, whatever its filled quantity.
TERMINAL_WORDS = frozenset({API_CANCELLED, CANCELLED, FILLED, INACTIVE})

S = OrderStatus
_PENDING = (API_PENDING, PENDING_SUBMIT)
_LIVE = (PRE_SUBMITTED, SUBMITTED)
_CANCELS = (API_CANCELLED, CANCELLED)


def _rows() -> dict[tuple[OrderStatus, str], OrderStatus]:
    rows: dict[tuple[OrderStatus, str], OrderStatus] = {}

    def add(state: OrderStatus, events: tuple[str, ...] | str, target: OrderStatus) -> None:
        for event in (events,) if isinstance(events, str) else events:
            rows[(state, event)] = target

    # NEW takes what SUBMITTED takes: IB's acknowledgement can race our own record of having sent it.
    for state in (S.NEW, S.SUBMITTED):
        add(state, _PENDING, S.SUBMITTED)
        add(state, _LIVE, S.WORKING)
        add(state, INACTIVE, S.WORKING)  # accepted but held (IB's "Inactive" without a rejecting code)
    for state in (S.NEW, S.SUBMITTED, S.WORKING, S.PARTIALLY_FILLED):
        add(state, PENDING_CANCEL, S.PENDING_CANCEL)
        add(state, PARTIAL_FILL, S.PARTIALLY_FILLED)
    for state in (S.NEW, S.SUBMITTED, S.WORKING, S.PARTIALLY_FILLED, S.PENDING_CANCEL):
        add(state, _CANCELS, S.CANCELLED)  # after a partial fill too: the order keeps its filled quantity
        add(state, (FILLED, COMPLETE_FILL), S.FILLED)
        add(state, REJECT, S.REJECTED)
    # A live order: a late or repeated acknowledgement is stale; a bare Inactive is a hold.
    add(S.WORKING, (*_PENDING, *_LIVE, INACTIVE), S.WORKING)
    add(S.PARTIALLY_FILLED, (*_PENDING, *_LIVE, INACTIVE), S.PARTIALLY_FILLED)
    add(S.PENDING_CANCEL, (*_PENDING, PENDING_CANCEL, INACTIVE, PARTIAL_FILL), S.PENDING_CANCEL)
    add(S.PENDING_CANCEL, _LIVE, S.WORKING)  # the cancel was refused (161, 10148): IB says it works again
    # Terminal states: repeats and late words that agree are no-ops; executions are facts.
    add(S.FILLED, (FILLED, COMPLETE_FILL, PARTIAL_FILL, *_CANCELS), S.FILLED)  # Filled wins over a late cancel
    add(S.CANCELLED, (*_CANCELS, INACTIVE, REJECT, PARTIAL_FILL), S.CANCELLED)
    add(S.CANCELLED, (FILLED, COMPLETE_FILL), S.FILLED)
    add(S.REJECTED, (*_CANCELS, INACTIVE, REJECT, PARTIAL_FILL), S.REJECTED)  # IB follows 201 with Cancelled
    add(S.REJECTED, (FILLED, COMPLETE_FILL), S.FILLED)
    return rows


TRANSITIONS: Mapping[tuple[OrderStatus, str], OrderStatus] = MappingProxyType(_rows())

_LEADING_CODE = re.compile(r"\s*(?:error\s*)?(\d+)", re.IGNORECASE)


def rejecting_code(reason: str) -> int | None:
    """The IB code at the start of `reason` ("201 Order rejected ...") if it ends or rejects an order."""
    match = _LEADING_CODE.match(reason)
    if match is None:
        return None
    code = int(match.group(1))
    return None if classify(code, reason).order_effect is OrderEffect.NONE else code


def event_of(order: Order, update: OrderUpdate) -> str:
    """The table's event for an orderStatus report, IB's quirks folded in."""
    word = update.ib_status
    if word not in IB_STATUSES:
        raise OrderStateError(f"order {order.order_ref or update.order_id}: unknown IB status {word!r}")
    if word == FILLED and update.remaining > 0:
        return PARTIAL_FILL
    if word == INACTIVE and rejecting_code(update.reason) is not None:
        return REJECT
    if word == CANCELLED and _rejected(update.reason):
        return REJECT  # ib_async turns IB's 201 into "Cancelled": the reason says it was a rejection
    return word


def _rejected(reason: str) -> bool:
    match = _LEADING_CODE.match(reason)
    return match is not None and classify(int(match.group(1)), reason).action is Action.REJECT_ORDER


def step(
    order: Order,
    event: str,
    *,
    time: datetime,
    filled: Decimal | None = None,
    avg_fill_price: Decimal | None = None,
    reason: str = "",
) -> Order:
    """`order` after `event`; the same object when nothing changes. Raises `OrderStateError` if impossible."""
    target = TRANSITIONS.get((order.status, event))
    if target is None:
        raise OrderStateError(f"order {order.order_ref or order.order_id}: {order.status.value} cannot take {event!r}")
    new_filled = order.filled if filled is None or filled <= order.filled else filled
    if target is S.WORKING and new_filled > 0:
        target = S.PARTIALLY_FILLED  # "Submitted" after fills: still partially filled
    new_avg = avg_fill_price if new_filled > order.filled and avg_fill_price is not None else order.avg_fill_price
    new_reason = reason if reason and target in (S.CANCELLED, S.REJECTED) and target is not order.status else ""
    if target is order.status and new_filled == order.filled and new_avg == order.avg_fill_price:
        return order
    return copy_order(
        order,
        status=target,
        updated=time,
        filled=new_filled,
        avg_fill_price=new_avg,
        reason=new_reason or order.reason,
    )


def advance(order: Order, update: OrderUpdate) -> Order:
    """`order` after IB's orderStatus `update`; the same object for a duplicate or stale report."""
    if update.filled < order.filled and update.ib_status not in TERMINAL_WORDS:
        return order  # an older report overtaken by fills we already know
    moved = step(
        order,
        event_of(order, update),
        time=update.time,
        filled=update.filled,
        avg_fill_price=update.avg_fill_price,
        reason=update.reason,
    )
    # IB's ids the order did not have yet (the common report carries none that are new: no copy then).
    order_id = update.order_id if update.order_id and not moved.order_id else moved.order_id
    perm_id = update.perm_id if update.perm_id and not moved.perm_id else moved.perm_id
    client_id = update.client_id if update.client_id and not moved.client_id else moved.client_id
    if order_id == moved.order_id and perm_id == moved.perm_id and client_id == moved.client_id:
        return moved
    return copy_order(moved, order_id=order_id, perm_id=perm_id, client_id=client_id)
