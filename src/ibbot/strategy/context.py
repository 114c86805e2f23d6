"""The narrow seam between a strategy and whatever runs it: the `Context` protocol and the values it hands back.

A `Strategy` never sees a broker, a journal, an event loop or a fill engine: every call it makes goes through
the `Context` it was bound to. The backtester implements it over `ManualClock` + risk gate + order manager +
the simulator's `FillEngine` (`ibbot.backtest.driver`); the paper/live runner implements it over
`ibbot.engine.orders.OrderService` + `ibbot.data.feeds.Feeds` (`ibbot.engine.runner`). The rules every
implementation keeps, so a strategy behaves the same in every mode:

* Everything is synchronous and returns at once. `submit` runs validation, the risk gate and the order
  manager's `create` (journaling the intent, in live mode) before it returns the `Order` (NEW, or further
  along); the sending may happen after it returns (live: a task on the loop; `OrderService._prepare` then
  `send_created`). A refusal raises at once: `OrderError` (invalid) or `RiskRefusedError` (the gate).
* Order and fill news reach the strategy only through its hooks (`on_order`, `on_fill`), never re-entrantly
  from inside `submit`/`cancel`: the runner queues them and delivers them after the current hook returns.
* `instrument()` returns the handle the strategy keeps; bars, quotes, orders, fills and positions handed to
  the strategy name that same instrument (same `key`), whatever qualification adds behind the scenes. It may
  return before the instrument is qualified (live: the runner qualifies it before the subscriptions start).
* `subscribe_bars` / `subscribe_quotes` register interest; data starts after `on_start` returns.
* `history(instrument, count)` is the last `count` complete bars of the instrument's subscribed bar series,
  oldest first, including the bar being delivered (its `on_bar` sees itself as `history(...)[-1]`).
* `now()` is the runner's clock: the bar's end in a backtest, the wall clock (or the simulator's) live.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from ibbot.model import Bar, BarSize, Fill, Instrument, Order, OrderRequest, Position, Side

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """The strategy's account as it stands: money in `currency` (the account's base currency)."""

    cash: Decimal
    equity: Decimal  # cash plus the value of the positions at their last prices
    realized_pnl: Decimal = ZERO  # commissions included
    unrealized_pnl: Decimal = ZERO
    commissions: Decimal = ZERO  # paid so far by this run
    currency: str = "USD"

    @property
    def pnl(self) -> Decimal:
        return self.realized_pnl + self.unrealized_pnl


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """One fill as a strategy's `on_fill` sees it: the execution and the order it belongs to, after it."""

    fill: Fill
    order: Order

    @property
    def exec_id(self) -> str:
        return self.fill.exec_id

    @property
    def instrument(self) -> Instrument:
        return self.fill.instrument

    @property
    def side(self) -> Side:
        return self.fill.side

    @property
    def quantity(self) -> Decimal:
        return self.fill.quantity

    @property
    def price(self) -> Decimal:
        return self.fill.price

    @property
    def commission(self) -> Decimal | None:
        return self.fill.commission

    @property
    def time(self) -> datetime:
        return self.fill.time

    @property
    def signed_quantity(self) -> Decimal:
        return self.fill.signed_quantity


class BracketOrders(NamedTuple):
    """The three orders of a bracket, as `Strategy.bracket` placed them."""

    entry: Order
    take_profit: Order
    stop_loss: Order


class WorkingOrders(enum.Enum):
    """What happens to a strategy's working orders when it stops (normally, or because a hook raised)."""

    CANCEL = "cancel"  # cancel them (the default)
    KEEP = "keep"  # leave them working at the broker (live: an operator takes over)
    FLATTEN = "flatten"  # cancel them and close every position with market orders


class Context(Protocol):
    """What a strategy may ask of the mode it runs in (the module docstring gives the rules)."""

    def now(self) -> datetime:
        """The runner's current time, UTC-aware."""
        ...

    def instrument(self, instrument: Instrument) -> Instrument:
        """Register `instrument` (qualifying it, where the mode can); the handle the strategy keeps."""
        ...

    def subscribe_bars(self, instrument: Instrument, bar_size: BarSize) -> None: ...

    def subscribe_quotes(self, instrument: Instrument) -> None: ...

    def submit(self, request: OrderRequest) -> Order:
        """Validate, gate and create one order (raising `OrderError` / `RiskRefusedError`); the order as created."""
        ...

    def submit_bracket(
        self, entry: OrderRequest, take_profit: Decimal | OrderRequest, stop_loss: Decimal | OrderRequest
    ) -> BracketOrders:
        """Entry, take profit and stop loss, every leg gated before any is created (`OrderService.bracket`)."""
        ...

    def modify(self, order_ref: str, request: OrderRequest) -> Order:
        """New terms for a working order (gated like a new one); the order as modified."""
        ...

    def cancel(self, order_ref: str) -> None:
        """Ask for a cancel (never refused); the outcome arrives through `on_order`."""
        ...

    def order(self, order_ref: str) -> Order | None:
        """The latest state of one of the strategy's orders."""
        ...

    def working_orders(self) -> Sequence[Order]:
        """The strategy's orders that are not over yet."""
        ...

    def position(self, instrument: Instrument) -> Position:
        """The strategy's holding in `instrument` (quantity 0 when flat)."""
        ...

    def positions(self) -> Sequence[Position]:
        """Every non-flat holding of the strategy."""
        ...

    def account(self) -> Account: ...

    def history(self, instrument: Instrument, count: int) -> Sequence[Bar]:
        """The last `count` complete bars of `instrument`'s subscribed series, oldest first."""
        ...
