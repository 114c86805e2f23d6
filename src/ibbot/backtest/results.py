"""What a backtest produced: the counts, the money, the figures (`metrics`), the trades and the equity curve.

`BacktestResult.summary()` is the JSON summary (`ibbot backtest --json`): plain numbers and texts, the keys
documented in `SUMMARY_KEYS`, stable for scripts. Money comes from the ledger (Decimal) and is rounded to the
cent in the summary; the curve is the driver's float mirror, one value per bar.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from ibbot.backtest.data import micros_to_datetime
from ibbot.backtest.engine import BacktestEngine
from ibbot.backtest.metrics import Metrics, compute
from ibbot.backtest.trades import Trade
from ibbot.errors import StrategyError
from ibbot.strategy.base import Strategy
from ibbot.strategy.host import StrategyFailure

log = logging.getLogger(__name__)

SUMMARY_KEYS = (
    "strategy", "params", "start", "end", "bars", "orders", "fills", "trades", "refused", "initial_cash",
    "final_equity", "total_return", "cagr", "sharpe", "sortino", "max_drawdown", "win_rate", "profit_factor",
    "exposure", "commissions", "open_positions", "elapsed_seconds", "bars_per_second", "error",
)  # fmt: skip


@dataclass(frozen=True, eq=False, kw_only=True)
class BacktestResult:
    strategy: str
    params: dict[str, object]
    start: datetime | None
    end: datetime | None
    bars: int
    orders: int
    fills: int
    refused: int
    trades: tuple[Trade, ...]
    initial_cash: Decimal
    final_equity: Decimal
    commissions: Decimal
    metrics: Metrics
    elapsed: float
    positions: dict[str, str] = field(default_factory=dict)  # symbol -> quantity held at the end
    error: str | None = None  # the strategy raised: what and where (the traceback is in the log)
    equity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    times: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # bar ends, microseconds

    def summary(self) -> dict[str, Any]:
        m = self.metrics

        def num(value: float | None, digits: int = 6) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "strategy": self.strategy,
            "params": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.params.items()},
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "bars": self.bars,
            "orders": self.orders,
            "fills": self.fills,
            "trades": len(self.trades),
            "refused": self.refused,
            "initial_cash": float(self.initial_cash),
            "final_equity": float(round(self.final_equity, 2)),
            "total_return": num(m.total_return),
            "cagr": num(m.cagr),
            "sharpe": num(m.sharpe, 4),
            "sortino": num(m.sortino, 4),
            "max_drawdown": num(m.max_drawdown),
            "win_rate": num(m.win_rate),
            "profit_factor": num(m.profit_factor, 4),
            "exposure": num(m.exposure),
            "commissions": float(round(self.commissions, 2)),
            "open_positions": dict(self.positions),
            "elapsed_seconds": round(self.elapsed, 3),
            "bars_per_second": round(self.bars / self.elapsed) if self.elapsed > 0 else None,
            "error": self.error,
        }

    def comparable(self) -> dict[str, Any]:
        """The summary without what depends on the machine (timings): equal for equal runs anywhere."""
        found = self.summary()
        del found["elapsed_seconds"], found["bars_per_second"]
        return found

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise StrategyError(self.error)


def summarize(
    *,
    engine: BacktestEngine,
    strategy: Strategy,
    failure: StrategyFailure | None,
    equity: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    exposed_rows: int,
    elapsed: float,
) -> BacktestResult:
    """The result of a finished run: the ledger's money, the curve's figures, the trades."""
    account = engine.account()
    final = account.equity
    if equity.size and abs(float(final) - float(equity[-1])) > max(0.01, 1e-9 * abs(float(final))):
        log.warning("equity curve ends at %.2f, the ledger at %s", equity[-1], final)
    trades = tuple(engine.trades())
    metrics = compute(
        equity=equity,
        ends=ends,
        starts_at=int(starts[0]) if starts.size else 0,
        initial=float(engine.initial_cash),
        final=float(final),
        trades=trades,
        exposed_rows=exposed_rows,
    )
    return BacktestResult(
        strategy=strategy.name,
        params=strategy.params,
        start=micros_to_datetime(int(starts[0])) if starts.size else None,
        end=micros_to_datetime(int(ends[-1])) if ends.size else None,
        bars=int(equity.size),
        orders=engine.orders_placed,
        fills=engine.fill_count,
        refused=engine.refusals,
        trades=trades,
        initial_cash=engine.initial_cash,
        final_equity=final,
        commissions=engine.commissions,
        metrics=metrics,
        elapsed=elapsed,
        positions={str(p.instrument): f"{p.quantity.normalize():f}" for p in engine.positions() if p.quantity},
        error=failure.describe(strategy.name) if failure is not None else None,
        equity=equity,
        times=ends,
    )
