"""Matching: each order type's trigger and fill rule, partial fills across quotes, time in force, trading hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.sim.trading.matching import ADDED, REMOVED, MatchingEngine, Quote
from ibbot.sim.trading.orders import (
    Action,
    CancelReason,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderPriceUpdated,
    OrderRejected,
    OrderSpec,
    OrderStatus,
    OrderTriggered,
    OrderType,
    TimeInForce,
)

T = TypeVar("T")
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
TICK = D("0.01")
CON = 265598


def order(order_id: int = 1, **kw: object) -> OrderSpec:
    values: dict[str, object] = {
        "order_id": order_id,
        "con_id": CON,
        "action": Action.BUY,
        "quantity": D(100),
        "order_type": OrderType.MKT,
    }
    values.update(kw)
    return OrderSpec(**values)  # type: ignore[arg-type]


def quote(bid: str, ask: str, *, size: int | None = None, last: str | None = None) -> Quote:
    depth = None if size is None else D(size)
    return Quote(
        bid=D(bid), ask=D(ask), bid_size=depth, ask_size=depth, last=None if last is None else D(last), last_size=None
    )


def fills(events: list[Event]) -> list[tuple[int, D, D]]:
    return [(e.order.order_id, e.quantity, e.price) for e in events if isinstance(e, OrderFilled)]


def of(events: list[Event], kind: type[T]) -> list[T]:
    return [e for e in events if isinstance(e, kind)]


@pytest.fixture
def engine() -> MatchingEngine:
    return MatchingEngine()


def submit(
    engine: MatchingEngine, spec: OrderSpec, q: Quote | None = None, *, tick: D = TICK, in_rth: bool = True
) -> list[Event]:
    return engine.submit(spec, q, NOW, min_tick=tick, in_rth=in_rth)


def status(engine: MatchingEngine, order_id: int = 1) -> OrderStatus:
    view = engine.order(order_id)
    assert view is not None
    return view.status


# --- market and limit orders ------------------------------------------------------------------------------


def test_a_market_buy_fills_at_the_ask_and_a_sell_at_the_bid(engine: MatchingEngine) -> None:
    book = quote("99.98", "100.02")
    events = submit(engine, order(1), book)
    assert isinstance(events[0], OrderAccepted) and events[0].order.status is OrderStatus.SUBMITTED
    assert fills(events) == [(1, D(100), D("100.02"))]
    assert fills(submit(engine, order(2, action=Action.SELL), book)) == [(2, D(100), D("99.98"))]
    assert fills(submit(engine, order(3, action=Action.SSHORT), book)) == [(3, D(100), D("99.98"))]
    assert status(engine) is OrderStatus.FILLED


def test_a_market_order_waits_for_a_quote(engine: MatchingEngine) -> None:
    assert fills(submit(engine, order())) == []
    assert status(engine) is OrderStatus.SUBMITTED
    assert fills(engine.on_quote(CON, quote("10", "10.01"), NOW)) == [(1, D(100), D("10.01"))]


def test_a_large_order_fills_partially_over_successive_quotes(engine: MatchingEngine) -> None:
    events = submit(engine, order(quantity=D(250)), quote("100", "100.01", size=100))
    (first,) = of(events, OrderFilled)
    assert isinstance(first, OrderFilled)
    assert (first.quantity, first.cum_quantity, first.remaining) == (D(100), D(100), D(150))
    assert first.liquidity == REMOVED
    assert first.order.status is OrderStatus.SUBMITTED
    (second,) = of(engine.on_quote(CON, quote("100.01", "100.03", size=100), NOW), OrderFilled)
    assert isinstance(second, OrderFilled)
    assert (second.cum_quantity, second.remaining, second.avg_price) == (D(200), D(50), D("100.02"))
    (third,) = of(engine.on_quote(CON, quote("100.01", "100.04", size=100), NOW), OrderFilled)
    assert isinstance(third, OrderFilled)
    assert (third.quantity, third.remaining, third.order.status) == (D(50), D(0), OrderStatus.FILLED)
    assert third.avg_price == (D(100) * D("100.01") + D(100) * D("100.03") + D(50) * D("100.04")) / 250


def test_orders_share_the_displayed_size_of_one_quote(engine: MatchingEngine) -> None:
    book = quote("100", "100.01", size=150)
    submit(engine, order(1), book)
    assert fills(submit(engine, order(2), book)) == [(2, D(50), D("100.01"))]  # the same book: 50 left
    assert fills(engine.on_quote(CON, book, NOW)) == [(2, D(50), D("100.01"))]  # a refreshed book


def test_a_resting_limit_fills_when_the_touch_reaches_it_at_the_better_price(engine: MatchingEngine) -> None:
    assert fills(submit(engine, order(order_type=OrderType.LMT, lmt_price=D("99.50")), quote("99.9", "100"))) == []
    assert fills(engine.on_quote(CON, quote("99.40", "99.45"), NOW)) == [(1, D(100), D("99.45"))]


def test_a_resting_limit_fills_at_its_price_when_the_market_trades_through(engine: MatchingEngine) -> None:
    submit(engine, order(order_type=OrderType.LMT, lmt_price=D("99.50"), action=Action.SELL), quote("99", "99.1"))
    assert fills(engine.on_quote(CON, quote("99.40", "99.45", last="99.50"), NOW)) == []  # touching is not enough
    events = engine.on_quote(CON, quote("99.40", "99.45", last="99.51"), NOW)
    assert fills(events) == [(1, D(100), D("99.50"))]
    assert of(events, OrderFilled)[0].liquidity == ADDED


def test_a_trade_printed_before_the_order_rested_does_not_fill_it(engine: MatchingEngine) -> None:
    assert (
        fills(submit(engine, order(order_type=OrderType.LMT, lmt_price=D("100")), quote("100", "101", last="99"))) == []
    )
    assert fills(engine.on_quote(CON, quote("100", "101", last="99.99"), NOW)) == [(1, D(100), D("100"))]


def test_a_marketable_limit_takes_the_touch_then_rests(engine: MatchingEngine) -> None:
    spec = order(quantity=D(300), order_type=OrderType.LMT, lmt_price=D("100.05"))
    assert fills(submit(engine, spec, quote("100", "100.02", size=100))) == [(1, D(100), D("100.02"))]
    assert fills(engine.on_quote(CON, quote("100.05", "100.06", size=100), NOW)) == []  # above the limit now
    assert fills(engine.on_quote(CON, quote("100", "100.05", size=500), NOW)) == [(1, D(200), D("100.05"))]


# --- stops and if-touched ---------------------------------------------------------------------------------


def test_a_stop_waits_presubmitted_then_triggers_on_the_last_price_and_fills_as_market(
    engine: MatchingEngine,
) -> None:
    events = submit(engine, order(order_type=OrderType.STP, aux_price=D("101")), quote("100", "100.01", last="100"))
    assert of(events, OrderAccepted)[0].order.status is OrderStatus.PRE_SUBMITTED and fills(events) == []
    assert fills(engine.on_quote(CON, quote("100.99", "101.01", last="100.99"), NOW)) == []  # ask above: no matter
    events = engine.on_quote(CON, quote("101", "101.02", last="101"), NOW)
    assert [type(e) for e in events] == [OrderTriggered, OrderFilled]
    assert of(events, OrderTriggered)[0].order.status is OrderStatus.SUBMITTED
    assert fills(events) == [(1, D(100), D("101.02"))]


def test_a_sell_stop_triggers_when_the_price_falls_to_it(engine: MatchingEngine) -> None:
    submit(engine, order(action=Action.SELL, order_type=OrderType.STP, aux_price=D("99")), quote("100", "100.01"))
    assert fills(engine.on_quote(CON, quote("99", "99.01", last="99.01"), NOW)) == []
    assert fills(engine.on_quote(CON, quote("98.9", "98.95", last="99"), NOW)) == [(1, D(100), D("98.9"))]


def test_trigger_method_bid_ask_uses_the_touch_instead_of_trades(engine: MatchingEngine) -> None:
    spec = order(action=Action.SELL, order_type=OrderType.STP, aux_price=D("1.0850"), trigger_method=4)
    assert not of(submit(engine, spec, quote("1.0900", "1.0901"), tick=D("0.00005")), OrderRejected)
    assert fills(engine.on_quote(CON, quote("1.0851", "1.0852"), NOW)) == []
    assert fills(engine.on_quote(CON, quote("1.0850", "1.0851"), NOW)) == [(1, D(100), D("1.0850"))]


def test_a_stop_limit_works_as_a_limit_once_triggered(engine: MatchingEngine) -> None:
    spec = order(action=Action.SELL, order_type=OrderType.STP_LMT, aux_price=D("99"), lmt_price=D("98.90"))
    submit(engine, spec, quote("100", "100.01"))
    events = engine.on_quote(CON, quote("98.50", "98.60", last="98.80"), NOW)  # gap below the limit
    assert of(events, OrderTriggered) and fills(events) == []
    assert status(engine) is OrderStatus.SUBMITTED
    assert fills(engine.on_quote(CON, quote("98.95", "99", last="98.95"), NOW)) == [(1, D(100), D("98.95"))]


def test_market_if_touched_buys_when_the_price_falls_to_the_trigger(engine: MatchingEngine) -> None:
    submit(engine, order(order_type=OrderType.MIT, aux_price=D("95")), quote("100", "100.01", last="100"))
    assert fills(engine.on_quote(CON, quote("96", "96.01", last="96"), NOW)) == []
    events = engine.on_quote(CON, quote("94.98", "95.00", last="95"), NOW)
    assert of(events, OrderTriggered) and fills(events) == [(1, D(100), D("95.00"))]


def test_limit_if_touched_sells_at_its_limit_or_better(engine: MatchingEngine) -> None:
    spec = order(action=Action.SELL, order_type=OrderType.LIT, aux_price=D("105"), lmt_price=D("105.10"))
    submit(engine, spec, quote("100", "100.01", last="100"))
    events = engine.on_quote(CON, quote("105.00", "105.05", last="105"), NOW)
    assert of(events, OrderTriggered) and fills(events) == []  # the bid is below the limit
    assert fills(engine.on_quote(CON, quote("105.10", "105.12"), NOW)) == [(1, D(100), D("105.10"))]


# --- trailing stops ---------------------------------------------------------------------------------------


def stop_of(engine: MatchingEngine, order_id: int = 1) -> D | None:
    view = engine.order(order_id)
    assert view is not None
    return view.stop_price


def test_a_sell_trailing_stop_ratchets_up_never_down_and_triggers(engine: MatchingEngine) -> None:
    events = submit(
        engine,
        order(action=Action.SELL, order_type=OrderType.TRAIL, aux_price=D("1")),
        quote("99.9", "100", last="100"),
    )
    assert stop_of(engine) == D("99") and of(events, OrderPriceUpdated)
    assert of(engine.on_quote(CON, quote("101.9", "102", last="102"), NOW), OrderPriceUpdated)
    assert stop_of(engine) == D("101")
    assert not of(engine.on_quote(CON, quote("101.4", "101.5", last="101.5"), NOW), OrderPriceUpdated)
    assert stop_of(engine) == D("101")
    events = engine.on_quote(CON, quote("100.98", "101", last="101"), NOW)
    assert of(events, OrderTriggered) and fills(events) == [(1, D(100), D("100.98"))]


def test_a_buy_trailing_stop_by_percent_ratchets_down(engine: MatchingEngine) -> None:
    spec = order(order_type=OrderType.TRAIL, trailing_percent=D("2"))
    submit(engine, spec, quote("99.9", "100", last="100"))
    assert stop_of(engine) == D("102")
    engine.on_quote(CON, quote("89.9", "90", last="90"), NOW)
    assert stop_of(engine) == D("91.80")
    engine.on_quote(CON, quote("90.9", "91", last="91"), NOW)
    assert stop_of(engine) == D("91.80")  # moved against it: unchanged
    assert fills(engine.on_quote(CON, quote("91.8", "91.85", last="91.80"), NOW)) == [(1, D(100), D("91.85"))]


def test_a_trailing_stop_rounds_away_from_the_market(engine: MatchingEngine) -> None:
    submit(
        engine,
        order(action=Action.SELL, order_type=OrderType.TRAIL, trailing_percent=D("1")),
        quote("1", "2", last="33.33"),
    )
    assert stop_of(engine) == D("32.99")  # 32.9967 rounded down: at least 1% away


def test_an_initial_trail_stop_price_is_kept_until_the_market_improves_on_it(engine: MatchingEngine) -> None:
    spec = order(action=Action.SELL, order_type=OrderType.TRAIL, aux_price=D("2"), trail_stop_price=D("99.50"))
    submit(engine, spec, quote("99.9", "100", last="100"))
    assert stop_of(engine) == D("99.50")
    engine.on_quote(CON, quote("101.9", "102", last="102"), NOW)
    assert stop_of(engine) == D("100")


def test_a_trailing_limit_keeps_its_limit_at_the_offset_from_the_stop(engine: MatchingEngine) -> None:
    spec = order(action=Action.SELL, order_type=OrderType.TRAIL_LIMIT, aux_price=D("1"), lmt_price_offset=D("0.20"))
    submit(engine, spec, quote("99.9", "100", last="100"))
    engine.on_quote(CON, quote("101.9", "102", last="102"), NOW)
    view = engine.order(1)
    assert view is not None and (view.stop_price, view.limit_price) == (D("101"), D("100.80"))
    events = engine.on_quote(CON, quote("100.50", "100.60", last="100.90"), NOW)
    assert of(events, OrderTriggered) and fills(events) == []  # bid below the 100.80 limit
    assert fills(engine.on_quote(CON, quote("100.85", "100.9"), NOW)) == [(1, D(100), D("100.85"))]


# --- auctions, pegs, midpoint ----------------------------------------------------------------------------


def test_market_on_close_fills_only_at_the_close(engine: MatchingEngine) -> None:
    submit(engine, order(order_type=OrderType.MOC), quote("100", "100.01"))
    assert fills(engine.on_quote(CON, quote("100", "100.01"), NOW)) == []
    events = engine.on_close(CON, D("100.37"), NOW)
    assert fills(events) == [(1, D(100), D("100.37"))]


def test_limit_on_close_fills_within_its_limit_or_is_cancelled(engine: MatchingEngine) -> None:
    submit(engine, order(1, order_type=OrderType.LOC, lmt_price=D("100.40")))
    submit(engine, order(2, order_type=OrderType.LOC, lmt_price=D("100.30")))
    events = engine.on_close(CON, D("100.37"), NOW)
    assert fills(events) == [(1, D(100), D("100.37"))]
    (cancelled,) = of(events, OrderCancelled)
    assert isinstance(cancelled, OrderCancelled)
    assert (cancelled.order.order_id, cancelled.reason) == (2, CancelReason.AUCTION)


def test_opening_orders_wait_for_the_open(engine: MatchingEngine) -> None:
    submit(engine, order(1, tif=TimeInForce.OPG), quote("100", "100.01"))
    submit(engine, order(2, order_type=OrderType.LMT, lmt_price=D("99"), tif=TimeInForce.OPG))
    assert fills(engine.on_quote(CON, quote("98", "98.01"), NOW)) == []
    assert engine.on_session_end(NOW) == []  # OPG orders wait for the next open
    events = engine.on_open(CON, D("99.50"), NOW)
    assert fills(events) == [(1, D(100), D("99.50"))]
    assert [e.order.order_id for e in of(events, OrderCancelled)] == [2]


def test_a_relative_order_is_pegged_to_its_own_side(engine: MatchingEngine) -> None:
    submit(engine, order(order_type=OrderType.REL, aux_price=D("0.01"), lmt_price=D("100.50")), quote("100", "100.10"))
    view = engine.order(1)
    assert view is not None and view.limit_price == D("100.01")
    engine.on_quote(CON, quote("100.60", "100.70"), NOW)
    view = engine.order(1)
    assert view is not None and view.limit_price == D("100.50")  # capped
    assert fills(engine.on_quote(CON, quote("100.60", "100.70", last="100.40"), NOW)) == [(1, D(100), D("100.50"))]


def test_a_midprice_order_fills_at_the_midpoint_within_its_cap(engine: MatchingEngine) -> None:
    assert fills(submit(engine, order(1, order_type=OrderType.MIDPRICE), quote("100", "100.10"))) == [
        (1, D(100), D("100.05"))
    ]
    capped = order(2, order_type=OrderType.MIDPRICE, lmt_price=D("100"))
    assert fills(submit(engine, capped, quote("100", "100.10"))) == []
    assert fills(engine.on_quote(CON, quote("99.9", "100"), NOW)) == [(2, D(100), D("99.95"))]


# --- time in force and trading hours ----------------------------------------------------------------------


def test_ioc_fills_what_it_can_and_cancels_the_rest(engine: MatchingEngine) -> None:
    events = submit(engine, order(quantity=D(300), tif=TimeInForce.IOC), quote("100", "100.01", size=100))
    assert fills(events) == [(1, D(100), D("100.01"))]
    last = events[-1]
    assert isinstance(last, OrderCancelled) and last.reason is CancelReason.IOC
    assert last.order.filled == D(100) and last.order.remaining == 0


def test_fok_fills_everything_at_once_or_nothing(engine: MatchingEngine) -> None:
    events = submit(engine, order(1, quantity=D(300), tif=TimeInForce.FOK), quote("100", "100.01", size=100))
    assert fills(events) == []
    assert isinstance(events[-1], OrderCancelled) and events[-1].reason is CancelReason.FOK
    assert fills(submit(engine, order(2, quantity=D(300), tif=TimeInForce.FOK), quote("100", "100.01", size=300))) == [
        (2, D(300), D("100.01"))
    ]


def test_day_orders_expire_at_the_session_end_and_gtc_orders_stay(engine: MatchingEngine) -> None:
    submit(engine, order(1, order_type=OrderType.LMT, lmt_price=D("90")), quote("100", "100.01"))
    submit(engine, order(2, order_type=OrderType.LMT, lmt_price=D("90"), tif=TimeInForce.GTC))
    events = of(engine.on_session_end(NOW), OrderCancelled)
    assert [(e.order.order_id, e.reason) for e in events] == [(1, CancelReason.EXPIRED)]
    assert status(engine, 2) is OrderStatus.SUBMITTED


def test_day_orders_of_one_instrument_expire_alone(engine: MatchingEngine) -> None:
    submit(engine, order(1, order_type=OrderType.LMT, lmt_price=D("90")))
    submit(engine, order(2, con_id=8314, order_type=OrderType.LMT, lmt_price=D("90")))
    assert [e.order.order_id for e in of(engine.on_session_end(NOW, con_id=8314), OrderCancelled)] == [2]


def test_gtd_orders_expire_at_their_date(engine: MatchingEngine) -> None:
    until = NOW + timedelta(hours=2)
    submit(engine, order(order_type=OrderType.LMT, lmt_price=D("90"), tif=TimeInForce.GTD, good_till_date=until))
    assert engine.on_quote(CON, quote("100", "100.01"), until - timedelta(seconds=1)) == []
    events = engine.on_quote(CON, quote("80", "80.01"), until)
    assert [type(e) for e in events] == [OrderCancelled]
    assert of(events, OrderCancelled)[0].reason is CancelReason.EXPIRED
    assert engine.expire(until + timedelta(days=1)) == []


def test_outside_regular_hours_only_outside_rth_orders_work(engine: MatchingEngine) -> None:
    book = quote("100", "100.01")
    assert fills(submit(engine, order(1), book, in_rth=False)) == []
    assert fills(submit(engine, order(2, outside_rth=True), book, in_rth=False)) == [(2, D(100), D("100.01"))]
    assert fills(engine.on_quote(CON, book, NOW, in_rth=True)) == [(1, D(100), D("100.01"))]


def test_a_stop_does_not_trigger_outside_regular_hours(engine: MatchingEngine) -> None:
    submit(engine, order(action=Action.SELL, order_type=OrderType.STP, aux_price=D("99")), quote("100", "100.01"))
    assert engine.on_quote(CON, quote("98", "98.01", last="98"), NOW, in_rth=False) == []
    assert of(engine.on_quote(CON, quote("98", "98.01", last="98"), NOW), OrderTriggered)


# --- validation and what-if -------------------------------------------------------------------------------


def test_invalid_orders_are_rejected_and_not_kept(engine: MatchingEngine) -> None:
    (rejected,) = submit(engine, order(quantity=D(0)), quote("1", "2"))
    assert isinstance(rejected, OrderRejected)
    assert (rejected.order_id, rejected.code) == (1, 434)
    assert engine.order(1) is None
    (off_tick,) = submit(engine, order(2, order_type=OrderType.LMT, lmt_price=D("1.005")))
    assert isinstance(off_tick, OrderRejected) and off_tick.code == 110


def test_what_if_orders_never_enter_the_book(engine: MatchingEngine) -> None:
    assert submit(engine, order(what_if=True), quote("1", "2")) == []
    assert engine.order(1) is None


# --- invariants -------------------------------------------------------------------------------------------

prices = st.integers(min_value=9_500, max_value=10_500).map(lambda c: D(c) / 100)


@settings(max_examples=60, deadline=None)
@given(
    kinds=st.lists(
        st.sampled_from([OrderType.MKT, OrderType.LMT, OrderType.STP, OrderType.TRAIL]), min_size=1, max_size=5
    ),
    sides=st.lists(st.booleans(), min_size=5, max_size=5),
    sizes=st.lists(st.integers(min_value=1, max_value=500), min_size=5, max_size=5),
    ticks=st.lists(st.tuples(prices, st.integers(min_value=0, max_value=300), st.booleans()), min_size=1, max_size=30),
)
def test_fills_never_exceed_orders_and_add_up(
    kinds: list[OrderType], sides: list[bool], sizes: list[int], ticks: list[tuple[D, int, bool]]
) -> None:
    engine = MatchingEngine()
    extras: dict[OrderType, dict[str, D]] = {
        OrderType.MKT: {},
        OrderType.LMT: {"lmt_price": D("100")},
        OrderType.STP: {"aux_price": D("100")},
        OrderType.TRAIL: {"aux_price": D("0.50")},
    }
    events: list[Event] = []
    for i, kind in enumerate(kinds):
        spec = order(i + 1, order_type=kind, action=Action.BUY if sides[i] else Action.SELL, quantity=D(sizes[i]))
        events += submit(engine, replace(spec, **extras[kind]))  # type: ignore[arg-type]
    for price, size, traded in ticks:
        book = Quote(
            bid=price - D("0.01"),
            ask=price + D("0.01"),
            bid_size=D(size),
            ask_size=D(size),
            last=price if traded else None,
        )
        events += engine.on_quote(CON, book, NOW)
    for view in engine.orders():
        executed = sum(
            (e.quantity for e in events if isinstance(e, OrderFilled) and e.order.order_id == view.order_id), D(0)
        )
        assert executed == view.filled <= view.spec.quantity
        assert (view.status is OrderStatus.FILLED) == (view.filled == view.spec.quantity)
    assert all(e.quantity > 0 for e in events if isinstance(e, OrderFilled))
