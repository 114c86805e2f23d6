"""Commissions like IB's published fixed and tiered schedules, per asset class, as one pure function over tables.

Theory of operation
-------------------
`commission(...)` looks up the schedule for the security type and currency and applies it to one execution:
a rate per share / contract (by premium for options) or in basis points of the trade value (forex), a tier
chosen by the month's volume before this execution (tiered only), then IB's per-order minimum and maximum,
then the approximated third-party fees the tiered schedule passes through. IB's note on small orders holds:
when the maximum (1% of the trade value for stocks) is below the minimum, the maximum is charged.

Figures are IB's published US schedules (IBKR Pro). Approximations, stated so nobody mistakes them for IB's
bill: tiered stock orders add $0.0030/share exchange fee when removing liquidity and $0.0002/share clearing
(regulatory sale fees are not modelled); futures and futures options add $1.30/contract exchange and regulatory
fees on both schedules; tiered options add $0.20/contract exchange and clearing fees. Non-USD stocks use a
European-style schedule (fixed 0.05%, min 3.00, max 29.00; tiered 0.05%, min 1.25) in the stock's currency.
Forex commissions are charged in USD on the USD value of the trade (pass `usd_rate` for the price currency).
US mutual funds (FUND) cost the lesser of 3% of the trade value and $14.95, as for IB's funds with a transaction
fee (no fund here is on IB's no-transaction-fee list).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

D = Decimal
_CENT = D("0.01")
_ZERO, _ONE = D(0), D(1)


class Schedule(StrEnum):
    FIXED = "fixed"
    TIERED = "tiered"


@dataclass(frozen=True, slots=True, kw_only=True)
class Commission:
    amount: Decimal
    currency: str


Tiers = tuple[tuple[Decimal | None, Decimal], ...]  # (month volume up to, rate); None = no upper bound

US_STOCK_FIXED_PER_SHARE = D("0.005")
US_STOCK_FIXED_MIN = D("1.00")
US_STOCK_TIERED_MIN = D("0.35")
US_STOCK_MAX_SHARE_OF_VALUE = D("0.01")
US_STOCK_TIERS: Tiers = (
    (D(300_000), D("0.0035")),
    (D(3_000_000), D("0.0020")),
    (D(20_000_000), D("0.0015")),
    (D(100_000_000), D("0.0010")),
    (None, D("0.0005")),
)
US_STOCK_EXCHANGE_FEE_REMOVE = D("0.0030")  # approximation of the venue's take fee
US_STOCK_CLEARING_FEE = D("0.0002")

EU_STOCK = {  # schedule -> (share of value, minimum, maximum or None)
    Schedule.FIXED: (D("0.0005"), D("3.00"), D("29.00")),
    Schedule.TIERED: (D("0.0005"), D("1.25"), None),
}

FUTURES_FIXED = D("0.85")
FUTURES_TIERS: Tiers = ((D(1_000), D("0.85")), (D(10_000), D("0.65")), (D(20_000), D("0.45")), (None, D("0.25")))
FUTURES_FEES = D("1.30")  # approximation: exchange + NFA regulatory fee per contract

OPTION_MIN = D("1.00")
OPTION_FIXED_BY_PREMIUM: Tiers = ((D("0.05"), D("0.25")), (D("0.10"), D("0.50")), (None, D("0.65")))  # premium <
OPTION_TIERS: Tiers = ((D(10_000), D("0.65")), (D(50_000), D("0.50")), (D(100_000), D("0.25")), (None, D("0.15")))
OPTION_TIERED_FEES = D("0.20")  # approximation: exchange + OCC clearing per contract

FOREX_TIERS_BPS: Tiers = (  # by month volume in USD
    (D(1_000_000_000), D("0.20")),
    (D(2_000_000_000), D("0.15")),
    (D(5_000_000_000), D("0.10")),
    (None, D("0.08")),
)
FOREX_MIN_USD = D("2.00")

FUND_MAX = D("14.95")
FUND_SHARE_OF_VALUE = D("0.03")


def _tier(tiers: Tiers, volume: Decimal) -> Decimal:
    for upper, rate in tiers:
        if upper is None or volume < upper:
            return rate
    raise AssertionError("the last tier has no upper bound")


def _premium_rate(premium: Decimal) -> Decimal:
    for below, rate in OPTION_FIXED_BY_PREMIUM:
        if below is None or premium < below:
            return rate
    raise AssertionError("the last premium band has no upper bound")


def _bounded(amount: Decimal, minimum: Decimal, maximum: Decimal | None) -> Decimal:
    amount = max(amount, minimum)
    return amount if maximum is None else min(amount, maximum)  # the maximum wins over the minimum


def _stock(q: Decimal, value: Decimal, currency: str, schedule: Schedule, *, volume: Decimal, removes: bool) -> Decimal:
    if currency != "USD":
        share, minimum, maximum = EU_STOCK[schedule]
        return _bounded(value * share, minimum, maximum)
    cap = value * US_STOCK_MAX_SHARE_OF_VALUE
    if schedule is Schedule.FIXED:
        return _bounded(q * US_STOCK_FIXED_PER_SHARE, US_STOCK_FIXED_MIN, cap)
    fees = q * (US_STOCK_CLEARING_FEE + (US_STOCK_EXCHANGE_FEE_REMOVE if removes else 0))
    return _bounded(q * _tier(US_STOCK_TIERS, volume), US_STOCK_TIERED_MIN, cap) + fees


def _futures(q: Decimal, schedule: Schedule, volume: Decimal) -> Decimal:
    rate = FUTURES_FIXED if schedule is Schedule.FIXED else _tier(FUTURES_TIERS, volume)
    return q * (rate + FUTURES_FEES)


def _option(q: Decimal, premium: Decimal, schedule: Schedule, volume: Decimal) -> Decimal:
    rate = _premium_rate(premium)
    if schedule is Schedule.FIXED:
        return max(q * rate, OPTION_MIN)
    return max(q * min(rate, _tier(OPTION_TIERS, volume)), OPTION_MIN) + q * OPTION_TIERED_FEES


def _forex(value_usd: Decimal, volume_usd: Decimal, schedule: Schedule) -> Decimal:
    bps = FOREX_TIERS_BPS[0][1] if schedule is Schedule.FIXED else _tier(FOREX_TIERS_BPS, volume_usd)
    return max(value_usd * bps / 10_000, FOREX_MIN_USD)


def commission(
    *,
    sec_type: str,
    quantity: Decimal,
    price: Decimal,
    multiplier: Decimal = _ONE,
    currency: str = "USD",
    schedule: Schedule = Schedule.FIXED,
    month_volume: Decimal = _ZERO,
    removes_liquidity: bool = True,
    usd_rate: Decimal = _ONE,
) -> Commission:
    """IB's commission for one execution of `quantity` (shares, contracts, or base-currency units for forex).

    `month_volume` is what the account traded this month before this execution, in the schedule's unit
    (shares, contracts, or USD for forex); `usd_rate` converts the price currency to USD (forex only).
    Unknown security types (bonds, CFDs, warrants ...) are charged as stocks.
    """
    q = abs(quantity)
    value = q * price * multiplier
    if sec_type == "CASH":
        amount, currency = _forex(value * usd_rate, month_volume, schedule), "USD"
    elif sec_type in ("FUT", "FOP"):
        amount = _futures(q, schedule, month_volume)
    elif sec_type == "OPT":
        amount = _option(q, price, schedule, month_volume)
    elif sec_type == "FUND":
        amount = min(value * FUND_SHARE_OF_VALUE, FUND_MAX)  # one schedule: fixed and tiered alike
    else:
        amount = _stock(q, value, currency, schedule, volume=month_volume, removes=removes_liquidity)
    return Commission(amount=amount.quantize(_CENT, rounding=ROUND_HALF_UP), currency=currency)


def execution_commission(
    *,
    sec_type: str,
    currency: str,
    pair_currency: str,
    multiplier: Decimal,
    quantity: Decimal,
    price: Decimal,
    removes_liquidity: bool = True,
) -> Commission:
    """`commission` on the fixed schedule for an instrument described by plain values. Forex is charged on the
    USD value: exact for pairs quoted in USD or based on USD (`pair_currency` USD: the rate is 1 / price); other
    crosses count their quote currency at par (an approximation)."""
    usd_rate = _ONE
    if sec_type == "CASH" and currency != "USD" and pair_currency == "USD" and price > 0:
        usd_rate = _ONE / price
    return commission(
        sec_type=sec_type,
        quantity=quantity,
        price=price,
        multiplier=multiplier,
        currency=currency,
        removes_liquidity=removes_liquidity,
        usd_rate=usd_rate,
    )
