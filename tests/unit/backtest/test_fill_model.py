"""The bar fill model's pure pieces: the path through a bar and the price levels a leg reaches."""

from __future__ import annotations

from decimal import Decimal

from ibbot.backtest.fill_model import decimal, levels, path, touch_quote, turn_quote
from ibbot.sim.trading.orders import Action, OrderSpec, OrderStatus, OrderType, OrderView


def view(stop: str | None = None, limit: str | None = None) -> OrderView:
    spec = OrderSpec(order_id=1, con_id=1, action=Action.BUY, quantity=Decimal(1), order_type=OrderType.LMT)
    return OrderView(spec=spec, status=OrderStatus.SUBMITTED, filled=Decimal(0), avg_fill_price=Decimal(0),
                     last_fill_price=Decimal(0), stop_price=None if stop is None else Decimal(stop),
                     limit_price=None if limit is None else Decimal(limit), held=False, waiting_parent=False,
                     triggered=True)  # fmt: skip


def test_a_bar_that_closed_up_visits_its_low_first() -> None:
    assert path(10, 12, 9, 11) == (9, 12, 11)
    assert path(10, 12, 9, 9.5) == (12, 9, 9.5)


def test_levels_are_met_in_the_legs_direction_up_to_and_including_its_end() -> None:
    views = [view(stop="99.00"), view(limit="98.00"), view(stop="101.00", limit="100.50"), view(limit="97.00")]
    assert levels(views, Decimal("100"), Decimal("98")) == [Decimal("99.00"), Decimal("98.00")]
    assert levels(views, Decimal("98"), Decimal("101")) == [Decimal("99.00"), Decimal("100.50"), Decimal("101.00")]
    assert levels(views, Decimal("99"), Decimal("99")) == []


def test_quotes_a_touch_has_both_sides_a_turn_only_a_trade() -> None:
    touch = touch_quote(Decimal("100"), Decimal("0.01"), Decimal(50))
    assert (touch.bid, touch.ask, touch.last, touch.bid_size) == (Decimal("99.99"), Decimal("100.01"), 100, 50)
    turn = turn_quote(Decimal("98.5"))
    assert (turn.bid, turn.ask, turn.last) == (None, None, Decimal("98.5"))
    assert decimal(0.1 + 0.2) == Decimal("0.30000000000000004") and decimal(101.01) == Decimal("101.01")
