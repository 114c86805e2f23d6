"""IB's vocabulary for price series: the bar sizes (their texts and lengths) and whatToShow, which the market
builds bars for and the history and market-data requests name."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class BarUnit(enum.Enum):
    SECOND = "second"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


_UNIT_NOMINAL = {BarUnit.SECOND: 1, BarUnit.DAY: 86_400, BarUnit.WEEK: 604_800, BarUnit.MONTH: 2_592_000}


@dataclass(frozen=True, slots=True, kw_only=True)
class BarSize:
    """One of IB's bar sizes: `length` seconds for intraday bars, else one calendar day, week or month."""

    text: str
    length: int
    unit: BarUnit

    @property
    def intraday(self) -> bool:
        return self.unit is BarUnit.SECOND

    @property
    def seconds(self) -> int | None:
        """Length in seconds of an intraday bar; None for daily and longer bars."""
        return self.length if self.unit is BarUnit.SECOND else None

    @property
    def nominal_seconds(self) -> int:
        return self.length * _UNIT_NOMINAL[self.unit]


def _bar(text: str, length: int, unit: BarUnit = BarUnit.SECOND) -> BarSize:
    return BarSize(text=text, length=length, unit=unit)


# Every size IB offers, in order. "1 sec", "1 mins", "1 hours" are refused, as TWS refuses them.
BAR_SIZE_LIST: tuple[BarSize, ...] = (
    _bar("1 secs", 1),
    _bar("5 secs", 5),
    _bar("10 secs", 10),
    _bar("15 secs", 15),
    _bar("30 secs", 30),
    _bar("1 min", 60),
    _bar("2 mins", 120),
    _bar("3 mins", 180),
    _bar("5 mins", 300),
    _bar("10 mins", 600),
    _bar("15 mins", 900),
    _bar("20 mins", 1200),
    _bar("30 mins", 1800),
    _bar("1 hour", 3600),
    _bar("2 hours", 7200),
    _bar("3 hours", 10800),
    _bar("4 hours", 14400),
    _bar("8 hours", 28800),
    _bar("1 day", 1, BarUnit.DAY),
    _bar("1 week", 1, BarUnit.WEEK),
    _bar("1 month", 1, BarUnit.MONTH),
)
BAR_SIZES: dict[str, BarSize] = {b.text: b for b in BAR_SIZE_LIST}


class WhatToShow(enum.Enum):
    TRADES = "TRADES"
    MIDPOINT = "MIDPOINT"
    BID = "BID"
    ASK = "ASK"
    BID_ASK = "BID_ASK"
    ADJUSTED_LAST = "ADJUSTED_LAST"
    HISTORICAL_VOLATILITY = "HISTORICAL_VOLATILITY"
    OPTION_IMPLIED_VOLATILITY = "OPTION_IMPLIED_VOLATILITY"
