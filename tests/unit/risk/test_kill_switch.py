"""The halt plan: cancel everything working, flatten longs and shorts, and the state it leaves."""

from __future__ import annotations

from datetime import timedelta

from ibbot.model import Instrument, OrderStatus, OrderType, Side
from ibbot.risk import RISK_STRATEGY, Mode, RiskState, halt, halt_plan, resume
from unit.risk.support import AAPL, ES, MSFT, NOW, buy, d, position, sell, working


def test_the_plan_cancels_every_working_order_and_nothing_finished() -> None:
    live = (working(buy(1), ref="a"), working(sell(2, MSFT), ref="b", status=OrderStatus.PARTIALLY_FILLED))
    done = (working(buy(3), ref="c", status=OrderStatus.FILLED), working(buy(3), ref="d", status=OrderStatus.CANCELLED))
    plan = halt_plan((*live, *done), (position(100),), flatten=False)
    assert [o.order_ref for o in plan.cancel] == ["a", "b"]
    assert plan.flatten == ()


def test_flattening_closes_longs_and_shorts_with_market_orders_of_the_whole_size() -> None:
    positions = (position(100), position("-2.5", MSFT), position(-3, ES), position(0, Instrument.stock("IBM")))
    plan = halt_plan((), positions, flatten=True)
    assert [(r.instrument, r.side, r.quantity) for r in plan.flatten] == [
        (AAPL, Side.SELL, d(100)),
        (MSFT, Side.BUY, d("2.5")),
        (ES, Side.BUY, d(3)),
    ]
    for request in plan.flatten:
        assert request.order_type is OrderType.MARKET
        assert request.strategy == RISK_STRATEGY == "risk"
        assert request.account == "DU1"


def test_halt_saves_a_halted_state_that_survives_a_restart_until_resumed() -> None:
    state, plan = halt(
        RiskState(), reason="operator", who="alice", now=NOW, working=(working(buy(1)),), positions=(), flatten=True
    )
    assert state.mode is Mode.HALTED and len(plan.cancel) == 1 and plan.flatten == ()
    restarted = RiskState.from_record(state.to_record())
    assert restarted.effective is Mode.HALTED and restarted.reason == "operator"
    later = resume(restarted, who="bob", now=NOW + timedelta(hours=1))
    assert later.mode is Mode.NORMAL and later.who == "bob"
