"""Orders as the framework speaks of them: what a strategy asks for (`OrderRequest`), where an order stands
(`Order`, `OrderStatus`) and what it did (`Fill`). Quantities and prices are `Decimal`.

`OrderRequest` checks in its constructor only what makes a request meaningless (a non-positive quantity, a
limit order without a limit); the order manager's validation (ticks, sizes, market rules) and the risk gate
come after it. `order_ref` is ibbot's own id, carried to IB in the order's `orderRef` and unique across
restarts and processes; the order manager assigns it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ibbot.errors import OrderError
from ibbot.model.instruments import Instrument

ZERO = Decimal(0)


class Side(enum.Enum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(enum.Enum):
    """The order types of IB's guide the framework builds; the value is IB's orderType."""

    MARKET = "MKT"
    LIMIT = "LMT"
    STOP = "STP"
    STOP_LIMIT = "STP LMT"
    TRAILING_STOP = "TRAIL"
    TRAILING_STOP_LIMIT = "TRAIL LIMIT"
    MARKET_ON_CLOSE = "MOC"
    LIMIT_ON_CLOSE = "LOC"


class TimeInForce(enum.Enum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    GTD = "GTD"
    OPG = "OPG"
    FOK = "FOK"


_NEEDS_LIMIT = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.LIMIT_ON_CLOSE})
_NEEDS_STOP = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})
_TRAILING = frozenset({OrderType.TRAILING_STOP, OrderType.TRAILING_STOP_LIMIT})


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """One order as a strategy asks for it. Brackets and OCA groups are several requests linked by refs."""

    instrument: Instrument
    side: Side
    quantity: Decimal
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None  # IB's auxPrice for STP / STP LMT; the initial stop of a trailing order
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    limit_offset: Decimal | None = None  # TRAIL LIMIT: the limit's distance from the stop
    tif: TimeInForce = TimeInForce.DAY
    good_till: datetime | None = None  # GTD
    outside_rth: bool = False
    account: str = ""
    strategy: str = ""  # the strategy that owns the order ("" for an operator's or an external order)
    order_ref: str = ""  # ibbot's id, assigned by the order manager
    parent_ref: str = ""  # a bracket child names its parent's order_ref
    oca_group: str = ""
    oca_type: int = 0
    transmit: bool = True

    def __post_init__(self) -> None:
        def refuse(reason: str) -> OrderError:
            return OrderError(f"{self.side.value} {self.quantity} {self.instrument} {self.order_type.value}: {reason}")

        if not isinstance(self.quantity, Decimal) or not self.quantity.is_finite() or self.quantity <= 0:
            raise refuse("the quantity must be a positive number")
        for name in ("limit_price", "stop_price", "trail_amount", "trail_percent", "limit_offset"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or not value.is_finite()):
                raise refuse(f"{name} must be a finite Decimal, got {value!r}")
        if self.order_type in _NEEDS_LIMIT and self.limit_price is None:
            raise refuse("needs a limit price")
        if self.order_type in _NEEDS_STOP and self.stop_price is None:
            raise refuse("needs a stop price")
        if self.order_type in _TRAILING and (self.trail_amount is None) == (self.trail_percent is None):
            raise refuse("needs exactly one of trail_amount and trail_percent")
        if self.order_type is OrderType.TRAILING_STOP_LIMIT and self.limit_offset is None:
            raise refuse("needs a limit_offset")
        if self.tif is TimeInForce.GTD and self.good_till is None:
            raise refuse("GTD needs good_till")
        if self.good_till is not None and self.good_till.tzinfo is None:
            raise refuse("good_till must be timezone-aware")

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity * self.side.sign


class OrderStatus(enum.Enum):
    """ibbot's order states; `ibbot.oms` maps IB's statuses onto them with a transition table."""

    NEW = "new"  # the intent is journaled; nothing has left yet
    SUBMITTED = "submitted"  # sent to IB, not acknowledged yet (ApiPending, PendingSubmit)
    WORKING = "working"  # accepted (PreSubmitted, Submitted)
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # refused by IB (Inactive with an error) or by the framework before it left

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_working(self) -> bool:
        return not self.is_terminal


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED})


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """Where one order stands: its request, its state and IB's ids for it."""

    request: OrderRequest
    status: OrderStatus
    created: datetime
    updated: datetime
    order_id: int = 0  # IB's orderId (per client id)
    perm_id: int = 0  # IB's permanent id (per account)
    client_id: int = 0
    filled: Decimal = ZERO
    avg_fill_price: Decimal | None = None
    reason: str = ""  # why it was rejected or cancelled, IB's code and text where there is one
    external: bool = False  # not placed by this framework (another client, TWS itself)

    @property
    def order_ref(self) -> str:
        return self.request.order_ref

    @property
    def remaining(self) -> Decimal:
        return self.request.quantity - self.filled

    @property
    def instrument(self) -> Instrument:
        return self.request.instrument

    @property
    def side(self) -> Side:
        return self.request.side


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """One execution, keyed by IB's `exec_id` (recorded exactly once, whatever path it arrives by)."""

    exec_id: str
    instrument: Instrument
    side: Side
    quantity: Decimal
    price: Decimal
    time: datetime
    order_ref: str = ""
    order_id: int = 0
    perm_id: int = 0
    client_id: int = 0
    account: str = ""
    commission: Decimal | None = None  # arrives separately (commissionReport); None until it does
    commission_currency: str = ""
    realized_pnl: Decimal | None = None

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity * self.side.sign

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price * self.instrument.multiplier
