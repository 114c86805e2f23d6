"""Bar aggregation: IB's 5-second real-time bars (or any finer bars) rolled up into N-minute bars, pure.

Theory of operation: output bars are aligned to multiples of their size since the Unix epoch, as IB aligns its
own (a 5-minute bar starts at :00, :05, ...). An output bar is emitted as soon as the input bar that ends its
window arrives (no wait for the next window), or when an input bar of a later window shows the window is over
(a gap in the feed). Input bars older than the bar being built are ignored: after a reconnect the feed may
repeat what it already sent, and a bar is never emitted twice. The first window is emitted only if the first
input bar opens it: a subscription made mid-window would otherwise yield a bar missing its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ibbot.model import Bar, BarSize, Instrument

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(moment: datetime, seconds: int) -> datetime:
    """The start of the `seconds`-long window, aligned to the epoch, that contains `moment`."""
    offset = int((moment - _EPOCH).total_seconds()) // seconds * seconds
    return _EPOCH + timedelta(seconds=offset)


@dataclass(slots=True)
class _Building:
    instrument: Instrument
    time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    count: int
    notional: float  # sum of wap x volume, for the output bar's wap
    partial: bool = False  # the first window, joined after its start: never emitted


class BarAggregator:
    """Feed input bars with `add`; each call returns the output bars it completed (zero or one, two on a gap)."""

    def __init__(self, bar_size: str, *, input_seconds: int = 5) -> None:
        size = BarSize.parse(bar_size)
        if size.seconds % input_seconds or size.seconds < input_seconds:
            raise ValueError(f"{size} bars cannot be built from {input_seconds}-second bars")
        self._size = size
        self._input = input_seconds
        self._building: _Building | None = None
        self._last_input: datetime | None = None

    @property
    def bar_size(self) -> BarSize:
        return self._size

    def add(self, bar: Bar) -> list[Bar]:
        if self._last_input is not None and bar.time <= self._last_input:
            return []  # repeated after a reconnect, or out of order: never counted twice
        first = self._last_input is None
        self._last_input = bar.time
        start = window_start(bar.time, self._size.seconds)
        done: list[Bar] = []
        current = self._building
        if current is not None and current.time != start:
            if not current.partial:
                done.append(self._as_bar(current))
            current = None
        wap_volume = (bar.wap if bar.wap == bar.wap else bar.close) * bar.volume  # NaN wap: use the close
        if current is None:
            current = _Building(
                bar.instrument, start, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.count, wap_volume,
                partial=first and bar.time != start,
            )  # fmt: skip
        else:
            current.high = max(current.high, bar.high)
            current.low = min(current.low, bar.low)
            current.close = bar.close
            current.volume += bar.volume
            current.count += bar.count
            current.notional += wap_volume
        self._building = current
        if bar.time + timedelta(seconds=self._input) >= start + self._size.delta:
            if not current.partial:
                done.append(self._as_bar(current))
            self._building = None
        return done

    def pending(self) -> Bar | None:
        """The bar being built, as it stands (for a live view); None between bars."""
        building = self._building
        return None if building is None or building.partial else self._as_bar(building)

    def _as_bar(self, b: _Building) -> Bar:
        return Bar(
            instrument=b.instrument,
            time=b.time,
            open=b.open,
            high=b.high,
            low=b.low,
            close=b.close,
            volume=b.volume,
            wap=b.notional / b.volume if b.volume else b.close,
            count=b.count,
            bar_size=self._size.text,
        )
