"""The pure parts of historical answers: slicing that changes no bar, option bars, wire bars, histograms,
schedules and head timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ibbot.sim.history.answers import head_timestamp_text, histogram, parse_histogram_period, schedule_sessions
from ibbot.sim.history.build import (
    CALL_COST,
    BarJob,
    OptionTerms,
    WireBars,
    cut_points,
    option_bar,
    option_source,
    path_source,
    wire_bar,
)
from ibbot.sim.history.rules import Duration, DurationUnit, Rejection
from ibbot.sim.instruments.calendar import CME_EQUITY, US_EQUITY, ExchangeCalendar
from ibbot.sim.market.bar import Bar
from ibbot.sim.market.bars import SessionFilter, historical_bars
from ibbot.sim.market.path import PriceModel, PricePath
from ibbot.sim.market.series import BAR_SIZES, WhatToShow
from ibbot.sim.market.table import BarTable

W = WhatToShow
LIQUID, TRADING, ALWAYS = SessionFilter.LIQUID, SessionFilter.TRADING, SessionFilter.ALWAYS
STOCK = PricePath(
    PriceModel(con_id=1, ref_price=100.0, annual_vol=0.3, min_tick=0.01, calendar=US_EQUITY, dividend_yield=0.02),
    seed=7,
)
FUTURE = PricePath(
    PriceModel(con_id=2, ref_price=5000.0, annual_vol=0.18, min_tick=0.25, calendar=CME_EQUITY, lot_size=1), seed=7
)
END = datetime(2024, 3, 13, 17, 42, 10, tzinfo=UTC)  # a Wednesday, mid-session in New York and Chicago
EASTERN = ZoneInfo("US/Eastern")


def _sliced(path: PricePath, start: datetime, size: str, what: WhatToShow, sessions: SessionFilter) -> BarJob:
    source = path_source(path, bar_size=BAR_SIZES[size], what=what, sessions=sessions)
    return BarJob.plan(source, path.model.calendar, start, END, bar_size=BAR_SIZES[size], sessions=sessions)


@pytest.mark.parametrize(
    ("path", "days", "size", "what", "sessions"),
    [
        (STOCK, 3, "5 mins", W.TRADES, LIQUID),
        (STOCK, 3, "30 secs", W.BID_ASK, TRADING),
        (STOCK, 2, "1 hour", W.MIDPOINT, ALWAYS),
        (STOCK, 40, "1 day", W.TRADES, LIQUID),
        (STOCK, 40, "1 day", W.HISTORICAL_VOLATILITY, LIQUID),
        (STOCK, 60, "1 week", W.TRADES, TRADING),
        (STOCK, 100, "1 month", W.ASK, LIQUID),
        (FUTURE, 4, "15 mins", W.TRADES, TRADING),  # sessions open the evening before
        (FUTURE, 20, "1 day", W.TRADES, TRADING),
    ],
)
def test_slices_give_exactly_the_bars_of_the_whole_window(
    path: PricePath, days: int, size: str, what: WhatToShow, sessions: SessionFilter
) -> None:
    start = END - timedelta(days=days)
    whole = historical_bars(path, start=start, end=END, bar_size=BAR_SIZES[size], what=what, sessions=sessions)
    job = _sliced(path, start, size, what, sessions)
    assert len(job.slices) > 1
    while not job.done:
        job.advance(1.0)  # one slice at a time
    assert job.bars.bars() == whole
    assert whole


def test_a_budget_takes_several_slices_and_always_at_least_one() -> None:
    job = _sliced(STOCK, END - timedelta(days=5), "5 mins", W.TRADES, LIQUID)
    total = sum(cost for _, _, cost in job.slices)
    count = len(job.slices)
    assert job.advance(0.0) > 0 and len(job.slices) == count - 1  # at least one, whatever the budget
    budget = CALL_COST + total / 2  # a call's own cost, then half the slices'
    spent = job.advance(budget)
    assert CALL_COST < spent <= budget and len(job.slices) < count - 2  # several slices in one call
    job.advance(CALL_COST + total)
    assert job.done


def test_intraday_cuts_are_local_midnights_and_daily_cuts_are_session_starts() -> None:
    start = datetime(2024, 3, 8, 5, 0, tzinfo=UTC)  # Friday; Monday 11 March is after the DST change
    end = datetime(2024, 3, 12, 5, 0, tzinfo=UTC)
    cuts = cut_points(US_EQUITY, start, end, bar_size=BAR_SIZES["1 min"], sessions=LIQUID)
    assert [c.astimezone(EASTERN).hour for c in cuts] == [0, 0, 0, 0]
    daily = cut_points(US_EQUITY, start, end, bar_size=BAR_SIZES["1 day"], sessions=LIQUID)
    assert [c.astimezone(EASTERN).strftime("%a %H:%M") for c in daily] == ["Fri 09:30", "Mon 09:30"]
    weekly = cut_points(US_EQUITY, start, end, bar_size=BAR_SIZES["1 week"], sessions=LIQUID)
    assert [c.astimezone(EASTERN).strftime("%a %H:%M") for c in weekly] == ["Mon 09:30"]


def test_adjusted_last_is_one_slice() -> None:
    source = path_source(STOCK, bar_size=BAR_SIZES["1 hour"], what=W.ADJUSTED_LAST, sessions=LIQUID)
    job = BarJob.plan(
        source,
        US_EQUITY,
        END - timedelta(days=5),
        END,
        bar_size=BAR_SIZES["1 hour"],
        sessions=LIQUID,
        divisible=False,
    )
    assert len(job.slices) == 1


def _terms(right: str) -> OptionTerms:
    return OptionTerms(right=right, strike=100.0, expires=END + timedelta(days=30), atm_vol=0.3, rate=0.04)


@pytest.mark.parametrize("right", ["C", "P"])
def test_option_bars_are_ordered_quotes_that_move_with_the_underlying(right: str) -> None:
    under = Bar(start=END - timedelta(hours=1), open=100.0, high=103.0, low=98.0, close=101.0)
    bid = option_bar(under, _terms(right), W.BID)
    ask = option_bar(under, _terms(right), W.ASK)
    mid = option_bar(under, _terms(right), W.MIDPOINT)
    both = option_bar(under, _terms(right), W.BID_ASK)
    for bar in (bid, ask, mid):
        assert 0 < bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
    assert bid.close < mid.close < ask.close
    assert (both.open, both.high, both.low, both.close) == (bid.open, ask.high, bid.low, ask.close)
    rises = mid.close > mid.open  # the underlying rose from 100 to 101
    assert rises is (right == "C")
    assert mid.volume == -1


def test_option_source_has_no_trades() -> None:
    with pytest.raises(ValueError):
        option_source(STOCK, _terms("C"), bar_size=BAR_SIZES["1 hour"], what=W.TRADES, sessions=LIQUID)
    bars = option_source(STOCK, _terms("C"), bar_size=BAR_SIZES["1 hour"], what=W.MIDPOINT, sessions=LIQUID)(
        END - timedelta(days=1), END
    )
    assert len(bars) == 2 + 5  # from 13:42 New York on Tuesday: 14:00, 15:00; Wednesday 09:30 .. 13:00


def test_wire_bars_in_each_date_form_and_round_lots() -> None:
    bar = Bar(
        start=datetime(2024, 3, 12, 13, 30, tzinfo=UTC),
        open=1,
        high=2,
        low=0.5,
        close=1.5,
        volume=12_345,
        wap=1.2,
        count=9,
    )
    one = wire_bar(bar, bar_size=BAR_SIZES["1 min"], format_date=1, zone=EASTERN)
    assert one.date == "20240312 09:30:00 US/Eastern" and one.volume == Decimal(12_345) and one.bar_count == 9
    two = wire_bar(bar, bar_size=BAR_SIZES["1 min"], format_date=2, zone=EASTERN, lot=100)
    assert two.date == "1710250200" and two.volume == Decimal(123)
    day = wire_bar(bar, bar_size=BAR_SIZES["1 day"], format_date=2, zone=EASTERN)
    assert day.date == "20240312"
    quote = wire_bar(
        Bar(start=bar.start, open=1, high=1, low=1, close=1),
        bar_size=BAR_SIZES["1 min"],
        format_date=1,
        zone=EASTERN,
        lot=100,
    )
    assert quote.volume == Decimal(-1) and quote.wap == Decimal(-1)


def test_histogram_spreads_volume_over_levels_and_keeps_the_total() -> None:
    t = datetime(2024, 3, 12, 14, 0, tzinfo=UTC)
    bars = [
        Bar(start=t, open=10.0, high=10.5, low=10.0, close=10.5, volume=1_000),
        Bar(start=t, open=10.5, high=11.0, low=10.2, close=10.9, volume=777),
        Bar(start=t, open=1.0, high=1.0, low=1.0, close=1.0, volume=-1),  # a quote bar counts nothing
    ]
    items = histogram(bars, tick=0.01, levels=10)
    assert sum(i.count for i in items) == 1_777
    prices = [i.price for i in items]
    assert prices == sorted(prices) and prices[0] == 10.0 and len(items) <= 11
    assert histogram([], tick=0.01) == ()


def test_histogram_periods() -> None:
    assert parse_histogram_period("3 days") == Duration(count=3, unit=DurationUnit.DAYS)
    assert parse_histogram_period("1 week") == Duration(count=1, unit=DurationUnit.WEEKS)
    assert parse_histogram_period("2 months") == Duration(count=2, unit=DurationUnit.MONTHS)
    assert parse_histogram_period("1 Y") == Duration(count=1, unit=DurationUnit.YEARS)
    for bad in ("", "days", "0 days", "3 fortnights"):
        refusal = parse_histogram_period(bad)
        assert isinstance(refusal, Rejection) and refusal.code == 321


def test_schedule_sessions_and_head_timestamp_text() -> None:
    calendar: ExchangeCalendar = US_EQUITY
    start = datetime(2024, 3, 28, 4, 0, tzinfo=UTC)  # Thursday before Good Friday
    sessions = schedule_sessions(calendar, start, datetime(2024, 4, 2, 4, 0, tzinfo=UTC), liquid=True)
    assert [s.ref_date for s in sessions] == ["20240328", "20240401"]
    assert (sessions[0].start, sessions[0].end) == ("20240328-09:30:00", "20240328-16:00:00")
    moment = datetime(2004, 1, 2, 14, 30, tzinfo=UTC)
    assert head_timestamp_text(moment, 1) == "20040102-14:30:00"
    assert head_timestamp_text(moment, 2) == "1073053800"
    assert date(2024, 3, 29) not in {datetime.strptime(s.ref_date, "%Y%m%d").date() for s in sessions}


@pytest.mark.parametrize("zone_name", ["US/Eastern", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "UTC"])
@pytest.mark.parametrize(
    ("size", "format_date"), [("30 mins", 1), ("5 mins", 1), ("1 min", 2), ("1 hour", 1), ("1 day", 1), ("1 day", 2)]
)
def test_wire_bars_of_an_answer_are_wire_bar_each(zone_name: str, size: str, format_date: int) -> None:
    zone = ZoneInfo(zone_name)
    start = datetime(2024, 3, 30, tzinfo=UTC)  # across the northern and southern daylight-saving changes
    step = BAR_SIZES[size].seconds or 86_400
    bars = [
        Bar(start=start + timedelta(seconds=step * k), open=1.0, high=2.0, low=0.5, close=1.5, volume=1234 + k,
            wap=1.25 + k / 1000, count=7)
        for k in range(24 * 9 * 3600 // step)
    ]  # fmt: skip
    writer = WireBars(bar_size=BAR_SIZES[size], format_date=format_date, zone=zone, lot=100)
    expected = [wire_bar(b, bar_size=BAR_SIZES[size], format_date=format_date, zone=zone, lot=100) for b in bars]
    assert [writer(b) for b in bars] == expected
    again = WireBars(bar_size=BAR_SIZES[size], format_date=format_date, zone=zone, lot=100)
    found = again.columns(BarTable.of_bars(bars[:5])).bars() + again.columns(BarTable.of_bars(bars[5:])).bars()
    assert found == tuple(expected)  # as columns, in two calls
