"""What the risk checks look at (`RiskContext`), and the arithmetic they share: projections, prices, values.

Theory of operation:

* The caller builds one `RiskContext` per order from the order manager's and the market's current values:
  positions and quotes keyed by `Instrument.key`, the working orders, today's account PnL, the times of the
  orders the gate accepted recently, `now` and the effective mode. Nothing here reads a clock or does I/O.
* A working order whose `order_ref` is the request's own is a modification of it and is left out of every
  count and projection, so a modify is judged as the order it would become.
* Worst case: a working order may fill, so the position an order could lead to counts every other working
  order on the order's side (`projected`).
* Reduce-only rule (`reduces`): an order is reduce-only-compatible iff it is on the side opposite to the
  position and it, together with the other working orders on its side, is no larger than the position. So
  whichever of them fill, the absolute position only shrinks and never crosses zero: selling 100 of a long 100
  passes, selling 101 (a flip) does not, nor does selling 60 while a sell of 50 is working. Nothing reduces flat.
* Prices: the reference price is the quote's `price()` (midpoint, else last trade, else the previous close).
  An order is valued at its limit price, else its stop price, else the reference price; no price at all is
  reported as None and the checks that need one refuse (they cannot show the order is within its limit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ibbot.model import PnL, Quote
from ibbot.model.account import Position
from ibbot.model.orders import Order, OrderRequest, Side
from ibbot.risk.state import Mode

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskContext:
    """Everything the checks look at for one order, as values; keys are `Instrument.key`."""

    now: datetime
    mode: Mode  # the state's `effective` mode; required, so a caller cannot forget a halt
    positions: Mapping[str, Position] = field(default_factory=dict)
    working: tuple[Order, ...] = ()
    quotes: Mapping[str, Quote] = field(default_factory=dict)
    pnl: PnL = field(default_factory=PnL)
    recent_orders: tuple[datetime, ...] = ()  # when the gate accepted each recent order
    # What several checks of one order compute alike (reference prices, the reduce-only rule), kept for the
    # length of one `RiskGate.check` (it clears this first); each entry holds the object it was computed from.
    memo: dict[object, tuple[object, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("RiskContext.now must be timezone-aware")

    def position(self, key: str) -> Decimal:
        held = self.positions.get(key)
        return ZERO if held is None else held.quantity

    def quote(self, key: str) -> Quote | None:
        return self.quotes.get(key)

    def reference(self, key: str) -> Decimal | None:
        """`reference_price(self.quote(key))`, computed once per quote."""
        quote = self.quotes.get(key)
        if quote is None:
            return None
        hit = self.memo.get(key)
        if hit is not None and hit[0] is quote:
            price: Decimal | None = hit[1]
            return price
        price = reference_price(quote)
        self.memo[key] = (quote, price)
        return price

    def others(self, request: OrderRequest) -> Iterable[Order]:
        """The working orders other than the request itself (a modify names its own order_ref)."""
        if not self.working:
            return ()  # the usual case, and every check asks: no generator to build
        own = request.order_ref
        return (o for o in self.working if o.status.is_working and not (own and o.order_ref == own))


def working_on(context: RiskContext, request: OrderRequest, key: str, side: Side) -> Decimal:
    """Remaining quantity of the other working orders on `key` and `side`."""
    if not context.working:
        return ZERO
    return sum(
        (o.remaining for o in context.others(request) if o.instrument.key == key and o.side is side),
        start=ZERO,
    )


def projected(context: RiskContext, request: OrderRequest) -> Decimal:
    """The signed position if this order and every other working order on its side filled."""
    key = request.instrument.key
    same_side = working_on(context, request, key, request.side)
    return context.position(key) + (same_side + request.quantity) * request.side.sign


def reduces(context: RiskContext, request: OrderRequest) -> bool:
    """True iff the order cannot increase the absolute position (the module docstring's rule)."""
    memo_key = ("reduces", id(request))
    hit = context.memo.get(memo_key)
    if hit is not None and hit[0] is request:
        known: bool = hit[1]
        return known
    key = request.instrument.key
    held = context.position(key)
    if held == 0 or (held > 0) == (request.side is Side.BUY):
        result = False
    else:
        result = working_on(context, request, key, request.side) + request.quantity <= abs(held)
    context.memo[memo_key] = (request, result)
    return result


def reference_price(quote: Quote | None) -> Decimal | None:
    """The quote's best single price as a Decimal, or None where there is no positive price."""
    if quote is None:
        return None
    return _positive(quote.price())


def touch_price(quote: Quote, side: Side) -> Decimal | None:
    """The price a market order would meet: the ask to buy, the bid to sell."""
    return _positive(quote.ask if side is Side.BUY else quote.bid)


def order_price(context: RiskContext, request: OrderRequest) -> Decimal | None:
    """The price the order is valued at: its limit, else its stop, else the reference price."""
    if request.limit_price is not None:
        return request.limit_price
    if request.stop_price is not None:
        return request.stop_price
    return context.reference(request.instrument.key)


def quote_age_seconds(context: RiskContext, quote: Quote) -> float:
    return (context.now - quote.time).total_seconds()


def _positive(value: float) -> Decimal | None:
    if math.isnan(value) or math.isinf(value) or value <= 0:
        return None
    # Through repr so 189.25 becomes Decimal("189.25"), not the float's binary expansion.
    return Decimal(repr(value))
