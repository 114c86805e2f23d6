"""Order book per instrument: working orders x quotes -> fills. Pure: time, quotes and trading hours are arguments.

Theory of operation
-------------------
* A quote is a refreshed top of book. `on_quote` matches the instrument's working orders in time priority
  against it; the displayed sizes are shared by the orders that take them within one quote, so an order larger
  than the touch fills partially and the rest follows on later quotes. `submit`/`modify` between quotes see
  the same book (and what earlier orders already took from it) when passed the same quote.
* Marketable orders take the touch: buys at the ask, sells at the bid (MIDPRICE at the midpoint), limited by
  the displayed size (None = unknown depth, no limit). Resting limits also fill, completely and at their limit
  price, when a trade prints through them (`Quote.last` below a buy limit, above a sell limit); only orders
  already resting before that quote can be filled that way.
* Stops (STP, STP LMT, TRAIL, TRAIL LIMIT) trigger when the trigger price reaches the stop, if-touched orders
  (MIT, LIT) when it reaches the trigger from the other side; then they work as MKT or LMT. The trigger price
  follows IB's trigger_method (default: last trade). Trailing stops ratchet towards the market, never back.
* MOC/LOC wait for `on_close`, OPG orders for `on_open`. DAY orders end at `on_session_end`, GTD at their date
  (checked by every call that passes `now`), IOC/FOK right after their first matching attempt. Outside regular
  hours (`in_rth=False`) only outside_rth orders trigger or fill.
* Linked orders, as TWS treats them: transmit=False holds an order (PreSubmitted) until an order of the same
  parent chain arrives (or is modified) with transmit=True, which releases the whole chain. Children stay
  PreSubmitted until their parent is completely filled; a cancelled parent takes its children with it. A child's
  fill reduces the other children by the same quantity and a complete fill cancels them (IB's bracket OCA).
* IB's algos (Adaptive, Vwap, Twap, ArrivalPx) fill by their own rules (`ibbot.sim.trading.algos`) instead of
  the above, each at most the displayed size at the touch it would take; their clock starts when they first work.
* OCA groups (by account and group name): type 1 (and 0) cancels the other members on any fill; types 2 and 3
  reduce their size in proportion to the filled share of the filling order and cancel them at zero. "Block"
  (overfill protection at the exchange) needs no modelling: fills here are atomic and the siblings are
  cancelled before the next order is looked at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ibbot.sim.errors import Rejection
from ibbot.sim.trading import algos
from ibbot.sim.trading.orders import (
    MODIFY_FILLED,
    MODIFY_MISMATCH,
    CancelReason,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderModified,
    OrderPriceUpdated,
    OrderRejected,
    OrderReleased,
    OrderSpec,
    OrderStatus,
    OrderTriggered,
    OrderType,
    OrderView,
    Step,
    TimeInForce,
    Trigger,
    cancel_not_cancellable,
    cancel_not_found,
    next_status,
    rejected,
    validate,
)
from ibbot.sim.trading.working import (
    Book,
    Key,
    Quote,
    WorkingOrder,
    condition_met,
    crosses,
    initial_limit,
    initial_stop,
    reprice,
)

__all__ = ["ADDED", "REMOVED", "MatchingEngine", "Quote"]

StepEvent = OrderAccepted | OrderReleased | OrderTriggered | OrderModified
ADDED, REMOVED = 1, 2  # IB's lastLiquidity; auction fills are reported as ADDED


class MatchingEngine:
    """Working orders of every client and account; each call returns the events it caused, in order."""

    def __init__(self) -> None:
        self._orders: dict[Key, WorkingOrder] = {}
        self._live: dict[int, dict[Key, WorkingOrder]] = {}  # con_id -> orders not yet terminal
        self._children: dict[Key, list[Key]] = {}
        self._oca: dict[tuple[str, str], list[Key]] = {}
        self._gtd: set[Key] = set()  # orders that may expire by date, so quotes need not scan every order
        self._held: set[Key] = set()  # transmit=False orders waiting for their chain to be transmitted
        self._books: dict[int, Book] = {}
        self._seq = 0
        self._epoch = 0
        self._rth = True  # the in_rth of the call being served, for orders started as a consequence

    # --- queries ------------------------------------------------------------------------------------------

    def order(self, order_id: int, *, client_id: int = 0) -> OrderView | None:
        rec = self._orders.get((client_id, order_id))
        return None if rec is None else rec.view()

    def knows(self, key: Key) -> bool:
        """Whether an order (client_id, order_id) was ever accepted (whatever its status)."""
        return key in self._orders

    def open_orders(self) -> list[OrderView]:
        return [r.view() for r in sorted(self._all_live(), key=lambda r: r.seq)]

    def orders(self) -> list[OrderView]:
        return [r.view() for r in self._orders.values()]

    # --- client requests ----------------------------------------------------------------------------------

    def submit(
        self, spec: OrderSpec, quote: Quote | None, now: datetime, *, min_tick: Decimal, in_rth: bool = True
    ) -> list[Event]:
        """A new order (the caller has checked the id is new, 103). What-if orders never enter the book."""
        if spec.what_if:
            return []
        self._rth = in_rth
        problem = validate(spec, min_tick=min_tick) or self._check_links(spec)
        if problem is not None:
            return [OrderRejected(client_id=spec.client_id, order_id=spec.order_id, rejection=problem, time=now)]
        self._book_for(spec.con_id, quote)
        rec = WorkingOrder(spec=spec, seq=self._next_seq(), min_tick=min_tick, oca_base=spec.quantity)
        rec.held = not spec.transmit
        parent = self._orders.get((spec.client_id, spec.parent_id)) if spec.parent_id else None
        rec.waiting_parent = parent is not None and parent.status is not OrderStatus.FILLED
        rec.arm()
        self._register(rec)
        if rec.held:
            return [self._step(rec, Step.HOLD, OrderAccepted, now)]
        return self._transmit(rec, OrderAccepted, now)

    def modify(
        self, spec: OrderSpec, quote: Quote | None, now: datetime, *, min_tick: Decimal, in_rth: bool = True
    ) -> list[Event]:
        """The same order id placed again: new prices, size, stop; 104 once filled."""
        self._rth = in_rth
        rec = self._orders.get((spec.client_id, spec.order_id))
        problem: Rejection | None
        if rec is None:
            problem = Rejection(code=135, text=f"Can't find order with id ={spec.order_id}")
        elif rec.status is OrderStatus.FILLED:
            problem = MODIFY_FILLED
        elif not rec.live:
            problem = rejected(f"The order cannot be modified, state: {rec.status.value}.")
        elif (spec.con_id, spec.is_buy, spec.parent_id, spec.account) != (
            rec.spec.con_id,
            rec.spec.is_buy,
            rec.spec.parent_id,
            rec.spec.account,
        ):
            problem = MODIFY_MISMATCH
        elif spec.quantity <= rec.filled and spec.quantity > 0:
            problem = rejected("The order size cannot be reduced to the filled quantity or below.")
        else:
            problem = validate(spec, min_tick=min_tick)
        if problem is not None:
            view = None if rec is None else rec.view()
            return [
                OrderRejected(client_id=spec.client_id, order_id=spec.order_id, rejection=problem, time=now, order=view)
            ]
        assert rec is not None
        book = self._book_for(spec.con_id, quote)
        type_changed = spec.order_type is not rec.spec.order_type
        trail_changed = (spec.aux_price, spec.trailing_percent, spec.trail_stop_price) != (
            rec.spec.aux_price,
            rec.spec.trailing_percent,
            rec.spec.trail_stop_price,
        )
        self._unindex(rec)
        rec.spec, rec.min_tick, rec.oca_base = spec, min_tick, spec.quantity
        self._index(rec)
        if type_changed:
            rec.arm()
        else:
            if not rec.triggered and (spec.rule.trigger is not Trigger.TRAIL or trail_changed):
                rec.stop = initial_stop(spec)  # a trailing stop keeps its ratchet unless its terms changed
            if spec.order_type not in (OrderType.REL, OrderType.MIDPRICE):  # those reprice on every quote
                rec.limit = initial_limit(spec)
            rec.follow_stop()
        rec.epoch = self._epoch
        events: list[Event] = [self._step(rec, Step.MODIFY, OrderModified, now)]
        if rec.held and spec.transmit:
            events += self._transmit(rec, OrderReleased, now)
        elif book is not None:
            events += self._work(rec, book, now)
        return events

    def cancel(self, order_id: int, now: datetime, *, client_id: int = 0) -> list[Event]:
        rec = self._orders.get((client_id, order_id))
        if rec is None or not rec.live:
            problem = cancel_not_found(order_id) if rec is None else cancel_not_cancellable(order_id, rec.status)
            view = None if rec is None else rec.view()
            return [OrderRejected(client_id=client_id, order_id=order_id, rejection=problem, time=now, order=view)]
        return self._cancel(rec, CancelReason.REQUESTED, now)

    def cancel_all(self, now: datetime) -> list[Event]:
        """reqGlobalCancel: every open order of every client."""
        events: list[Event] = []
        for rec in sorted(self._all_live(), key=lambda r: r.seq):
            if rec.live:
                events += self._cancel(rec, CancelReason.REQUESTED, now)
        return events

    # --- the market ---------------------------------------------------------------------------------------

    def on_quote(self, con_id: int, quote: Quote, now: datetime, *, in_rth: bool = True) -> list[Event]:
        """A refreshed book for `con_id`: expire, ratchet, trigger and fill its working orders."""
        self._rth = in_rth
        self._epoch += 1
        book = self._books[con_id] = Book(quote)
        events = self.expire(now)
        for rec in sorted(self._live.get(con_id, {}).values(), key=lambda r: r.seq):
            events += self._work(rec, book, now)
        return events

    def on_close(self, con_id: int, close_price: Decimal, now: datetime) -> list[Event]:
        """The closing auction: MOC orders fill at the close, LOC orders if it is within their limit."""
        return self._auction(con_id, close_price, now, lambda rec: rec.spec.rule.auction)

    def on_open(self, con_id: int, open_price: Decimal, now: datetime) -> list[Event]:
        """The opening auction: OPG orders (MKT, or LMT within the limit) fill at the open; the rest cancel."""
        return self._auction(con_id, open_price, now, lambda rec: rec.spec.tif is TimeInForce.OPG)

    def on_session_end(self, now: datetime, *, con_id: int | None = None) -> list[Event]:
        """The trading day ended (for one instrument, or all): DAY orders expire."""
        books = [self._live.get(con_id, {})] if con_id is not None else list(self._live.values())
        events: list[Event] = []
        for rec in sorted((r for b in books for r in b.values()), key=lambda r: r.seq):
            if rec.live and rec.spec.tif is TimeInForce.DAY:
                events += self._cancel(rec, CancelReason.EXPIRED, now)
        return events

    def expire(self, now: datetime) -> list[Event]:
        """GTD orders whose date has come."""
        events: list[Event] = []
        for rec in sorted((self._orders[k] for k in self._gtd), key=lambda r: r.seq):
            gtd = rec.spec.good_till_date
            if not rec.live or rec.spec.tif is not TimeInForce.GTD or gtd is None:
                self._gtd.discard(rec.key)
            elif gtd <= now:
                self._gtd.discard(rec.key)
                events += self._cancel(rec, CancelReason.EXPIRED, now)
        return events

    # --- lifecycle ----------------------------------------------------------------------------------------

    def _advance(self, rec: WorkingOrder, step: Step) -> OrderView:
        """Move `rec` through the status table; a terminal order leaves the book."""
        rec.status = next_status(rec.status, step)
        if not rec.live:
            self._live.get(rec.spec.con_id, {}).pop(rec.key, None)
            self._held.discard(rec.key)
        return rec.view()

    def _step(self, rec: WorkingOrder, step: Step, kind: type[StepEvent], now: datetime) -> StepEvent:
        return kind(order=self._advance(rec, step), time=now)

    def _transmit(
        self, rec: WorkingOrder, kind: type[OrderAccepted] | type[OrderReleased], now: datetime
    ) -> list[Event]:
        """`rec` arrived or was modified with transmit=True: release its held chain, start what may work."""
        if self._held:
            root = self._root(rec)
            held = [self._orders[k] for k in self._held]
            chain = sorted(
                [rec, *(r for r in held if r is not rec and r.live and r.held and self._root(r) == root)],
                key=lambda r: r.seq,
            )
        else:
            chain = [rec]  # nothing is held anywhere (the usual case): the chain is the order itself
        for r in chain:
            r.held = False
            self._held.discard(r.key)
        events: list[Event] = []
        to_start = [r for r in chain if not r.waiting_parent]  # decided now: a parent's fill starts children
        for r in chain:
            if r.waiting_parent:
                events.append(self._step(r, Step.HOLD, kind if r is rec else OrderReleased, now))
        for r in to_start:
            events += self._start(r, kind if r is rec else OrderReleased, now)
        return events

    def _start(self, rec: WorkingOrder, kind: type[OrderAccepted] | type[OrderReleased], now: datetime) -> list[Event]:
        """`rec` begins to work (or to wait for its trigger); IOC/FOK get their one attempt."""
        events: list[Event] = [self._step(rec, Step.WORK if rec.triggered else Step.HOLD, kind, now)]
        rec.epoch = self._epoch
        if rec.since is None:
            rec.since = now
        book = self._books.get(rec.spec.con_id)
        if book is not None:
            events += self._work(rec, book, now)
        if rec.live and rec.spec.tif in (TimeInForce.IOC, TimeInForce.FOK):
            reason = CancelReason.IOC if rec.spec.tif is TimeInForce.IOC else CancelReason.FOK
            events += self._cancel(rec, reason, now)
        return events

    def _cancel(self, rec: WorkingOrder, reason: CancelReason, now: datetime) -> list[Event]:
        events: list[Event] = [OrderCancelled(order=self._advance(rec, Step.CANCEL), time=now, reason=reason)]
        for child in self._kids(rec):  # attached orders go with their parent
            if child.live:
                events += self._cancel(child, CancelReason.PARENT, now)
        return events

    # --- matching -----------------------------------------------------------------------------------------

    def _work(self, rec: WorkingOrder, book: Book, now: datetime) -> list[Event]:
        spec = rec.spec
        if not rec.live or rec.held or rec.waiting_parent or spec.rule.auction or spec.tif is TimeInForce.OPG:
            return []
        if not (self._rth or spec.outside_rth):
            return []
        events: list[Event] = []
        if reprice(rec, book.quote):
            events.append(OrderPriceUpdated(order=rec.view(), time=now))
        if not rec.triggered:
            if not condition_met(rec, book.quote):
                return events
            rec.triggered = True
            rec.epoch = self._epoch  # the print that triggered it does not also fill it as a resting order
            events.append(self._step(rec, Step.WORK, OrderTriggered, now))
        return events + self._match(rec, book, now)

    def _match(self, rec: WorkingOrder, book: Book, now: datetime) -> list[Event]:
        if rec.spec.algo_strategy:
            return self._match_algo(rec, book, now)
        spec, buy = rec.spec, rec.spec.is_buy
        limit = rec.limit if spec.rule.limit else None
        if spec.rule.limit and limit is None:
            return []  # REL/MIDPRICE before their first price
        quote = book.quote
        price = quote.mid if spec.order_type is OrderType.MIDPRICE else (quote.ask if buy else quote.bid)
        events: list[Event] = []
        if price is not None and (limit is None or crosses(buy, price, limit)):
            available = book.available(buy)
            qty = rec.remaining if available is None else min(rec.remaining, available)
            if spec.tif is TimeInForce.FOK and qty < rec.remaining:
                return []  # all or nothing
            if qty > 0:
                book.take(buy, qty)
                events += self._fill(rec, qty, price, REMOVED, now)
        elif spec.tif is TimeInForce.FOK:
            return []
        last = quote.last
        if (
            limit is not None
            and rec.live
            and rec.remaining > 0
            and rec.epoch < self._epoch
            and last is not None
            and (last < limit if buy else last > limit)
        ):
            events += self._fill(rec, rec.remaining, limit, ADDED, now)  # the market traded through it
        return events

    def _match_algo(self, rec: WorkingOrder, book: Book, now: datetime) -> list[Event]:
        """An IB algo's step at this quote (`ibbot.sim.trading.algos`), within the displayed size it would take."""
        spec = rec.spec
        limit = rec.limit if spec.rule.limit else None
        fill = algos.step(spec, book.quote, limit=limit, filled=rec.filled, since=rec.since, tick=rec.min_tick, now=now)
        if fill is None:
            return []
        qty = rec.remaining if fill.quantity is None else min(fill.quantity, rec.remaining)
        available = book.available(spec.is_buy)
        if available is not None:
            qty = min(qty, available)
        if qty <= 0:
            return []
        book.take(spec.is_buy, qty)
        return self._fill(rec, qty, fill.price, REMOVED if fill.takes else ADDED, now)

    def _auction(
        self, con_id: int, price: Decimal, now: datetime, takes_part: Callable[[WorkingOrder], bool]
    ) -> list[Event]:
        events: list[Event] = []
        for rec in sorted(self._live.get(con_id, {}).values(), key=lambda r: r.seq):
            if not rec.live or rec.held or rec.waiting_parent or not takes_part(rec):
                continue
            limit = rec.limit if rec.spec.rule.limit else None
            if limit is None or crosses(rec.spec.is_buy, price, limit):
                events += self._fill(rec, rec.remaining, price, ADDED, now)
            else:
                events += self._cancel(rec, CancelReason.AUCTION, now)
        return events

    def _fill(self, rec: WorkingOrder, qty: Decimal, price: Decimal, liquidity: int, now: datetime) -> list[Event]:
        rec.filled += qty
        rec.notional += qty * price
        rec.last_fill_price = price
        done = rec.filled >= rec.spec.quantity
        view = self._advance(rec, Step.FILL if done else Step.PARTIAL_FILL)
        events: list[Event] = [
            OrderFilled(
                order=view,
                time=now,
                quantity=qty,
                price=price,
                cum_quantity=rec.filled,
                avg_price=view.avg_fill_price,
                remaining=view.remaining,
                liquidity=liquidity,
            )
        ]
        return events + self._after_fill(rec, qty, done, now)

    def _after_fill(self, rec: WorkingOrder, qty: Decimal, done: bool, now: datetime) -> list[Event]:
        events: list[Event] = []
        spec = rec.spec
        if spec.parent_id:  # the other children of the parent: IB's implicit OCA of a bracket
            parent = self._orders.get((spec.client_id, spec.parent_id))
            siblings = [] if parent is None else [s for s in self._kids(parent) if s is not rec and s.live]
            for sib in siblings:
                if done or sib.spec.quantity - qty <= sib.filled:
                    events += self._cancel(sib, CancelReason.BRACKET, now)
                else:
                    events += self._resize(sib, sib.spec.quantity - qty, now)
        if spec.oca_group:
            share = min(rec.filled / rec.oca_base, Decimal(1))
            for key in list(self._oca.get((spec.account, spec.oca_group), ())):
                sib = self._orders[key]
                if sib is rec or not sib.live:
                    continue
                if spec.oca_type in (0, 1):
                    events += self._cancel(sib, CancelReason.OCA, now)
                    continue
                target = sib.oca_base * (1 - share)
                if sib.oca_base == sib.oca_base.to_integral_value():
                    target = target.to_integral_value(rounding=ROUND_DOWN)
                if target <= sib.filled:
                    events += self._cancel(sib, CancelReason.OCA, now)
                elif target < sib.spec.quantity:
                    events += self._resize(sib, target, now)
        if done:  # children start working once their parent is completely filled
            for child in self._kids(rec):
                if child.live and child.waiting_parent:
                    child.waiting_parent = False
                    if not child.held:
                        events += self._start(child, OrderReleased, now)
        return events

    def _resize(self, rec: WorkingOrder, quantity: Decimal, now: datetime) -> list[Event]:
        rec.spec = replace(rec.spec, quantity=quantity)
        return [self._step(rec, Step.MODIFY, OrderModified, now)]

    # --- bookkeeping --------------------------------------------------------------------------------------

    def _check_links(self, spec: OrderSpec) -> Rejection | None:
        if not spec.parent_id:
            return None
        parent = self._orders.get((spec.client_id, spec.parent_id))
        if parent is None:
            return rejected(f"Parent order {spec.parent_id} is not found.")
        if parent.status in (OrderStatus.CANCELLED, OrderStatus.INACTIVE):
            return rejected(f"Parent order {spec.parent_id} is {parent.status.value}.")
        return None

    def _register(self, rec: WorkingOrder) -> None:
        self._orders[rec.key] = rec
        if rec.live:
            self._live.setdefault(rec.spec.con_id, {})[rec.key] = rec
            if rec.held:
                self._held.add(rec.key)
        if rec.spec.parent_id:
            self._children.setdefault((rec.spec.client_id, rec.spec.parent_id), []).append(rec.key)
        self._index(rec)

    def _index(self, rec: WorkingOrder) -> None:
        """The lookups that depend on the spec (OCA group, GTD), redone when a modify changes it."""
        if rec.spec.tif is TimeInForce.GTD and rec.live:
            self._gtd.add(rec.key)
        if rec.spec.oca_group:
            self._oca.setdefault((rec.spec.account, rec.spec.oca_group), []).append(rec.key)

    def _unindex(self, rec: WorkingOrder) -> None:
        members = self._oca.get((rec.spec.account, rec.spec.oca_group))
        if members and rec.key in members:
            members.remove(rec.key)

    def _kids(self, rec: WorkingOrder) -> list[WorkingOrder]:
        return [self._orders[k] for k in self._children.get(rec.key, ())]

    def _root(self, rec: WorkingOrder) -> Key:
        while rec.spec.parent_id and (parent := self._orders.get((rec.spec.client_id, rec.spec.parent_id))):
            rec = parent
        return rec.key

    def _all_live(self) -> list[WorkingOrder]:
        return [r for book in self._live.values() for r in book.values()]

    def _book_for(self, con_id: int, quote: Quote | None) -> Book | None:
        book = self._books.get(con_id)
        if quote is not None and (book is None or book.quote != quote):
            book = self._books[con_id] = Book(quote)
        return book

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # --- persistence --------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Plain, JSON-ready values: every order with its progress (books are market state, not kept)."""
        return {"seq": self._seq, "orders": [r.to_dict() for r in sorted(self._orders.values(), key=lambda r: r.seq)]}

    def order_state(self, order_id: int, *, client_id: int = 0) -> dict[str, Any] | None:
        """One order's entry of `to_state()["orders"]`, to persist orders one by one as they change."""
        rec = self._orders.get((client_id, order_id))
        return None if rec is None else rec.to_dict()

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MatchingEngine:
        engine = cls()
        engine._seq = int(state["seq"])
        for item in state["orders"]:
            engine._register(WorkingOrder.from_dict(item))
        return engine
