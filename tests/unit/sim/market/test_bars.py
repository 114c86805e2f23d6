"""Historical bars: sessions and holidays, agreement across bar sizes, every whatToShow, determinism."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from ibbot.sim.instruments.calendar import CME_EQUITY, TSE, US_EQUITY
from ibbot.sim.market.bar import Bar
from ibbot.sim.market.bars import SessionFilter, head_timestamp, historical_bars, intraday_spans
from ibbot.sim.market.path import PriceModel, PricePath
from ibbot.sim.market.series import BAR_SIZES, WhatToShow
from unit.sim.support import AAPL as SHARED_AAPL
from unit.sim.support import ES, EURUSD

W = WhatToShow
LIQUID, TRADING, ALWAYS = SessionFilter.LIQUID, SessionFilter.TRADING, SessionFilter.ALWAYS
AAPL = replace(SHARED_AAPL, dividend_yield=0.02)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def bars(
    model: PriceModel,
    start: datetime,
    end: datetime,
    size: str,
    what: WhatToShow = W.TRADES,
    sessions: SessionFilter = LIQUID,
    seed: int = 1,
) -> tuple[Bar, ...]:
    path = PricePath(model, seed=seed)
    return historical_bars(path, start=start, end=end, bar_size=BAR_SIZES[size], what=what, sessions=sessions)


TUESDAY = (utc(2024, 3, 5), utc(2024, 3, 6))


def test_a_day_of_one_minute_rth_bars_is_390() -> None:
    found = bars(AAPL, *TUESDAY, "1 min")
    assert len(found) == 390
    assert found[0].start == utc(2024, 3, 5, 14, 30)  # 09:30 New York
    assert found[-1].start == utc(2024, 3, 5, 20, 59)


def test_an_early_close_has_210_bars_and_a_holiday_none() -> None:
    assert len(bars(AAPL, utc(2024, 11, 29), utc(2024, 11, 30), "1 min")) == 210  # day after Thanksgiving
    assert bars(AAPL, utc(2024, 11, 28), utc(2024, 11, 29), "1 min") == ()  # Thanksgiving
    assert bars(AAPL, utc(2024, 11, 28), utc(2024, 11, 29), "1 day") == ()


def test_a_week_of_hourly_rth_bars_is_35_cut_at_the_open() -> None:
    found = bars(AAPL, utc(2024, 3, 4), utc(2024, 3, 9), "1 hour")
    assert len(found) == 35
    local = [b.start.astimezone(US_EQUITY.zone).strftime("%H:%M") for b in found[:7]]
    assert local == ["09:30", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]


def test_trading_hours_and_around_the_clock_cover_more() -> None:
    # 04:00-20:00 New York is 09:00-01:00 UTC; 00:00-01:00 UTC is Monday's last extended hour
    trading = bars(AAPL, *TUESDAY, "1 min", sessions=TRADING)
    assert len(trading) == 60 + 15 * 60
    assert trading[60].start == utc(2024, 3, 5, 9)
    assert len(bars(AAPL, *TUESDAY, "1 hour", sessions=ALWAYS)) == 24
    assert len(bars(AAPL, *TUESDAY, "1 hour", sessions=TRADING)) == 16


def test_one_day_of_one_second_bars_is_23400() -> None:
    started = time.perf_counter()
    found = bars(AAPL, *TUESDAY, "1 secs")
    elapsed = time.perf_counter() - started
    assert len(found) == 23_400
    assert found[1].start - found[0].start == timedelta(seconds=1)
    print(f"1 D of 1-sec bars: {elapsed * 1000:.0f} ms")  # informative only: timings are not asserted


def test_the_last_bar_is_partial_at_the_end() -> None:
    found = bars(AAPL, utc(2024, 3, 5), utc(2024, 3, 5, 15, 3, 27), "5 mins")
    assert found[-1].start == utc(2024, 3, 5, 15, 0)
    whole = bars(AAPL, utc(2024, 3, 5), utc(2024, 3, 5, 15, 5), "5 mins")
    assert found[-1].volume < whole[-1].volume


def test_bars_of_different_sizes_agree_at_common_boundaries() -> None:
    start, end = utc(2024, 3, 5, 14, 30), utc(2024, 3, 5, 16, 30)
    by_size = {size: bars(AAPL, start, end, size) for size in ("1 secs", "1 min", "5 mins", "30 mins", "1 hour")}
    hourly = by_size["1 hour"]
    for size, found in by_size.items():
        opens = {b.start: b.open for b in found}
        closes = {b.start: b.close for b in found}
        for bar in hourly:
            assert opens[bar.start] == bar.open, size
        last = {"1 secs": timedelta(seconds=1), "1 min": timedelta(minutes=1), "5 mins": timedelta(minutes=5)}
        if size in last:
            assert closes[hourly[0].start + timedelta(minutes=30) - last[size]] == hourly[0].close


def test_each_bar_opens_at_the_previous_close() -> None:
    found = bars(AAPL, *TUESDAY, "1 min")
    assert all(a.close == b.open for a, b in zip(found, found[1:], strict=False))


def test_volumes_add_up_across_bar_sizes() -> None:
    minutes = bars(AAPL, *TUESDAY, "1 min", sessions=TRADING)
    (day,) = bars(AAPL, *TUESDAY, "1 day", sessions=TRADING)
    hours = bars(AAPL, *TUESDAY, "1 hour", sessions=TRADING)
    # the daily bar is Tuesday's trading date, 04:00-20:00 New York; the minutes from 00:00 UTC include
    # Monday's last hour of extended trading, which the hourly bars hold in their first bar
    tuesday = [b for b in minutes if b.start >= utc(2024, 3, 5, 9)]
    assert day.volume == sum(b.volume for b in tuesday) == sum(b.volume for b in hours[1:])
    seconds = bars(AAPL, utc(2024, 3, 5, 15), utc(2024, 3, 5, 15, 10), "1 secs")
    ten = [b for b in minutes if utc(2024, 3, 5, 15) <= b.start < utc(2024, 3, 5, 15, 10)]
    assert sum(b.volume for b in seconds) == sum(b.volume for b in ten)


def test_one_minute_bars_have_their_seconds_range() -> None:
    seconds = bars(AAPL, utc(2024, 3, 5, 15), utc(2024, 3, 5, 15, 3), "1 secs")
    minutes = bars(AAPL, utc(2024, 3, 5, 15), utc(2024, 3, 5, 15, 3), "1 min")
    for i, minute in enumerate(minutes):
        inside = seconds[60 * i : 60 * (i + 1)]
        assert minute.high == max(b.high for b in inside)
        assert minute.low == min(b.low for b in inside)
        assert minute.open == inside[0].open and minute.close == inside[-1].close


def test_bars_are_the_same_whatever_was_asked_before() -> None:
    path = PricePath(AAPL, seed=4)
    size = BAR_SIZES["1 min"]
    first = historical_bars(path, start=TUESDAY[0], end=TUESDAY[1], bar_size=size, what=W.TRADES, sessions=LIQUID)
    historical_bars(
        path, start=utc(2020, 1, 1), end=utc(2021, 1, 1), bar_size=BAR_SIZES["1 day"], what=W.BID, sessions=LIQUID
    )
    historical_bars(
        path,
        start=utc(2024, 3, 5, 15),
        end=utc(2024, 3, 5, 16),
        bar_size=BAR_SIZES["1 secs"],
        what=W.TRADES,
        sessions=LIQUID,
    )
    again = historical_bars(path, start=TUESDAY[0], end=TUESDAY[1], bar_size=size, what=W.TRADES, sessions=LIQUID)
    assert first == again == bars(AAPL, *TUESDAY, "1 min", seed=4)
    assert bars(AAPL, *TUESDAY, "1 min", seed=5) != first


def test_trade_prices_are_on_the_tick_grid() -> None:
    for bar in bars(ES, utc(2024, 3, 5), utc(2024, 3, 6), "5 mins", sessions=TRADING):
        for price in (bar.open, bar.high, bar.low, bar.close):
            assert price / 0.25 == pytest.approx(round(price / 0.25), abs=1e-9)
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.low <= bar.wap <= bar.high


def test_quote_series_keep_their_order() -> None:
    for size in ("5 secs", "1 hour"):
        bid = bars(AAPL, *TUESDAY, size, W.BID)
        ask = bars(AAPL, *TUESDAY, size, W.ASK)
        mid = bars(AAPL, *TUESDAY, size, W.MIDPOINT)
        both = bars(AAPL, *TUESDAY, size, W.BID_ASK)
        for b, a, m, ba in zip(bid, ask, mid, both, strict=True):
            assert b.open < a.open and b.close < a.close
            assert m.open == pytest.approx((b.open + a.open) / 2)
            assert ba.low <= ba.open < ba.close <= ba.high  # avg bid < avg ask, within min bid .. max ask
            assert (b.volume, b.wap, b.count) == (-1, -1.0, -1)


def test_adjusted_last_scales_trades_by_the_dividend_yield() -> None:
    end = utc(2024, 3, 6)
    trades = bars(AAPL, end - timedelta(days=365), end, "1 day")
    adjusted = bars(AAPL, end - timedelta(days=365), end, "1 day", W.ADJUSTED_LAST)
    assert len(trades) == len(adjusted) > 240
    assert adjusted[0].close < trades[0].close * 0.99  # a year back: about 2 % lower
    assert adjusted[-1].close == pytest.approx(trades[-1].close, rel=1e-3)
    assert adjusted[0].volume == trades[0].volume


def test_volatility_series_are_annualised_and_plausible() -> None:
    end = utc(2024, 3, 6)
    hv = bars(AAPL, end - timedelta(days=90), end, "1 day", W.HISTORICAL_VOLATILITY)
    iv = bars(AAPL, end - timedelta(days=90), end, "1 day", W.OPTION_IMPLIED_VOLATILITY)
    assert len(hv) == len(iv) > 50
    assert all(0.05 < b.close < 0.9 for b in hv)
    assert all(0.1 < b.close < 0.9 for b in iv)
    assert len({b.close for b in hv}) > 10


def test_daily_bars_are_dated_by_trading_date() -> None:
    found = bars(ES, utc(2024, 3, 3), utc(2024, 3, 9), "1 day", sessions=TRADING)
    assert [b.trading_date for b in found] == [date(2024, 3, d) for d in (4, 5, 6, 7, 8)]
    # the session opens the evening before; the bar's start is local midnight of its date
    assert found[0].start.astimezone(CME_EQUITY.zone).date() == date(2024, 3, 4)
    intraday = bars(ES, utc(2024, 3, 4), utc(2024, 3, 9), "1 hour", sessions=TRADING)
    assert intraday[0].start == utc(2024, 3, 4)  # the Monday session opened Sunday 17:00 Chicago


def test_weeks_and_months_merge_trading_days() -> None:
    end = utc(2024, 7, 1)
    weeks = bars(AAPL, utc(2024, 4, 1), end, "1 week")
    months = bars(AAPL, utc(2024, 1, 1), end, "1 month")
    days = bars(AAPL, utc(2024, 1, 1), end, "1 day")
    assert len(weeks) == 13
    assert len(months) == 6
    assert months[0].trading_date == date(2024, 1, 2)
    assert sum(b.volume for b in months) == sum(b.volume for b in days)
    january = [b for b in days if b.trading_date is not None and b.trading_date.month == 1]
    assert months[0].open == january[0].open and months[0].close == january[-1].close
    assert months[0].high == max(b.high for b in january)


def test_tokyo_bars_skip_the_lunch_break() -> None:
    seven = PriceModel(con_id=7203, ref_price=3000.0, annual_vol=0.25, min_tick=1.0, calendar=TSE)
    found = bars(seven, utc(2024, 3, 5), utc(2024, 3, 6), "1 hour")
    local = [b.start.astimezone(TSE.zone).strftime("%H:%M") for b in found]
    assert local == ["09:00", "10:00", "11:00", "12:30", "13:00", "14:00", "15:00"]


def test_forex_has_no_trades_but_has_quotes() -> None:
    assert bars(EURUSD, *TUESDAY, "1 hour", W.TRADES) == ()
    mid = bars(EURUSD, *TUESDAY, "1 hour", W.MIDPOINT)
    assert len(mid) == 24 and all(0.5 < b.close < 2 for b in mid)


def test_nothing_before_the_head_date() -> None:
    young = PriceModel(
        con_id=5, ref_price=20.0, annual_vol=0.4, min_tick=0.01, calendar=US_EQUITY, head_date=date(2024, 3, 5)
    )
    found = bars(young, utc(2024, 3, 1), utc(2024, 3, 6), "1 day")
    assert [b.trading_date for b in found] == [date(2024, 3, 5)]
    path = PricePath(young, seed=1)
    assert head_timestamp(path, sessions=LIQUID) == utc(2024, 3, 5, 14, 30)
    assert head_timestamp(path, sessions=TRADING) == utc(2024, 3, 5, 9, 0)


def test_spans_align_to_the_local_clock() -> None:
    spans = intraday_spans(
        US_EQUITY, int(utc(2024, 3, 5).timestamp()), int(utc(2024, 3, 6).timestamp()), 4 * 3600, LIQUID
    )
    local = [datetime.fromtimestamp(a, US_EQUITY.zone).strftime("%H:%M") for a, _b, _d in spans]
    assert local == ["09:30", "12:00"]


@pytest.mark.parametrize("what", [W.TRADES, W.MIDPOINT, W.BID, W.ASK, W.BID_ASK])
@pytest.mark.parametrize(("size", "sessions"), [("30 mins", ALWAYS), ("1 hour", LIQUID), ("5 mins", TRADING)])
@pytest.mark.parametrize("model", [AAPL, replace(AAPL, around_the_clock=True), EURUSD])
def test_bars_read_from_the_grid_are_the_builders_bars(
    what: WhatToShow, size: str, sessions: SessionFilter, model: PriceModel
) -> None:
    from ibbot.sim.market import bars as bars_module

    start, end = utc(2024, 3, 4, 3, 17), utc(2024, 3, 7, 11, 43)  # cut bars at both ends
    fast = bars(model, start, end, size, what, sessions, seed=6)
    path = PricePath(model, seed=6)
    slow = tuple(
        bars_module._BUILDERS[what](
            bars_module._Context(path=path, end=int(end.timestamp()), exact=False, daily=False), lo, [(lo, hi)], day
        )
        for lo, hi, day in intraday_spans(model.calendar, int(start.timestamp()), int(end.timestamp()),
                                          BAR_SIZES[size].length, sessions)
        if what not in (W.TRADES,) or model.has_trades
    )  # fmt: skip
    assert fast == (slow if what is not W.TRADES or model.has_trades else ())


def test_a_long_bar_reads_points_inside_it_and_weighs_its_volume() -> None:
    liquid = replace(AAPL, around_the_clock=True)
    day = bars(liquid, *TUESDAY, "30 mins", sessions=ALWAYS)
    minutes = bars(liquid, *TUESDAY, "1 min", sessions=ALWAYS)
    for k, bar in enumerate(day):
        inside = minutes[30 * k : 30 * (k + 1)]
        assert bar.open == inside[0].open and bar.close == inside[-1].close
        assert max(b.high for b in inside) >= bar.high >= max(bar.open, bar.close)  # never outside the range
        assert min(b.low for b in inside) <= bar.low <= min(bar.open, bar.close)
        assert bar.volume == sum(b.volume for b in inside)
    assert sum(b.high > max(b.open, b.close) for b in day) > len(day) / 3  # wicks: points inside are read
