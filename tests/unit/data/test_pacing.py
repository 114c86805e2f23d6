"""The pure core: token bucket, historical pacing rules and line budgets, with explicit `now` values."""

from __future__ import annotations

import pytest

from ibbot.data.limits import GovernorLimits, Scope
from ibbot.data.pacing import (
    HistoricalPacer,
    HistoricalRequest,
    LineBudget,
    LineKind,
    TokenBucket,
    bar_seconds_of,
)
from ibbot.errors import MarketDataLimitError

EXACT = GovernorLimits(pacing_margin=0.0)


def bars(contract: object = 1, *, what: str = "TRADES", end: str = "", exchange: str = "SMART", size: str = "30 secs"):
    return HistoricalRequest.for_bars(
        contract=contract, exchange=exchange, what_to_show=what, bar_size=size, end=end, duration="1800 S"
    )


# -- token bucket ---------------------------------------------------------------------------------------------


def test_bucket_starts_full_and_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=10.0, capacity=5, now=0.0)
    bucket.take(5, 0.0)
    assert bucket.delay(1, 0.0) == pytest.approx(0.1)
    assert bucket.delay(3, 0.05) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="not available"):
        bucket.take(1, 0.05)
    bucket.take(1, 0.1)
    assert bucket.available(100.0) == 5  # never more than its capacity


def test_bucket_refuses_more_than_its_capacity_and_takes_back_unused_tokens() -> None:
    bucket = TokenBucket(rate=10.0, capacity=5, now=0.0)
    with pytest.raises(ValueError, match="capacity"):
        bucket.delay(6, 0.0)
    bucket.take(2, 0.0)
    bucket.give_back(4)
    assert bucket.available(0.0) == 5


def test_unlimited_bucket_never_waits() -> None:
    bucket = TokenBucket(rate=None, capacity=3, now=0.0)
    for _ in range(100):
        bucket.take(3, 0.0)
    assert bucket.delay(3, 0.0) == 0


# -- historical pacing ----------------------------------------------------------------------------------------


def test_bar_sizes() -> None:
    assert [bar_seconds_of(t) for t in ("1 secs", "30 secs", "1 min", "2 mins", "1 hour", "1 day", "1 W", "1 M")] == [
        1, 30, 60, 120, 3600, None, None, None
    ]  # fmt: skip
    with pytest.raises(ValueError):
        bar_seconds_of("1 fortnight")


def test_identical_request_waits_15_s_exactly() -> None:
    pacer = HistoricalPacer(EXACT)
    pacer.record(bars(end="A"), 0.0)
    assert pacer.delay(bars(end="A"), 14.999) == pytest.approx(0.001)
    assert pacer.wait(bars(end="A"), 14.0).rule is not None
    assert pacer.wait(bars(end="A"), 14.0).rule.scope is Scope.IDENTICAL  # type: ignore[union-attr]
    assert not pacer.wait(bars(end="A"), 14.0).shared  # other requests may pass it
    assert pacer.delay(bars(end="A"), 15.0) == 0  # exactly 15 s later it has left the window
    assert pacer.delay(bars(end="B"), 0.0) == 0  # another end is not identical


def test_identity_ignores_case_of_exchange_and_tick_type() -> None:
    pacer = HistoricalPacer(EXACT)
    pacer.record(bars(what="trades", exchange="smart"), 0.0)
    assert pacer.delay(bars(what="TRADES", exchange="SMART"), 1.0) > 0


def test_sixth_request_for_one_series_within_2_s_waits() -> None:
    pacer = HistoricalPacer(EXACT)
    for i in range(5):
        pacer.record(bars(end=str(i)), i * 0.1)
    assert pacer.delay(bars(end="x"), 0.5) == pytest.approx(1.5)  # until the first leaves at 2.0
    assert pacer.delay(bars(end="x"), 2.0) == 0
    assert pacer.delay(bars(contract=2, end="x"), 0.5) == 0  # another contract
    assert pacer.delay(bars(what="MIDPOINT", end="x"), 0.5) == 0  # another tick type
    assert pacer.delay(bars(exchange="ISLAND", end="x"), 0.5) == 0  # another exchange


def test_bid_ask_counts_double() -> None:
    pacer = HistoricalPacer(EXACT)
    for i in range(2):
        pacer.record(bars(what="BID_ASK", end=str(i)), i * 0.1)
    series = next(r for r in EXACT.historical_rules if r.scope is Scope.SERIES)
    assert pacer.weight_in(series, bars(what="BID_ASK"), 0.2) == 4
    assert pacer.delay(bars(what="BID_ASK", end="x"), 0.2) == pytest.approx(1.8)  # 4 + 2 > 5
    pacer.record(bars(what="BID_ASK", end="y"), 2.0)  # the first has left: 2 + 2
    assert pacer.weight_in(series, bars(what="BID_ASK"), 2.0) == 4


def test_sixty_in_ten_minutes_is_shared_by_every_contract() -> None:
    pacer = HistoricalPacer(EXACT)
    for i in range(60):
        pacer.record(bars(contract=i), i * 1.0)
    wait = pacer.wait(bars(contract=1000), 60.0)
    assert wait.seconds == pytest.approx(540.0)  # the first leaves at 600
    assert wait.shared and wait.rule is not None and wait.rule.scope is Scope.ALL
    assert pacer.delay(bars(contract=1000), 600.0) == 0
    assert pacer.delay(bars(contract=1000, what="BID_ASK"), 600.0) == pytest.approx(1.0)  # needs two to leave


def test_daily_and_long_bars_are_not_paced_but_take_slots() -> None:
    pacer = HistoricalPacer(EXACT)
    for i in range(60):
        pacer.record(bars(contract=i), 0.0)
    assert pacer.delay(bars(size="1 day"), 0.0) == 0
    assert pacer.delay(bars(size="1 min"), 0.0) == 0
    assert pacer.delay(bars(size="30 secs", contract=99), 0.0) > 0
    ticks = HistoricalRequest(contract=99, exchange="SMART", what_to_show="TRADES", bar_seconds=0)
    assert pacer.delay(ticks, 0.0) > 0  # historical ticks are paced
    for _ in range(50):
        pacer.open()
    assert not pacer.has_slot
    with pytest.raises(ValueError):
        pacer.open()
    pacer.close()
    assert pacer.has_slot and pacer.open_count == 49


def test_realtime_bars_count_once_in_the_ten_minute_rule_only() -> None:
    pacer = HistoricalPacer(EXACT)
    realtime = HistoricalRequest(contract=1, exchange="", what_to_show="BID_ASK", bar_seconds=5, realtime_bars=True)
    for i in range(10):
        pacer.record(realtime, i * 0.01)  # no identical or series rule for subscriptions
    every = next(r for r in EXACT.historical_rules if r.scope is Scope.ALL)
    assert pacer.weight_in(every, realtime, 0.1) == 10


def test_back_off_holds_every_request() -> None:
    pacer = HistoricalPacer(EXACT)
    pacer.back_off(5.0)
    wait = pacer.wait(bars(), 1.0)
    assert wait.seconds == pytest.approx(4.0) and wait.shared
    assert pacer.delay(bars(size="1 day"), 1.0) == pytest.approx(4.0)
    assert pacer.delay(bars(), 5.0) == 0


def test_margin_lengthens_every_window() -> None:
    pacer = HistoricalPacer(GovernorLimits(pacing_margin=0.25))
    pacer.record(bars(), 0.0)
    assert pacer.delay(bars(), 15.0) == pytest.approx(0.25)
    assert pacer.delay(bars(), 15.25) == 0


# -- line budget ----------------------------------------------------------------------------------------------


def test_lines_are_shared_by_market_data_and_realtime_bars() -> None:
    budget = LineBudget(GovernorLimits(market_data_lines=3))
    handles = [budget.acquire(LineKind.MARKET_DATA, i, now=0.0) for i in range(2)]
    budget.acquire(LineKind.REALTIME_BARS, 9, now=0.0)
    with pytest.raises(
        MarketDataLimitError, match=r"all 3 market-data lines are in use \(governor.market_data_lines\)"
    ):
        budget.acquire(LineKind.MARKET_DATA, 7, now=0.0)
    assert budget.refusals == 1
    assert budget.in_use(LineKind.MARKET_DATA) == 3
    assert budget.counts()[LineKind.MARKET_DATA] == 2
    assert budget.release(handles[0]) and not budget.release(handles[0])
    budget.acquire(LineKind.MARKET_DATA, 7, now=0.0)
    assert budget.in_use(LineKind.REALTIME_BARS) == 3


def test_depth_budget() -> None:
    budget = LineBudget(GovernorLimits())
    for i in range(3):
        budget.acquire(LineKind.DEPTH, i, now=0.0)
    with pytest.raises(MarketDataLimitError, match="market-depth"):
        budget.acquire(LineKind.DEPTH, 3, now=0.0)
    assert budget.in_use(LineKind.MARKET_DATA) == 0  # depth is its own budget


def test_tick_by_tick_budget_and_once_per_instrument_per_15_s() -> None:
    budget = LineBudget(GovernorLimits(pacing_margin=0.0))
    first = budget.acquire(LineKind.TICK_BY_TICK, "AAPL", now=0.0)
    budget.release(first)
    assert budget.delay(LineKind.TICK_BY_TICK, "AAPL", 14.0) == pytest.approx(1.0)
    with pytest.raises(MarketDataLimitError, match="one request per instrument per 15 s"):
        budget.acquire(LineKind.TICK_BY_TICK, "AAPL", now=14.0)
    budget.acquire(LineKind.TICK_BY_TICK, "AAPL", now=15.0)
    budget.acquire(LineKind.TICK_BY_TICK, "MSFT", now=15.0)
    budget.acquire(LineKind.TICK_BY_TICK, "IBM", now=15.0)
    with pytest.raises(MarketDataLimitError, match="all 3 tick-by-tick"):
        budget.acquire(LineKind.TICK_BY_TICK, "SPY", now=15.0)
    assert budget.delay(LineKind.MARKET_DATA, "AAPL", 15.0) == 0


def test_switched_off_budgets_never_refuse() -> None:
    budget = LineBudget(GovernorLimits(market_data_lines=None, tick_by_tick_repeat_window=None))
    for i in range(500):
        budget.acquire(LineKind.MARKET_DATA, i, now=0.0)
    budget.acquire(LineKind.TICK_BY_TICK, "A", now=0.0)
    budget.acquire(LineKind.TICK_BY_TICK, "A", now=0.0)
    assert budget.in_use(LineKind.MARKET_DATA) == 500
