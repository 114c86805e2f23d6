"""Live quotes: they join history, step incrementally, roll over trading days, and never cross."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from ibbot.sim.instruments.calendar import CME_EQUITY, US_EQUITY
from ibbot.sim.market.bars import SessionFilter, historical_bars
from ibbot.sim.market.feed import LiveBook, day_window, realtime_bar, snapshot
from ibbot.sim.market.path import PriceModel, PricePath
from ibbot.sim.market.profile import CLOSED, REGULAR
from ibbot.sim.market.series import BAR_SIZES, WhatToShow
from ibbot.sim.market.ticks import mids_between, quotes_between, trades_between
from unit.sim.support import AAPL, ES, EURUSD

TUESDAY_OPEN = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)  # 09:30 New York
DAY_START = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)  # 04:00 New York: the trading day's first session


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def close_at(path: PricePath, end: datetime, size: str) -> float:
    length = BAR_SIZES[size].length
    found = historical_bars(
        path,
        start=end - timedelta(seconds=length),
        end=end,
        bar_size=BAR_SIZES[size],
        what=WhatToShow.TRADES,
        sessions=SessionFilter.TRADING,
    )
    return found[-1].close


@pytest.mark.parametrize("moment", [TUESDAY_OPEN + timedelta(minutes=37), datetime(2024, 3, 5, 11, 15, tzinfo=UTC)])
def test_the_live_last_is_the_close_of_the_bar_ending_then(moment: datetime) -> None:
    path = PricePath(AAPL, seed=1)
    quote = snapshot(path, moment)
    assert quote.last == close_at(path, moment, "1 min") == close_at(path, moment, "1 secs")
    assert quote.last is not None and quote.bid <= quote.last <= quote.ask


def test_the_days_volume_is_the_sum_of_its_bars() -> None:
    path = PricePath(AAPL, seed=1)
    moment = TUESDAY_OPEN + timedelta(minutes=95, seconds=17)
    minutes = historical_bars(
        path,
        start=DAY_START,
        end=moment,
        bar_size=BAR_SIZES["1 min"],
        what=WhatToShow.TRADES,
        sessions=SessionFilter.TRADING,
    )
    assert snapshot(path, moment).volume == sum(b.volume for b in minutes)


def test_stepping_every_250_ms_gives_the_state_a_fresh_look_gives() -> None:
    book = LiveBook()
    start = TUESDAY_OPEN + timedelta(minutes=58, seconds=30)
    book.subscribe(PricePath(AAPL, seed=1), start)
    now = start
    while now < start + timedelta(minutes=3):
        now += timedelta(milliseconds=250)
        book.step(now)
        quote = book.quote(AAPL.con_id)
        assert quote.bid < quote.ask
        assert quote.low <= quote.last <= quote.high  # type: ignore[operator]
    fresh = snapshot(PricePath(AAPL, seed=1), now)
    stepped = book.quote(AAPL.con_id)
    same = ("time", "bid", "ask", "bid_size", "ask_size", "last", "volume", "open", "prev_close", "last_size", "state")
    assert {f: getattr(stepped, f) for f in same} == {f: getattr(fresh, f) for f in same}
    assert stepped.high >= fresh.high and stepped.low <= fresh.low  # type: ignore[operator]
    assert stepped.vwap == pytest.approx(fresh.vwap, rel=1e-3)


def test_within_a_second_only_a_liquid_markets_displayed_sizes_move() -> None:
    book = LiveBook()
    first = book.subscribe(PricePath(AAPL, seed=1), TUESDAY_OPEN + timedelta(seconds=10))
    quarters = [book.step(TUESDAY_OPEN + timedelta(seconds=10, milliseconds=ms)) for ms in (250, 500, 750)]
    assert [len(q) for q in quarters] == [1, 1, 1]  # regular hours: several quotes a second
    sizes = {(first.bid_size, first.ask_size), *((q[0].bid_size, q[0].ask_size) for q in quarters)}
    assert len(sizes) > 1
    for (quote,) in quarters:
        assert quote._replace(bid_size=0, ask_size=0) == first._replace(bid_size=0, ask_size=0)  # prices stay
        assert 0 < quote.bid_size <= 2 * first.bid_size and quote.bid_size % 100 == 0  # whole lots
    assert book.step(TUESDAY_OPEN + timedelta(seconds=10, milliseconds=900)) == []  # the same quarter
    moved = book.step(TUESDAY_OPEN + timedelta(seconds=11))
    assert [q.time for q in moved] == [first.time + 1]
    assert (moved[0].bid_size, moved[0].ask_size) == (
        snapshot(PricePath(AAPL, seed=1), TUESDAY_OPEN + timedelta(seconds=11)).bid_size,
        snapshot(PricePath(AAPL, seed=1), TUESDAY_OPEN + timedelta(seconds=11)).ask_size,
    )  # a whole second's first quote is the path's own
    night = LiveBook()
    night.subscribe(PricePath(AAPL, seed=1), TUESDAY_OPEN - timedelta(hours=10))  # closed: nothing moves
    assert night.step(TUESDAY_OPEN - timedelta(hours=10, milliseconds=-500)) == []
    liquid = LiveBook()
    liquid.subscribe(PricePath(replace(AAPL, around_the_clock=True), seed=1), TUESDAY_OPEN - timedelta(hours=10))
    assert len(liquid.step(TUESDAY_OPEN - timedelta(hours=10, milliseconds=-500))) == 1  # around the clock


def test_prints_between_steps_add_up_to_the_volume() -> None:
    path = PricePath(AAPL, seed=1)
    t0 = TUESDAY_OPEN + timedelta(minutes=5, milliseconds=250)
    t1 = t0 + timedelta(minutes=2, seconds=3)
    prints = trades_between(path, t0, t1)
    assert sum(p.size for p in prints) == snapshot(path, t1).volume - snapshot(path, t0).volume
    assert prints[-1].price == snapshot(path, t1).last
    assert all(t0 < p.time <= t1 for p in prints)
    middle = t0 + timedelta(seconds=61, milliseconds=500)
    assert trades_between(path, t0, middle) + trades_between(path, middle, t1) == prints
    assert all(p.size % 100 == 0 for p in prints)  # round lots


def test_quote_and_midpoint_changes_match_the_quotes() -> None:
    path = PricePath(AAPL, seed=1)
    t0 = TUESDAY_OPEN + timedelta(minutes=5)
    changes = quotes_between(path, t0, t0 + timedelta(seconds=90))
    assert changes and all(c.bid < c.ask for c in changes)
    last = changes[-1]
    quote = snapshot(path, last.time)
    assert (last.bid, last.ask, last.bid_size) == (quote.bid, quote.ask, quote.bid_size)
    mids = mids_between(path, t0, t0 + timedelta(seconds=90))
    assert all(a.price != b.price for a, b in zip(mids, mids[1:], strict=False))


def test_the_day_rolls_over_at_the_first_session() -> None:
    path = PricePath(AAPL, seed=1)
    book = LiveBook()
    before = DAY_START - timedelta(seconds=20)
    book.subscribe(path, before)
    assert book.quote(AAPL.con_id).volume > 0  # Monday's trading day, still running overnight
    now = before
    while now < DAY_START + timedelta(seconds=20):
        now += timedelta(milliseconds=250)
        book.step(now)
    quote = book.quote(AAPL.con_id)
    daily = historical_bars(
        path,
        start=datetime(2024, 3, 4, tzinfo=UTC),
        end=datetime(2024, 3, 5, tzinfo=UTC),
        bar_size=BAR_SIZES["1 day"],
        what=WhatToShow.TRADES,
        sessions=SessionFilter.LIQUID,
    )
    assert quote.prev_close == daily[-1].close  # Monday's RTH close
    assert quote.volume == snapshot(path, now).volume == path.volume(epoch(DAY_START), epoch(now)) * 100


def test_the_open_is_the_rth_open() -> None:
    path = PricePath(AAPL, seed=1)
    (rth,) = historical_bars(
        path,
        start=datetime(2024, 3, 5, tzinfo=UTC),
        end=datetime(2024, 3, 6, tzinfo=UTC),
        bar_size=BAR_SIZES["1 day"],
        what=WhatToShow.TRADES,
        sessions=SessionFilter.LIQUID,
    )
    assert snapshot(path, TUESDAY_OPEN + timedelta(hours=2)).open == rth.open
    book = LiveBook()
    book.subscribe(path, TUESDAY_OPEN - timedelta(seconds=3))
    for i in range(1, 25):
        book.step(TUESDAY_OPEN - timedelta(seconds=3) + timedelta(milliseconds=250 * i))
    assert book.quote(AAPL.con_id).open == rth.open


def test_forex_quotes_have_no_last_or_volume() -> None:
    quote = snapshot(PricePath(EURUSD, seed=1), TUESDAY_OPEN)
    assert quote.last is None and quote.volume == 0 and quote.vwap is None
    assert quote.ask - quote.bid == pytest.approx(0.00005)
    assert quote.bid_size % 100_000 == 0
    assert trades_between(PricePath(EURUSD, seed=1), TUESDAY_OPEN, TUESDAY_OPEN + timedelta(minutes=5)) == []


def test_the_state_says_whether_the_market_is_open() -> None:
    path = PricePath(AAPL, seed=1)
    assert snapshot(path, TUESDAY_OPEN + timedelta(hours=1)).state == REGULAR
    assert snapshot(path, datetime(2024, 3, 9, 15, tzinfo=UTC)).state == CLOSED  # Saturday: still streaming


def test_subscriptions_are_reference_counted() -> None:
    book = LiveBook()
    path = PricePath(AAPL, seed=1)
    book.subscribe(path, TUESDAY_OPEN)
    book.subscribe(path, TUESDAY_OPEN + timedelta(seconds=1))
    book.unsubscribe(AAPL.con_id)
    assert AAPL.con_id in book and len(book) == 1
    book.unsubscribe(AAPL.con_id)
    assert AAPL.con_id not in book
    book.unsubscribe(AAPL.con_id)  # unknown: ignored
    with pytest.raises(KeyError):
        book.quote(AAPL.con_id)


def test_a_long_jump_of_the_clock_rebuilds_the_state() -> None:
    book = LiveBook()
    path = PricePath(AAPL, seed=1)
    book.subscribe(path, TUESDAY_OPEN)
    later = TUESDAY_OPEN + timedelta(days=1, hours=1)
    (quote,) = book.step(later)
    assert quote == snapshot(PricePath(AAPL, seed=1), later)


def test_many_instruments_step_together() -> None:
    book = LiveBook()
    paths = [
        PricePath(
            PriceModel(con_id=10 + i, ref_price=20.0 + i, annual_vol=0.3, min_tick=0.01, calendar=US_EQUITY), seed=1
        )
        for i in range(40)
    ]
    paths.append(PricePath(ES, seed=1))
    for path in paths:
        book.subscribe(path, TUESDAY_OPEN + timedelta(seconds=50))
    now = TUESDAY_OPEN + timedelta(seconds=50)
    for _ in range(100):
        now += timedelta(milliseconds=250)
        for quote in book.step(now):
            assert quote.bid < quote.ask
    assert {book.quote(p.model.con_id).time for p in paths} == {epoch(now)}


def test_day_windows_follow_the_calendar() -> None:
    window = day_window(US_EQUITY, epoch(TUESDAY_OPEN))
    assert window.trading_date == date(2024, 3, 5)
    assert window.start == epoch(DAY_START)
    assert window.open_at == epoch(TUESDAY_OPEN)
    assert window.prev_close_at == epoch(datetime(2024, 3, 4, 21, tzinfo=UTC))
    saturday = day_window(US_EQUITY, epoch(datetime(2024, 3, 9, 12, tzinfo=UTC)))
    assert saturday.trading_date == date(2024, 3, 8)  # the weekend extends Friday
    futures = day_window(CME_EQUITY, epoch(datetime(2024, 3, 4, 23, 30, tzinfo=UTC)))
    assert futures.trading_date == date(2024, 3, 5)  # Globex: Tuesday's session opened Monday evening


def test_real_time_bars_are_the_five_second_bars() -> None:
    path = PricePath(AAPL, seed=1)
    start = TUESDAY_OPEN + timedelta(minutes=3, seconds=5)
    bar = realtime_bar(path, start)
    assert bar is not None and bar.start == start
    assert bar.close == snapshot(path, start + timedelta(seconds=5)).last
    assert realtime_bar(path, start + timedelta(seconds=2)) is None  # off the 5-second grid
    midpoint = realtime_bar(path, start, what=WhatToShow.MIDPOINT)
    assert midpoint is not None and midpoint.volume == -1
