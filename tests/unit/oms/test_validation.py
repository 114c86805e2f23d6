from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ibbot.errors import OrderError
from ibbot.model import AssetClass, Instrument, Right, Side, TimeInForce
from ibbot.oms import MarketRule, ValidationRules, limit, market, stop, stop_limit, trailing_stop, validate
from ibbot.oms import trailing_stop_limit as trail_limit
from unit.oms.support import AAPL, ES, NOW, d

ROUND = ValidationRules(round_to_tick=True)
OPTION = Instrument.option("AAPL", expiry=NOW.date() + timedelta(days=30), strike=150, right=Right.CALL)
EURUSD = Instrument.forex("EUR.USD")


def test_a_valid_request_comes_back_unchanged() -> None:
    request = limit(AAPL, Side.BUY, 100, "150.25")
    assert validate(request, NOW) is request


def test_a_price_off_the_tick_is_refused_naming_the_price_and_the_tick() -> None:
    with pytest.raises(OrderError, match=r"limit price 150\.255 is not a multiple of the minimum tick 0\.01"):
        validate(limit(AAPL, Side.BUY, 100, "150.255"), NOW)
    with pytest.raises(OrderError, match=r"stop price 4000\.1 is not a multiple of the minimum tick 0\.25"):
        validate(stop(ES, Side.SELL, 1, "4000.1"), NOW)


@pytest.mark.parametrize(
    ("side", "price", "expected"),
    [(Side.BUY, "150.259", "150.25"), (Side.SELL, "150.251", "150.26"), (Side.BUY, "150.25", "150.25")],
)
def test_limit_prices_round_the_safe_way_for_the_side(side: Side, price: str, expected: str) -> None:
    assert validate(limit(AAPL, side, 100, price), NOW, ROUND).limit_price == Decimal(expected)


def test_stop_prices_round_the_protective_way_and_keep_the_tick_format() -> None:
    assert validate(stop(ES, Side.SELL, 1, "4000.1"), NOW, ROUND).stop_price == Decimal("4000.25")
    assert validate(stop(ES, Side.BUY, 1, "4000.1"), NOW, ROUND).stop_price == Decimal("4000.00")
    rounded = validate(stop_limit(AAPL, Side.SELL, 1, stop_price="99.991", limit_price="99.5"), NOW, ROUND)
    assert (str(rounded.stop_price), str(rounded.limit_price)) == ("100.00", "99.5")


def test_a_stop_limit_may_have_its_limit_on_either_side_of_the_stop() -> None:
    for limit_price in ("99", "101"):
        request = stop_limit(AAPL, Side.SELL, 1, stop_price=100, limit_price=limit_price)
        assert validate(request, NOW) is request


def test_trail_amounts_round_tighter_and_must_stay_positive() -> None:
    assert validate(trailing_stop(ES, Side.SELL, 1, amount="2.6"), NOW, ROUND).trail_amount == Decimal("2.50")
    with pytest.raises(OrderError, match="trail amount 0.1 rounds to zero at the minimum tick"):
        validate(trailing_stop(ES, Side.SELL, 1, amount="0.1"), NOW, ROUND)
    with pytest.raises(OrderError, match="trail amount must be positive"):
        validate(trailing_stop(ES, Side.SELL, 1, amount=0), NOW)
    with pytest.raises(OrderError, match=r"limit offset 0\.3 is not a multiple"):
        validate(trail_limit(ES, Side.SELL, 1, amount=1, limit_offset="0.3"), NOW)


def test_a_market_rule_sets_the_tick_by_price_level() -> None:
    rule = MarketRule(increments=((d(0), d("0.0001")), (d(1), d("0.01"))))
    rules = ValidationRules(market_rules={AAPL.key: rule})
    cheap = limit(AAPL, Side.BUY, 100, "0.1234")
    assert validate(cheap, NOW, rules) is cheap
    with pytest.raises(OrderError, match="minimum tick 0.01"):
        validate(limit(AAPL, Side.BUY, 100, "1.1234"), NOW, rules)
    with pytest.raises(ValueError, match="positive increment"):
        MarketRule(increments=())


@pytest.mark.parametrize(("instrument", "price"), [(AAPL, "0"), (AAPL, "-1"), (OPTION, "-0.05"), (EURUSD, "0")])
def test_prices_must_be_positive_except_for_futures(instrument: Instrument, price: str) -> None:
    with pytest.raises(OrderError, match="limit_price must be positive"):
        validate(limit(instrument, Side.BUY, 1, price), NOW)


def test_a_future_may_trade_at_a_negative_price() -> None:
    request = limit(ES, Side.BUY, 1, "-37.25")
    assert validate(request, NOW) is request


@pytest.mark.parametrize(
    ("instrument", "quantity", "rules", "message"),
    [
        (AAPL, "1.5", ValidationRules(), "stock quantities must be whole units, got 1.5"),
        (ES, "0.5", ValidationRules(fractional_shares=True), "future quantities must be whole units"),
        (OPTION, "2.5", ValidationRules(), "option quantities must be whole units"),
        (AAPL, "501", ValidationRules(max_quantity={AssetClass.STOCK: d(500)}), "exceeds the maximum 500 for stock"),
        (Instrument.index("SPX"), "1", ValidationRules(), "index instruments cannot be traded"),
    ],
)
def test_sizes_must_fit_the_asset_class(
    instrument: Instrument, quantity: str, rules: ValidationRules, message: str
) -> None:
    with pytest.raises(OrderError, match=message):
        validate(market(instrument, Side.BUY, quantity), NOW, rules)


def test_fractional_shares_and_forex_amounts_pass_where_allowed() -> None:
    shares = market(AAPL, Side.BUY, "0.5")
    assert validate(shares, NOW, ValidationRules(fractional_shares=True)) is shares
    cash = market(EURUSD, Side.SELL, "20000.5")
    assert validate(cash, NOW) is cash
    capped = market(AAPL, Side.BUY, 500)
    assert validate(capped, NOW, ValidationRules(max_quantity={AssetClass.STOCK: d(500)})) is capped


@pytest.mark.parametrize("percent", ["0", "100", "-1", "150"])
def test_a_trailing_percent_must_be_within_0_and_100(percent: str) -> None:
    with pytest.raises(OrderError, match=f"within \\(0, 100\\), got {percent}"):
        validate(trailing_stop(AAPL, Side.SELL, 1, percent=percent), NOW)


def test_gtd_must_be_in_the_future() -> None:
    with pytest.raises(OrderError, match="GTD good_till 2026-01-05T15:00:00\\+00:00 is not in the future"):
        validate(limit(AAPL, Side.BUY, 1, 100, tif=TimeInForce.GTD, good_till=NOW), NOW)
    later = limit(AAPL, Side.BUY, 1, 100, tif=TimeInForce.GTD, good_till=NOW + timedelta(seconds=1))
    assert validate(later, NOW) is later


def test_opg_is_for_stock_market_and_limit_orders_only() -> None:
    for ok in (market(AAPL, Side.BUY, 1, tif=TimeInForce.OPG), limit(AAPL, Side.BUY, 1, 100, tif=TimeInForce.OPG)):
        assert validate(ok, NOW) is ok
    with pytest.raises(OrderError, match="OPG .* only for stocks"):
        validate(market(ES, Side.BUY, 1, tif=TimeInForce.OPG), NOW)
    with pytest.raises(OrderError, match="only for market and limit orders"):
        validate(stop(AAPL, Side.BUY, 1, 100, tif=TimeInForce.OPG), NOW)
