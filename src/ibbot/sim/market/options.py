"""Option pricing for the simulator: Black-Scholes with a dividend yield, greeks, implied volatility, a
volatility smile, and the quotes and option-computation ticks (tickOptionComputation, 21) IB sends.

Theory of operation: options are priced from their underlying's live price by Black-Scholes-Merton with a
continuous dividend yield q and rate r. The volatility of each strike comes from a smile around the
underlying's at-the-money volatility: a quadratic in standardised moneyness x = ln(K / F) / (atm * sqrt(T)),
skewed so that low strikes (puts) are dearer, as equity markets are. The quote straddles the theoretical
value with a spread that widens away from the money, on the option's tick grid, never crossed. IB's units:
vega per volatility point (1 %), theta per calendar day, pvDividend the present value of the dividends
until expiry (S * (1 - exp(-qT)) for a yield), impliedVol annualised. The implied-volatility solver is a
Newton iteration safeguarded by bisection on a bracket, so it converges for any price inside the
no-arbitrage bounds and answers None outside them (IB then sends its "not computed" value).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_MIN_YEARS = 1.0 / (365.0 * 24 * 60)  # a minute: expiring options keep finite greeks
_MIN_VOL, _MAX_VOL = 1e-4, 10.0
_CALL, _PUT = "C", "P"


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / _SQRT_2PI


@dataclass(frozen=True, slots=True, kw_only=True)
class Greeks:
    """Black-Scholes value and sensitivities in textbook units (vega per 1.00 of vol, theta per year)."""

    price: float
    delta: float
    gamma: float
    vega: float
    theta: float


def _check(right: str, spot: float, strike: float) -> None:
    if right not in (_CALL, _PUT):
        raise ValueError(f"right must be 'C' or 'P', not {right!r}")
    if spot <= 0 or strike <= 0:
        raise ValueError("spot and strike must be positive")


def greeks(
    right: str, *, spot: float, strike: float, years: float, vol: float, rate: float = 0.0, div_yield: float = 0.0
) -> Greeks:
    """Black-Scholes-Merton value, delta, gamma, vega and theta of a European call ('C') or put ('P')."""
    _check(right, spot, strike)
    t = max(years, _MIN_YEARS)
    v = min(max(vol, _MIN_VOL), _MAX_VOL)
    sqrt_t = math.sqrt(t)
    d1 = (math.log(spot / strike) + (rate - div_yield + 0.5 * v * v) * t) / (v * sqrt_t)
    d2 = d1 - v * sqrt_t
    spot_pv = spot * math.exp(-div_yield * t)
    strike_pv = strike * math.exp(-rate * t)
    density = _pdf(d1)
    gamma = math.exp(-div_yield * t) * density / (spot * v * sqrt_t)
    vega = spot_pv * density * sqrt_t
    decay = -spot_pv * density * v / (2.0 * sqrt_t)
    if right == _CALL:
        price = spot_pv * _cdf(d1) - strike_pv * _cdf(d2)
        delta = math.exp(-div_yield * t) * _cdf(d1)
        theta = decay - rate * strike_pv * _cdf(d2) + div_yield * spot_pv * _cdf(d1)
    else:
        price = strike_pv * _cdf(-d2) - spot_pv * _cdf(-d1)
        delta = -math.exp(-div_yield * t) * _cdf(-d1)
        theta = decay + rate * strike_pv * _cdf(-d2) - div_yield * spot_pv * _cdf(-d1)
    return Greeks(price=max(price, 0.0), delta=delta, gamma=gamma, vega=vega, theta=theta)


def bs_price(
    right: str, *, spot: float, strike: float, years: float, vol: float, rate: float = 0.0, div_yield: float = 0.0
) -> float:
    return greeks(right, spot=spot, strike=strike, years=years, vol=vol, rate=rate, div_yield=div_yield).price


def price_bounds(
    right: str, *, spot: float, strike: float, years: float, rate: float = 0.0, div_yield: float = 0.0
) -> tuple[float, float]:
    """The no-arbitrage range of a European option's price (zero and infinite volatility)."""
    t = max(years, _MIN_YEARS)
    spot_pv = spot * math.exp(-div_yield * t)
    strike_pv = strike * math.exp(-rate * t)
    if right == _CALL:
        return max(spot_pv - strike_pv, 0.0), spot_pv
    return max(strike_pv - spot_pv, 0.0), strike_pv


def implied_vol(
    right: str,
    *,
    price: float,
    spot: float,
    strike: float,
    years: float,
    rate: float = 0.0,
    div_yield: float = 0.0,
    tolerance: float = 1e-10,
) -> float | None:
    """The volatility at which Black-Scholes gives `price`; None when the price is outside the bounds."""
    _check(right, spot, strike)
    low_price, high_price = price_bounds(right, spot=spot, strike=strike, years=years, rate=rate, div_yield=div_yield)
    if not low_price < price < high_price:
        return None
    lo, hi = _MIN_VOL, _MAX_VOL
    if bs_price(right, spot=spot, strike=strike, years=years, vol=hi, rate=rate, div_yield=div_yield) < price:
        return None  # beyond any sensible volatility
    vol = 0.3
    for _ in range(100):
        g = greeks(right, spot=spot, strike=strike, years=years, vol=vol, rate=rate, div_yield=div_yield)
        error = g.price - price
        if abs(error) < tolerance * max(1.0, price):
            return vol
        if error > 0:
            hi = vol
        else:
            lo = vol
        step = vol - error / g.vega if g.vega > 1e-12 else -1.0
        vol = step if lo < step < hi else 0.5 * (lo + hi)  # Newton when it stays in the bracket
        if hi - lo < 1e-12:
            return vol
    return vol


# --- the simulator's smile, quotes and IB's computation ticks ------------------------------------------


def smile_vol(
    atm_vol: float, *, spot: float, strike: float, years: float, rate: float = 0.0, div_yield: float = 0.0
) -> float:
    """The volatility of `strike`: atm * (1 - 0.08 x + 0.03 x^2), x the standardised moneyness in [-4, 4]."""
    t = max(years, _MIN_YEARS)
    forward = spot * math.exp((rate - div_yield) * t)
    x = math.log(strike / forward) / (max(atm_vol, _MIN_VOL) * math.sqrt(t))
    x = min(max(x, -4.0), 4.0)
    return atm_vol * max(0.3, 1.0 - 0.08 * x + 0.03 * x * x)


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionComputation:
    """tickOptionComputation's values in IB's units; None where IB sends its "not computed" value."""

    implied_vol: float | None
    delta: float | None
    opt_price: float | None
    pv_dividend: float
    gamma: float | None
    vega: float | None  # per volatility point
    theta: float | None  # per calendar day
    und_price: float


def option_computation(
    right: str,
    *,
    price: float,
    spot: float,
    strike: float,
    years: float,
    rate: float = 0.0,
    div_yield: float = 0.0,
    vol: float | None = None,
) -> OptionComputation:
    """IB's computation for an option trading at `price`: its implied vol and the greeks at that vol
    (`vol` given: the model's computation, greeks at `vol`, implied vol = `vol`)."""
    t = max(years, _MIN_YEARS)
    pv_dividend = spot * (1.0 - math.exp(-div_yield * t))
    if vol is None:
        vol = implied_vol(right, price=price, spot=spot, strike=strike, years=years, rate=rate, div_yield=div_yield)
    if vol is None:
        return OptionComputation(
            implied_vol=None,
            delta=None,
            opt_price=price,
            pv_dividend=pv_dividend,
            gamma=None,
            vega=None,
            theta=None,
            und_price=spot,
        )
    g = greeks(right, spot=spot, strike=strike, years=years, vol=vol, rate=rate, div_yield=div_yield)
    return OptionComputation(
        implied_vol=vol,
        delta=g.delta,
        opt_price=price,
        pv_dividend=pv_dividend,
        gamma=g.gamma,
        vega=g.vega / 100.0,
        theta=g.theta / 365.0,
        und_price=spot,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionQuote:
    """An option's simulated market: bid/ask on its tick grid (sizes in contracts) and the model values."""

    bid: float
    ask: float
    bid_size: int
    ask_size: int
    theo: float
    vol: float  # the smile's volatility for this strike
    model: OptionComputation  # IB's model computation (tick 13)


def us_option_tick(price: float) -> float:
    """The classic US option increments: $0.01 under $3, $0.05 from $3."""
    return 0.01 if price < 3.0 else 0.05


def option_quote(
    right: str,
    *,
    spot: float,
    strike: float,
    years: float,
    atm_vol: float,
    rate: float = 0.0,
    div_yield: float = 0.0,
    tick_size: Callable[[float], float] = us_option_tick,
    depth: int = 50,
) -> OptionQuote:
    """Quote an option from its underlying's price. The spread is a tick plus 2 % of the value, widening
    by a tick per unit of standardised moneyness; sizes shrink away from the money (`depth` at the money)."""
    vol = smile_vol(atm_vol, spot=spot, strike=strike, years=years, rate=rate, div_yield=div_yield)
    theo = bs_price(right, spot=spot, strike=strike, years=years, vol=vol, rate=rate, div_yield=div_yield)
    t = max(years, _MIN_YEARS)
    x = abs(math.log(strike / spot)) / (max(atm_vol, _MIN_VOL) * math.sqrt(t))
    tick = tick_size(theo)
    half = 0.5 * (tick * (1.0 + min(x, 6.0)) + 0.02 * theo)
    bid_ticks = max(0, math.floor((theo - half) / tick + 1e-9))
    ask_ticks = max(bid_ticks + 1, math.ceil((theo + half) / tick - 1e-9))
    digits = max(0, -math.floor(math.log10(tick) + 1e-9)) + 1
    size = max(1, round(depth * math.exp(-0.5 * min(x, 6.0) ** 2)))
    return OptionQuote(
        bid=round(bid_ticks * tick, digits),
        ask=round(ask_ticks * tick, digits),
        bid_size=size if bid_ticks else 0,
        ask_size=size,
        theo=theo,
        vol=vol,
        model=option_computation(
            right, price=theo, spot=spot, strike=strike, years=years, rate=rate, div_yield=div_yield, vol=vol
        ),
    )
