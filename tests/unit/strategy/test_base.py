"""The Strategy's helpers: instruments from what a person names, order requests from keywords."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ibbot import Strategy
from ibbot.errors import OrderError, StrategyError
from ibbot.model import AssetClass, OrderType, Right, Side, TimeInForce
from ibbot.strategy import build_instrument


def test_a_symbol_alone_is_a_stock_on_smart_in_usd() -> None:
    aapl = build_instrument("aapl")
    assert (aapl.symbol, aapl.asset_class, aapl.exchange, aapl.currency) == ("AAPL", AssetClass.STOCK, "SMART", "USD")


def test_forex_futures_options_and_indices_by_spec() -> None:
    pair = build_instrument("EUR.USD")
    assert (pair.asset_class, pair.symbol, pair.currency, pair.exchange) == (AssetClass.FOREX, "EUR", "USD", "IDEALPRO")
    future = build_instrument("ES", asset_class="future", expiry="20250321")
    assert (future.asset_class, future.exchange, future.expiry) == (AssetClass.FUTURE, "CME", date(2025, 3, 21))
    option = build_instrument("SPY", asset_class="OPT", expiry=date(2025, 6, 20), strike=500, right="call")
    assert (option.strike, option.right, option.multiplier) == (Decimal(500), Right.CALL, Decimal(100))
    assert build_instrument("SPX", asset_class="index").exchange == "CBOE"


@pytest.mark.parametrize(
    ("symbol", "spec", "message"),
    [
        ("SPY", {"asset_class": "option", "expiry": "2025-06-20"}, "needs expiry=, strike= and right="),
        ("AAPL", {"asset_class": "bond"}, "unknown asset class"),
        ("AAPL", {"colour": "red"}, "unknown spec"),
        ("ES", {"asset_class": "future", "expiry": "March"}, "not a date"),
    ],
)
def test_a_bad_spec_is_a_clear_error(symbol: str, spec: dict[str, object], message: str) -> None:
    with pytest.raises(StrategyError, match=message):
        build_instrument(symbol, **spec)


def test_keywords_choose_the_order_type() -> None:
    s = Strategy(name="kw")
    aapl = build_instrument("AAPL")
    cases = [
        ({}, OrderType.MARKET),
        ({"limit": "10.5"}, OrderType.LIMIT),
        ({"stop": 9}, OrderType.STOP),
        ({"stop": 9, "limit": "8.9"}, OrderType.STOP_LIMIT),
        ({"trail_amount": "0.5"}, OrderType.TRAILING_STOP),
        ({"trail_percent": 1, "limit_offset": "0.1"}, OrderType.TRAILING_STOP_LIMIT),
    ]
    for terms, kind in cases:
        request = s.request(aapl, Side.SELL, 3, **terms)  # type: ignore[arg-type]
        assert request.order_type is kind and request.quantity == 3 and request.strategy == "kw"
    gtc = s.request(aapl, Side.BUY, 1, limit=10, tif="gtc", outside_rth=True)
    assert gtc.tif is TimeInForce.GTC and gtc.outside_rth and gtc.limit_price == Decimal(10)


def test_bad_order_keywords_are_order_errors() -> None:
    s = Strategy()
    aapl = build_instrument("AAPL")
    with pytest.raises(OrderError, match="tif 'sometimes'"):
        s.request(aapl, Side.BUY, 1, tif="sometimes")
    with pytest.raises(OrderError, match="limit_offset"):
        s.request(aapl, Side.BUY, 1, trail_amount=1, limit=2)
    with pytest.raises(OrderError, match="quantity"):
        s.request(aapl, Side.BUY, "lots")
    with pytest.raises(OrderError, match="positive"):
        s.request(aapl, Side.BUY, 0)


def test_a_strategy_not_running_says_so() -> None:
    with pytest.raises(StrategyError, match="is not running"):
        Strategy(name="idle").buy(build_instrument("AAPL"), 1)
