"""Margin and the account figures of the paper account, and the account values TWS reports with IB's keys.

Theory of operation
-------------------
The ledger reduces each position to an `Exposure` (signed market value in the base currency and the few
facts the rules need); `figures` adds them up with the cash into IB's account figures:

* NetLiquidation = cash + stock and option market values + futures open PnL (forex positions are already in the
  cash balances). EquityWithLoanValue leaves option values out (they have no loan value under Reg T).
* Margin rules, a table by security type, as shares of |market value| (long init, long maint, short init,
  short maint): stocks and everything not listed 50/25/50/30 (Reg T, IB's 30% on shorts); futures 10/9 of
  notional unless the per-contract exchange margins are known; forex 3/2.5. Options: long ones are paid in
  full (no margin); short ones need their value plus 20% of the underlying's value (twice their value when the
  underlying has no mark). Simplified, not IB's risk-based rules, and stated here so nobody thinks otherwise.
* AvailableFunds = ELV - initial margin; ExcessLiquidity = ELV - maintenance margin; BuyingPower = 4x the
  available funds for day-trading margin accounts at or above the $25,000 pattern-day-trader floor, else 2x
  (overnight Reg T); Cushion = excess / NLV; Leverage-S = gross position value / NLV; DayTradesRemaining is -1
  (unlimited) at or above $25,000, else 3 minus the day trades of the last five days (T+1..T+4 drop the oldest).
* Full*, LookAhead* and the "-S" (securities segment) keys repeat the current figures: the simulator has no
  scheduled margin changes and keeps every position in one segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

ZERO = Decimal(0)
PDT_FLOOR = Decimal(25_000)
MAX_DAY_TRADES = 3

# sec_type -> (long initial, long maintenance, short initial, short maintenance), shares of |market value|
RATES: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {
    "STK": (Decimal("0.50"), Decimal("0.25"), Decimal("0.50"), Decimal("0.30")),
    "FUT": (Decimal("0.10"), Decimal("0.09"), Decimal("0.10"), Decimal("0.09")),
    "CASH": (Decimal("0.03"), Decimal("0.025"), Decimal("0.03"), Decimal("0.025")),
}
OPTION_TYPES = frozenset({"OPT", "FOP"})
NO_GROSS_VALUE = frozenset({"FUT", "CASH"})  # their notional is not position value (GrossPositionValue, leverage)
SHORT_OPTION_UNDERLYING_SHARE = Decimal("0.20")


@dataclass(frozen=True, slots=True, kw_only=True)
class Exposure:
    """One position for the margin rules; money in the base currency."""

    sec_type: str
    quantity: Decimal
    value: Decimal  # signed market value (notional for futures and forex)
    open_value: Decimal  # signed notional at the opening prices
    underlying_value: Decimal | None = None  # options: |quantity| x underlying price x multiplier
    initial_per_contract: Decimal | None = None
    maint_per_contract: Decimal | None = None


class PnLFigures(Protocol):
    @property
    def daily(self) -> Decimal: ...
    @property
    def unrealized(self) -> Decimal: ...
    @property
    def realized(self) -> Decimal: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    """The account in the base currency."""

    net_liquidation: Decimal
    total_cash: Decimal
    stock_value: Decimal
    option_value: Decimal
    futures_pnl: Decimal
    gross_position_value: Decimal
    equity_with_loan: Decimal
    previous_equity_with_loan: Decimal
    init_margin: Decimal
    maint_margin: Decimal
    available_funds: Decimal
    excess_liquidity: Decimal
    buying_power: Decimal
    sma: Decimal
    cushion: Decimal
    leverage: Decimal
    day_trades_remaining: tuple[int, ...]  # today, then T+1 .. T+4
    daily_pnl: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatIf:
    """What a what-if order reports in its OrderState (margin figures in the base currency)."""

    init_before: Decimal
    maint_before: Decimal
    equity_before: Decimal
    init_change: Decimal
    maint_change: Decimal
    equity_change: Decimal
    init_after: Decimal
    maint_after: Decimal
    equity_after: Decimal
    commission: Decimal
    commission_currency: str

    @classmethod
    def between(cls, before: Figures, after: Figures, *, commission: Decimal, currency: str) -> WhatIf:
        return cls(
            init_before=before.init_margin,
            maint_before=before.maint_margin,
            equity_before=before.equity_with_loan,
            init_change=after.init_margin - before.init_margin,
            maint_change=after.maint_margin - before.maint_margin,
            equity_change=after.equity_with_loan - before.equity_with_loan,
            init_after=after.init_margin,
            maint_after=after.maint_margin,
            equity_after=after.equity_with_loan,
            commission=commission,
            commission_currency=currency,
        )


def requirement(e: Exposure) -> tuple[Decimal, Decimal]:
    """(initial, maintenance) margin of one position."""
    size = abs(e.value)
    if e.sec_type in OPTION_TYPES:
        if e.quantity > 0:
            return ZERO, ZERO  # long options are paid in full
        extra = size if e.underlying_value is None else e.underlying_value * SHORT_OPTION_UNDERLYING_SHARE
        return size + extra, size + extra
    if e.initial_per_contract is not None:
        contracts = abs(e.quantity)
        maint = e.maint_per_contract if e.maint_per_contract is not None else e.initial_per_contract
        return contracts * e.initial_per_contract, contracts * maint
    long_init, long_maint, short_init, short_maint = RATES.get(e.sec_type, RATES["STK"])
    if e.quantity > 0:
        return size * long_init, size * long_maint
    return size * short_init, size * short_maint


def _day_trades_remaining(nlv: Decimal, day_trades: list[int]) -> tuple[int, ...]:
    if nlv >= PDT_FLOOR:
        return (-1,) * 5
    window = ([0] * 5 + day_trades)[-5:]  # days not recorded had no day trades
    return tuple(max(0, MAX_DAY_TRADES - sum(window[ahead:])) for ahead in range(5))


def _totals(exposures: list[Exposure]) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]:
    """(stock value, option value, futures PnL, gross position value, initial, maintenance margin) in one pass
    (the buying-power check runs this for every order); each total adds in exposure order."""
    stock = options = futures = gross = init = maint = ZERO
    for e in exposures:
        kind = e.sec_type
        if kind in OPTION_TYPES:
            options += e.value
        elif kind == "FUT":
            futures += e.value - e.open_value
        elif kind != "CASH":
            stock += e.value
        if kind not in NO_GROSS_VALUE:
            gross += abs(e.value)
        need_init, need_maint = requirement(e)
        init += need_init
        maint += need_maint
    return stock, options, futures, gross, init, maint


def available_funds(*, cash: Decimal, exposures: list[Exposure]) -> Decimal:
    """`figures(...).available_funds` alone (the same arithmetic, without the figures nobody asked for)."""
    stock, options, futures, _, init, _ = _totals(exposures)
    return cash + stock + options + futures - options - init


def figures(
    *,
    cash: Decimal,
    exposures: list[Exposure],
    pnl: PnLFigures,
    previous_equity: Decimal | None,
    day_trading: bool,
    day_trades: list[int],
) -> Figures:
    stock, options, futures, gross, init, maint = _totals(exposures)
    nlv = cash + stock + options + futures
    equity = nlv - options
    available, excess = equity - init, equity - maint
    leverage_factor = 4 if day_trading and nlv >= PDT_FLOOR else 2
    return Figures(
        net_liquidation=nlv,
        total_cash=cash,
        stock_value=stock,
        option_value=options,
        futures_pnl=futures,
        gross_position_value=gross,
        equity_with_loan=equity,
        previous_equity_with_loan=equity if previous_equity is None else previous_equity,
        init_margin=init,
        maint_margin=maint,
        available_funds=available,
        excess_liquidity=excess,
        buying_power=max(available, ZERO) * leverage_factor,
        sma=max(available, ZERO),
        cushion=excess / nlv if nlv > 0 else ZERO,
        leverage=gross / nlv if nlv > 0 else ZERO,
        day_trades_remaining=_day_trades_remaining(nlv, day_trades),
        daily_pnl=pnl.daily,
        unrealized_pnl=pnl.unrealized,
        realized_pnl=pnl.realized,
    )


# --- account values ------------------------------------------------------------------------------------------

CURRENCY_KEYS = (
    "CashBalance",
    "StockMarketValue",
    "OptionMarketValue",
    "FutureOptionValue",
    "FuturesPNL",
    "RealizedPnL",
    "UnrealizedPnL",
)


def _money(x: Decimal) -> str:
    return f"{x:.2f}"


def _ratio(x: Decimal) -> str:
    return f"{x:.6f}"


def _base_values(f: Figures) -> list[tuple[str, Decimal, bool]]:
    """(key, figure, also sent with the securities-segment suffix "-S")."""
    return [
        ("NetLiquidation", f.net_liquidation, True),
        ("TotalCashValue", f.total_cash, True),
        ("SettledCash", f.total_cash, True),  # no settlement lag is modelled
        ("AccruedCash", ZERO, True),
        ("BuyingPower", f.buying_power, False),
        ("EquityWithLoanValue", f.equity_with_loan, True),
        ("PreviousDayEquityWithLoanValue", f.previous_equity_with_loan, True),
        ("GrossPositionValue", f.gross_position_value, True),
        ("RegTEquity", f.equity_with_loan, True),
        ("RegTMargin", f.init_margin, True),
        ("SMA", f.sma, True),
        ("InitMarginReq", f.init_margin, True),
        ("MaintMarginReq", f.maint_margin, True),
        ("AvailableFunds", f.available_funds, True),
        ("ExcessLiquidity", f.excess_liquidity, True),
        ("FullInitMarginReq", f.init_margin, True),
        ("FullMaintMarginReq", f.maint_margin, True),
        ("FullAvailableFunds", f.available_funds, True),
        ("FullExcessLiquidity", f.excess_liquidity, True),
        ("LookAheadInitMarginReq", f.init_margin, True),
        ("LookAheadMaintMarginReq", f.maint_margin, True),
        ("LookAheadAvailableFunds", f.available_funds, True),
        ("LookAheadExcessLiquidity", f.excess_liquidity, True),
        ("PostExpirationMargin", ZERO, True),
        ("PostExpirationExcess", ZERO, True),
        ("TotalDebitCardPendingCharges", ZERO, True),
    ]


def account_values(
    *,
    account: str,
    account_type: str,
    base: str,
    figures: Figures,
    per_currency: dict[str, dict[str, Decimal]],
    rates: dict[str, Decimal],
) -> list[tuple[str, str, str]]:
    """(key, value, currency) triples, as updateAccountValue carries them."""
    dtr = figures.day_trades_remaining
    out: list[tuple[str, str, str]] = [
        ("AccountCode", account, ""),
        ("AccountReady", "true", ""),
        ("AccountType", account_type, ""),
        ("Cushion", _ratio(figures.cushion), ""),
        ("DayTradesRemaining", str(dtr[0]), ""),
        *((f"DayTradesRemainingT+{k}", str(dtr[k]), "") for k in range(1, 5)),
        ("HighestSeverity", "0", ""),
        ("Leverage-S", _ratio(figures.leverage), ""),
        ("LookAheadNextChange", "0", ""),
        ("NLVAndMarginInReview", "false", ""),
    ]
    for key, value, segmented in _base_values(figures):
        out.append((key, _money(value), base))
        if segmented:
            out.append((f"{key}-S", _money(value), base))
    totals = dict.fromkeys(CURRENCY_KEYS, ZERO)
    for cur in sorted(per_currency, key=lambda c: (c != base, c)):
        bucket, rate = per_currency[cur], rates.get(cur, Decimal(1))
        out += _currency_values(cur, bucket, rate)
        for key in CURRENCY_KEYS:
            totals[key] += bucket[key] * rate
    out += _currency_values("BASE", totals, Decimal(1), real=base)
    return out


def _currency_values(cur: str, b: dict[str, Decimal], rate: Decimal, real: str = "") -> list[tuple[str, str, str]]:
    net = b["CashBalance"] + b["StockMarketValue"] + b["OptionMarketValue"] + b["FutureOptionValue"] + b["FuturesPNL"]
    return [
        ("Currency", cur, cur),
        ("RealCurrency", real or cur, cur),
        ("ExchangeRate", f"{rate:.6f}".rstrip("0").rstrip(".") if rate != 1 else "1.00", cur),
        ("CashBalance", _money(b["CashBalance"]), cur),
        ("TotalCashBalance", _money(b["CashBalance"]), cur),
        ("NetLiquidationByCurrency", _money(net), cur),
        ("StockMarketValue", _money(b["StockMarketValue"]), cur),
        ("OptionMarketValue", _money(b["OptionMarketValue"]), cur),
        ("FutureOptionValue", _money(b["FutureOptionValue"]), cur),
        ("FuturesPNL", _money(b["FuturesPNL"]), cur),
        ("RealizedPnL", _money(b["RealizedPnL"]), cur),
        ("UnrealizedPnL", _money(b["UnrealizedPnL"]), cur),
        ("NetDividend", "0.00", cur),
    ]
