from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ibbot.model import Instrument, OrderRequest, OrderStatus, OrderType, Side
from ibbot.risk import Mode, checks
from ibbot.risk.context import RiskContext
from unit.risk.support import (
    AAPL,
    ES,
    MSFT,
    NOW,
    OFF,
    buy,
    context,
    d,
    limit,
    position,
    quote,
    sell,
    working,
)

# --- order size ---------------------------------------------------------------------------------------------


def test_order_quantity_allows_the_limit_and_refuses_one_more() -> None:
    limits = replace(OFF, max_order_quantity=d(100))
    assert checks.check_order_quantity(buy(100), context(), limits) is None
    refusal = checks.check_order_quantity(buy(101), context(), limits)
    assert refusal is not None and refusal.check == "order_quantity"
    assert refusal.reason == "order quantity 101 exceeds max_order_quantity 100"


def test_order_quantity_boundary_is_exact_in_decimal() -> None:
    limits = replace(OFF, max_order_quantity=d("0.3"))
    eurusd = Instrument.forex("EUR.USD")
    assert checks.check_order_quantity(buy("0.3", eurusd), context(), limits) is None
    assert checks.check_order_quantity(buy("0.30000001", eurusd), context(), limits) is not None


def test_order_notional_uses_the_limit_price_and_the_multiplier() -> None:
    limits = replace(OFF, max_order_notional=d(100_000))
    assert checks.check_order_notional(limit(buy(1000), 100), context(), limits) is None
    refusal = checks.check_order_notional(limit(buy(2500), 100), context(), limits)
    assert refusal is not None
    assert refusal.reason == "order notional 250,000 USD exceeds max_order_notional 100,000"
    # One ES contract at 5,000 is worth 250,000 (multiplier 50).
    assert checks.check_order_notional(limit(buy(1, ES), 2000), context(), limits) is None
    assert checks.check_order_notional(limit(buy(1, ES), "2000.02"), context(), limits) is not None


def test_order_notional_values_a_market_order_at_the_reference_price() -> None:
    limits = replace(OFF, max_order_notional=d(100_000))
    priced = context(quotes=(quote(bid=99.9, ask=100.1),))  # mid 100
    assert checks.check_order_notional(buy(1000), priced, limits) is None
    assert checks.check_order_notional(buy(1001), priced, limits) is not None


def test_order_notional_refuses_an_order_it_cannot_value() -> None:
    refusal = checks.check_order_notional(buy(1), context(), replace(OFF, max_order_notional=d(1)))
    assert refusal is not None and "no price" in refusal.reason


# --- price bands --------------------------------------------------------------------------------------------


def test_price_band_allows_exactly_the_band_and_refuses_beyond() -> None:
    limits = replace(OFF, price_band_percent=d(5))
    priced = context(quotes=(quote(bid=99.9, ask=100.1),))  # reference 100
    assert checks.check_price_band(limit(buy(1), 105), priced, limits) is None
    assert checks.check_price_band(limit(sell(1), 95), priced, limits) is None
    refusal = checks.check_price_band(limit(buy(1), "105.01"), priced, limits)
    assert refusal is not None and refusal.check == "price_band"
    assert refusal.reason == "limit price 105.01 is 5.01% above the reference price 100 (price_band_percent 5)"
    below = checks.check_price_band(limit(sell(1), "94.99"), priced, limits)
    assert below is not None and "below" in below.reason


def test_price_band_checks_stop_prices_too() -> None:
    limits = replace(OFF, price_band_percent=d(5))
    stop = OrderRequest(instrument=AAPL, side=Side.SELL, quantity=d(1), order_type=OrderType.STOP, stop_price=d(50))
    refusal = checks.check_price_band(stop, context(quotes=(quote(),)), limits)
    assert refusal is not None and refusal.reason.startswith("stop price 50 is 50.00% below")


def test_price_band_refuses_a_stale_or_missing_quote() -> None:
    limits = replace(OFF, price_band_percent=d(5), max_quote_age_seconds=60.0)
    assert checks.check_price_band(limit(buy(1), 100), context(quotes=(quote(age=60),)), limits) is None
    stale = checks.check_price_band(limit(buy(1), 100), context(quotes=(quote(age=61),)), limits)
    assert stale is not None and "stale: 61 s old (max_quote_age_seconds 60)" in stale.reason
    missing = checks.check_price_band(limit(buy(1), 100), context(), limits)
    assert missing is not None and "no reference price" in missing.reason


def test_price_band_leaves_market_orders_to_the_market_band() -> None:
    assert checks.check_price_band(buy(1), context(), replace(OFF, price_band_percent=d(5))) is None


def test_market_band_measures_the_touch_against_the_reference() -> None:
    limits = replace(OFF, market_band_percent=d(1))
    # mid 100; ask 101 is exactly 1% away.
    assert checks.check_market_band(buy(1), context(quotes=(quote(bid=99, ask=101),)), limits) is None
    wide = checks.check_market_band(sell(1), context(quotes=(quote(bid=98, ask=102),)), limits)
    assert (
        wide is not None and wide.reason == "the bid 98 is 2.00% from the reference price 100 (market_band_percent 1)"
    )


def test_market_band_refuses_without_a_side_to_trade_against_or_with_a_stale_quote() -> None:
    limits = replace(OFF, market_band_percent=d(1), max_quote_age_seconds=5.0)
    no_ask = context(quotes=(quote(bid=99.9, ask=float("nan")),))  # reference falls back to last
    refusal = checks.check_market_band(buy(1), no_ask, limits)
    assert refusal is not None and refusal.reason.startswith("no ask for AAPL")
    stale = checks.check_market_band(buy(1), context(quotes=(quote(age=6),)), limits)
    assert stale is not None and "stale" in stale.reason
    assert checks.check_market_band(limit(buy(1), 100), context(), limits) is None  # not a market order


# --- positions and exposure ---------------------------------------------------------------------------------


def test_position_quantity_counts_the_position_and_working_orders_on_the_same_side() -> None:
    limits = replace(OFF, max_position_quantity=d(500))
    held = context(positions=(position(300),), working_orders=(working(buy(100)), working(sell(1000))))
    assert checks.check_position_quantity(buy(100), held, limits) is None  # 300 + 100 + 100 = 500
    refusal = checks.check_position_quantity(buy(101), held, limits)
    assert refusal is not None and "could reach 501" in refusal.reason and "max_position_quantity 500" in refusal.reason


def test_position_quantity_counts_only_the_remaining_part_of_a_working_order() -> None:
    limits = replace(OFF, max_position_quantity=d(500))
    held = context(positions=(position(300),), working_orders=(working(buy(200), filled=50),))
    assert checks.check_position_quantity(buy(50), held, limits) is None  # 300 + 150 + 50
    assert checks.check_position_quantity(buy(51), held, limits) is not None


def test_position_quantity_works_for_shorts_and_never_refuses_a_reducing_order() -> None:
    limits = replace(OFF, max_position_quantity=d(500))
    short = context(positions=(position(-450),))
    assert checks.check_position_quantity(sell(50), short, limits) is None
    assert checks.check_position_quantity(sell(51), short, limits) is not None
    # Over the limit already (the limit was lowered): buying back still passes.
    over = context(positions=(position(-900),))
    assert checks.check_position_quantity(buy(100), over, limits) is None


def test_a_modify_is_judged_without_the_order_it_replaces() -> None:
    limits = replace(OFF, max_position_quantity=d(500))
    original = working(buy(400), ref="ib-1")
    held = context(working_orders=(original,))
    modify = buy(500, order_ref="ib-1")
    assert checks.check_position_quantity(modify, held, limits) is None
    assert checks.check_position_quantity(buy(500, order_ref="ib-2"), held, limits) is not None


def test_finished_orders_do_not_count_as_working() -> None:
    limits = replace(OFF, max_position_quantity=d(500))
    done = context(working_orders=(working(buy(400), status=OrderStatus.CANCELLED),))
    assert checks.check_position_quantity(buy(500), done, limits) is None


def test_position_notional_values_the_worst_case_position_at_the_reference_price() -> None:
    limits = replace(OFF, max_position_notional=d(50_000))
    held = context(positions=(position(400),), quotes=(quote(),))  # 100 a share
    assert checks.check_position_notional(buy(100), held, limits) is None
    refusal = checks.check_position_notional(buy(101), held, limits)
    assert refusal is not None and "could be worth 50,100 USD" in refusal.reason


def test_position_notional_refuses_when_nothing_prices_the_instrument() -> None:
    refusal = checks.check_position_notional(buy(1), context(), replace(OFF, max_position_notional=d(1)))
    assert refusal is not None and "no price" in refusal.reason


def test_gross_exposure_sums_every_instrument_with_its_multiplier() -> None:
    limits = replace(OFF, max_gross_exposure=d(300_000))
    # AAPL long 1,000 at 100 = 100,000; MSFT short 500 at avg cost 200 (no quote) = 100,000;
    # ES working buy 1 at 1,000 x 50 = 50,000 (no quote: valued at its limit).
    held = context(
        positions=(position(1000), position(-500, MSFT, avg_cost=200)),
        working_orders=(working(limit(buy(1, ES), 1000)),),
        quotes=(quote(),),
    )
    assert checks.check_gross_exposure(buy(500), held, limits) is None  # + 50,000 = 300,000
    refusal = checks.check_gross_exposure(buy(501), held, limits)
    assert refusal is not None and "gross exposure could reach 300,100 USD" in refusal.reason


def test_gross_exposure_takes_the_larger_side_of_an_instrument() -> None:
    limits = replace(OFF, max_gross_exposure=d(10_000))
    # Long 50 with a working sell of 200: worst case short 150 (15,000), not long 50.
    held = context(positions=(position(50),), working_orders=(working(sell(200)),), quotes=(quote(),))
    refusal = checks.check_gross_exposure(limit(buy(1, MSFT), 1), held, limits)
    assert refusal is not None and "could reach 15,001 USD" in refusal.reason


def test_gross_exposure_passes_reducing_orders() -> None:
    limits = replace(OFF, max_gross_exposure=d(1))
    assert checks.check_gross_exposure(sell(10), context(positions=(position(10),)), limits) is None


# --- working orders and rate --------------------------------------------------------------------------------


def test_working_orders_counts_this_order_too() -> None:
    limits = replace(OFF, max_working_orders=3)
    two = context(working_orders=(working(buy(1)), working(sell(1, MSFT))))
    three = context(working_orders=(*two.working, working(buy(1, MSFT))))
    assert checks.check_working_orders(buy(1), two, limits) is None
    refusal = checks.check_working_orders(buy(1), three, limits)
    assert refusal is not None and refusal.reason == "4 working orders would exceed max_working_orders 3"


def test_working_orders_per_instrument_counts_only_that_instrument() -> None:
    limits = replace(OFF, max_working_orders_per_instrument=2)
    held = context(working_orders=(working(buy(1)), working(sell(1, MSFT)), working(buy(1, MSFT))))
    assert checks.check_working_orders_per_instrument(buy(1), held, limits) is None
    refusal = checks.check_working_orders_per_instrument(buy(1, MSFT), held, limits)
    assert refusal is not None and "3 working orders in MSFT" in refusal.reason


def test_order_rate_counts_orders_inside_the_window_ending_now() -> None:
    limits = replace(OFF, max_orders_per_window=3, order_rate_window_seconds=10.0)
    edge = NOW - timedelta(seconds=10)  # just outside: the window is (now - 10 s, now]
    inside = (NOW - timedelta(seconds=9.999), NOW - timedelta(seconds=1))
    assert checks.check_order_rate(buy(1), context(recent=(edge, *inside)), limits) is None
    refusal = checks.check_order_rate(buy(1), context(recent=(*inside, NOW)), limits)
    assert refusal is not None and refusal.reason == "4 orders in 10 s would exceed max_orders_per_window 3"


# --- daily loss, asset classes, mode ------------------------------------------------------------------------


def test_daily_loss_at_the_limit_allows_and_beyond_it_only_reductions_pass() -> None:
    limits = replace(OFF, daily_loss_limit=d(1000))
    assert checks.check_daily_loss(buy(1), context(daily=-1000), limits) is None
    losing = context(daily="-1000.01", positions=(position(10),))
    refusal = checks.check_daily_loss(buy(1), losing, limits)
    assert refusal is not None and refusal.reason.startswith(
        "daily loss 1,000.01 USD exceeds daily_loss_limit 1,000: reduce-only"
    )
    assert checks.check_daily_loss(sell(10), losing, limits) is None
    assert checks.check_daily_loss(buy(1), context(daily=5000), limits) is None  # a gain


def test_asset_class_allow_list_and_untradable_indices() -> None:
    limits = replace(OFF, allowed_asset_classes=frozenset({AAPL.asset_class}))
    assert checks.check_asset_class(buy(1), context(), limits) is None
    refusal = checks.check_asset_class(buy(1, ES), context(), limits)
    assert refusal is not None and refusal.reason == "ES is FUT, not in allowed_asset_classes (STK)"
    index = checks.check_asset_class(buy(1, Instrument.index("SPX")), context(), OFF)
    assert index is not None and "not tradable" in index.reason


def test_all_checks_pass_a_plain_order_with_every_limit_off() -> None:
    from ibbot.risk.gate import CHECKS

    plain = RiskContext(now=datetime(2026, 1, 1, tzinfo=UTC), mode=Mode.NORMAL)
    assert [run(buy(10**9), plain, OFF) for _, run in CHECKS] == [None] * len(CHECKS)


@pytest.mark.parametrize(
    ("value", "text"), [(d("250000.00"), "250,000"), (d("0.50"), "0.5"), (d("-1234.5"), "-1,234.5")]
)
def test_numbers_in_reasons_read_like_amounts(value: object, text: str) -> None:
    assert checks.num(value) == text  # type: ignore[arg-type]
