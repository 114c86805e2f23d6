"""Performance figures of an equity curve and a list of trades; pure functions over numpy arrays.

* Returns are daily: the last equity of each UTC day against the one before (the first day against the
  starting cash). Sharpe = mean / standard deviation x sqrt(periods per year), Sortino the same over the
  downside deviation (root mean square of the negative returns); the periods per year are the days with bars
  per year of the span (252 for exchange days, 365 for round-the-clock data). Under three days of data the
  bar returns are used instead, with bars per year of the span. No risk-free rate.
* Max drawdown: the largest fall from a running peak of the per-bar curve, as a fraction (0.12 = 12 %).
* CAGR over the calendar span from the first bar's start to the last bar's end.
* Win rate: winning trades / closed trades; profit factor: gross profit / gross loss (None without losses).
A figure that cannot be computed (no trades, a flat curve) is None, never NaN or infinity (JSON has neither).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ibbot.backtest.trades import Trade

DAY_US = 86_400_000_000
YEAR_US = 365.25 * DAY_US


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics:
    total_return: float
    cagr: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    win_rate: float | None
    profit_factor: float | None
    exposure: float


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def max_drawdown(equity: np.ndarray) -> float:
    if equity.size == 0:
        return 0.0
    peaks = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        falls = np.where(peaks > 0, 1.0 - equity / peaks, 0.0)
    return float(max(falls.max(), 0.0))


def period_returns(equity: np.ndarray, ends: np.ndarray, initial: float) -> tuple[np.ndarray, float]:
    """(returns, periods per year): daily when the data spans three days or more, else per bar."""
    if equity.size == 0:
        return np.zeros(0), 0.0
    span = float(ends[-1] - ends[0]) if ends.size > 1 else 0.0
    days = ends // DAY_US
    if days[-1] - days[0] >= 3:
        last_of_day = np.flatnonzero(np.diff(days)) if days.size > 1 else np.zeros(0, dtype=np.int64)
        closes = np.concatenate(([initial], equity[last_of_day], [equity[-1]]))
        periods = float(np.unique(days).size)
    else:
        closes = np.concatenate(([initial], equity))
        periods = float(equity.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.diff(closes) / closes[:-1]
    returns = returns[np.isfinite(returns)]
    per_year = periods / (span / YEAR_US) if span > 0 else 0.0
    return returns, per_year


def sharpe(returns: np.ndarray, per_year: float) -> float | None:
    if returns.size < 2 or per_year <= 0:
        return None
    deviation = float(returns.std(ddof=1))
    if deviation <= 1e-15:
        return None
    return _finite(float(returns.mean()) / deviation * math.sqrt(per_year))


def sortino(returns: np.ndarray, per_year: float) -> float | None:
    if returns.size < 2 or per_year <= 0:
        return None
    downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
    if downside <= 1e-15:
        return None
    return _finite(float(returns.mean()) / downside * math.sqrt(per_year))


def cagr(initial: float, final: float, span_us: float) -> float | None:
    if initial <= 0 or span_us <= 0:
        return None
    if final <= 0:
        return -1.0
    years = span_us / YEAR_US
    try:
        return _finite((final / initial) ** (1.0 / years) - 1.0)
    except OverflowError:
        return None


def trade_figures(trades: Sequence[Trade]) -> tuple[float | None, float | None]:
    """(win rate, profit factor)."""
    if not trades:
        return None, None
    wins = sum(1 for t in trades if t.pnl > 0)
    profit = sum(float(t.pnl) for t in trades if t.pnl > 0)
    loss = -sum(float(t.pnl) for t in trades if t.pnl < 0)
    return wins / len(trades), (profit / loss if loss > 0 else None)


def compute(
    *,
    equity: np.ndarray,
    ends: np.ndarray,
    starts_at: int,
    initial: float,
    final: float,
    trades: Sequence[Trade],
    exposed_rows: int,
) -> Metrics:
    returns, per_year = period_returns(equity, ends, initial)
    win_rate, profit_factor = trade_figures(trades)
    span = float(ends[-1] - starts_at) if ends.size else 0.0
    return Metrics(
        total_return=final / initial - 1.0 if initial else 0.0,
        cagr=cagr(initial, final, span),
        sharpe=sharpe(returns, per_year),
        sortino=sortino(returns, per_year),
        max_drawdown=max_drawdown(np.concatenate(([initial], equity))),
        win_rate=win_rate,
        profit_factor=profit_factor,
        exposure=exposed_rows / equity.size if equity.size else 0.0,
    )
