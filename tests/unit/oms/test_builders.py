from __future__ import annotations

from datetime import timedelta

import pytest

from ibbot.errors import OrderError
from ibbot.model import OrderType, Side, TimeInForce
from ibbot.oms import OcaType, bracket, limit, market, oca, stop, stop_limit, trailing_stop, trailing_stop_limit
from unit.oms.support import AAPL, ES, MSFT, NOW, d, refs


def test_each_builder_makes_its_order_type_with_its_fields() -> None:
    assert market(AAPL, Side.BUY, 10).order_type is OrderType.MARKET
    assert limit(AAPL, Side.BUY, 10, "150.25").limit_price == d("150.25")
    assert stop(AAPL, Side.SELL, 10, 140).stop_price == d(140)
    built = stop_limit(AAPL, Side.SELL, 10, stop_price=140, limit_price="139.5")
    assert (built.order_type, built.stop_price, built.limit_price) == (OrderType.STOP_LIMIT, d(140), d("139.5"))
    by_amount = trailing_stop(AAPL, Side.SELL, 10, amount="1.5")
    assert (by_amount.order_type, by_amount.trail_amount, by_amount.trail_percent) == (
        OrderType.TRAILING_STOP, d("1.5"), None)  # fmt: skip
    by_percent = trailing_stop(AAPL, Side.SELL, 10, percent=2, stop_price=145)
    assert (by_percent.trail_percent, by_percent.stop_price) == (d(2), d(145))
    trail_limit = trailing_stop_limit(ES, Side.BUY, 1, amount=5, limit_offset="0.5")
    assert (trail_limit.order_type, trail_limit.limit_offset) == (OrderType.TRAILING_STOP_LIMIT, d("0.5"))


def test_time_in_force_good_till_and_outside_hours_are_carried() -> None:
    until = NOW + timedelta(days=2)
    built = limit(AAPL, Side.BUY, "2.5", 100, tif=TimeInForce.GTD, good_till=until, outside_rth=True, strategy="s1")
    assert (built.tif, built.good_till, built.outside_rth, built.strategy, built.quantity) == (
        TimeInForce.GTD, until, True, "s1", d("2.5"))  # fmt: skip
    assert market(AAPL, Side.BUY, 1, tif=TimeInForce.OPG).tif is TimeInForce.OPG


def test_a_trailing_stop_needs_exactly_one_of_amount_and_percent() -> None:
    with pytest.raises(OrderError, match="exactly one"):
        trailing_stop(AAPL, Side.SELL, 10)
    with pytest.raises(OrderError, match="exactly one"):
        trailing_stop(AAPL, Side.SELL, 10, amount=1, percent=1)


def test_a_bracket_transmits_only_on_its_last_child_and_links_the_children() -> None:
    entry = limit(AAPL, Side.BUY, 100, 150, strategy="s1")
    built = bracket(entry, take_profit=160, stop_loss=145, refs=refs())
    parent, profit, loss = built.requests
    assert [r.transmit for r in built.requests] == [False, False, True]
    assert parent.order_ref and parent.parent_ref == ""
    assert profit.parent_ref == loss.parent_ref == parent.order_ref
    assert len({parent.order_ref, profit.order_ref, loss.order_ref}) == 3
    assert (profit.order_type, profit.limit_price, loss.order_type, loss.stop_price) == (
        OrderType.LIMIT, d(160), OrderType.STOP, d(145))  # fmt: skip
    assert {profit.side, loss.side} == {Side.SELL} and {profit.quantity, loss.quantity} == {d(100)}
    assert {profit.strategy, loss.strategy} == {"s1"}


def test_a_bracket_keeps_a_given_parent_ref_and_takes_child_requests() -> None:
    entry = market(AAPL, Side.SELL, 10, order_ref="ibb-p")
    trailing = trailing_stop(AAPL, Side.BUY, 10, percent=1, order_ref="ibb-t")
    built = bracket(entry, take_profit=limit(AAPL, Side.BUY, 10, 90, order_ref="ibb-l"), stop_loss=trailing)
    assert (built.entry.order_ref, built.take_profit.parent_ref, built.stop_loss.order_ref) == (
        "ibb-p",
        "ibb-p",
        "ibb-t",
    )
    assert built.stop_loss.order_type is OrderType.TRAILING_STOP and built.stop_loss.transmit


def test_a_bracket_without_refs_needs_a_parent_ref() -> None:
    with pytest.raises(OrderError, match="order_ref or refs="):
        bracket(market(AAPL, Side.BUY, 10), take_profit=160, stop_loss=140)


@pytest.mark.parametrize(
    ("side", "profit", "loss", "message"),
    [(Side.BUY, 140, 160, "take profit 140 must be above the stop loss 160"),
     (Side.SELL, 160, 140, "take profit 160 must be below the stop loss 140")],
)  # fmt: skip
def test_a_bracket_refuses_a_take_profit_on_the_wrong_side_of_the_stop(
    side: Side, profit: int, loss: int, message: str
) -> None:
    with pytest.raises(OrderError, match=message):
        bracket(market(AAPL, side, 10), take_profit=profit, stop_loss=loss, refs=refs())


def test_a_bracket_refuses_children_that_do_not_close_the_entry() -> None:
    entry = market(AAPL, Side.BUY, 10)
    with pytest.raises(OrderError, match="take profit must SELL the same instrument"):
        bracket(entry, take_profit=limit(MSFT, Side.SELL, 10, 160), stop_loss=140, refs=refs())
    with pytest.raises(OrderError, match="stop loss must SELL"):
        bracket(entry, take_profit=160, stop_loss=stop(AAPL, Side.BUY, 10, 140), refs=refs())
    with pytest.raises(OrderError, match="stop loss must be for 10, not 5"):
        bracket(entry, take_profit=160, stop_loss=stop(AAPL, Side.SELL, 5, 140), refs=refs())


def test_oca_puts_the_orders_in_one_group() -> None:
    group = oca([limit(AAPL, Side.BUY, 10, 100), limit(MSFT, Side.BUY, 10, 200)], "g1", OcaType.REDUCE_WITH_BLOCK)
    assert {(r.oca_group, r.oca_type) for r in group} == {("g1", 2)}
    assert oca([market(AAPL, Side.BUY, 1)] * 2, "g2")[0].oca_type == 1


def test_oca_refuses_a_nameless_or_single_group_and_an_unknown_type() -> None:
    two = [market(AAPL, Side.BUY, 1)] * 2
    with pytest.raises(OrderError, match="needs a name"):
        oca(two, " ")
    with pytest.raises(OrderError, match="at least two orders, got 1"):
        oca(two[:1], "g")
    with pytest.raises(ValueError, match="4"):
        oca(two, "g", 4)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("side", "profit", "loss", "message"),
    [
        (Side.BUY, 149, 140, "take profit 149 must be above the entry 150"),
        (Side.BUY, 160, 151, "stop loss 151 must be below the entry 150"),
        (Side.SELL, 151, 140, "take profit 151 must be below the stop loss 140"),
        (Side.SELL, 140, 149, "stop loss 149 must be above the entry 150"),
    ],
)
def test_a_bracket_s_exits_lie_on_either_side_of_a_limit_entry(
    side: Side, profit: int, loss: int, message: str
) -> None:
    with pytest.raises(OrderError, match=message):
        bracket(limit(AAPL, side, 10, 150), take_profit=profit, stop_loss=loss, refs=refs())


def test_bracket_children_built_from_prices_inherit_the_entry_s_terms() -> None:
    until = NOW + timedelta(days=1)
    entry = limit(
        AAPL, Side.BUY, 10, 150, tif=TimeInForce.GTD, good_till=until, outside_rth=True, strategy="s", account="U1"
    )
    built = bracket(entry, take_profit=160, stop_loss=140, refs=refs())
    for child in (built.take_profit, built.stop_loss):
        assert (child.tif, child.good_till, child.outside_rth, child.strategy, child.account) == (
            TimeInForce.GTD, until, True, "s", "U1")  # fmt: skip
