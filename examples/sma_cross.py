"""An SMA crossover: long one unit while the fast average is above the slow one, short one unit below it.

    ibbot backtest examples/sma_cross.py --data bars.csv --param fast=5 --param slow=20
    ibbot run examples/sma_cross.py --target sim

The averages are kept as running sums (two additions and two subtractions a bar), so the strategy costs next to
nothing per bar; it trades only when the sign of fast - slow changes.
"""

from __future__ import annotations

from collections import deque

from ibbot import Strategy
from ibbot.model import Bar


class SmaCross(Strategy):
    symbol: str = "AAPL"
    bar_size: str = "1 min"
    fast: int = 10
    slow: int = 30
    quantity: int = 1

    def validate(self) -> None:
        if not 0 < self.fast < self.slow:
            raise ValueError(f"fast ({self.fast}) must be positive and below slow ({self.slow})")
        if self.quantity <= 0:
            raise ValueError(f"quantity must be positive, got {self.quantity}")

    def on_start(self) -> None:
        self.stock = self.instrument(self.symbol)
        self.subscribe_bars(self.stock, self.bar_size)
        self.closes: deque[float] = deque()
        self.fast_sum = 0.0
        self.slow_sum = 0.0
        self.side = 0  # +1 long, -1 short, 0 before the first signal

    def on_bar(self, bar: Bar) -> None:
        closes = self.closes
        closes.append(bar.close)
        self.slow_sum += bar.close
        self.fast_sum += bar.close
        count = len(closes)
        if count > self.fast:
            self.fast_sum -= closes[-self.fast - 1]
        if count > self.slow:
            self.slow_sum -= closes.popleft()
        elif count < self.slow:
            return
        side = 1 if self.fast_sum * self.slow > self.slow_sum * self.fast else -1
        if side != self.side:
            self.side = side
            self.order_target(self.stock, side * self.quantity)
