from datetime import UTC, datetime, timedelta

import pytest

from ibbot.data.aggregate import BarAggregator, window_start
from ibbot.model import Bar, Instrument

SPY = Instrument.etf("SPY")
T0 = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)


def five(seconds: int, price: float, volume: float = 10.0) -> Bar:
    return Bar(
        instrument=SPY,
        time=T0 + timedelta(seconds=seconds),
        open=price,
        high=price + 1,
        low=price - 1,
        close=price + 0.5,
        volume=volume,
        wap=price,
        count=2,
        bar_size="5 secs",
    )


def test_windows_align_to_the_epoch() -> None:
    assert window_start(T0 + timedelta(seconds=299), 300) == T0
    assert window_start(T0 + timedelta(seconds=300), 300) == T0 + timedelta(minutes=5)


def test_a_one_minute_bar_is_emitted_with_the_input_bar_that_ends_it() -> None:
    agg = BarAggregator("1 min")
    out: list[Bar] = []
    for i in range(12):
        out += agg.add(five(5 * i, 100.0 + i))
    assert len(out) == 1
    bar = out[0]
    assert (bar.time, bar.open, bar.high, bar.low, bar.close) == (T0, 100.0, 112.0, 99.0, 111.5)
    assert (bar.volume, bar.count, bar.bar_size) == (120.0, 24, "1 min")
    assert bar.wap == pytest.approx(sum(100.0 + i for i in range(12)) / 12)
    assert agg.pending() is None


def test_a_gap_in_the_feed_closes_the_open_bar() -> None:
    agg = BarAggregator("1 min")
    assert agg.add(five(0, 100.0)) == []
    done = agg.add(five(65, 101.0))  # the next minute: the first is over, short as it is
    assert [b.time for b in done] == [T0]
    pending = agg.pending()
    assert pending is not None and pending.time == T0 + timedelta(minutes=1)


def test_repeated_input_after_a_reconnect_is_not_counted_twice() -> None:
    agg = BarAggregator("1 min")
    for i in range(6):
        agg.add(five(5 * i, 100.0))
    assert agg.add(five(10, 100.0)) == []  # a repeat
    out: list[Bar] = []
    for i in range(6, 12):
        out += agg.add(five(5 * i, 100.0))
    assert [b.volume for b in out] == [120.0]


def test_bar_sizes_must_be_multiples_of_the_input() -> None:
    with pytest.raises(ValueError, match="cannot be built"):
        BarAggregator("1 secs")


def test_the_first_window_joined_after_its_start_is_never_emitted() -> None:
    agg = BarAggregator("1 min")
    out: list[Bar] = []
    for i in range(3, 24):  # subscribed 15 s into the first minute
        out += agg.add(five(5 * i, 100.0))
    assert [b.time for b in out] == [T0 + timedelta(minutes=1)]
    assert out[0].volume == 120.0  # the second minute, whole
