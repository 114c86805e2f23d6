"""A working order's price rules: the trigger price per IB trigger method, and the book's shared sizes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from ibbot.sim.trading.orders import Action, OrderSpec, OrderType
from ibbot.sim.trading.working import Book, Quote, trigger_price

QUOTE = Quote(bid=D("9.98"), ask=D("10.02"), bid_size=D(100), ask_size=D(200), last=D("10.01"))


@pytest.mark.parametrize(
    ("method", "buy", "expected"),
    [
        (0, True, "10.01"),
        (2, False, "10.01"),
        (1, True, "10.02"),
        (4, False, "9.98"),
        (7, True, "10.01"),
        (8, False, "10.00"),
    ],
)
def test_the_trigger_price_follows_the_trigger_method(method: int, buy: bool, expected: str) -> None:
    spec = OrderSpec(
        order_id=1,
        con_id=1,
        action=Action.BUY if buy else Action.SELL,
        quantity=D(1),
        order_type=OrderType.STP,
        aux_price=D(10),
        trigger_method=method,
    )
    assert trigger_price(spec, QUOTE) == D(expected)


def test_last_or_bid_ask_falls_back_to_the_touch_without_a_trade() -> None:
    spec = OrderSpec(
        order_id=1,
        con_id=1,
        action=Action.SELL,
        quantity=D(1),
        order_type=OrderType.STP,
        aux_price=D(10),
        trigger_method=7,
    )
    assert trigger_price(spec, Quote(bid=D("9.98"), ask=D("10.02"))) == D("9.98")
    assert trigger_price(replace(spec, trigger_method=0), Quote(bid=D("9.98"))) is None


def test_a_book_hands_out_its_displayed_size_once() -> None:
    book = Book(QUOTE)
    book.take(True, D(150))
    book.take(False, D(150))
    assert (book.available(True), book.available(False)) == (D(50), D(0))
    assert Book(Quote(bid=D(1), ask=D(2))).available(True) is None  # depth unknown: no limit
