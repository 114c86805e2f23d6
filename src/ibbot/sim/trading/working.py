"""A working order's record, the book it matches against, and its price rules (triggers, trailing, pegs).

Theory of operation
-------------------
The matching engine keeps one mutable `WorkingOrder` per order and shows the world frozen `OrderView`s of it.
The functions here only look at one order and one quote: where the trigger price comes from (IB's
trigger_method), whether a stop / if-touched condition holds, and how trailing stops (away from the market,
rounded to the tick so the distance is at least the trailing amount), TRAIL LIMIT limits, REL pegs and MIDPRICE
limits move. What happens to other orders (fills, OCA, brackets) is the engine's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from ibbot.sim.trading.orders import (
    TERMINAL,
    OrderSpec,
    OrderStatus,
    OrderType,
    OrderView,
    Trigger,
    spec_from_dict,
    spec_to_dict,
)

ZERO = Decimal(0)
Key = tuple[int, int]  # (client_id, order_id): IB scopes order ids by client


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """The top of book of one instrument. `last` is a trade printed since the previous quote (None if none)."""

    bid: Decimal | None = None
    ask: Decimal | None = None
    bid_size: Decimal | None = None  # None: depth unknown, fills are not limited by size
    ask_size: Decimal | None = None
    last: Decimal | None = None
    last_size: Decimal | None = None

    @property
    def mid(self) -> Decimal | None:
        return None if self.bid is None or self.ask is None else (self.bid + self.ask) / 2


class Book:
    """A quote and what orders have taken from its displayed sizes so far."""

    __slots__ = ("ask_left", "bid_left", "quote")

    def __init__(self, quote: Quote) -> None:
        self.quote = quote
        self.bid_left = quote.bid_size
        self.ask_left = quote.ask_size

    def available(self, buy: bool) -> Decimal | None:
        left = self.ask_left if buy else self.bid_left
        return None if left is None else max(left, ZERO)

    def take(self, buy: bool, qty: Decimal) -> None:
        if buy and self.ask_left is not None:
            self.ask_left -= qty
        elif not buy and self.bid_left is not None:
            self.bid_left -= qty


def crosses(buy: bool, price: Decimal, limit: Decimal) -> bool:
    """Whether `price` is at least as good as `limit` for this side."""
    return price <= limit if buy else price >= limit


def to_tick(price: Decimal, tick: Decimal, rounding: str) -> Decimal:
    return (price / tick).to_integral_value(rounding=rounding) * tick


@dataclass(slots=True)
class WorkingOrder:
    """The engine's mutable record of one order."""

    spec: OrderSpec
    seq: int  # time priority
    min_tick: Decimal
    oca_base: Decimal  # the size OCA proportional reductions refer to
    status: OrderStatus = OrderStatus.PENDING_SUBMIT
    filled: Decimal = ZERO
    notional: Decimal = ZERO
    last_fill_price: Decimal = ZERO
    stop: Decimal | None = None
    limit: Decimal | None = None
    held: bool = False
    waiting_parent: bool = False
    triggered: bool = True
    epoch: int = 0  # quote epoch in which it last started working; trade-through fills need an older one
    since: datetime | None = None  # when it first started working (an algo's clock)

    @property
    def key(self) -> Key:
        return (self.spec.client_id, self.spec.order_id)

    @property
    def remaining(self) -> Decimal:
        return self.spec.quantity - self.filled

    @property
    def live(self) -> bool:
        return self.status not in TERMINAL

    def view(self) -> OrderView:
        return OrderView(
            spec=self.spec,
            status=self.status,
            filled=self.filled,
            avg_fill_price=self.notional / self.filled if self.filled else ZERO,
            last_fill_price=self.last_fill_price,
            stop_price=self.stop,
            limit_price=self.limit,
            held=self.held,
            waiting_parent=self.waiting_parent,
            triggered=self.triggered,
        )

    def arm(self) -> None:
        """Trigger state and prices from the spec: a new order, or a modify that changed the order type."""
        self.triggered = self.spec.rule.trigger is Trigger.NONE
        self.stop = None if self.triggered else initial_stop(self.spec)
        self.limit = initial_limit(self.spec)
        self.follow_stop()

    def follow_stop(self) -> None:
        """A TRAIL LIMIT with an offset keeps its limit at the offset from the (moving) stop."""
        offset = self.spec.lmt_price_offset
        if self.spec.order_type is OrderType.TRAIL_LIMIT and self.stop is not None and offset is not None:
            self.limit = self.stop + offset if self.spec.is_buy else self.stop - offset

    def to_dict(self) -> dict[str, Any]:
        def text(x: Decimal | None) -> str | None:
            return None if x is None else str(x)

        return {
            "spec": spec_to_dict(self.spec),
            "seq": self.seq,
            "min_tick": str(self.min_tick),
            "oca_base": str(self.oca_base),
            "status": self.status.value,
            "filled": str(self.filled),
            "notional": str(self.notional),
            "last_fill_price": str(self.last_fill_price),
            "stop": text(self.stop),
            "limit": text(self.limit),
            "held": self.held,
            "waiting_parent": self.waiting_parent,
            "triggered": self.triggered,
            "since": None if self.since is None else self.since.isoformat(),
        }

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> WorkingOrder:
        def num(x: str | None) -> Decimal | None:
            return None if x is None else Decimal(x)

        return cls(
            spec=spec_from_dict(item["spec"]),
            seq=int(item["seq"]),
            min_tick=Decimal(item["min_tick"]),
            oca_base=Decimal(item["oca_base"]),
            status=OrderStatus(item["status"]),
            filled=Decimal(item["filled"]),
            notional=Decimal(item["notional"]),
            last_fill_price=Decimal(item["last_fill_price"]),
            stop=num(item["stop"]),
            limit=num(item["limit"]),
            held=bool(item["held"]),
            waiting_parent=bool(item["waiting_parent"]),
            triggered=bool(item["triggered"]),
            since=None if item.get("since") is None else datetime.fromisoformat(item["since"]),
        )


def initial_limit(spec: OrderSpec) -> Decimal | None:
    """The limit an order starts with (REL and MIDPRICE get theirs from the first quote)."""
    if spec.order_type in (OrderType.REL, OrderType.MIDPRICE):
        return None
    if spec.order_type is OrderType.TRAIL_LIMIT:
        return spec.lmt_price if spec.lmt_price_offset is None else None
    return spec.lmt_price if spec.rule.limit else None


def initial_stop(spec: OrderSpec) -> Decimal | None:
    return spec.trail_stop_price if spec.rule.trigger is Trigger.TRAIL else spec.aux_price


def trigger_price(spec: OrderSpec, quote: Quote) -> Decimal | None:
    """The price a stop or if-touched condition compares, per IB's trigger_method (default: last trade)."""
    touch = quote.ask if spec.is_buy else quote.bid
    method = spec.trigger_method
    if method in (1, 4):  # double bid/ask, bid/ask
        return touch
    if method == 7:  # last or bid/ask
        return quote.last if quote.last is not None else touch
    if method == 8:  # midpoint
        return quote.mid
    return quote.last  # 0 default, 2 last, 3 double last


def condition_met(order: WorkingOrder, quote: Quote) -> bool:
    """Stops trigger when the price rises to a buy stop / falls to a sell stop; if-touched the other way round."""
    price = trigger_price(order.spec, quote)
    if price is None or order.stop is None:
        return False
    rising = order.spec.is_buy == (order.spec.rule.trigger is not Trigger.TOUCH)
    return price >= order.stop if rising else price <= order.stop


def reprice(order: WorkingOrder, quote: Quote) -> bool:
    """Move pegged limits and untriggered trailing stops with the quote; True when a trailing stop moved."""
    spec, buy = order.spec, order.spec.is_buy
    cap = spec.lmt_price
    if spec.order_type is OrderType.REL:  # pegged to the own side by the offset, capped by the limit
        own = quote.bid if buy else quote.ask
        if own is not None:
            offset = spec.aux_price or ZERO
            peg = own + offset if buy else own - offset
            order.limit = peg if cap is None else (min(peg, cap) if buy else max(peg, cap))
        return False
    if spec.order_type is OrderType.MIDPRICE:
        mid = quote.mid
        if mid is not None:
            order.limit = mid if cap is None else (min(mid, cap) if buy else max(mid, cap))
        return False
    if spec.rule.trigger is not Trigger.TRAIL or order.triggered:
        return False
    ref = trigger_price(spec, quote)
    if ref is None:
        return False
    amount = spec.aux_price if spec.aux_price is not None else ref * (spec.trailing_percent or ZERO) / 100
    if buy:
        candidate = to_tick(ref + amount, order.min_tick, ROUND_CEILING)
    else:
        candidate = to_tick(ref - amount, order.min_tick, ROUND_FLOOR)
    if order.stop is not None and not (candidate < order.stop if buy else candidate > order.stop):
        return False  # a trailing stop only ever moves towards the market
    order.stop = candidate
    order.follow_stop()
    return True
