"""One historical bar of the simulated market (`ibbot.sim.market.bars` says where bars fall and what they hold)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ibbot.protocol.types import fast_constructor


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One historical bar; `volume` in shares (contracts); volume, wap and count are -1 for quote series."""

    start: datetime
    open: float
    high: float
    low: float
    close: float
    volume: int = -1
    wap: float = -1.0
    count: int = -1
    trading_date: date | None = None  # daily and longer bars: the (first) trading date


new_bar = fast_constructor(Bar)  # the same Bar at a fraction of Bar(...)'s cost: long answers build thousands
