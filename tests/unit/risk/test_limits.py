"""`RiskLimits`: the defaults and the `[risk]` table, with errors that name the key."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from ibbot.errors import ConfigError
from ibbot.model import AssetClass
from ibbot.risk import RiskLimits


def test_the_defaults_switch_every_limit_on_for_a_new_user() -> None:
    limits = RiskLimits()
    assert limits.max_order_quantity == 1000 and limits.max_order_notional == 50_000
    assert limits.daily_loss_limit == 2000 and not limits.allow_outside_hours
    assert RiskLimits.from_mapping(None) == limits == RiskLimits.from_mapping({})


def test_a_toml_table_sets_and_switches_off_limits() -> None:
    section = tomllib.loads(
        """
        [risk]
        max_order_notional = 100_000
        price_band_percent = 2.5
        max_quote_age_seconds = 5
        max_working_orders = 20
        daily_loss_limit = "1500.50"
        max_gross_exposure = false
        allow_outside_hours = true
        allowed_asset_classes = ["STK", "etf", "FUTURE"]
        currency = "eur"
        """
    )["risk"]
    limits = RiskLimits.from_mapping(section)
    assert limits.max_order_notional == Decimal(100_000) and isinstance(limits.max_order_notional, Decimal)
    assert limits.price_band_percent == Decimal("2.5")  # from the float's text, not its binary expansion
    assert limits.max_quote_age_seconds == 5.0 and limits.max_working_orders == 20
    assert limits.daily_loss_limit == Decimal("1500.50")
    assert limits.max_gross_exposure is None and limits.allow_outside_hours
    assert limits.allowed_asset_classes == frozenset({AssetClass.STOCK, AssetClass.ETF, AssetClass.FUTURE})
    assert limits.currency == "EUR"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("not a table", "risk must be a table"),
        ({"max_order_size": 5}, "unknown setting 'max_order_size'"),
        ({"max_order_notional": -5}, "risk.max_order_notional must be a positive number, got Decimal('-5')"),
        ({"max_order_notional": 0}, "risk.max_order_notional must be a positive number"),
        ({"max_order_notional": "lots"}, "risk.max_order_notional must be a number, got 'lots'"),
        ({"max_order_notional": True}, "risk.max_order_notional must be a number"),
        ({"max_order_notional": float("inf")}, "risk.max_order_notional must be a positive number"),
        ({"max_working_orders": 2.5}, "risk.max_working_orders must be a whole number"),
        ({"max_working_orders": 0}, "risk.max_working_orders must be a whole number >= 1"),
        ({"order_rate_window_seconds": False}, "risk.order_rate_window_seconds must be a number"),
        ({"order_rate_window_seconds": 0}, "risk.order_rate_window_seconds must be a positive number of seconds"),
        ({"max_quote_age_seconds": "5"}, "risk.max_quote_age_seconds must be a number of seconds"),
        ({"allow_outside_hours": "yes"}, "risk.allow_outside_hours must be true or false"),
        ({"allowed_asset_classes": "STK"}, "risk.allowed_asset_classes must be a list"),
        ({"allowed_asset_classes": ["STK", "CRYPTO"]}, "unknown asset class 'CRYPTO'"),
        ({"allowed_asset_classes": []}, "risk.allowed_asset_classes is empty"),
        ({"currency": ""}, "risk.currency must be a currency code"),
    ],
)
def test_invalid_settings_name_the_key(section: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RiskLimits.from_mapping(section)


def test_the_constructor_validates_too() -> None:
    with pytest.raises(ConfigError, match="risk.max_order_quantity"):
        RiskLimits(max_order_quantity=Decimal("NaN"))
    with pytest.raises(ConfigError, match="risk.max_orders_per_window"):
        RiskLimits(max_orders_per_window=True)
