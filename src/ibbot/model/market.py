"""Market data values: bar sizes, bars, quotes with their data quality, and trade ticks.

Prices and sizes here are floats, as they arrive on the wire; what gets summed (orders, fills, positions, PnL)
is `Decimal` in `ibbot.model.orders` and `ibbot.model.account`. Times are aware UTC datetimes.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from ibbot.model.instruments import Instrument


class DataQuality(enum.Enum):
    """IB's market data types (reqMarketDataType 1-4): what a quote is worth."""

    LIVE = 1
    FROZEN = 2  # the last live values, after the close
    DELAYED = 3  # 15-20 minutes late, for instruments without a subscription
    DELAYED_FROZEN = 4

    @property
    def is_delayed(self) -> bool:
        return self in (DataQuality.DELAYED, DataQuality.DELAYED_FROZEN)


_UNIT_SECONDS = {"sec": 1, "min": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
_BAR_SIZE = re.compile(r"^\s*(\d+)\s*([A-Za-z]+?)s?\s*$")


@dataclass(frozen=True, slots=True)
class BarSize:
    """A bar size as IB names it ("1 min", "5 secs", "1 day"); `seconds` is its length (a month counts 30 days)."""

    text: str
    seconds: int

    @classmethod
    def parse(cls, text: str) -> BarSize:
        match = _BAR_SIZE.match(text)
        unit = match.group(2).lower() if match else ""
        if match is None or unit not in _UNIT_SECONDS or int(match.group(1)) <= 0:
            raise ValueError(f"bar size {text!r} is not like '5 secs', '1 min', '2 mins', '1 hour' or '1 day'")
        count = int(match.group(1))
        # IB's spelling: seconds are always "secs"; other units are plural only above one ("1 min", "2 mins").
        name = f"{unit}s" if unit == "sec" or count != 1 else unit
        return cls(text=f"{count} {name}", seconds=count * _UNIT_SECONDS[unit])

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    @property
    def is_intraday(self) -> bool:
        return self.seconds < 86400

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """An OHLCV bar that starts at `time` (UTC) and lasts one `bar_size`."""

    instrument: Instrument
    time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    wap: float = math.nan
    count: int = 0
    bar_size: str = "1 min"

    @property
    def end(self) -> datetime:
        return self.time + BarSize.parse(self.bar_size).delta


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """The top of book and last trade of one instrument at `time`; NaN where IB has not sent a value."""

    instrument: Instrument
    time: datetime
    bid: float = math.nan
    ask: float = math.nan
    last: float = math.nan
    bid_size: float = math.nan
    ask_size: float = math.nan
    last_size: float = math.nan
    volume: float = math.nan
    close: float = math.nan  # the previous session's close
    quality: DataQuality = DataQuality.LIVE

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2

    @property
    def spread(self) -> float:
        return self.ask - self.bid

    @property
    def is_delayed(self) -> bool:
        return self.quality.is_delayed

    def price(self) -> float:
        """The best single price: the midpoint when both sides are there, else the last trade, else the close."""
        if not math.isnan(self.bid) and not math.isnan(self.ask) and self.bid > 0 and self.ask > 0:
            return self.mid
        return self.last if not math.isnan(self.last) else self.close


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeTick:
    """One trade print (tick-by-tick "Last"/"AllLast")."""

    instrument: Instrument
    time: datetime
    price: float
    size: float
    exchange: str = ""
    conditions: str = ""
