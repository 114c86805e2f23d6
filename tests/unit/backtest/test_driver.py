"""The backtest driver with the real order path: risk gate, order manager, the simulator's fill engine, ledger."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from ibbot.backtest import BacktestSettings, run_backtest
from ibbot.backtest.driver import Backtest
from ibbot.errors import RiskRefusedError, StrategyError
from ibbot.model import OrderStatus, OrderType, Side
from ibbot.risk import RiskLimits
from ibbot.strategy import WorkingOrders
from unit.backtest.support import Script, d, flat, series

SPREAD = BacktestSettings(spread=Decimal("0.02"))  # half a spread: one cent


def test_a_market_order_fills_at_the_next_open_plus_half_the_spread() -> None:
    rows = [(100, 100, 100, 100, 1000), (101, 102, 100.5, 101.5, 1000), (101.5, 101.5, 101.5, 101.5, 1000)]
    strategy = Script({0: lambda s: s.buy(s.stock, 10)})
    result = run_backtest(strategy, series(rows), SPREAD)
    (fill,) = strategy.fills
    assert fill.price == d("101.01") and fill.quantity == 10 and fill.side is Side.BUY
    assert fill.time == series(rows).start.replace(minute=31)  # the second bar's start
    assert fill.commission == d("1.00")  # IB's fixed schedule: the $1 minimum
    assert fill.order.status is OrderStatus.FILLED and strategy.orders[-1].status is OrderStatus.FILLED
    assert result.orders == 1 and result.fills == 1
    # 100,000 - 10 x 101.01 - 1 in cash, 10 shares at the last close 101.5
    assert result.final_equity == d("100000") - d("1010.10") - 1 + d("1015.0")
    assert result.equity[-1] == pytest.approx(float(result.final_equity))


def test_a_market_sell_fills_at_the_next_open_minus_half_the_spread() -> None:
    strategy = Script({0: lambda s: s.sell(s.stock, 5)})
    run_backtest(strategy, series([(100, 100, 100, 100, 1000), (99, 99, 99, 99, 1000)]), SPREAD)
    assert [(f.side, f.price) for f in strategy.fills] == [(Side.SELL, d("98.99"))]
    assert strategy.position(strategy.stock).quantity == -5


def test_an_order_placed_at_a_close_never_fills_at_that_close() -> None:
    strategy = Script({0: lambda s: s.buy(s.stock, 1)})
    run_backtest(strategy, series(flat(1)), SPREAD)
    assert strategy.fills == [] and strategy.stopped == 1
    placed = strategy.results[0]
    assert strategy.order(placed.order_ref).status is OrderStatus.CANCELLED  # type: ignore[union-attr,attr-defined]


def test_a_limit_fills_at_its_price_only_when_a_bar_trades_through_it() -> None:
    rows = [(100, 100, 100, 100, 1000), (100, 100.2, 99.5, 100, 1000), (100, 100.1, 99.4, 99.8, 1000)]
    strategy = Script({0: lambda s: s.buy(s.stock, 3, limit="99.50")})
    run_backtest(strategy, series(rows), SPREAD)
    (fill,) = strategy.fills  # bar 1 only touched 99.50; bar 2 went through it
    assert fill.price == d("99.50") and fill.time.minute == 32
    assert strategy.results[0].request.order_type is OrderType.LIMIT  # type: ignore[attr-defined]


def test_a_limit_the_open_gaps_through_fills_at_the_touch() -> None:
    rows = [(100, 100, 100, 100, 1000), (98, 98.5, 97.5, 98, 1000)]
    strategy = Script({0: lambda s: s.buy(s.stock, 1, limit="99.50")})
    run_backtest(strategy, series(rows), SPREAD)
    assert [f.price for f in strategy.fills] == [d("98.01")]


def test_a_stop_triggers_on_the_bars_path_and_fills_at_the_stop_less_half_the_spread() -> None:
    rows = [
        (100, 100, 100, 100, 1000),
        (100, 100.5, 99.5, 100, 1000),  # the entry bar stays above the stop
        (99.8, 99.9, 98.0, 98.2, 1000),  # falls through 99: open -> high -> low -> close
    ]
    plan = {0: lambda s: s.buy(s.stock, 10), 1: lambda s: s.sell(s.stock, 10, stop="99.00")}
    strategy = Script(plan)
    run_backtest(strategy, series(rows), SPREAD)
    assert [(f.side, f.price) for f in strategy.fills] == [(Side.BUY, d("100.01")), (Side.SELL, d("98.99"))]


def test_a_stop_the_open_gaps_through_fills_at_the_open() -> None:
    rows = [(100, 100, 100, 100, 1000), (100, 100, 100, 100, 1000), (98.5, 98.6, 98.4, 98.5, 1000)]
    plan = {0: lambda s: s.buy(s.stock, 10), 1: lambda s: s.sell(s.stock, 10, stop="99.00")}
    strategy = Script(plan)
    run_backtest(strategy, series(rows), SPREAD)
    assert [f.price for f in strategy.fills] == [d("100.01"), d("98.49")]


def test_an_order_larger_than_the_volume_share_fills_over_several_bars() -> None:
    settings = BacktestSettings(spread=Decimal("0.02"), volume_share=0.5)
    strategy = Script({0: lambda s: s.buy(s.stock, 120)})
    run_backtest(strategy, series(flat(5, volume=100)), settings)
    assert [f.quantity for f in strategy.fills] == [50, 50, 20]
    assert [f.order.status for f in strategy.fills] == [
        OrderStatus.PARTIALLY_FILLED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED,
    ]  # fmt: skip
    assert strategy.fills[-1].order.avg_fill_price == d("100.01")


def test_a_bracket_enters_then_one_exit_fills_and_the_other_is_cancelled() -> None:
    rows = [(100, 100, 100, 100, 1000), (100, 100.2, 99.9, 100, 1000), (100, 103, 99.8, 102.5, 1000)]
    strategy = Script({0: lambda s: s.bracket(s.stock, 5, take_profit="102.00", stop_loss="98.00")})
    result = run_backtest(strategy, series(rows), SPREAD)
    entry, profit, loss = strategy.results[0]  # type: ignore[misc]
    assert [f.order.order_ref for f in strategy.fills] == [entry.order_ref, profit.order_ref]
    assert strategy.fills[1].price == d("102.00")
    assert strategy.order(loss.order_ref).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert result.positions == {} and len(result.trades) == 1 and result.trades[0].direction == "long"


def test_a_refused_order_raises_in_the_strategy_and_is_counted() -> None:
    def too_big(s: Script) -> object:
        try:
            s.buy(s.stock, 5_000)
        except RiskRefusedError as exc:
            return exc.check
        return None

    strategy = Script({0: too_big, 1: lambda s: s.buy(s.stock, 1)})
    result = run_backtest(strategy, series(flat(3)), SPREAD)
    assert strategy.results[0] == "order_quantity" and result.refused == 1
    assert result.orders == 1 and result.fills == 1


def test_order_target_counts_the_holding_and_the_working_orders() -> None:
    plan = {
        0: lambda s: s.order_target(s.stock, 3),
        1: lambda s: s.order_target(s.stock, -2),
        2: lambda s: s.order_target(s.stock, -2),
    }
    strategy = Script(plan)
    run_backtest(strategy, series(flat(4)), SPREAD)
    assert [f.signed_quantity for f in strategy.fills] == [3, -5]
    assert strategy.results[2] is None and strategy.position(strategy.stock).quantity == -2


def test_history_is_the_last_bars_including_the_one_delivered() -> None:
    rows = [(100 + i, 100 + i, 100 + i, 100 + i, 10) for i in range(6)]
    plan = {
        1: lambda s: [b.close for b in s.history(s.stock, 5)],
        4: lambda s: [b.close for b in s.history(s.stock, 3)],
    }
    strategy = Script(plan)
    run_backtest(strategy, series(rows), SPREAD)
    assert strategy.results == {1: [100.0, 101.0], 4: [102.0, 103.0, 104.0]}
    assert strategy.bars[3].instrument is strategy.stock and strategy.bars[3].bar_size == "1 min"


def test_a_strategy_that_raises_is_stopped_and_its_working_orders_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    def boom(s: Script) -> None:
        raise ZeroDivisionError("no edge")

    strategy = Script({0: lambda s: s.buy(s.stock, 1, limit="99.00"), 2: boom})
    with caplog.at_level(logging.ERROR):
        result = run_backtest(strategy, series(flat(6)), SPREAD)
    assert result.error is not None and "Script.on_bar raised ZeroDivisionError: no edge" in result.error
    assert len(strategy.bars) == 3 and strategy.stopped == 1  # no bar after the failure; on_stop ran once
    placed = strategy.results[0]
    assert strategy.working_orders() == []
    assert strategy.order(placed.order_ref).status is OrderStatus.CANCELLED  # type: ignore[union-attr,attr-defined]
    assert "Traceback" in caplog.text and "boom" in caplog.text
    assert result.bars == 6  # the market went on to the end
    with pytest.raises(StrategyError, match="ZeroDivisionError"):
        result.raise_if_failed()


def test_a_failing_strategy_can_be_flattened() -> None:
    def boom(s: Script) -> None:
        raise RuntimeError("bug")

    settings = BacktestSettings(spread=Decimal("0.02"), working_orders=WorkingOrders.FLATTEN)
    strategy = Script({0: lambda s: s.buy(s.stock, 4), 2: boom})
    result = run_backtest(strategy, series(flat(5)), settings)
    assert [f.signed_quantity for f in strategy.fills] == [4]  # hooks stop; the flattening fill is not delivered
    assert result.positions == {} and result.fills == 2 and result.error is not None


def test_a_strategy_raising_in_on_start_never_sees_a_bar() -> None:
    class Broken(Script):
        def on_start(self) -> None:
            raise ValueError("bad config")

    strategy = Broken()
    result = run_backtest(strategy, series(flat(3)), SPREAD)
    assert strategy.bars == [] and result.error is not None and "on_start" in result.error


def test_a_subscription_without_bars_is_a_clear_error() -> None:
    class TwoSymbols(Script):
        def on_start(self) -> None:
            super().on_start()
            self.subscribe_bars(self.instrument("MSFT"), "1 min")

    with pytest.raises(StrategyError, match="declares 2"):
        run_backtest(TwoSymbols(), series(flat(3)), SPREAD)


def test_a_strategy_without_instruments_is_a_clear_error() -> None:
    class Idle(Script):
        def on_start(self) -> None:
            pass

    with pytest.raises(StrategyError, match="declares no instrument the bars are for"):
        run_backtest(Idle(), series(flat(3)), SPREAD)


def test_a_bar_size_the_data_does_not_have_is_a_clear_error() -> None:
    class Hourly(Script):
        def on_start(self) -> None:
            self.stock = self.instrument("AAPL")
            self.subscribe_bars(self.stock, "1 hour")

    with pytest.raises(StrategyError, match="1 hour bars of AAPL, but the data has 1 min bars"):
        run_backtest(Hourly(), series(flat(3)), SPREAD)


def test_series_of_two_instruments_are_merged_in_time_order() -> None:
    from ibbot.model import Instrument

    class Pair(Script):
        def on_start(self) -> None:
            self.stock = self.instrument("AAPL")
            self.other = self.instrument("MSFT")
            self.subscribe_bars(self.stock, "1 min")
            self.subscribe_bars(self.other, "1 min")

    aapl = series(flat(3, 100.0), instrument=Instrument.stock("AAPL"))
    msft = series(flat(3, 400.0), instrument=Instrument.stock("MSFT"))
    strategy = Pair()
    run_backtest(strategy, [aapl, msft], SPREAD)
    assert [(b.instrument.symbol, b.time.minute) for b in strategy.bars] == [
        ("AAPL", 30), ("MSFT", 30), ("AAPL", 31), ("MSFT", 31), ("AAPL", 32), ("MSFT", 32),
    ]  # fmt: skip


def test_the_account_and_the_curve_agree_with_the_ledger() -> None:
    rows = [(100, 100, 100, 100, 1000), (100, 101, 99, 100.5, 1000), (100.5, 102, 100, 101, 1000)]
    strategy = Script({0: lambda s: s.buy(s.stock, 10), 2: lambda s: s.account})
    backtest = Backtest(strategy, series(rows), SPREAD)
    result = backtest.run()
    account = strategy.results[2]
    assert account.cash == d("100000") - d("1000.10") - 1  # type: ignore[attr-defined]
    assert account.equity == account.cash + d("1010")  # type: ignore[attr-defined]
    assert list(result.equity) == pytest.approx([100000.0, 99999.9 - 1 + 5, 99999.9 - 1 + 10])
    assert result.metrics.exposure == pytest.approx(2 / 3)


def test_the_daily_loss_limit_turns_the_run_reduce_only() -> None:
    limits = RiskLimits(allow_outside_hours=True, daily_loss_limit=Decimal(50), max_order_notional=None,
                        max_position_notional=None, max_gross_exposure=None)  # fmt: skip
    rows = [(100, 100, 100, 100, 10_000), (100, 100, 90, 90, 10_000), (90, 90, 90, 90, 10_000)]

    def more(s: Script) -> object:
        try:
            s.buy(s.stock, 10)
        except RiskRefusedError as exc:
            return exc.check
        return "placed"

    strategy = Script({0: lambda s: s.buy(s.stock, 10), 1: more, 2: lambda s: s.sell(s.stock, 10)})
    run_backtest(strategy, series(rows), BacktestSettings(spread=Decimal("0.02"), limits=limits))
    assert strategy.results[1] == "daily_loss"  # down 100 on the day: only reducing orders pass
    assert strategy.results[2].side is Side.SELL  # type: ignore[attr-defined]


def test_bar_times_follow_the_data_across_gaps_and_chunks() -> None:
    import dataclasses
    from datetime import timedelta

    import numpy as np

    from ibbot.backtest import driver
    from ibbot.backtest.data import micros_to_datetime

    minutes = np.array([0, 1, 2, 5, 6, 6 + 1440, 6 + 1441, 6 + 1442], dtype=np.int64)  # a gap, then a day's
    plain = series(flat(8))
    data = dataclasses.replace(plain, times=plain.times[0] + minutes * 60_000_000)
    strategy = Script()
    chunk, driver.CHUNK = driver.CHUNK, 3  # a chunk boundary inside the run, so the walk starts over
    try:
        run_backtest(strategy, data, SPREAD)
    finally:
        driver.CHUNK = chunk
    assert [b.time for b in strategy.bars] == [micros_to_datetime(int(t)) for t in data.times]
    assert all(b.time.tzinfo is not None and b.time.utcoffset() == timedelta(0) for b in strategy.bars)
