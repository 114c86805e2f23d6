"""Historical ticks (reqHistoricalTicks): counts, direction, sessions, and agreement with bars and quotes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ibbot.sim.instruments.calendar import IDEALPRO, US_EQUITY
from ibbot.sim.market.bars import SessionFilter, historical_bars
from ibbot.sim.market.path import PriceModel, PricePath
from ibbot.sim.market.series import BAR_SIZES, WhatToShow
from ibbot.sim.market.ticks import MidTick, QuoteTick, TickKind, Trade, historical_ticks
from unit.sim.support import AAPL

EURUSD = PriceModel(
    con_id=12087792, ref_price=1.08, annual_vol=0.07, min_tick=0.00005, calendar=IDEALPRO, typical_daily_volume=0
)
OPEN = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


def test_trades_from_a_start_complete_their_last_second() -> None:
    path = PricePath(AAPL, seed=1)
    ticks = historical_ticks(path, start=OPEN, end=None, count=100, what=TickKind.TRADES, sessions=SessionFilter.LIQUID)
    assert len(ticks) >= 100
    assert all(isinstance(t, Trade) for t in ticks)
    times = [t.time for t in ticks]
    assert times == sorted(times) and times[0] >= OPEN
    assert times[99] == times[-1]  # the extra ones share the 100th tick's second
    again = historical_ticks(path, start=OPEN, end=None, count=100, what=TickKind.TRADES, sessions=SessionFilter.LIQUID)
    assert again == ticks


def test_trades_up_to_an_end_are_the_latest_ones() -> None:
    path = PricePath(AAPL, seed=1)
    end = OPEN + timedelta(hours=2)
    ticks = historical_ticks(path, start=None, end=end, count=50, what=TickKind.TRADES, sessions=SessionFilter.LIQUID)
    assert len(ticks) >= 50
    assert ticks[-1].time <= end
    assert [t.time for t in ticks] == sorted(t.time for t in ticks)


def test_trade_ticks_agree_with_one_second_bars() -> None:
    path = PricePath(AAPL, seed=1)
    start = OPEN + timedelta(minutes=10)
    ticks = historical_ticks(
        path,
        start=start,
        end=start + timedelta(seconds=30),
        count=1000,
        what=TickKind.TRADES,
        sessions=SessionFilter.LIQUID,
    )
    seconds = historical_bars(
        path,
        start=start,
        end=start + timedelta(seconds=30),
        bar_size=BAR_SIZES["1 secs"],
        what=WhatToShow.TRADES,
        sessions=SessionFilter.LIQUID,
    )
    # a bar [a, a + 1) holds the prints stamped a + 1 (module doc); the first second's prints are stamped at start + 1
    total = sum(t.size for t in ticks if isinstance(t, Trade) and t.time > start)
    assert total == sum(b.volume for b in seconds)
    for bar in seconds:
        inside = [t for t in ticks if isinstance(t, Trade) and t.time == bar.start + timedelta(seconds=1)]
        assert all(bar.low <= t.price <= bar.high for t in inside)
        if inside:
            assert inside[-1].price == bar.close


def test_bid_ask_ticks_never_cross() -> None:
    path = PricePath(AAPL, seed=1)
    ticks = historical_ticks(
        path, start=OPEN, end=None, count=300, what=TickKind.BID_ASK, sessions=SessionFilter.LIQUID
    )
    assert len(ticks) == 300  # one change per second at most: no second to complete
    assert all(isinstance(t, QuoteTick) and t.bid < t.ask and t.bid_size > 0 for t in ticks)


def test_midpoint_ticks_are_changes_of_the_midpoint() -> None:
    path = PricePath(EURUSD, seed=1)
    ticks = historical_ticks(
        path, start=OPEN, end=None, count=20, what=TickKind.MIDPOINT, sessions=SessionFilter.ALWAYS
    )
    assert len(ticks) == 20
    prices = [t.price for t in ticks if isinstance(t, MidTick)]
    assert all(a != b for a, b in zip(prices, prices[1:], strict=False))


def test_rth_ticks_skip_the_night() -> None:
    path = PricePath(AAPL, seed=1)
    evening = datetime(2024, 3, 5, 21, 30, tzinfo=UTC)  # 16:30 New York
    ticks = historical_ticks(
        path, start=evening, end=None, count=10, what=TickKind.TRADES, sessions=SessionFilter.LIQUID
    )
    assert ticks[0].time >= datetime(2024, 3, 6, 14, 30, tzinfo=UTC)  # the next regular open


def test_no_trades_for_forex_and_none_before_the_head_date() -> None:
    assert (
        historical_ticks(
            PricePath(EURUSD, seed=1),
            start=OPEN,
            end=None,
            count=5,
            what=TickKind.TRADES,
            sessions=SessionFilter.ALWAYS,
        )
        == []
    )
    young = PriceModel(
        con_id=9, ref_price=10.0, annual_vol=0.3, min_tick=0.01, calendar=US_EQUITY, head_date=date(2024, 3, 6)
    )
    ticks = historical_ticks(
        PricePath(young, seed=1),
        start=None,
        end=OPEN + timedelta(days=1),
        count=5,
        what=TickKind.TRADES,
        sessions=SessionFilter.LIQUID,
    )
    assert all(t.time >= datetime(2024, 3, 6, tzinfo=UTC) for t in ticks)


def test_a_start_or_an_end_is_needed() -> None:
    with pytest.raises(ValueError):
        historical_ticks(
            PricePath(AAPL, seed=1), start=None, end=None, count=5, what=TickKind.TRADES, sessions=SessionFilter.LIQUID
        )
