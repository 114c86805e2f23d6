"""Commissions: IB's fixed and tiered schedules per asset class, at their boundaries."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.sim.trading.commissions import Schedule, commission


def stock(quantity: int, price: str, **kw: object) -> D:
    return commission(sec_type="STK", quantity=D(quantity), price=D(price), **kw).amount  # type: ignore[arg-type]


# --- US stocks, fixed -------------------------------------------------------------------------------------


def test_fixed_stock_is_half_a_cent_a_share() -> None:
    assert stock(1000, "50") == D("5.00")


def test_fixed_stock_has_a_one_dollar_minimum() -> None:
    assert stock(100, "50") == D("1.00")  # 0.50 by the share rate
    assert stock(200, "50") == D("1.00")
    assert stock(201, "50") == D("1.01")


def test_fixed_stock_is_capped_at_one_percent_of_value() -> None:
    assert stock(20_000, "0.20") == D("40.00")  # 100.00 by the share rate, 1% of 4,000 is 40


def test_the_cap_wins_when_it_is_below_the_minimum() -> None:
    assert stock(10, "5") == D("0.50")  # 1% of a $50 trade, IB's note on tiny orders


# --- US stocks, tiered ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month_volume", "rate"),
    [
        (0, "0.0035"),
        (299_999, "0.0035"),
        (300_000, "0.0020"),
        (3_000_000, "0.0015"),
        (20_000_000, "0.0010"),
        (100_000_000, "0.0005"),
    ],
)
def test_tiered_stock_rate_follows_the_month_volume(month_volume: int, rate: str) -> None:
    amount = stock(10_000, "100", schedule=Schedule.TIERED, month_volume=D(month_volume), removes_liquidity=False)
    assert amount == D(10_000) * (D(rate) + D("0.0002"))  # plus clearing


def test_tiered_stock_minimum_and_exchange_fee() -> None:
    added = stock(10, "100", schedule=Schedule.TIERED, removes_liquidity=False)
    removed = stock(10, "100", schedule=Schedule.TIERED, removes_liquidity=True)
    assert added == D("0.35")  # 0.35 minimum + 0.002 clearing, rounded to the cent
    assert removed == D("0.38")  # + 0.03 exchange fee


def test_non_usd_stocks_use_a_share_of_value_with_a_minimum_and_maximum() -> None:
    eur = commission(sec_type="STK", quantity=D(10), price=D("100"), currency="EUR")
    assert (eur.amount, eur.currency) == (D("3.00"), "EUR")
    assert commission(sec_type="STK", quantity=D(1000), price=D("100"), currency="EUR").amount == D("29.00")


# --- futures, options, forex ------------------------------------------------------------------------------


def test_futures_are_charged_per_contract_with_fees() -> None:
    fixed = commission(sec_type="FUT", quantity=D(2), price=D("5000"), multiplier=D(50))
    assert fixed.amount == D("4.30")  # 2 x (0.85 + 1.30)
    tiered = commission(
        sec_type="FUT", quantity=D(2), price=D("5000"), multiplier=D(50), schedule=Schedule.TIERED, month_volume=D(1000)
    )
    assert tiered.amount == D("3.90")  # 2 x (0.65 + 1.30)


@pytest.mark.parametrize(
    ("premium", "per_contract"),
    [("0.04", "0.25"), ("0.05", "0.50"), ("0.09", "0.50"), ("0.10", "0.65"), ("3.20", "0.65")],
)
def test_fixed_option_rate_depends_on_the_premium(premium: str, per_contract: str) -> None:
    amount = commission(sec_type="OPT", quantity=D(10), price=D(premium), multiplier=D(100)).amount
    assert amount == max(D(10) * D(per_contract), D("1.00"))


@pytest.mark.parametrize("schedule", list(Schedule))
def test_mutual_funds_cost_three_percent_up_to_14_95(schedule: Schedule) -> None:
    def fund(quantity: str, nav: str) -> D:
        return commission(sec_type="FUND", quantity=D(quantity), price=D(nav), schedule=schedule).amount

    assert fund("1", "150") == D("4.50")  # 3% of $150
    assert fund("3.333", "150") == D("14.95")  # $499.95 would cost 15.00: capped
    assert fund("20.001", "150") == D("14.95")


def test_options_have_a_one_dollar_minimum() -> None:
    assert commission(sec_type="OPT", quantity=D(1), price=D("2.5"), multiplier=D(100)).amount == D("1.00")


def test_tiered_options_take_the_lower_of_volume_and_premium_rates() -> None:
    high_volume = commission(
        sec_type="OPT",
        quantity=D(10),
        price=D("2"),
        multiplier=D(100),
        schedule=Schedule.TIERED,
        month_volume=D(60_000),
    )
    assert high_volume.amount == D("4.50")  # 10 x 0.25 + 10 x 0.20 fees


def test_forex_is_two_tenths_of_a_basis_point_with_a_two_dollar_minimum() -> None:
    small = commission(sec_type="CASH", quantity=D(20_000), price=D("1.1"))
    assert (small.amount, small.currency) == (D("2.00"), "USD")
    large = commission(sec_type="CASH", quantity=D(10_000_000), price=D("1.1"))
    assert large.amount == D("220.00")  # 11,000,000 x 0.00002


def test_forex_value_is_converted_to_usd() -> None:
    eur_gbp = commission(sec_type="CASH", quantity=D(10_000_000), price=D("0.85"), currency="GBP", usd_rate=D("1.25"))
    assert eur_gbp == commission(sec_type="CASH", quantity=D(10_000_000), price=D("1.0625"))


def test_tiered_forex_gets_cheaper_above_a_billion() -> None:
    amount = commission(
        sec_type="CASH", quantity=D(10_000_000), price=D("1"), schedule=Schedule.TIERED, month_volume=D(1_500_000_000)
    ).amount
    assert amount == D("150.00")


@given(
    quantity=st.integers(min_value=1, max_value=1_000_000),
    cents=st.integers(min_value=1, max_value=100_000),
    schedule=st.sampled_from(list(Schedule)),
)
def test_stock_commission_never_exceeds_the_cap_plus_fees(quantity: int, cents: int, schedule: Schedule) -> None:
    price = D(cents) / 100
    amount = stock(quantity, str(price), schedule=schedule, removes_liquidity=True)
    fees = D(quantity) * D("0.0032") if schedule is Schedule.TIERED else D(0)
    assert D(0) < amount or D(quantity) * price < D("0.5")
    assert amount <= (D(quantity) * price / 100 + fees).quantize(D("0.01")) + D("0.01")
