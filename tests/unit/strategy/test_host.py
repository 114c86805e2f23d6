"""The host that runs a strategy's hooks: a hook that raises stops the strategy cleanly, by the policy."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from ibbot import Strategy
from ibbot.backtest.engine import BacktestEngine
from ibbot.errors import StrategyError
from ibbot.model import OrderStatus
from ibbot.strategy import StrategyHost, WorkingOrders, build_instrument
from unit.backtest.support import START


class Resting(Strategy):
    def on_start(self) -> None:
        self.stock = self.instrument("AAPL")
        self.placed = self.buy(self.stock, 1, limit="99.50")

    def on_bar(self, bar: object) -> None:
        raise KeyError("missing")


def engine() -> BacktestEngine:
    context = BacktestEngine(strategy_name="Resting", cash=Decimal(10_000), start=START)
    return context


def started(policy: WorkingOrders) -> tuple[Resting, BacktestEngine, StrategyHost]:
    context = engine()
    strategy = Resting()
    host = StrategyHost(strategy, context, working_orders=policy)
    context.instrument(build_instrument("AAPL"))
    context.listings[next(iter(context.listings))].last = 100.0  # a price for the risk gate
    assert host.start()
    return strategy, context, host


def test_a_raising_hook_stops_the_strategy_and_cancels_its_orders(caplog: pytest.LogCaptureFixture) -> None:
    strategy, context, host = started(WorkingOrders.CANCEL)
    with caplog.at_level(logging.ERROR):
        assert host.call("on_bar", object()) is False
    assert not host.running and host.failure is not None and host.failure.hook == "on_bar"
    assert context.order(strategy.placed.order_ref).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert "KeyError: 'missing'" in caplog.text and "Traceback" in caplog.text
    assert host.call("on_bar", object()) is False  # stopped: nothing more runs
    with pytest.raises(StrategyError, match=r"Resting.on_bar raised KeyError: 'missing' \(at 2024-03-04T14:30:00"):
        host.raise_if_failed()


def test_keep_leaves_the_orders_working() -> None:
    strategy, context, host = started(WorkingOrders.KEEP)
    host.call("on_bar", object())
    assert [o.order_ref for o in context.working_orders()] == [strategy.placed.order_ref]


def test_on_stop_runs_once_and_its_own_failure_is_kept() -> None:
    class BadStop(Resting):
        stops = 0

        def on_bar(self, bar: object) -> None:
            pass

        def on_stop(self) -> None:
            type(self).stops += 1
            raise RuntimeError("cleanup failed")

    context = engine()
    host = StrategyHost(BadStop(), context)

    context.instrument(build_instrument("AAPL"))
    context.listings[next(iter(context.listings))].last = 100.0
    host.start()
    host.stop()
    host.stop()
    assert BadStop.stops == 1 and host.failure is not None and host.failure.hook == "on_stop"
    assert context.working_orders() == ()
