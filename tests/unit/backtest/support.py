"""Small hand-made bar series and a scripted strategy for the backtester's tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from ibbot import Strategy
from ibbot.backtest.data import BarSeries, bar_size_of, to_micros
from ibbot.model import Bar, Instrument, Order
from ibbot.strategy import Execution

START = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
Row = tuple[float, float, float, float, float]  # open, high, low, close, volume


def series(
    rows: Sequence[Row], *, start: datetime = START, bar_seconds: int = 60, instrument: Instrument | None = None
) -> BarSeries:
    columns = np.array(rows, dtype=np.float64).reshape(-1, 5)
    times = to_micros(start) + np.arange(len(rows), dtype=np.int64) * bar_seconds * 1_000_000
    return BarSeries(
        instrument=instrument, bar_size=bar_size_of(bar_seconds), times=times, open=columns[:, 0],
        high=columns[:, 1], low=columns[:, 2], close=columns[:, 3], volume=columns[:, 4],
    )  # fmt: skip


def flat(count: int, price: float = 100.0, volume: float = 1_000.0) -> list[Row]:
    return [(price, price, price, price, volume)] * count


Action = Callable[["Script"], object]


class Script(Strategy):
    """Does `plan[i](self)` at the close of bar i; records every hook call."""

    symbol: str = "AAPL"

    def __init__(self, plan: dict[int, Action] | None = None, **params: object) -> None:
        super().__init__(params)
        self.plan = plan or {}
        self.bars: list[Bar] = []
        self.fills: list[Execution] = []
        self.orders: list[Order] = []
        self.results: dict[int, object] = {}
        self.stopped = 0

    def on_start(self) -> None:
        self.stock = self.instrument(self.symbol)
        self.subscribe_bars(self.stock, "1 min")

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)
        action = self.plan.get(len(self.bars) - 1)
        if action is not None:
            self.results[len(self.bars) - 1] = action(self)

    def on_fill(self, fill: Execution) -> None:
        self.fills.append(fill)

    def on_order(self, order: Order) -> None:
        self.orders.append(order)

    def on_stop(self) -> None:
        self.stopped += 1


def d(value: str | int | float) -> Decimal:
    return Decimal(str(value))
