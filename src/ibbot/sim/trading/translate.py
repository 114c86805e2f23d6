"""Translation between the wire and the matching engine, and nothing else: protocol `Order` -> `OrderSpec`,
engine views -> the protocol `Order` TWS echoes in openOrder, IB's time texts. (Prices, ticks, commissions and
the engine's quotes from the live book are `ibbot.sim.trading.pricing`'s.)

Theory of operation
-------------------
The engine works in Decimals and enums; the wire carries floats and IB's strings. Every float becomes a Decimal
through its shortest text (`Decimal(str(x))`), so 230.05 stays 230.05 and tick checks (110) are exact. IB's
names for order types in contract details (`STPLMT`, `TRAILLMT`, `MIDPX` ...) differ from placeOrder's
(`STP LMT`, `TRAIL LIMIT`, `MIDPRICE`); `IB_TYPE_CODES` maps one to the other so an instrument's `order_types`
decides 387. Instruments whose simulated quotes have no trades (forex, options) would never see a stop's
default trigger (the last price), so trigger method 0 becomes 4 (bid/ask) for them, as IB does for forex.
Every fill reports its Order in openOrder: `to_order` builds it with `protocol.types.build_order`, the same
frozen Order as `Order(...)` at a fifth of the cost. Terms the engine never acts on but TWS echoes (customer
account, professional customer, include overnight, extOperator, manual order indicator, imbalance only) ride
in the spec's `EchoedTerms` from placeOrder to openOrder and completedOrder, which write those of them the
negotiated version has.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ibbot.protocol.types import Order, TagValue, build_order, fast_constructor
from ibbot.sim.errors import Rejection
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.trading import algos
from ibbot.sim.trading.orders import (
    ECHOED_FIELDS,
    NO_ECHO,
    UNSUPPORTED_TYPE,
    Action,
    EchoedTerms,
    OrderSpec,
    OrderType,
    OrderView,
    TimeInForce,
    Trigger,
    rejected,
)

NO_TRADES = frozenset({"CASH", "OPT", "FOP"})  # simulated quotes without a last price
# Beyond these an order is IB's rejection, not arithmetic: a price of 1e26 or a quantity of 1e29 would overflow
# the 28 digits of Decimal's context in tick checks and commissions.
MAX_QUANTITY = Decimal(1_000_000_000)
MAX_PRICE = Decimal(1_000_000_000)
IB_TYPE_CODES: dict[OrderType, str] = {
    OrderType.MKT: "MKT",
    OrderType.LMT: "LMT",
    OrderType.STP: "STP",
    OrderType.STP_LMT: "STPLMT",
    OrderType.TRAIL: "TRAIL",
    OrderType.TRAIL_LIMIT: "TRAILLMT",
    OrderType.MIT: "MIT",
    OrderType.LIT: "LIT",
    OrderType.MOC: "MOC",
    OrderType.LOC: "LOC",
    OrderType.REL: "REL",
    OrderType.MIDPRICE: "MIDPX",
}
_ACTIONS = {"BUY": Action.BUY, "SELL": Action.SELL, "SSHORT": Action.SSHORT}


# --- IB's time texts ---------------------------------------------------------------------------------------


def parse_ib_time(text: str, zone: ZoneInfo) -> datetime | None:
    """`yyyymmdd hh:mm:ss [zone]` (in `zone` when no zone is named), `yyyymmdd-hh:mm:ss` (UTC) or `yyyymmdd`
    (midnight in `zone`), as UTC; None when the text is none of these."""
    text = text.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return datetime.strptime(text, "%Y%m%d").replace(tzinfo=zone).astimezone(UTC)
        if len(text) >= 17 and text[8] == "-":
            return datetime.strptime(text[:17], "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
        parts = text.split()
        if len(parts) not in (2, 3):
            return None
        tz = ZoneInfo(parts[2]) if len(parts) == 3 else zone
        return datetime.strptime(parts[0] + parts[1], "%Y%m%d%H:%M:%S").replace(tzinfo=tz).astimezone(UTC)
    except (ValueError, ZoneInfoNotFoundError):
        return None


def format_ib_time(moment: datetime, zone: ZoneInfo) -> str:
    """`YYYYMMDD HH:MM:SS Zone`, as TWS writes execution times (ib_async parses the zone name)."""
    second = moment.timestamp() // 1  # the text changes once a second: the fills of a second share it
    memo = _last_time
    if memo.second == second and memo.zone is zone:
        return memo.text
    minute = second // 60
    if memo.minute != minute or memo.zone is not zone:
        local = moment.astimezone(zone)
        offset = local.utcoffset()
        if offset is None or offset.total_seconds() % 60:  # only old local mean times are not whole minutes
            memo.minute, memo.zone = math.nan, None
            return f"{local:%Y%m%d %H:%M:%S} {zone.key}"
        memo.minute, memo.zone, memo.head, memo.tail = minute, zone, f"{local:%Y%m%d %H:%M}:", f" {zone.key}"
    # Zones move by whole minutes, so the local second is the UTC one: strftime once a minute.
    text = f"{memo.head}{int(second % 60):02d}{memo.tail}"
    memo.second, memo.text = second, text
    return text


class _TimeText:
    """`format_ib_time`'s last answer and the text of its minute (a memo; the function stays a pure function
    of its arguments)."""

    __slots__ = ("head", "minute", "second", "tail", "text", "zone")

    def __init__(self) -> None:
        self.second = math.nan
        self.minute = math.nan
        self.zone: ZoneInfo | None = None
        self.head = self.tail = self.text = ""


_last_time = _TimeText()


# --- placeOrder -> OrderSpec -------------------------------------------------------------------------------


def dec(value: float | None) -> Decimal | None:
    """A wire price as a Decimal through its shortest text; None, NaN and infinities are unset."""
    if value is None or not math.isfinite(value):
        return None
    return Decimal(str(value))


_build_spec = fast_constructor(OrderSpec)  # OrderSpec(...) at a third of the cost: every placeOrder makes one


def to_spec(
    order: Order,
    *,
    order_id: int,
    client_id: int,
    account: str,
    instrument: Instrument,
    zone: ZoneInfo,
    now: datetime | None = None,
    session_end: datetime | None = None,
) -> OrderSpec | Rejection:
    """The engine's view of a placeOrder; a `Rejection` for what cannot be an order for this instrument.
    `now` and `session_end` (the regular close) place a scheduled algo's default window."""
    try:
        order_type = OrderType(" ".join(order.order_type.upper().split()))
    except ValueError:
        return UNSUPPORTED_TYPE
    if instrument.sec_type == "IND":
        return UNSUPPORTED_TYPE  # indices have prices but cannot be traded
    if instrument.order_types and IB_TYPE_CODES[order_type] not in instrument.order_types:
        return UNSUPPORTED_TYPE
    action = _ACTIONS.get(order.action.strip().upper())
    if action is None:
        return rejected(f"Invalid action {order.action!r}: BUY, SELL or SSHORT.")
    tif_text = order.tif.strip().upper() or TimeInForce.DAY.value
    try:
        tif = TimeInForce(tif_text)
    except ValueError:
        return rejected(f"The time in force {order.tif!r} is not supported.")
    good_till = None
    if order.good_till_date.strip():
        good_till = parse_ib_time(order.good_till_date, zone)
        if good_till is None:
            return rejected(f"Invalid good-till date {order.good_till_date!r}.")
    trigger_method = order.trigger_method
    if trigger_method == 0 and instrument.sec_type in NO_TRADES:
        trigger_method = 4
    absurd = _absurd(order)
    if absurd is not None:
        return absurd
    algo: algos.AlgoTerms | None = None
    if order.algo_strategy.strip():
        if now is None or session_end is None:
            return algos.algo_error("An algo order needs the time it is placed at.")  # a caller's bug, reported
        checked = algos.check(
            order.algo_strategy,
            tuple((p.tag, p.value) for p in order.algo_params),
            order_type=_TYPE_TEXT[order_type],
            sec_type=instrument.sec_type,
            now=now,
            session_end=session_end,
        )
        if isinstance(checked, Rejection):
            return checked
        algo = checked
    return _build_spec(
        order_id=order_id,
        client_id=client_id,
        account=account,
        con_id=instrument.con_id,
        action=action,
        quantity=order.total_quantity,
        order_type=order_type,
        lmt_price=dec(order.lmt_price),
        aux_price=dec(order.aux_price),
        trailing_percent=dec(order.trailing_percent),
        trail_stop_price=dec(order.trail_stop_price),
        lmt_price_offset=dec(order.lmt_price_offset),
        tif=tif,
        good_till_date=good_till,
        outside_rth=order.outside_rth,
        oca_group=order.oca_group,
        oca_type=order.oca_type,
        parent_id=order.parent_id,
        transmit=order.transmit,
        what_if=order.what_if,
        trigger_method=trigger_method,
        order_ref=order.order_ref,
        e_trade_only=order.e_trade_only,
        firm_quote_only=order.firm_quote_only,
        nbbo_price_cap=dec(order.nbbo_price_cap),
        algo_strategy="" if algo is None else algo.strategy,
        algo_params=() if algo is None else algo.params,
        algo_start=None if algo is None else algo.start,
        algo_end=None if algo is None else algo.end,
        echoed=echoed_terms(order),
    )


_echoed_values = attrgetter(*ECHOED_FIELDS)  # the same names on the wire Order and on EchoedTerms
_NO_ECHO_VALUES = _echoed_values(NO_ECHO)


def echoed_terms(order: Order) -> EchoedTerms:
    """The terms of `order` TWS echoes without the simulator acting on them; `NO_ECHO` when it sets none
    (one C-level comparison: an order without them pays a fraction of a microsecond)."""
    values = _echoed_values(order)
    if values == _NO_ECHO_VALUES:
        return NO_ECHO
    return EchoedTerms(**dict(zip(ECHOED_FIELDS, values, strict=True)))


def _absurd(order: Order) -> Rejection | None:
    """A quantity or price no order can have (the caller sends the rejection for the order id)."""
    quantity = order.total_quantity
    if not quantity.is_finite() or abs(quantity) > MAX_QUANTITY:
        return rejected(f"The order quantity {quantity} is beyond the largest order accepted ({MAX_QUANTITY:,}).")
    prices = {
        "limit price": order.lmt_price,
        "auxiliary price": order.aux_price,
        "trail stop price": order.trail_stop_price,
        "limit price offset": order.lmt_price_offset,
        "trailing percent": order.trailing_percent,
        "NBBO price cap": order.nbbo_price_cap,
    }
    for name, value in prices.items():
        price = dec(value)
        if price is not None and abs(price) > MAX_PRICE:
            return rejected(f"The {name} {value:g} is out of range (at most {MAX_PRICE:,} in absolute value).")
    return None


# --- engine view -> the protocol Order of openOrder / completedOrder ------------------------------------------


_MOVING_LIMIT = frozenset({OrderType.TRAIL_LIMIT, OrderType.REL, OrderType.MIDPRICE})
# Enum members' `.value` is a Python-level property; these lookups are a tenth of its cost.
_ACTION_TEXT = {a: a.value for a in Action}
_TYPE_TEXT = {t: t.value for t in OrderType}
_TIF_TEXT = {t: t.value for t in TimeInForce}


def _flt(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


SUBMITTER = "ibbotsim"
"""The TWS user the simulator reports as every order's submitter (openOrder, execDetails from version 198)."""


def to_order(
    view: OrderView,
    *,
    perm_id: int,
    good_till_text: str = "",
    trigger_method: int | None = None,
    completed: bool = False,
) -> Order:
    """The order as TWS reports it: the client's terms with the current limit / trailing stop.

    `completed`: for completedOrder, the only message that carries the filled quantity; openOrder's Order
    leaves it unset, so an order's openOrders before and after a fill can share one Order.
    """
    spec = view.spec
    order_type = spec.order_type
    limit = view.limit_price if order_type in _MOVING_LIMIT and view.limit_price is not None else spec.lmt_price
    trailing = spec.rule.trigger is Trigger.TRAIL
    return build_order(
        order_id=spec.order_id,
        client_id=spec.client_id,
        perm_id=perm_id,
        action=_ACTION_TEXT[spec.action],
        total_quantity=spec.quantity,
        order_type=_TYPE_TEXT[order_type],
        lmt_price=_flt(limit),
        aux_price=_flt(spec.aux_price),
        tif=_TIF_TEXT[spec.tif],
        oca_group=spec.oca_group,
        oca_type=spec.oca_type,
        order_ref=spec.order_ref,
        transmit=spec.transmit,
        parent_id=spec.parent_id,
        trigger_method=spec.trigger_method if trigger_method is None else trigger_method,
        outside_rth=spec.outside_rth,
        good_till_date=good_till_text,
        trail_stop_price=_flt(view.stop_price if trailing else spec.trail_stop_price),
        trailing_percent=_flt(spec.trailing_percent),
        lmt_price_offset=_flt(spec.lmt_price_offset),
        account=spec.account,
        what_if=spec.what_if,
        filled_quantity=view.filled if completed else None,
        submitter=SUBMITTER,
        algo_strategy=spec.algo_strategy,
        algo_params=_tag_values(spec.algo_params),
        **_echoed_fields(spec.echoed),
    )


def _echoed_fields(echoed: EchoedTerms) -> dict[str, object]:
    if echoed is NO_ECHO:
        return _NOTHING  # the Order's defaults are NO_ECHO's values
    return dict(zip(ECHOED_FIELDS, _echoed_values(echoed), strict=True))


_NOTHING: dict[str, object] = {}


def _tag_values(pairs: tuple[tuple[str, str], ...]) -> tuple[TagValue, ...]:
    if not pairs:
        return ()
    found = _TAG_VALUES.get(pairs)
    if found is None:
        if len(_TAG_VALUES) > 1024:
            _TAG_VALUES.clear()
        found = _TAG_VALUES[pairs] = tuple(TagValue(tag=t, value=v) for t, v in pairs)
    return found


_TAG_VALUES: dict[tuple[tuple[str, str], ...], tuple[TagValue, ...]] = {}
