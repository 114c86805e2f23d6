"""The paper/live `Context`: a strategy's synchronous calls carried out over the order service and the feeds.

Theory of operation. Hooks run on the event loop, one at a time, while the runner holds the order service's
lock (`StrategyRunner._dispatch`), so every synchronous half runs where `submit` would run it:

* `submit` / `submit_bracket` validate, gate, create and journal the intents at once (`OrderService.prepare`,
  write-ahead) and return the NEW orders; a task then sends them under the lock, in the order they were made
  (asyncio's lock is FIFO). A bracket's legs go parent first, each child with the parent's order id, the last
  transmitting (`oms.bracket` sets the flags).
* `modify` is gated and journaled at once (`prepare_modify`); the modify leaves in a task. `cancel` is a task
  too: a cancel is never refused. An order still NEW when its cancel is handled is never sent.
* The strategy keeps the instrument handles it made; IB's qualified instruments (with conIds) stay behind this
  class: bars, quotes, orders, fills and positions handed to the strategy name the handle.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from ibbot.clock import Clock
from ibbot.engine.orders import OrderService
from ibbot.errors import OrderError, StrategyError
from ibbot.model import AccountValue, Bar, BarSize, Fill, Instrument, Order, OrderRequest, OrderStatus, Position
from ibbot.oms import OrderRefs
from ibbot.oms import bracket as build_bracket
from ibbot.strategy.context import Account, BracketOrders

log = logging.getLogger(__name__)

ZERO = Decimal(0)
HISTORY_KEPT = 5000  # bars kept per series for `history()`


@dataclass(slots=True)
class Registered:
    """One instrument the strategy asked for: its handle, and IB's qualified form once known."""

    handle: Instrument
    qualified: Instrument | None = None
    bar_sizes: list[BarSize] = field(default_factory=list)
    quotes: bool = False
    bars: deque[Bar] = field(default_factory=lambda: deque(maxlen=HISTORY_KEPT))
    mark: Decimal | None = None  # the last price seen (a quote's mid or last, a bar's close)


class Discovery:
    """A context that only notes which instruments `on_start` asks for (the runner qualifies them before the real
    `on_start` runs, so an order placed there is gated with the instrument's hours); everything else is inert."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._refs = OrderRefs("discover", random.Random(0), clock.now)  # refs that link a bracket's legs, unused
        self.instruments: dict[str, Instrument] = {}

    def now(self) -> datetime:
        return self._clock.now()

    def instrument(self, instrument: Instrument) -> Instrument:
        return self.instruments.setdefault(instrument.key, instrument)

    def subscribe_bars(self, instrument: Instrument, bar_size: BarSize) -> None:
        return None

    def subscribe_quotes(self, instrument: Instrument) -> None:
        return None

    def submit(self, request: OrderRequest) -> Order:
        now = self._clock.now()
        return Order(request=request, status=OrderStatus.NEW, created=now, updated=now)

    def submit_bracket(
        self, entry: OrderRequest, take_profit: Decimal | OrderRequest, stop_loss: Decimal | OrderRequest
    ) -> BracketOrders:
        legs = build_bracket(entry, take_profit, stop_loss, refs=self._refs).requests
        parent, profit, loss = (self.submit(leg) for leg in legs)
        return BracketOrders(entry=parent, take_profit=profit, stop_loss=loss)

    def modify(self, order_ref: str, request: OrderRequest) -> Order:
        return self.submit(request)

    def cancel(self, order_ref: str) -> None:
        return None

    def order(self, order_ref: str) -> Order | None:
        return None

    def working_orders(self) -> Sequence[Order]:
        return ()

    def position(self, instrument: Instrument) -> Position:
        return Position(account="", instrument=instrument, quantity=ZERO)

    def positions(self) -> Sequence[Position]:
        return ()

    def account(self) -> Account:
        return Account(cash=ZERO, equity=ZERO)

    def history(self, instrument: Instrument, count: int) -> Sequence[Bar]:
        return ()


class LiveContext:
    """`ibbot.strategy.context.Context` over an `OrderService` (paper and live trading)."""

    def __init__(
        self, service: OrderService, clock: Clock, *, spawn: Callable[[Coroutine[Any, Any, None]], None]
    ) -> None:
        self._service = service
        self._clock = clock
        self._spawn = spawn
        self.registered: dict[str, Registered] = {}  # by the handle's key
        self._by_qualified: dict[str, Registered] = {}
        self.account_values: dict[tuple[str, str], AccountValue] = {}  # (tag, currency) -> latest
        self.refs: set[str] = set()  # the orders this strategy placed in this run

    # --- instruments ---------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock.now()

    def instrument(self, instrument: Instrument) -> Instrument:
        found = self.registered.get(instrument.key)
        if found is None:
            found = self.registered[instrument.key] = Registered(handle=instrument)
        elif not found.bar_sizes and not found.quotes and found.handle is not instrument:
            found.handle = instrument  # qualified ahead by the discovery pass: the strategy's own object from now
        return found.handle

    def qualified(self, registered: Registered, instrument: Instrument) -> None:
        registered.qualified = instrument
        self._by_qualified[instrument.key] = registered

    def _entry(self, instrument: Instrument) -> Registered:
        found = self.registered.get(instrument.key) or self._by_qualified.get(instrument.key)
        if found is None:
            raise StrategyError(f"{instrument} was not registered with self.instrument()")
        return found

    def to_ib(self, instrument: Instrument) -> Instrument:
        """The qualified instrument behind a handle (the handle itself before qualification)."""
        entry = self._entry(instrument)
        return entry.qualified or entry.handle

    def to_strategy(self, instrument: Instrument) -> Instrument:
        entry = self.registered.get(instrument.key) or self._by_qualified.get(instrument.key)
        return instrument if entry is None else entry.handle

    def order_for_strategy(self, order: Order) -> Order:
        handle = self.to_strategy(order.request.instrument)
        if handle is order.request.instrument:
            return order
        return replace(order, request=replace(order.request, instrument=handle))

    def fill_for_strategy(self, fill: Fill) -> Fill:
        handle = self.to_strategy(fill.instrument)
        return fill if handle is fill.instrument else replace(fill, instrument=handle)

    # --- subscriptions (opened by the runner after on_start) -------------------------------------------------

    def subscribe_bars(self, instrument: Instrument, bar_size: BarSize) -> None:
        entry = self._entry(instrument)
        if bar_size not in entry.bar_sizes:
            entry.bar_sizes.append(bar_size)

    def subscribe_quotes(self, instrument: Instrument) -> None:
        self._entry(instrument).quotes = True

    def history(self, instrument: Instrument, count: int) -> Sequence[Bar]:
        bars = self._entry(instrument).bars
        return list(bars)[-count:]

    # --- orders ----------------------------------------------------------------------------------------------

    def _for_ib(self, request: OrderRequest) -> OrderRequest:
        return replace(request, instrument=self.to_ib(request.instrument))

    def submit(self, request: OrderRequest) -> Order:
        (order,) = self._service.prepare((self._for_ib(request),))
        self.refs.add(order.order_ref)
        self._spawn(self._send((order,)))
        return self.order_for_strategy(order)

    def submit_bracket(
        self, entry: OrderRequest, take_profit: Decimal | OrderRequest, stop_loss: Decimal | OrderRequest
    ) -> BracketOrders:
        legs = [take_profit, stop_loss]
        for n, leg in enumerate(legs):
            if isinstance(leg, OrderRequest):
                legs[n] = self._for_ib(leg)
        built = build_bracket(self._for_ib(entry), legs[0], legs[1], refs=self._service.refs)
        orders = self._service.prepare(built.requests)
        self.refs.update(o.order_ref for o in orders)
        self._spawn(self._send(tuple(orders), bracket=True))
        parent, profit, loss = (self.order_for_strategy(o) for o in orders)
        return BracketOrders(entry=parent, take_profit=profit, stop_loss=loss)

    async def _send(self, orders: tuple[Order, ...], *, bracket: bool = False) -> None:
        service = self._service
        async with service.lock:
            parent_id = 0
            for n, order in enumerate(orders):
                current = service.order(order.order_ref)
                if current is None or current.status is not OrderStatus.NEW:
                    log.info("%s is %s before it was sent: not sent", order.order_ref,
                             "gone" if current is None else current.status.value)  # fmt: skip
                    continue
                sent = await service.send_created(order, parent_order_id=parent_id if n else 0)
                if bracket and n == 0:
                    parent_id = sent.order_id

    def modify(self, order_ref: str, request: OrderRequest) -> Order:
        order = self._service.prepare_modify(order_ref, self._for_ib(request))
        self._spawn(self._service.gateway.modify_order(order.order_id, order.request))
        return self.order_for_strategy(order)

    def cancel(self, order_ref: str) -> None:
        if self._service.order(order_ref) is None:
            raise OrderError(f"no order {order_ref!r}")
        self._spawn(self._cancel(order_ref))

    async def _cancel(self, order_ref: str) -> None:
        async with self._service.lock:  # after any send queued before it
            await self._service.cancel(order_ref)

    def order(self, order_ref: str) -> Order | None:
        found = self._service.order(order_ref)
        return None if found is None or order_ref not in self.refs else self.order_for_strategy(found)

    def working_orders(self) -> Sequence[Order]:
        working = (self._service.order(ref) for ref in sorted(self.refs))
        return [self.order_for_strategy(o) for o in working if o is not None and o.status.is_working]

    # --- holdings --------------------------------------------------------------------------------------------

    def position(self, instrument: Instrument) -> Position:
        entry = self._entry(instrument)
        keys = {entry.handle.key} | ({entry.qualified.key} if entry.qualified else set())
        quantity, cost, account = ZERO, ZERO, ""
        for held in self._service.positions():
            if held.instrument.key in keys:
                quantity += held.quantity
                cost, account = held.avg_cost, held.account
        return Position(account=account, instrument=entry.handle, quantity=quantity, avg_cost=cost)

    def positions(self) -> Sequence[Position]:
        return [replace(p, instrument=self.to_strategy(p.instrument)) for p in self._service.positions() if p.quantity]

    def marks(self) -> dict[str, Decimal]:
        return {e.qualified.key: e.mark for e in self.registered.values() if e.qualified and e.mark is not None}

    def account(self) -> Account:
        report = self._service.book.pnl(self.marks(), self._clock.now())
        values = self.account_values
        currency = next((c for (tag, c) in values if tag == "NetLiquidation" and c not in ("", "BASE")), "USD")

        def tagged(tag: str) -> Decimal | None:
            value = values.get((tag, currency)) or values.get((tag, "BASE"))
            return None if value is None else value.as_decimal()

        cash = tagged("TotalCashValue")
        equity = tagged("NetLiquidation")
        return Account(
            cash=cash if cash is not None else ZERO,
            equity=equity if equity is not None else (cash or ZERO) + report.total.unrealized,
            realized_pnl=report.total.realized,
            unrealized_pnl=report.total.unrealized,
            currency=currency,
        )
