"""Bars computed as columns (gridbars, sampled, minutes) are the one-bar-at-a-time builders' bars, bit for bit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ibbot.sim.market import bars as B
from ibbot.sim.market.bars import SessionFilter, historical_table
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.series import BAR_SIZES, WhatToShow
from ibbot.sim.market.table import BarTable
from unit.sim.support import AAPL, ES, EURUSD

END = datetime(2024, 3, 12, 18, 30, tzinfo=UTC)  # two days after the US daylight-saving change, 14:30 New York
MODELS = {"rth stock": AAPL, "around the clock": replace(AAPL, around_the_clock=True), "future": ES, "fx": EURUSD}
W = WhatToShow


def one_at_a_time(path: PricePath, start: datetime, size: str, what: WhatToShow, sessions: SessionFilter) -> BarTable:
    """The bars as the builders make them, one `Bar` each (the reference)."""
    a, b = int(start.timestamp()), int(END.timestamp())
    bar_size = BAR_SIZES[size]
    if bar_size.unit is B.BarUnit.SECOND:
        lo, hi, dates = B.intraday_columns(path.model.calendar, a, b, bar_size.length, sessions)
        groups = [(x, [(x, y)], d) for x, y, d in zip(lo.tolist(), hi.tolist(), dates, strict=True)]
        daily = False
    else:
        groups = B._period_groups(path.model.calendar, a, b, bar_size.unit, sessions)
        daily = True
    context = B._Context(path=path, end=b, exact=False, daily=daily)
    return BarTable.of_bars([B._BUILDERS[what](context, f, pieces, d) for f, pieces, d in groups])


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("sessions", list(SessionFilter))
@pytest.mark.parametrize(
    ("size", "days"),
    [
        ("1 min", 0.1),
        ("2 mins", 0.15),
        ("3 mins", 0.2),
        ("5 mins", 3),
        ("30 mins", 12),
        ("1 hour", 12),
        ("4 hours", 30),
        ("1 day", 60),
        ("1 week", 90),
    ],
)
def test_columns_are_the_builders_bars(name: str, sessions: SessionFilter, size: str, days: float) -> None:
    model = MODELS[name]
    start = END - timedelta(days=days, minutes=13)
    for what in (W.TRADES, W.MIDPOINT, W.BID, W.BID_ASK) if BAR_SIZES[size].intraday else (W.TRADES,):
        if what is W.TRADES and not model.has_trades:
            continue
        found = historical_table(
            PricePath(model, seed=4), start=start, end=END, bar_size=BAR_SIZES[size], what=what, sessions=sessions
        )
        expected = one_at_a_time(PricePath(model, seed=4), start, size, what, sessions)
        assert len(found) > 0
        assert found.bars() == expected.bars(), (name, sessions, size, what)
        assert [w.hex() for w in map(float, found.wap)] == [w.hex() for w in map(float, expected.wap)]
