"""The backtester: bars from files or the history cache through the strategy, the risk gate, the order manager
and the simulator's fill engine, on a manual clock; results, reports and parameter sweeps."""

from ibbot.backtest.data import BarSeries, read_cache, read_file, synthetic
from ibbot.backtest.driver import Backtest, BacktestSettings, run_backtest
from ibbot.backtest.results import BacktestResult

__all__ = [
    "Backtest",
    "BacktestResult",
    "BacktestSettings",
    "BarSeries",
    "read_cache",
    "read_file",
    "run_backtest",
    "synthetic",
]
