"""Black-Scholes pricing, greeks, implied volatility, the smile, and option quotes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.sim.market.options import (
    bs_price,
    greeks,
    implied_vol,
    option_computation,
    option_quote,
    price_bounds,
    smile_vol,
)

spots = st.floats(min_value=1.0, max_value=5000.0)
moneyness = st.floats(min_value=0.5, max_value=2.0)
years = st.floats(min_value=1 / 365, max_value=3.0)
vols = st.floats(min_value=0.05, max_value=1.5)
rates = st.floats(min_value=0.0, max_value=0.08)
yields = st.floats(min_value=0.0, max_value=0.05)


@settings(max_examples=200, deadline=None)
@given(spot=spots, ratio=moneyness, t=years, vol=vols, rate=rates, q=yields)
def test_put_call_parity(spot: float, ratio: float, t: float, vol: float, rate: float, q: float) -> None:
    strike = spot * ratio
    call = bs_price("C", spot=spot, strike=strike, years=t, vol=vol, rate=rate, div_yield=q)
    put = bs_price("P", spot=spot, strike=strike, years=t, vol=vol, rate=rate, div_yield=q)
    forward_value = spot * math.exp(-q * t) - strike * math.exp(-rate * t)
    assert call - put == pytest.approx(forward_value, abs=1e-9 * max(spot, strike))


@settings(max_examples=200, deadline=None)
@given(spot=spots, ratio=moneyness, t=years, vol=vols, rate=rates, q=yields, right=st.sampled_from(["C", "P"]))
def test_implied_vol_round_trips(
    spot: float, ratio: float, t: float, vol: float, rate: float, q: float, right: str
) -> None:
    strike = spot * ratio
    g = greeks(right, spot=spot, strike=strike, years=t, vol=vol, rate=rate, div_yield=q)
    low, high = price_bounds(right, spot=spot, strike=strike, years=t, rate=rate, div_yield=q)
    if g.vega < 1e-6 * spot or g.price - low < 1e-9 * spot:  # no information about vol left in the price
        return
    found = implied_vol(right, price=g.price, spot=spot, strike=strike, years=t, rate=rate, div_yield=q)
    assert found is not None
    # The solved vol always reprices the option; it pins the vol itself only where the price is sensitive to
    # it (deep out of the money, a 1e-5 change of vol moves the price by less than the solver's tolerance).
    repriced = bs_price(right, spot=spot, strike=strike, years=t, vol=found, rate=rate, div_yield=q)
    assert repriced == pytest.approx(g.price, abs=1e-9 * spot)
    if g.vega >= 1e-4 * spot:
        assert found == pytest.approx(vol, rel=1e-4, abs=1e-5)


def test_greeks_match_finite_differences() -> None:
    args = {"strike": 105.0, "years": 0.5, "vol": 0.3, "rate": 0.03, "div_yield": 0.01}
    h = 1e-3
    for right in ("C", "P"):
        g = greeks(right, spot=100.0, **args)
        up = bs_price(right, spot=100.0 + h, **args)
        down = bs_price(right, spot=100.0 - h, **args)
        assert g.delta == pytest.approx((up - down) / (2 * h), rel=1e-5)
        assert g.gamma == pytest.approx((up - 2 * g.price + down) / h**2, rel=1e-3)
        vol_up = bs_price(right, spot=100.0, **{**args, "vol": 0.3 + h})
        vol_down = bs_price(right, spot=100.0, **{**args, "vol": 0.3 - h})
        assert g.vega == pytest.approx((vol_up - vol_down) / (2 * h), rel=1e-5)
        later = bs_price(right, spot=100.0, **{**args, "years": 0.5 - h})
        earlier = bs_price(right, spot=100.0, **{**args, "years": 0.5 + h})
        assert g.theta == pytest.approx((later - earlier) / (2 * h), rel=1e-4)


def test_known_value() -> None:
    # Hull's example: S=42, K=40, r=10 %, sigma=20 %, T=0.5 -> call 4.76, put 0.81
    assert bs_price("C", spot=42, strike=40, years=0.5, vol=0.2, rate=0.1) == pytest.approx(4.759, abs=1e-3)
    assert bs_price("P", spot=42, strike=40, years=0.5, vol=0.2, rate=0.1) == pytest.approx(0.8086, abs=1e-3)


def test_prices_outside_the_bounds_have_no_implied_vol() -> None:
    assert implied_vol("C", price=0.5, spot=100, strike=90, years=0.5) is None  # below intrinsic
    assert implied_vol("P", price=120, spot=100, strike=110, years=0.5) is None  # above the strike
    assert implied_vol("C", price=0.0, spot=100, strike=150, years=0.1) is None


def test_expiring_options_stay_finite() -> None:
    g = greeks("C", spot=100, strike=100, years=0.0, vol=0.2)
    assert all(math.isfinite(v) for v in (g.price, g.delta, g.gamma, g.vega, g.theta))
    assert greeks("P", spot=100, strike=120, years=0.0, vol=0.2).price == pytest.approx(20.0, abs=1e-6)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        greeks("X", spot=100, strike=100, years=1, vol=0.2)
    with pytest.raises(ValueError):
        greeks("C", spot=0, strike=100, years=1, vol=0.2)


def test_the_smile_is_skewed_to_low_strikes() -> None:
    atm = smile_vol(0.25, spot=100, strike=100, years=0.25)
    assert atm == pytest.approx(0.25, rel=0.01)
    assert (
        smile_vol(0.25, spot=100, strike=85, years=0.25) > smile_vol(0.25, spot=100, strike=115, years=0.25) > atm * 0.9
    )
    assert smile_vol(0.25, spot=100, strike=60, years=0.25) > atm


def test_quotes_straddle_the_value_on_the_tick_grid() -> None:
    for strike in (60, 80, 95, 100, 105, 120, 150):
        for right in ("C", "P"):
            quote = option_quote(right, spot=100.0, strike=strike, years=0.1, atm_vol=0.25, rate=0.04)
            assert quote.bid < quote.ask
            assert quote.bid <= quote.theo <= quote.ask
            tick = 0.01 if quote.theo < 3 else 0.05
            for price in (quote.bid, quote.ask):
                assert price / tick == pytest.approx(round(price / tick), abs=1e-6)


def test_spreads_widen_and_sizes_shrink_away_from_the_money() -> None:
    atm = option_quote("C", spot=100.0, strike=100, years=0.1, atm_vol=0.25)
    otm = option_quote("C", spot=100.0, strike=115, years=0.1, atm_vol=0.25)
    atm_spread = (atm.ask - atm.bid) / atm.theo
    otm_spread = (otm.ask - otm.bid) / otm.theo
    assert otm_spread > atm_spread
    assert otm.ask_size < atm.ask_size


def test_the_model_computation_is_in_ibs_units() -> None:
    quote = option_quote("C", spot=100.0, strike=100, years=0.25, atm_vol=0.3, rate=0.03, div_yield=0.02)
    model = quote.model
    g = greeks("C", spot=100.0, strike=100, years=0.25, vol=quote.vol, rate=0.03, div_yield=0.02)
    assert model.implied_vol == quote.vol and model.opt_price == quote.theo and model.und_price == 100.0
    assert model.vega == pytest.approx(g.vega / 100)
    assert model.theta == pytest.approx(g.theta / 365)
    assert model.pv_dividend == pytest.approx(100.0 * (1 - math.exp(-0.02 * 0.25)))
    at_ask = option_computation("C", price=quote.ask, spot=100.0, strike=100, years=0.25, rate=0.03, div_yield=0.02)
    assert at_ask.implied_vol is not None and at_ask.implied_vol > quote.vol
    bad = option_computation("C", price=200.0, spot=100.0, strike=100, years=0.25)
    assert bad.implied_vol is None and bad.delta is None and bad.opt_price == 200.0
