import math
from datetime import UTC, datetime, timedelta

import pytest

from ibbot.model import Bar, BarSize, DataQuality, Instrument, Quote


@pytest.mark.parametrize(
    ("text", "canonical", "seconds"),
    [
        ("1 secs", "1 secs", 1),
        ("5 sec", "5 secs", 5),
        ("1 min", "1 min", 60),
        ("2 mins", "2 mins", 120),
        ("1 hours", "1 hour", 3600),
        ("1 day", "1 day", 86400),
        ("1 week", "1 week", 604800),
        ("1 month", "1 month", 2592000),
    ],
)
def test_bar_sizes_are_read_and_spelled_as_ib_spells_them(text: str, canonical: str, seconds: int) -> None:
    size = BarSize.parse(text)
    assert (size.text, size.seconds) == (canonical, seconds)


@pytest.mark.parametrize("text", ["", "min", "0 mins", "3 fortnights", "1.5 min"])
def test_bad_bar_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="bar size"):
        BarSize.parse(text)


def test_a_bar_ends_one_bar_size_after_it_starts() -> None:
    start = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    bar = Bar(instrument=Instrument.stock("AAPL"), time=start, open=1, high=2, low=0.5, close=1.5, bar_size="5 mins")
    assert bar.end == start + timedelta(minutes=5)


def test_a_quote_prices_at_the_midpoint_then_the_last_then_the_close() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    spy = Instrument.etf("SPY")
    assert Quote(instrument=spy, time=now, bid=99.0, ask=101.0, last=50.0).price() == 100.0
    assert Quote(instrument=spy, time=now, last=50.0, close=40.0).price() == 50.0
    assert Quote(instrument=spy, time=now, close=40.0).price() == 40.0
    assert math.isnan(Quote(instrument=spy, time=now).price())


def test_delayed_quality_is_known_as_delayed() -> None:
    assert DataQuality.DELAYED.is_delayed and DataQuality.DELAYED_FROZEN.is_delayed
    assert not DataQuality.LIVE.is_delayed and not DataQuality.FROZEN.is_delayed
