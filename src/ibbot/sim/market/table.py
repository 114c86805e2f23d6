"""Bars as columns: what a long historical answer is computed as and written from, without an object per bar.

Theory of operation: `BarTable` holds one list per field of `ibbot.sim.market.bars.Bar`, the start as epoch
seconds. The grids' bars (`ibbot.sim.market.gridbars`) are computed as columns; other bars are made one at
a time and put in a table with `of_bars`. `bars()` gives them back as `Bar`s, for readers of a few.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import chain

from ibbot.sim.market.bar import Bar, new_bar

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BarTable:
    """Bars, oldest first, as columns of equal length; `trading_date` is None for intraday bars."""

    start: Sequence[int]  # epoch seconds
    open: Sequence[float]
    high: Sequence[float]
    low: Sequence[float]
    close: Sequence[float]
    volume: Sequence[int]
    wap: Sequence[float]
    count: Sequence[int]
    trading_date: Sequence[date | None] | None = None

    def __len__(self) -> int:
        return len(self.start)

    @classmethod
    def of_bars(cls, bars: Sequence[Bar]) -> BarTable:
        daily = any(b.trading_date is not None for b in bars)
        return cls(
            start=[_epoch(b.start) for b in bars],
            open=[b.open for b in bars],
            high=[b.high for b in bars],
            low=[b.low for b in bars],
            close=[b.close for b in bars],
            volume=[b.volume for b in bars],
            wap=[b.wap for b in bars],
            count=[b.count for b in bars],
            trading_date=[b.trading_date for b in bars] if daily else None,
        )

    @classmethod
    def concat(cls, tables: Iterable[BarTable]) -> BarTable:
        parts = [t for t in tables if len(t)]
        if len(parts) == 1:
            return parts[0]
        dated = any(t.trading_date is not None for t in parts)
        return cls(
            start=list(chain.from_iterable(t.start for t in parts)),
            open=list(chain.from_iterable(t.open for t in parts)),
            high=list(chain.from_iterable(t.high for t in parts)),
            low=list(chain.from_iterable(t.low for t in parts)),
            close=list(chain.from_iterable(t.close for t in parts)),
            volume=list(chain.from_iterable(t.volume for t in parts)),
            wap=list(chain.from_iterable(t.wap for t in parts)),
            count=list(chain.from_iterable(t.count for t in parts)),
            trading_date=list(chain.from_iterable(t.dates() for t in parts)) if dated else None,
        )

    def dates(self) -> Sequence[date | None]:
        return self.trading_date if self.trading_date is not None else [None] * len(self)

    def bar(self, i: int) -> Bar:
        """Bar `i` (negative counts from the end)."""
        return new_bar(
            start=_EPOCH + timedelta(seconds=self.start[i]),
            open=self.open[i],
            high=self.high[i],
            low=self.low[i],
            close=self.close[i],
            volume=self.volume[i],
            wap=self.wap[i],
            count=self.count[i],
            trading_date=None if self.trading_date is None else self.trading_date[i],
        )

    def bars(self) -> tuple[Bar, ...]:
        return tuple(self.bar(i) for i in range(len(self)))


EMPTY = BarTable(start=(), open=(), high=(), low=(), close=(), volume=(), wap=(), count=())


def _epoch(moment: datetime) -> int:
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds
