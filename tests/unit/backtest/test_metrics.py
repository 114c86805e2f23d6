"""Performance figures from an equity curve and trades, against values worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest

from ibbot.backtest.metrics import DAY_US, cagr, compute, max_drawdown, period_returns, sharpe, sortino, trade_figures
from ibbot.backtest.trades import Trade

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def trade(pnl: str) -> Trade:
    return Trade(symbol="X", direction="long", quantity=Decimal(1), entry_time=T0, entry_price=Decimal(1),
                 exit_time=T0, exit_price=Decimal(1), pnl=Decimal(pnl), commission=Decimal(0), fills=2)  # fmt: skip


def test_max_drawdown_is_the_largest_fall_from_a_running_peak() -> None:
    assert max_drawdown(np.array([100.0, 120, 90, 130, 117])) == pytest.approx(0.25)
    assert max_drawdown(np.array([100.0, 101, 102])) == 0.0


def test_daily_returns_take_each_days_last_equity() -> None:
    ends = np.array([0.5, 0.9, 1.5, 2.5, 3.5]) * DAY_US
    equity = np.array([101.0, 102, 99.96, 100.9596, 100.9596])
    returns, per_year = period_returns(equity, ends.astype(np.int64), 100.0)
    assert returns == pytest.approx([0.02, -0.02, 0.01, 0.0])
    assert per_year == pytest.approx(4 / (3.0 / 365.25))


def test_sharpe_and_sortino_annualise_the_mean_over_the_deviation() -> None:
    returns = np.array([0.01, -0.01, 0.02, 0.0])
    expected = returns.mean() / returns.std(ddof=1) * math.sqrt(252)
    assert sharpe(returns, 252) == pytest.approx(expected)
    assert sortino(returns, 252) == pytest.approx(returns.mean() / math.sqrt(0.0001 / 4) * math.sqrt(252))
    assert sharpe(np.array([0.01, 0.01]), 252) is None and sortino(np.array([0.01, 0.02]), 252) is None


def test_cagr_over_the_calendar_span() -> None:
    assert cagr(100.0, 121.0, 2 * 365.25 * DAY_US) == pytest.approx(0.1)
    assert cagr(100.0, -5.0, DAY_US) == -1.0 and cagr(100.0, 110.0, 0) is None


def test_win_rate_and_profit_factor() -> None:
    assert trade_figures([trade("30"), trade("-10"), trade("-5"), trade("20")]) == (0.5, pytest.approx(50 / 15))
    assert trade_figures([trade("1")]) == (1.0, None) and trade_figures([]) == (None, None)


def test_compute_puts_them_together() -> None:
    ends = (np.arange(1, 5) * DAY_US).astype(np.int64)
    m = compute(equity=np.array([100.0, 110, 99, 105]), ends=ends, starts_at=0, initial=100.0, final=105.0,
                trades=[trade("5")], exposed_rows=2)  # fmt: skip
    assert m.total_return == pytest.approx(0.05) and m.max_drawdown == pytest.approx(0.1)
    assert m.exposure == 0.5 and m.win_rate == 1.0 and m.sharpe is not None and m.cagr is not None
