"""The risk gate's limits: one frozen `RiskLimits`, validated from a `[risk]` TOML table; `None` switches one off.

The defaults are meant for a new user on a small account, so a typo in a strategy cannot do much harm:

| limit | default | meaning |
|---|---|---|
| `max_order_quantity` | 1,000 | units (shares, contracts, base currency) in one order |
| `max_order_notional` | 50,000 | quantity x price x multiplier of one order |
| `max_position_quantity` | 5,000 | units held in one instrument, counting working orders on the same side |
| `max_position_notional` | 100,000 | the same position valued at the reference price |
| `max_gross_exposure` | 250,000 | sum of every instrument's absolute worst-case position value |
| `max_working_orders` | 50 | working orders in total, this one included |
| `max_working_orders_per_instrument` | 10 | working orders per instrument, this one included |
| `price_band_percent` | 5 | a limit or stop price at most this far from the reference price |
| `market_band_percent` | 1 | a market order's touch (ask to buy, bid to sell) at most this far from the reference |
| `max_quote_age_seconds` | 60 | an older quote is stale: no price band can be checked, so priced orders are refused |
| `max_orders_per_window` | 30 | orders accepted per `order_rate_window_seconds` (60) |
| `daily_loss_limit` | 2,000 | realized + unrealized loss today beyond which only reducing orders pass |
| `allow_outside_hours` | false | skip the trading-hours check entirely |
| `allowed_asset_classes` | all | e.g. `["STK", "ETF"]` (IB's secType or the class name) |

Money limits are compared with values in the instrument's currency; there is no FX conversion, so an account
trading several currencies should set its limits for the smallest one. `currency` names the unit in messages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from ibbot.errors import ConfigError
from ibbot.model import AssetClass


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskLimits:
    """Every limit the gate enforces; `None` switches a limit off. Defaults and meanings: the module docstring."""

    max_order_quantity: Decimal | None = Decimal(1_000)
    max_order_notional: Decimal | None = Decimal(50_000)
    max_position_quantity: Decimal | None = Decimal(5_000)
    max_position_notional: Decimal | None = Decimal(100_000)
    max_gross_exposure: Decimal | None = Decimal(250_000)
    max_working_orders: int | None = 50
    max_working_orders_per_instrument: int | None = 10
    price_band_percent: Decimal | None = Decimal(5)
    market_band_percent: Decimal | None = Decimal(1)
    max_quote_age_seconds: float | None = 60.0
    max_orders_per_window: int | None = 30
    order_rate_window_seconds: float = 60.0
    daily_loss_limit: Decimal | None = Decimal(2_000)
    allow_outside_hours: bool = False
    allowed_asset_classes: frozenset[AssetClass] | None = None
    currency: str = "USD"

    def __post_init__(self) -> None:
        for name in _DECIMALS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value <= 0):
                raise ConfigError(f"risk.{name} must be a positive number, got {value!r}")
        for name in _INTEGERS:
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"risk.{name} must be a whole number >= 1, got {value!r}")
        for name in _SECONDS:
            value = getattr(self, name)
            if value is None and name in _OPTIONAL:
                continue
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not (math.isfinite(value) and value > 0):
                raise ConfigError(f"risk.{name} must be a positive number of seconds, got {value!r}")
        if self.allowed_asset_classes is not None and not self.allowed_asset_classes:
            raise ConfigError("risk.allowed_asset_classes is empty: no order could ever pass (omit it to allow all)")

    @classmethod
    def from_mapping(cls, section: object) -> RiskLimits:
        """The `[risk]` TOML table: any field by name; `false` switches an optional limit off."""
        if section is None:
            return cls()
        if not isinstance(section, Mapping):
            raise ConfigError("risk must be a table ([risk])")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in section.items():
            if key not in known:
                raise ConfigError(f"risk: unknown setting {key!r}; known: {', '.join(sorted(known))}")
            values[key] = _parse(key, raw)
        return cls(**values)


_DECIMALS = (
    "max_order_quantity", "max_order_notional", "max_position_quantity", "max_position_notional",
    "max_gross_exposure", "price_band_percent", "market_band_percent", "daily_loss_limit",
)  # fmt: skip
_INTEGERS = ("max_working_orders", "max_working_orders_per_instrument", "max_orders_per_window")
_SECONDS = ("max_quote_age_seconds", "order_rate_window_seconds")
_OPTIONAL = frozenset(_DECIMALS) | frozenset(_INTEGERS) | {"max_quote_age_seconds", "allowed_asset_classes"}
_CLASS_NAMES = {**{c.value: c for c in AssetClass}, **{c.name: c for c in AssetClass}}


def _parse(key: str, raw: object) -> object:
    if raw is False and key in _OPTIONAL:
        return None
    if key == "allow_outside_hours":
        if not isinstance(raw, bool):
            raise ConfigError(f"risk.allow_outside_hours must be true or false, got {raw!r}")
        return raw
    if key == "currency":
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError(f"risk.currency must be a currency code like 'USD', got {raw!r}")
        return raw.strip().upper()
    if key == "allowed_asset_classes":
        return _asset_classes(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        hint = " (or false to switch it off)" if key in _OPTIONAL else ""
        raise ConfigError(f"risk.{key} must be a number{hint}, got {raw!r}")
    if key in _INTEGERS:
        if not isinstance(raw, int):
            raise ConfigError(f"risk.{key} must be a whole number, got {raw!r}")
        return raw
    if key in _SECONDS:
        if isinstance(raw, str):
            raise ConfigError(f"risk.{key} must be a number of seconds, got {raw!r}")
        return float(raw)
    try:
        # Through str so 0.1 in TOML is Decimal("0.1"), not the float's binary expansion.
        return Decimal(str(raw).replace("_", ""))
    except InvalidOperation:
        raise ConfigError(f"risk.{key} must be a number, got {raw!r}") from None


def _asset_classes(raw: object) -> frozenset[AssetClass]:
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise ConfigError(f"risk.allowed_asset_classes must be a list like ['STK', 'ETF'], got {raw!r}")
    classes = set()
    for item in raw:
        name = item.strip().upper() if isinstance(item, str) else item
        if not isinstance(name, str) or name not in _CLASS_NAMES:
            known = ", ".join(c.value for c in AssetClass)
            raise ConfigError(f"risk.allowed_asset_classes: unknown asset class {item!r}; known: {known}")
        classes.add(_CLASS_NAMES[name])
    return frozenset(classes)
