"""Checks an order must pass before it leaves: prices on the tick (rounded or refused), sizes, market rules.

`validate(request, now, rules)` returns the request to send (prices rounded when `rules.round_to_tick`) or
raises `OrderError` naming what is wrong. Rounding goes the safe way: a buy's prices down (never pay more, a
protective buy stop triggers no later), a sell's up. The tick is the instrument's `min_tick`, or IB's market rule
for the price where the shell has one (`reqMarketRule`: the increment depends on the price, e.g. 0.0001 under
$1). Stop-limit orders may have the limit on either side of the stop, as IB allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from types import MappingProxyType

from ibbot.errors import OrderError
from ibbot.model import AssetClass, Instrument, OrderRequest, OrderType, Side, TimeInForce

_WHOLE_UNITS = frozenset({AssetClass.FUTURE, AssetClass.OPTION, AssetClass.FUTURE_OPTION})
_SHARES = frozenset({AssetClass.STOCK, AssetClass.ETF})
# Futures (and their options) can trade at zero or below (crude oil, April 2020); the rest cannot.
_MAY_BE_NON_POSITIVE = frozenset({AssetClass.FUTURE, AssetClass.FUTURE_OPTION})
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketRule:
    """IB's price increments by price level: `increments` is ((low edge, increment), ...) by rising edge."""

    increments: tuple[tuple[Decimal, Decimal], ...]

    def __post_init__(self) -> None:
        if not self.increments or any(step <= 0 for _, step in self.increments):
            raise ValueError("a market rule needs at least one positive increment")

    def increment_at(self, price: Decimal) -> Decimal:
        chosen = self.increments[0][1]
        for edge, step in self.increments:
            if abs(price) >= edge:
                chosen = step
        return chosen


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationRules:
    """The settings validation follows (the shell builds them from the configuration)."""

    round_to_tick: bool = False  # False: a price off the tick is refused
    fractional_shares: bool = False  # stocks and ETFs in fractions (the account must allow it)
    max_quantity: Mapping[AssetClass, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    market_rules: Mapping[str, MarketRule] = field(default_factory=lambda: MappingProxyType({}))  # by key


DEFAULT_RULES = ValidationRules()


def _refuse(request: OrderRequest, reason: str) -> OrderError:
    return OrderError(
        f"{request.side.value} {request.quantity} {request.instrument} {request.order_type.value}: {reason}"
    )


def _tick(instrument: Instrument, price: Decimal, rules: ValidationRules) -> Decimal:
    rule = rules.market_rules.get(instrument.key)
    return instrument.min_tick if rule is None else rule.increment_at(price)


def _on_tick(request: OrderRequest, name: str, price: Decimal, rules: ValidationRules, *, up: bool) -> Decimal:
    tick = _tick(request.instrument, price, rules)
    if price % tick == 0:
        return price
    if not rules.round_to_tick:
        raise _refuse(request, f"{name} {price} is not a multiple of the minimum tick {tick}")
    rounded = (price / tick).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR) * tick
    return rounded.quantize(tick)


def _prices(request: OrderRequest, rules: ValidationRules) -> dict[str, Decimal]:
    """The request's prices on the tick, rounded the safe way for its side."""
    safe_up = request.side is Side.SELL
    changes: dict[str, Decimal] = {}
    for name in ("limit_price", "stop_price"):
        value: Decimal | None = getattr(request, name)
        if value is None:
            continue
        if value <= 0 and request.instrument.asset_class not in _MAY_BE_NON_POSITIVE:
            raise _refuse(request, f"{name} must be positive, got {value}")
        changes[name] = _on_tick(request, name.replace("_", " "), value, rules, up=safe_up)
    for name in ("trail_amount", "limit_offset"):
        value = getattr(request, name)
        if value is None:
            continue
        if value < 0 or (value == 0 and name == "trail_amount"):
            raise _refuse(request, f"{name.replace('_', ' ')} must be positive, got {value}")
        # A tighter trail (down) triggers sooner: the protective direction whatever the side.
        changes[name] = _on_tick(request, name.replace("_", " "), value, rules, up=False)
        if changes[name] == 0 and name == "trail_amount":
            raise _refuse(request, f"trail amount {value} rounds to zero at the minimum tick")
    return {name: value for name, value in changes.items() if value != getattr(request, name)}


def _size(request: OrderRequest, rules: ValidationRules) -> None:
    asset_class = request.instrument.asset_class
    if not request.instrument.is_tradable:
        raise _refuse(request, f"{asset_class.name.lower()} instruments cannot be traded")
    whole = asset_class in _WHOLE_UNITS or (asset_class in _SHARES and not rules.fractional_shares)
    if whole and request.quantity != request.quantity.to_integral_value():
        raise _refuse(request, f"{asset_class.name.lower()} quantities must be whole units, got {request.quantity}")
    limit = rules.max_quantity.get(asset_class)
    if limit is not None and request.quantity > limit:
        raise _refuse(
            request, f"quantity {request.quantity} exceeds the maximum {limit} for {asset_class.name.lower()}"
        )


def _time_in_force(request: OrderRequest, now: datetime) -> None:
    if request.tif is TimeInForce.GTD and request.good_till is not None and request.good_till <= now:
        raise _refuse(request, f"GTD good_till {request.good_till.isoformat()} is not in the future")
    if request.tif is TimeInForce.OPG:
        if request.instrument.asset_class not in _SHARES:
            raise _refuse(request, "OPG (at the open) is only for stocks")
        if request.order_type not in (OrderType.MARKET, OrderType.LIMIT):
            raise _refuse(request, "OPG (at the open) is only for market and limit orders")


def validate(request: OrderRequest, now: datetime, rules: ValidationRules = DEFAULT_RULES) -> OrderRequest:
    """The request as it may leave (prices possibly rounded), or `OrderError` saying why it may not."""
    _size(request, rules)
    if request.trail_percent is not None and not 0 < request.trail_percent < _HUNDRED:
        raise _refuse(request, f"trailing percent must be within (0, 100), got {request.trail_percent}")
    _time_in_force(request, now)
    changes = _prices(request, rules)
    return replace(request, **changes) if changes else request  # type: ignore[arg-type]
