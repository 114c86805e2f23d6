"""The reduce-only rule and the shared arithmetic: projections, prices."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.model import OrderRequest, Quote, Side
from ibbot.risk.context import RiskContext, order_price, projected, reduces, reference_price
from unit.risk.support import AAPL, MSFT, NOW, buy, context, d, limit, position, quote, sell, working


@pytest.mark.parametrize(
    ("held", "order", "expected"),
    [
        (100, sell(100), True),  # closes a long exactly
        (100, sell(40), True),
        (100, sell(101), False),  # a flip from long to short
        (100, buy(1), False),  # adds to a long
        (-100, buy(100), True),  # closes a short
        (-100, buy(101), False),  # a flip from short to long
        (-100, sell(1), False),  # adds to a short
        (0, buy(1), False),  # nothing reduces flat
        (0, sell(1), False),
    ],
)
def test_reduce_only_compatible_iff_the_absolute_position_cannot_grow(held: int, order: object, expected: bool) -> None:
    assert reduces(context(positions=(position(held),)), order) is expected  # type: ignore[arg-type]


def test_working_orders_on_the_same_side_count_against_the_reduction() -> None:
    long_with_sell = context(positions=(position(100),), working_orders=(working(sell(50)),))
    assert reduces(long_with_sell, sell(50))
    assert not reduces(long_with_sell, sell(51))  # together they would flip the position
    short_with_buy = context(positions=(position(-100),), working_orders=(working(buy(70), filled=20),))
    assert reduces(short_with_buy, buy(50))  # 50 still to fill + 50 = 100
    assert not reduces(short_with_buy, buy(51))


def test_working_orders_on_the_other_side_or_instrument_do_not_count() -> None:
    held = context(positions=(position(100),), working_orders=(working(buy(500)), working(sell(500, MSFT))))
    assert reduces(held, sell(100))


def test_a_modify_of_a_working_reduction_is_judged_alone() -> None:
    held = context(positions=(position(100),), working_orders=(working(sell(100), ref="r1"),))
    assert reduces(held, sell(100, order_ref="r1"))
    assert not reduces(held, sell(1, order_ref="r2"))


def test_projection_counts_every_same_side_working_order() -> None:
    held = context(positions=(position(-20),), working_orders=(working(sell(30)), working(buy(1000))))
    assert projected(held, sell(10)) == d(-60)
    assert projected(held, buy(10)) == d(990)


def test_reference_price_prefers_the_midpoint_then_last_then_close() -> None:
    assert reference_price(quote(bid=99.5, ask=100.5)) == d(100)
    no_bid = Quote(instrument=AAPL, time=NOW, ask=10.0, last=9.75)
    assert reference_price(no_bid) == d("9.75")
    only_close = Quote(instrument=AAPL, time=NOW, close=189.25)
    assert reference_price(only_close) == d("189.25")
    assert reference_price(Quote(instrument=AAPL, time=NOW, last=math.nan)) is None
    assert reference_price(None) is None


def test_an_order_is_valued_at_its_limit_before_the_quote() -> None:
    priced = context(quotes=(quote(),))
    assert order_price(priced, limit(buy(1), 42)) == d(42)
    assert order_price(priced, buy(1)) == d(100)
    assert order_price(context(), buy(1)) is None


@given(
    held=st.integers(-50, 50),
    side=st.sampled_from(Side),
    quantity=st.integers(1, 60),
    others=st.lists(st.tuples(st.sampled_from(Side), st.integers(1, 30)), max_size=4),
    fills=st.data(),
)
def test_whatever_fills_a_reducing_order_never_grows_or_flips_the_position(
    held: int, side: Side, quantity: int, others: list[tuple[Side, int]], fills: st.DataObject
) -> None:
    request = OrderRequest(instrument=AAPL, side=side, quantity=d(quantity))
    orders = tuple(working(OrderRequest(instrument=AAPL, side=s, quantity=d(q))) for s, q in others)
    ctx = context(positions=(position(held),), working_orders=orders)
    same = [o.remaining for o in orders if o.side is side]
    if not reduces(ctx, request):
        # The rule is exact: some fill (all of them) grows the position, flips it, or it was flat.
        worst = held + side.sign * (sum(same) + quantity)
        assert held == 0 or abs(worst) > abs(held) or (worst != 0 and (worst > 0) != (held > 0))
        return
    # Any subset of the same-side working orders plus any part of this one: the position shrinks toward zero.
    chosen = fills.draw(st.lists(st.booleans(), min_size=len(same), max_size=len(same)))
    part = fills.draw(st.integers(0, quantity))
    after = held + side.sign * (sum(q for q, c in zip(same, chosen, strict=True) if c) + part)
    assert abs(after) <= abs(held) and (after == 0 or (after > 0) == (held > 0))


def test_a_context_needs_an_aware_now_and_an_explicit_mode() -> None:
    from datetime import datetime

    from ibbot.risk import Mode, RiskContext

    with pytest.raises(ValueError, match="timezone-aware"):
        RiskContext(now=datetime(2026, 3, 2), mode=Mode.NORMAL)
    with pytest.raises(TypeError, match="mode"):
        RiskContext(now=NOW)  # type: ignore[call-arg]


def test_the_context_keeps_a_reference_price_per_quote_and_a_verdict_per_request() -> None:
    held = context(positions=(position(10),), quotes=(quote(bid=99.5, ask=100.5),))
    assert held.reference(AAPL.key) == d(100) and held.reference("conid:999") is None
    request = sell(5)
    assert reduces(held, request) and reduces(held, request)  # the second from the memo
    assert not reduces(held, sell(20))  # another request is worked out on its own
    replaced = {AAPL.key: quote(bid=109.5, ask=110.5)}
    other = RiskContext(now=held.now, mode=held.mode, positions=held.positions, quotes=replaced)
    assert other.reference(AAPL.key) == d(110)  # a context's memo is its own
    assert held.memo and held == replace(held)  # the memo is no part of the value
