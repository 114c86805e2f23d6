"""The simulator's order model: what a client asked (`OrderSpec`), IB's validation, the status table, events.

Theory of operation
-------------------
An order's status moves only through `TRANSITIONS` (status x lifecycle step -> status), the way TWS shows it:
PendingSubmit (the client's own state before our first answer) -> PreSubmitted (held with transmit=False, a
child waiting for its parent, an untriggered stop / if-touched / trailing order) or Submitted (working) ->
Filled, Cancelled or Inactive (rejected after acceptance). Terminal statuses have no way out; a step the table
does not list raises `OrderStateError` because it is a bug in the engine, never a client mistake.

Client mistakes are values: `validate` returns a `Rejection` carrying IB's error code and text (434, 110,
10268-10270, 387, 201 ...) which the caller sends as an error message for the order id.

The engine (`ibbot.sim.trading.matching`) reports what happened as the frozen events at the bottom of this module;
each carries a snapshot (`OrderView`) so the caller can write openOrder / orderStatus / execDetails from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ibbot.errors import OrderStateError
from ibbot.sim.errors import Rejection


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"
    SSHORT = "SSHORT"  # a short sale; sells like SELL


class OrderType(StrEnum):
    MKT = "MKT"
    LMT = "LMT"
    STP = "STP"
    STP_LMT = "STP LMT"
    TRAIL = "TRAIL"
    TRAIL_LIMIT = "TRAIL LIMIT"
    MIT = "MIT"
    LIT = "LIT"
    MOC = "MOC"
    LOC = "LOC"
    REL = "REL"
    MIDPRICE = "MIDPRICE"


class TimeInForce(StrEnum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    OPG = "OPG"
    GTD = "GTD"


class OrderStatus(StrEnum):
    PENDING_SUBMIT = "PendingSubmit"
    PENDING_CANCEL = "PendingCancel"  # not produced by the synchronous engine; in the table for completeness
    PRE_SUBMITTED = "PreSubmitted"
    SUBMITTED = "Submitted"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    INACTIVE = "Inactive"


class Step(StrEnum):
    """Lifecycle steps, the columns of the status table."""

    HOLD = "hold"  # accepted but not working: transmit=False, child of an unfilled parent, untriggered
    WORK = "work"  # working at the (simulated) exchange
    MODIFY = "modify"
    PARTIAL_FILL = "partial_fill"
    FILL = "fill"
    REQUEST_CANCEL = "request_cancel"
    CANCEL = "cancel"
    REJECT = "reject"


class CancelReason(StrEnum):
    """Why an order ended Cancelled; the caller words the 202 / orderStatus from it."""

    REQUESTED = "requested"  # cancelOrder / reqGlobalCancel
    IOC = "ioc"  # the unfilled rest of an immediate-or-cancel order
    FOK = "fok"  # a fill-or-kill order that could not fill completely at once
    EXPIRED = "expired"  # DAY at the session end, GTD at its date
    AUCTION = "auction"  # MOC/LOC/OPG orders the auction did not fill
    OCA = "oca"  # another member of its one-cancels-all group filled
    BRACKET = "bracket"  # the other child of its parent filled
    PARENT = "parent"  # its parent order was cancelled


_S = OrderStatus
TRANSITIONS: dict[OrderStatus, dict[Step, OrderStatus]] = {
    _S.PENDING_SUBMIT: {
        Step.HOLD: _S.PRE_SUBMITTED,
        Step.WORK: _S.SUBMITTED,
        Step.CANCEL: _S.CANCELLED,
        Step.REJECT: _S.INACTIVE,
    },
    _S.PRE_SUBMITTED: {
        Step.HOLD: _S.PRE_SUBMITTED,
        Step.WORK: _S.SUBMITTED,
        Step.MODIFY: _S.PRE_SUBMITTED,
        Step.REQUEST_CANCEL: _S.PENDING_CANCEL,
        Step.CANCEL: _S.CANCELLED,
        Step.REJECT: _S.INACTIVE,
    },
    _S.SUBMITTED: {
        Step.WORK: _S.SUBMITTED,
        Step.MODIFY: _S.SUBMITTED,
        Step.PARTIAL_FILL: _S.SUBMITTED,
        Step.FILL: _S.FILLED,
        Step.REQUEST_CANCEL: _S.PENDING_CANCEL,
        Step.CANCEL: _S.CANCELLED,
        Step.REJECT: _S.INACTIVE,
    },
    _S.PENDING_CANCEL: {
        Step.PARTIAL_FILL: _S.PENDING_CANCEL,  # a fill can race a cancel at a real exchange
        Step.FILL: _S.FILLED,
        Step.CANCEL: _S.CANCELLED,
    },
    _S.FILLED: {},
    _S.CANCELLED: {},
    _S.INACTIVE: {},
}
TERMINAL = frozenset({_S.FILLED, _S.CANCELLED, _S.INACTIVE})


def next_status(status: OrderStatus, step: Step) -> OrderStatus:
    """The status after `step`; a step the table does not allow is an engine bug and raises."""
    try:
        return TRANSITIONS[status][step]
    except KeyError:
        raise OrderStateError(f"an order in {status} cannot take the step {step.value!r}") from None


# --- rules per order type ---------------------------------------------------------------------------------


class Trigger(StrEnum):
    NONE = "none"
    STOP = "stop"  # buy when the price rises to aux_price, sell when it falls to it
    TOUCH = "touch"  # if-touched: buy when the price falls to aux_price, sell when it rises to it
    TRAIL = "trail"  # a stop that follows the price by an amount or a percentage


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeRule:
    trigger: Trigger
    limit: bool  # behaves as a limit order once working (else as a market order)
    needs_lmt: bool = False
    needs_aux: bool = False
    auction: bool = False  # only the closing auction fills it (MOC, LOC)


TYPE_RULES: dict[OrderType, TypeRule] = {
    OrderType.MKT: TypeRule(trigger=Trigger.NONE, limit=False),
    OrderType.LMT: TypeRule(trigger=Trigger.NONE, limit=True, needs_lmt=True),
    OrderType.STP: TypeRule(trigger=Trigger.STOP, limit=False, needs_aux=True),
    OrderType.STP_LMT: TypeRule(trigger=Trigger.STOP, limit=True, needs_lmt=True, needs_aux=True),
    OrderType.TRAIL: TypeRule(trigger=Trigger.TRAIL, limit=False),
    OrderType.TRAIL_LIMIT: TypeRule(trigger=Trigger.TRAIL, limit=True),
    OrderType.MIT: TypeRule(trigger=Trigger.TOUCH, limit=False, needs_aux=True),
    OrderType.LIT: TypeRule(trigger=Trigger.TOUCH, limit=True, needs_lmt=True, needs_aux=True),
    OrderType.MOC: TypeRule(trigger=Trigger.NONE, limit=False, auction=True),
    OrderType.LOC: TypeRule(trigger=Trigger.NONE, limit=True, needs_lmt=True, auction=True),
    OrderType.REL: TypeRule(trigger=Trigger.NONE, limit=True),  # pegged to the own side, capped by lmt_price
    OrderType.MIDPRICE: TypeRule(trigger=Trigger.NONE, limit=True),  # at the midpoint, capped by lmt_price
}


# --- what the client asked --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EchoedTerms:
    """Terms of a placeOrder the simulator does not act on and keeps only because TWS reports them back in
    openOrder / completedOrder: the 10.x clients' compliance and routing flags (server versions 183..199).
    Most orders carry none: they share `NO_ECHO`, which `to_order` recognises by identity."""

    customer_account: str = ""  # 183
    professional_customer: bool = False  # 184
    include_overnight: bool = False  # 189
    ext_operator: str = ""  # openOrder from 193
    manual_order_indicator: int | None = None  # 192 (CME tagging: 0 electronic, 1 manual)
    imbalance_only: bool = False  # 199


NO_ECHO = EchoedTerms()
ECHOED_FIELDS = tuple(f.name for f in fields(EchoedTerms))


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSpec:
    """An order as placed, in plain values (the caller translates `ibbot.protocol.types.Order`).

    Prices are Decimal in the instrument's currency (convert floats with `Decimal(str(x))`); unset is None.
    `aux_price` is the stop / trigger price, the trailing amount for TRAIL orders, the offset for REL.
    `trigger_method` is IB's: 0 default and 2/3 last price, 1/4 bid for sells and ask for buys,
    7 last or else bid/ask, 8 midpoint (the caller may map 0 to 4 for forex, which has no trades).
    """

    order_id: int
    client_id: int = 0
    account: str = ""
    con_id: int
    action: Action
    quantity: Decimal
    order_type: OrderType
    lmt_price: Decimal | None = None
    aux_price: Decimal | None = None
    trailing_percent: Decimal | None = None
    trail_stop_price: Decimal | None = None
    lmt_price_offset: Decimal | None = None
    tif: TimeInForce = TimeInForce.DAY
    good_till_date: datetime | None = None  # UTC-aware; required for GTD
    outside_rth: bool = False
    oca_group: str = ""
    oca_type: int = 0  # 1 cancel with block, 2 reduce with block, 3 reduce without block; 0 acts as 1
    parent_id: int = 0
    transmit: bool = True
    what_if: bool = False
    trigger_method: int = 0
    order_ref: str = ""
    e_trade_only: bool = False
    firm_quote_only: bool = False
    nbbo_price_cap: Decimal | None = None
    algo_strategy: str = ""  # IB's algo, as sent (`ibbot.sim.trading.algos` checked it)
    algo_params: tuple[tuple[str, str], ...] = ()  # its (tag, value) pairs, as sent
    algo_start: datetime | None = None  # the window a scheduled algo (VWAP, TWAP, ArrivalPx) runs in, UTC
    algo_end: datetime | None = None
    echoed: EchoedTerms = NO_ECHO  # reported back, never acted on

    @property
    def is_buy(self) -> bool:
        return self.action is Action.BUY

    @property
    def rule(self) -> TypeRule:
        return TYPE_RULES[self.order_type]


def rejected(reason: str) -> Rejection:
    """IB's generic rejection, 201, with the reason TWS appends."""
    return Rejection(code=201, text=f"Order rejected - reason:{reason}")


ZERO_SIZE = Rejection(code=434, text="The order size cannot be zero")
BAD_TICK = Rejection(code=110, text="The price does not conform to the minimum price variation for this contract.")
UNSUPPORTED_TYPE = Rejection(code=387, text="Unsupported order type for this exchange and security type.")
E_TRADE_ONLY = Rejection(code=10268, text="The 'EtradeOnly' order attribute is not supported.")
FIRM_QUOTE_ONLY = Rejection(code=10269, text="The 'FirmQuoteOnly' order attribute is not supported.")
NBBO_PRICE_CAP = Rejection(code=10270, text="The 'NbboPriceCap' order attribute is not supported.")
MODIFY_FILLED = Rejection(code=104, text="Can't modify a filled order")
MODIFY_MISMATCH = Rejection(code=105, text="Order being modified does not match original order.")


def cancel_not_found(order_id: int) -> Rejection:
    return Rejection(code=10147, text=f"OrderId {order_id} that needs to be cancelled is not found.")


def cancel_not_cancellable(order_id: int, status: OrderStatus) -> Rejection:
    return Rejection(
        code=10148, text=f"OrderId {order_id} that needs to be cancelled cannot be cancelled, state: {status.value}."
    )


def _off_tick(price: Decimal | None, min_tick: Decimal) -> bool:
    return price is not None and price % min_tick != 0


def validate(spec: OrderSpec, *, min_tick: Decimal) -> Rejection | None:
    """IB's checks on a new or modified order that need no market or account state; None if it may go on."""
    if spec.quantity <= 0:
        return ZERO_SIZE
    if spec.e_trade_only:
        return E_TRADE_ONLY
    if spec.firm_quote_only:
        return FIRM_QUOTE_ONLY
    if spec.nbbo_price_cap is not None:
        return NBBO_PRICE_CAP
    rule = spec.rule
    if rule.needs_lmt and spec.lmt_price is None:
        return rejected(f"A limit price is required for {spec.order_type.value} orders.")
    if rule.needs_aux and spec.aux_price is None:
        return rejected(f"An auxiliary (trigger) price is required for {spec.order_type.value} orders.")
    if rule.trigger is Trigger.TRAIL and spec.aux_price is None and spec.trailing_percent is None:
        return rejected("A trailing amount or trailing percent is required for trailing orders.")
    if spec.order_type is OrderType.TRAIL_LIMIT and spec.lmt_price_offset is None and spec.lmt_price is None:
        return rejected("A limit price offset is required for TRAIL LIMIT orders.")
    if spec.trailing_percent is not None and not 0 < spec.trailing_percent < 100:
        return rejected("The trailing percent must be between 0 and 100.")
    if spec.tif is TimeInForce.GTD and spec.good_till_date is None:
        return rejected("A good-till date is required for GTD orders.")
    if spec.tif is TimeInForce.OPG and spec.order_type not in (OrderType.MKT, OrderType.LMT):
        return rejected("OPG is only valid for MKT and LMT orders.")
    if rule.auction and spec.tif not in (TimeInForce.DAY, TimeInForce.GTC):
        return rejected(f"{spec.order_type.value} orders must be DAY orders.")
    prices = (spec.lmt_price, spec.aux_price, spec.trail_stop_price, spec.lmt_price_offset)
    if any(_off_tick(p, min_tick) for p in prices):
        return BAD_TICK
    return None


# --- snapshots and events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderView:
    """An order as the engine holds it at one moment (what openOrder and orderStatus report)."""

    spec: OrderSpec
    status: OrderStatus
    filled: Decimal
    avg_fill_price: Decimal  # 0 before the first fill, as orderStatus reports it
    last_fill_price: Decimal
    stop_price: Decimal | None  # the current trigger price (a trailing stop's moves here)
    limit_price: Decimal | None  # the current limit (TRAIL LIMIT, REL and MIDPRICE move it)
    held: bool  # transmit=False and not yet released
    waiting_parent: bool  # a child whose parent has not filled
    triggered: bool

    @property
    def order_id(self) -> int:
        return self.spec.order_id

    @property
    def client_id(self) -> int:
        return self.spec.client_id

    @property
    def remaining(self) -> Decimal:
        return Decimal(0) if self.status in TERMINAL else self.spec.quantity - self.filled


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent:
    order: OrderView
    time: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(OrderEvent):
    """The first answer to a new order: PreSubmitted or Submitted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReleased(OrderEvent):
    """A held order left its hold: its chain was transmitted, or its parent filled."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderTriggered(OrderEvent):
    """A stop, if-touched or trailing order's condition was met: it now works as MKT or LMT."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPriceUpdated(OrderEvent):
    """A trailing stop ratcheted (order.stop_price / order.limit_price hold the new prices)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderModified(OrderEvent):
    """The order was replaced by the client, or its size reduced by an OCA or bracket sibling's fill."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(OrderEvent):
    """An execution: `quantity` at `price`; cumulative figures as execDetails / orderStatus report them."""

    quantity: Decimal
    price: Decimal
    cum_quantity: Decimal
    avg_price: Decimal
    remaining: Decimal
    liquidity: int  # IB's lastLiquidity: 1 added (a resting order), 2 removed (took the touch), 3 auction


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled(OrderEvent):
    reason: CancelReason


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected:
    """A request about an order was refused; `order` is its state when it exists (modify of a live order)."""

    client_id: int
    order_id: int
    rejection: Rejection
    time: datetime
    order: OrderView | None = None

    @property
    def code(self) -> int:
        return self.rejection.code

    @property
    def text(self) -> str:
        return self.rejection.text


Event = (
    OrderAccepted
    | OrderReleased
    | OrderTriggered
    | OrderPriceUpdated
    | OrderModified
    | OrderFilled
    | OrderCancelled
    | OrderRejected
)


# --- plain-dict form, for persistence ---------------------------------------------------------------------

_DECIMAL_FIELDS = frozenset(
    {"quantity", "lmt_price", "aux_price", "trailing_percent", "trail_stop_price", "lmt_price_offset", "nbbo_price_cap"}
)
_ENUM_FIELDS: dict[str, type[StrEnum]] = {"action": Action, "order_type": OrderType, "tif": TimeInForce}
_TIME_FIELDS = ("good_till_date", "algo_start", "algo_end")


_SPEC_FIELDS = tuple(f.name for f in fields(OrderSpec) if f.name != "echoed")


def spec_to_dict(spec: OrderSpec) -> dict[str, Any]:
    """JSON-ready: Decimals and datetimes as text, enums as their IB names, the echoed terms as fields of their
    own (a flat dict; a state written before they existed reads back without them)."""
    out: dict[str, Any] = {name: getattr(spec, name) for name in _SPEC_FIELDS}
    if spec.echoed is not NO_ECHO:
        out.update((name, getattr(spec.echoed, name)) for name in ECHOED_FIELDS)
    for name in _DECIMAL_FIELDS:
        if out[name] is not None:
            out[name] = str(out[name])
    for name in _ENUM_FIELDS:
        out[name] = out[name].value
    for name in _TIME_FIELDS:
        if out[name] is not None:
            out[name] = out[name].isoformat()
    out["algo_params"] = json.dumps([list(pair) for pair in spec.algo_params]) if spec.algo_params else ""
    return out


def spec_from_dict(data: dict[str, Any]) -> OrderSpec:
    values = dict(data)
    for name in _DECIMAL_FIELDS:
        if values.get(name) is not None:
            values[name] = Decimal(values[name])
    for name, enum in _ENUM_FIELDS.items():
        values[name] = enum(values[name])
    for name in _TIME_FIELDS:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    pairs = json.loads(values["algo_params"]) if values.get("algo_params") else ()
    values["algo_params"] = tuple((str(tag), str(value)) for tag, value in pairs)
    if not values.keys().isdisjoint(ECHOED_FIELDS):
        echoed = EchoedTerms(**{name: values.pop(name) for name in ECHOED_FIELDS if name in values})
        values["echoed"] = NO_ECHO if echoed == NO_ECHO else echoed
    return OrderSpec(**values)
