"""The risk checks: one small pure function per limit, `(request, context, limits) -> Refusal | None`.

A check with its limit switched off (`None`) passes. Boundaries are inclusive: a value equal to its limit
passes, anything above it is refused. Checks that need a price refuse when there is none, because they
cannot show the order is inside its limit (`ibbot.risk.context` says how orders are priced). Reasons carry
the numbers, formatted with thousands separators, and name the limit's configuration key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ibbot.model import Instrument, Order, OrderRequest, OrderType, Session, Side
from ibbot.risk.context import (
    ZERO,
    RiskContext,
    order_price,
    projected,
    quote_age_seconds,
    reduces,
    touch_price,
    working_on,
)
from ibbot.risk.limits import RiskLimits
from ibbot.risk.state import Mode


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """Why one check refused an order: the check's name and a reason with the numbers."""

    check: str
    reason: str


Check = Callable[[OrderRequest, RiskContext, RiskLimits], Refusal | None]


def check_mode(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    if context.mode is Mode.HALTED:
        return Refusal(check="mode", reason="trading is halted (kill switch); only cancels pass until resumed")
    if context.mode is Mode.MONITOR_ONLY:
        return Refusal(check="mode", reason="monitor-only: no new orders until the reconciliation is acknowledged")
    if context.mode is Mode.REDUCE_ONLY and not reduces(context, request):
        return Refusal(check="mode", reason=f"reduce-only: {_would_increase(request, context)}")
    return None


def check_daily_loss(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    loss = -context.pnl.daily
    if limits.daily_loss_limit is None or loss <= limits.daily_loss_limit or reduces(context, request):
        return None
    return Refusal(
        check="daily_loss",
        reason=f"daily loss {num(loss)} {limits.currency} exceeds daily_loss_limit {num(limits.daily_loss_limit)}: "
        f"reduce-only, and {_would_increase(request, context)}",
    )


def check_asset_class(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    instrument = request.instrument
    if not instrument.is_tradable:
        return Refusal(check="asset_class", reason=f"{instrument} is an {instrument.asset_class.name}, not tradable")
    allowed = limits.allowed_asset_classes
    if allowed is None or instrument.asset_class in allowed:
        return None
    names = ", ".join(sorted(c.value for c in allowed))
    return Refusal(
        check="asset_class",
        reason=f"{instrument} is {instrument.asset_class.value}, not in allowed_asset_classes ({names})",
    )


def check_trading_hours(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    """Regular orders inside the liquid hours; `outside_rth` orders inside the trading hours (extended)."""
    if limits.allow_outside_hours:
        return None
    instrument = request.instrument
    regular = instrument.liquid_hours or instrument.trading_hours
    extended = instrument.trading_hours or instrument.liquid_hours
    if not extended:
        return Refusal(
            check="trading_hours",
            reason=f"{instrument}'s trading hours are unknown (qualify it first, or set allow_outside_hours)",
        )
    now = context.now.astimezone(UTC)  # the reasons print UTC times
    if _inside(regular, now) or (request.outside_rth and _inside(extended, now)):
        return None
    if _inside(extended, now):
        reason = f"{instrument} is in extended hours at {now:%Y-%m-%d %H:%M} UTC and the order is not outside_rth"
    else:
        reason = f"{instrument} is outside its trading hours at {now:%Y-%m-%d %H:%M} UTC"
        opens = _next_open(extended if request.outside_rth else regular, now)
        if opens is not None:
            reason += f" (next session opens {opens.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
    return Refusal(check="trading_hours", reason=reason)


def check_order_quantity(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    limit = limits.max_order_quantity
    if limit is None or request.quantity <= limit:
        return None
    return Refusal(
        check="order_quantity",
        reason=f"order quantity {num(request.quantity)} exceeds max_order_quantity {num(limit)}",
    )


def check_order_notional(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    limit = limits.max_order_notional
    if limit is None:
        return None
    price = order_price(context, request)
    if price is None:
        return Refusal(check="order_notional", reason=f"no price to value the order: {_no_quote(request)}")
    notional = request.quantity * price * request.instrument.multiplier
    if notional <= limit:
        return None
    return Refusal(
        check="order_notional",
        reason=f"order notional {num(notional)} {request.instrument.currency} exceeds max_order_notional {num(limit)}",
    )


def check_price_band(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    """Fat finger: a limit or stop price within `price_band_percent` of a fresh reference price."""
    band = limits.price_band_percent
    prices = [(name, p) for name, p in (("limit", request.limit_price), ("stop", request.stop_price)) if p is not None]
    if band is None or not prices:
        return None
    reference, refusal = _fresh_reference("price_band", request, context, limits)
    if reference is None:
        return refusal
    for name, price in prices:
        off = abs(price - reference) / reference * 100
        if off > band:
            direction = "above" if price > reference else "below"
            return Refusal(
                check="price_band",
                reason=f"{name} price {num(price)} is {_pct(off)} {direction} the reference price {num(reference)} "
                f"(price_band_percent {num(band)})",
            )
    return None


def check_market_band(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    """A market order only against a fresh quote whose touch is within `market_band_percent` of the reference."""
    band = limits.market_band_percent
    if band is None or request.order_type is not OrderType.MARKET:
        return None
    reference, refusal = _fresh_reference("market_band", request, context, limits)
    quote = context.quote(request.instrument.key)
    if reference is None or quote is None:
        return refusal
    touch = touch_price(quote, request.side)
    side = "ask" if request.side.sign > 0 else "bid"
    if touch is None:
        return Refusal(check="market_band", reason=f"no {side} for {request.instrument}: a market order has no price")
    off = abs(touch - reference) / reference * 100
    if off <= band:
        return None
    return Refusal(
        check="market_band",
        reason=f"the {side} {num(touch)} is {_pct(off)} from the reference price {num(reference)} "
        f"(market_band_percent {num(band)})",
    )


def check_position_quantity(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    limit = limits.max_position_quantity
    if limit is None or reduces(context, request):
        return None
    after = abs(projected(context, request))
    if after <= limit:
        return None
    return Refusal(
        check="position_quantity",
        reason=f"position in {request.instrument} could reach {num(after)} (working orders included), "
        f"exceeding max_position_quantity {num(limit)}",
    )


def check_position_notional(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    limit = limits.max_position_notional
    if limit is None or reduces(context, request):
        return None
    key = request.instrument.key
    price = context.reference(key)
    if price is None:
        price = order_price(context, request)
    if price is None:
        return Refusal(check="position_notional", reason=f"no price to value the position: {_no_quote(request)}")
    value = abs(projected(context, request)) * price * request.instrument.multiplier
    if value <= limit:
        return None
    return Refusal(
        check="position_notional",
        reason=f"position in {request.instrument} could be worth {num(value)} {request.instrument.currency} "
        f"(working orders included), exceeding max_position_notional {num(limit)}",
    )


def check_gross_exposure(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    """Sum over instruments of the worst-case absolute position (working orders and this one) times its price."""
    limit = limits.max_gross_exposure
    if limit is None or reduces(context, request):
        return None
    instruments: dict[str, Instrument] = {key: p.instrument for key, p in context.positions.items()}
    pending: dict[tuple[str, Side], Decimal] = {}  # remaining working quantity per instrument and side, one pass
    orders: list[Order | OrderRequest] = [*context.others(request), request]
    for order in orders:
        key = order.instrument.key
        instruments[key] = order.instrument
        pending[key, order.side] = pending.get((key, order.side), ZERO) + _remaining(order)
    total = ZERO
    for key, instrument in instruments.items():
        held = context.position(key)
        exposure = max(abs(held + pending.get((key, Side.BUY), ZERO)), abs(held - pending.get((key, Side.SELL), ZERO)))
        if exposure == 0:
            continue
        value = _unit_value(request, context, key, instrument)
        if value is None:
            return Refusal(check="gross_exposure", reason=f"no price to value the exposure in {instrument}")
        total += exposure * value
    if total <= limit:
        return None
    return Refusal(
        check="gross_exposure",
        reason=f"gross exposure could reach {num(total)} {limits.currency} (working orders included), "
        f"exceeding max_gross_exposure {num(limit)}",
    )


def check_working_orders(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    limit = limits.max_working_orders
    count = sum(1 for _ in context.others(request)) + 1
    if limit is None or count <= limit:
        return None
    return Refusal(check="working_orders", reason=f"{count} working orders would exceed max_working_orders {limit}")


def check_working_orders_per_instrument(
    request: OrderRequest, context: RiskContext, limits: RiskLimits
) -> Refusal | None:
    limit = limits.max_working_orders_per_instrument
    key = request.instrument.key
    count = sum(1 for o in context.others(request) if o.instrument.key == key) + 1
    if limit is None or count <= limit:
        return None
    return Refusal(
        check="working_orders_per_instrument",
        reason=f"{count} working orders in {request.instrument} would exceed max_working_orders_per_instrument {limit}",
    )


def check_order_rate(request: OrderRequest, context: RiskContext, limits: RiskLimits) -> Refusal | None:
    """At most `max_orders_per_window` accepted orders in any window ending now (this one included)."""
    limit = limits.max_orders_per_window
    if limit is None:
        return None
    window = limits.order_rate_window_seconds
    now = context.now
    start = now - _span(window)
    count = sum(1 for t in context.recent_orders if start < t <= now) + 1
    if count <= limit:
        return None
    return Refusal(
        check="order_rate",
        reason=f"{count} orders in {window:g} s would exceed max_orders_per_window {limit}",
    )


# --- shared pieces -----------------------------------------------------------------------------------------


def _fresh_reference(
    check: str, request: OrderRequest, context: RiskContext, limits: RiskLimits
) -> tuple[Decimal | None, Refusal | None]:
    quote = context.quote(request.instrument.key)
    reference = context.reference(request.instrument.key)
    if quote is None or reference is None:
        return None, Refusal(check=check, reason=f"no reference price: {_no_quote(request)}")
    age = quote_age_seconds(context, quote)
    if limits.max_quote_age_seconds is not None and age > limits.max_quote_age_seconds:
        return None, Refusal(
            check=check,
            reason=f"the quote for {request.instrument} is stale: {age:g} s old "
            f"(max_quote_age_seconds {limits.max_quote_age_seconds:g})",
        )
    return reference, None


_SPANS: dict[float, timedelta] = {}


def _span(seconds: float) -> timedelta:
    """`timedelta(seconds=seconds)`, made once per window length (the rate check asks on every order)."""
    span = _SPANS.get(seconds)
    if span is None:
        span = _SPANS[seconds] = timedelta(seconds=seconds)
    return span


def _remaining(order: Order | OrderRequest) -> Decimal:
    return order.remaining if isinstance(order, Order) else order.quantity


def _unit_value(request: OrderRequest, context: RiskContext, key: str, instrument: Instrument) -> Decimal | None:
    """One unit's value: the reference price x multiplier, else the position's average cost (multiplier in),
    else the highest limit or stop price among this and the working orders on `key`."""
    price = context.reference(key)
    if price is not None:
        return price * instrument.multiplier
    held = context.positions.get(key)
    if held is not None and held.avg_cost > 0:
        return held.avg_cost
    orders = [o.request for o in context.others(request) if o.instrument.key == key]
    if key == request.instrument.key:
        orders.append(request)
    prices = [p for o in orders for p in (o.limit_price, o.stop_price) if p is not None]
    return max(prices) * instrument.multiplier if prices else None


def _would_increase(request: OrderRequest, context: RiskContext) -> str:
    key = request.instrument.key
    held = context.position(key)
    pending = working_on(context, request, key, request.side)
    text = (
        f"{request.side.value} {num(request.quantity)} {request.instrument} would not reduce the position {num(held)}"
    )
    if pending:
        text += f" (with {num(pending)} more working on the {request.side.value} side)"
    return text


def _no_quote(request: OrderRequest) -> str:
    return f"no usable quote for {request.instrument} and no limit or stop price"


def _inside(sessions: tuple[Session, ...], moment: datetime) -> bool:
    return any(s.contains(moment) for s in sessions)


def _next_open(sessions: tuple[Session, ...], moment: datetime) -> datetime | None:
    return min((s.start for s in sessions if s.start > moment), default=None)


def num(value: Decimal) -> str:
    """A number for people: thousands separated, no exponent, no trailing zeros after the point."""
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}%"
