"""The parity test's strategy: an SMA 2/3 cross on 30-second bars, noting each order it places and the bar it
placed it on (a backtest and a paper run over the same span must note the same)."""

from __future__ import annotations

from decimal import Decimal

from ibbot import Strategy
from ibbot.model import Bar


class Cross(Strategy):
    fast: int = 2
    slow: int = 3

    def on_start(self) -> None:
        self.stock = self.instrument("AAPL")
        self.subscribe_bars(self.stock, "30 secs")
        self.placed: list[tuple[str, str, Decimal]] = []  # (bar time, side, quantity)
        self.bars: list[Bar] = []

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)
        closes = [b.close for b in self.history(self.stock, self.slow)]
        if len(closes) < self.slow:
            return
        fast = sum(closes[-self.fast :]) / self.fast
        slow = sum(closes) / self.slow
        order = self.order_target(self.stock, 1 if fast > slow else -1)
        if order is not None:
            self.placed.append((bar.time.isoformat(), order.side.value, order.request.quantity))
