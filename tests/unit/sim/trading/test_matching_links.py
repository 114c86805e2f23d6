"""Matching of linked orders (brackets, transmit chains, OCA groups), modify and cancel, and persistence."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from ibbot.sim.trading.matching import MatchingEngine, Quote
from ibbot.sim.trading.orders import (
    Action,
    CancelReason,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderModified,
    OrderRejected,
    OrderReleased,
    OrderSpec,
    OrderStatus,
    OrderType,
    TimeInForce,
)

NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
TICK = D("0.01")
CON = 265598
BOOK = Quote(bid=D("100"), ask=D("100.02"), last=D("100.01"))


def order(order_id: int, **kw: object) -> OrderSpec:
    values: dict[str, object] = {
        "order_id": order_id,
        "client_id": 5,
        "account": "DU1",
        "con_id": CON,
        "action": Action.BUY,
        "quantity": D(100),
        "order_type": OrderType.LMT,
        "lmt_price": D("99"),
    }
    values.update(kw)
    return OrderSpec(**values)  # type: ignore[arg-type]


def quote(bid: str, ask: str, last: str | None = None) -> Quote:
    return Quote(bid=D(bid), ask=D(ask), last=None if last is None else D(last))


def submit(engine: MatchingEngine, spec: OrderSpec, q: Quote | None = BOOK) -> list[Event]:
    return engine.submit(spec, q, NOW, min_tick=TICK)


def modify(engine: MatchingEngine, spec: OrderSpec, q: Quote | None = BOOK) -> list[Event]:
    return engine.modify(spec, q, NOW, min_tick=TICK)


def status(engine: MatchingEngine, order_id: int) -> OrderStatus:
    view = engine.order(order_id, client_id=5)
    assert view is not None
    return view.status


def trail(events: list[Event]) -> list[tuple[str, int, str]]:
    return [
        (type(e).__name__, e.order_id if isinstance(e, OrderRejected) else e.order.order_id, _status(e)) for e in events
    ]


def _status(e: Event) -> str:
    return "" if isinstance(e, OrderRejected) else e.order.status.value


@pytest.fixture
def engine() -> MatchingEngine:
    return MatchingEngine()


def bracket(engine: MatchingEngine, *, entry: str = "99") -> list[Event]:
    """Sent as IB's guide sends it: transmit only on the last child."""
    events = submit(engine, order(1, lmt_price=D(entry), transmit=False))
    events += submit(engine, order(2, action=Action.SELL, lmt_price=D("110"), parent_id=1, transmit=False))
    events += submit(
        engine, order(3, action=Action.SELL, order_type=OrderType.STP, aux_price=D("95"), lmt_price=None, parent_id=1)
    )
    return events


# --- brackets and transmit chains -------------------------------------------------------------------------


def test_a_bracket_is_held_until_its_last_child_transmits(engine: MatchingEngine) -> None:
    events = submit(engine, order(1, lmt_price=D("101"), transmit=False))  # marketable, but held
    assert trail(events) == [("OrderAccepted", 1, "PreSubmitted")]
    assert engine.on_quote(CON, BOOK, NOW) == []  # held orders do not work
    events = submit(engine, order(2, action=Action.SELL, lmt_price=D("110"), parent_id=1, transmit=False))
    events += submit(
        engine, order(3, action=Action.SELL, order_type=OrderType.STP, aux_price=D("95"), lmt_price=None, parent_id=1)
    )
    assert trail(events) == [
        ("OrderAccepted", 2, "PreSubmitted"),
        ("OrderReleased", 2, "PreSubmitted"),  # released, now waiting for its parent
        ("OrderAccepted", 3, "PreSubmitted"),
        ("OrderReleased", 1, "Submitted"),
        ("OrderFilled", 1, "Filled"),
        ("OrderReleased", 2, "Submitted"),  # the parent filled: the children work
        ("OrderReleased", 3, "PreSubmitted"),  # a stop waits for its trigger
    ]


def test_children_wait_for_the_parent_to_fill_completely(engine: MatchingEngine) -> None:
    bracket(engine)
    assert (status(engine, 1), status(engine, 2), status(engine, 3)) == (
        OrderStatus.SUBMITTED,
        OrderStatus.PRE_SUBMITTED,
        OrderStatus.PRE_SUBMITTED,
    )
    events = engine.on_quote(CON, quote("120", "120.01", last="120"), NOW)  # would fill the take-profit
    assert not [e for e in events if isinstance(e, OrderFilled)]
    events = engine.on_quote(CON, quote("98.9", "99"), NOW)
    assert [type(e) for e in events] == [OrderFilled, OrderReleased, OrderReleased]
    assert status(engine, 2) is OrderStatus.SUBMITTED


def test_a_filled_child_cancels_the_other_child(engine: MatchingEngine) -> None:
    bracket(engine)
    engine.on_quote(CON, quote("98.9", "99"), NOW)
    events = engine.on_quote(CON, quote("110", "110.01"), NOW)
    assert trail(events) == [("OrderFilled", 2, "Filled"), ("OrderCancelled", 3, "Cancelled")]
    assert events[1].reason is CancelReason.BRACKET  # type: ignore[union-attr]


def test_a_partly_filled_child_shrinks_the_other_child(engine: MatchingEngine) -> None:
    bracket(engine)
    engine.on_quote(CON, quote("98.9", "99"), NOW)
    events = engine.on_quote(CON, Quote(bid=D("110"), ask=D("110.01"), bid_size=D(40)), NOW)
    assert trail(events) == [("OrderFilled", 2, "Submitted"), ("OrderModified", 3, "PreSubmitted")]
    view = engine.order(3, client_id=5)
    assert view is not None and view.spec.quantity == D(60)


def test_the_stop_loss_child_triggers_after_the_parent_filled(engine: MatchingEngine) -> None:
    bracket(engine)
    engine.on_quote(CON, quote("98.9", "99"), NOW)
    events = engine.on_quote(CON, quote("94.5", "94.6", last="94.9"), NOW)
    assert trail(events) == [
        ("OrderTriggered", 3, "Submitted"),
        ("OrderFilled", 3, "Filled"),
        ("OrderCancelled", 2, "Cancelled"),
    ]


def test_cancelling_the_parent_cancels_its_children(engine: MatchingEngine) -> None:
    bracket(engine)
    events = engine.cancel(1, NOW, client_id=5)
    assert [(e.order.order_id, e.reason) for e in events] == [  # type: ignore[union-attr]
        (1, CancelReason.REQUESTED),
        (2, CancelReason.PARENT),
        (3, CancelReason.PARENT),
    ]


def test_a_child_of_an_unknown_or_cancelled_parent_is_rejected(engine: MatchingEngine) -> None:
    (unknown,) = submit(engine, order(2, parent_id=1))
    assert isinstance(unknown, OrderRejected) and unknown.code == 201
    submit(engine, order(1))
    engine.cancel(1, NOW, client_id=5)
    (late,) = submit(engine, order(2, parent_id=1))
    assert isinstance(late, OrderRejected) and "Cancelled" in late.text


def test_a_child_of_a_filled_parent_works_at_once(engine: MatchingEngine) -> None:
    submit(engine, order(1, lmt_price=D("101")))
    events = submit(engine, order(2, action=Action.SELL, lmt_price=D("100"), parent_id=1))
    assert trail(events) == [("OrderAccepted", 2, "Submitted"), ("OrderFilled", 2, "Filled")]


def test_modifying_a_held_order_with_transmit_releases_its_chain(engine: MatchingEngine) -> None:
    submit(engine, order(1, transmit=False))
    submit(engine, order(2, action=Action.SELL, lmt_price=D("110"), parent_id=1, transmit=False))
    events = modify(engine, order(1, lmt_price=D("98")))
    assert trail(events) == [
        ("OrderModified", 1, "PreSubmitted"),
        ("OrderReleased", 2, "PreSubmitted"),
        ("OrderReleased", 1, "Submitted"),
    ]


def test_orders_of_different_clients_do_not_mix(engine: MatchingEngine) -> None:
    submit(engine, order(1, transmit=False))
    submit(engine, replace(order(1), client_id=6))  # same id, another client: its own chain
    assert status(engine, 1) is OrderStatus.PRE_SUBMITTED


# --- OCA groups -------------------------------------------------------------------------------------------


def oca(engine: MatchingEngine, oca_type: int) -> None:
    for i, price in enumerate(["99", "98", "97"], start=1):
        submit(engine, order(i, lmt_price=D(price), oca_group="g1", oca_type=oca_type))


def test_oca_type_1_cancels_the_others_on_a_fill(engine: MatchingEngine) -> None:
    oca(engine, 1)
    events = engine.on_quote(CON, Quote(bid=D("98.9"), ask=D("99"), ask_size=D(30)), NOW)
    assert trail(events) == [
        ("OrderFilled", 1, "Submitted"),
        ("OrderCancelled", 2, "Cancelled"),
        ("OrderCancelled", 3, "Cancelled"),
    ]
    assert {e.reason for e in events if isinstance(e, OrderCancelled)} == {CancelReason.OCA}


@pytest.mark.parametrize("oca_type", [2, 3])
def test_oca_types_2_and_3_reduce_the_others_proportionately(engine: MatchingEngine, oca_type: int) -> None:
    submit(engine, order(1, lmt_price=D("99"), oca_group="g1", oca_type=oca_type))
    submit(engine, order(2, lmt_price=D("98"), quantity=D(200), oca_group="g1", oca_type=oca_type))
    events = engine.on_quote(CON, Quote(bid=D("98.9"), ask=D("99"), ask_size=D(30)), NOW)
    assert trail(events) == [("OrderFilled", 1, "Submitted"), ("OrderModified", 2, "Submitted")]
    view = engine.order(2, client_id=5)
    assert view is not None and view.spec.quantity == D(140)  # 30% of order 1 filled: 200 -> 140
    events = engine.on_quote(CON, Quote(bid=D("98.9"), ask=D("99")), NOW)
    assert trail(events) == [("OrderFilled", 1, "Filled"), ("OrderCancelled", 2, "Cancelled")]


def test_oca_groups_are_per_account(engine: MatchingEngine) -> None:
    submit(engine, order(1, lmt_price=D("99"), oca_group="g", oca_type=1))
    submit(engine, order(2, lmt_price=D("98"), oca_group="g", oca_type=1, account="DU2"))
    engine.on_quote(CON, quote("98.9", "99"), NOW)
    assert status(engine, 2) is OrderStatus.SUBMITTED


# --- modify -----------------------------------------------------------------------------------------------


def test_modify_reprices_and_fills_when_marketable(engine: MatchingEngine) -> None:
    submit(engine, order(1))
    events = modify(engine, order(1, lmt_price=D("100.05")))
    assert trail(events) == [("OrderModified", 1, "Submitted"), ("OrderFilled", 1, "Filled")]


def test_modify_changes_size_and_stop(engine: MatchingEngine) -> None:
    submit(engine, order(1, action=Action.SELL, order_type=OrderType.STP, aux_price=D("95"), lmt_price=None))
    modify(
        engine,
        order(1, action=Action.SELL, order_type=OrderType.STP, aux_price=D("97"), lmt_price=None, quantity=D(50)),
    )
    view = engine.order(1, client_id=5)
    assert view is not None and (view.stop_price, view.spec.quantity) == (D("97"), D(50))
    events = engine.on_quote(CON, quote("96.9", "97", last="96.95"), NOW)
    assert [(e.quantity, e.price) for e in events if isinstance(e, OrderFilled)] == [(D(50), D("96.9"))]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"action": Action.SELL}, 105),
        ({"con_id": 8314}, 105),
        ({"quantity": D(0)}, 434),
        ({"lmt_price": D("9.999")}, 110),
    ],
)
def test_modify_rejects_what_cannot_change(engine: MatchingEngine, change: dict[str, object], code: int) -> None:
    submit(engine, order(1))
    (rejected,) = modify(engine, replace(order(1), **change))  # type: ignore[arg-type]
    assert isinstance(rejected, OrderRejected) and rejected.code == code
    assert rejected.order is not None and rejected.order.spec.lmt_price == D("99")  # unchanged


def test_modify_of_a_filled_order_is_104(engine: MatchingEngine) -> None:
    submit(engine, order(1, lmt_price=D("101")))
    (rejected,) = modify(engine, order(1, lmt_price=D("102")))
    assert isinstance(rejected, OrderRejected)
    assert (rejected.code, rejected.text) == (104, "Can't modify a filled order")


def test_modify_below_the_filled_quantity_is_refused(engine: MatchingEngine) -> None:
    submit(engine, order(1, quantity=D(300), lmt_price=D("101")), Quote(bid=D("100"), ask=D("100.02"), ask_size=D(100)))
    (rejected,) = modify(engine, order(1, quantity=D(100), lmt_price=D("101")))
    assert isinstance(rejected, OrderRejected) and rejected.code == 201


def test_modify_of_an_unknown_or_cancelled_order_is_refused(engine: MatchingEngine) -> None:
    (unknown,) = modify(engine, order(9))
    assert isinstance(unknown, OrderRejected) and unknown.code == 135
    submit(engine, order(1))
    engine.cancel(1, NOW, client_id=5)
    (late,) = modify(engine, order(1, lmt_price=D("98")))
    assert isinstance(late, OrderRejected) and "Cancelled" in late.text


# --- cancel -----------------------------------------------------------------------------------------------


def test_cancel_of_a_working_order(engine: MatchingEngine) -> None:
    submit(engine, order(1))
    (cancelled,) = engine.cancel(1, NOW, client_id=5)
    assert isinstance(cancelled, OrderCancelled)
    assert (cancelled.reason, cancelled.order.status, cancelled.order.remaining) == (
        CancelReason.REQUESTED,
        OrderStatus.CANCELLED,
        D(0),
    )
    assert engine.open_orders() == []


def test_cancel_of_an_unknown_order_is_10147(engine: MatchingEngine) -> None:
    (rejected,) = engine.cancel(42, NOW, client_id=5)
    assert isinstance(rejected, OrderRejected)
    assert (rejected.code, rejected.text) == (10147, "OrderId 42 that needs to be cancelled is not found.")


@pytest.mark.parametrize(("price", "state"), [("101", "Filled"), ("99", "Cancelled")])
def test_cancel_of_a_done_order_is_10148(engine: MatchingEngine, price: str, state: str) -> None:
    submit(engine, order(1, lmt_price=D(price)))
    if state == "Cancelled":
        engine.cancel(1, NOW, client_id=5)
    (rejected,) = engine.cancel(1, NOW, client_id=5)
    assert isinstance(rejected, OrderRejected)
    assert (rejected.code, rejected.text) == (
        10148,
        f"OrderId 1 that needs to be cancelled cannot be cancelled, state: {state}.",
    )


def test_global_cancel_cancels_every_client(engine: MatchingEngine) -> None:
    submit(engine, order(1))
    submit(engine, replace(order(1), client_id=6))
    submit(engine, order(2, lmt_price=D("101")))  # filled: not open
    events = engine.cancel_all(NOW)
    assert sorted((e.order.client_id, e.order.order_id) for e in events) == [(5, 1), (6, 1)]  # type: ignore[union-attr]


# --- persistence ------------------------------------------------------------------------------------------


def test_working_orders_survive_a_restart(engine: MatchingEngine) -> None:
    bracket(engine)
    submit(
        engine,
        order(4, action=Action.SELL, order_type=OrderType.TRAIL, aux_price=D("1"), lmt_price=None, tif=TimeInForce.GTC),
    )
    engine.on_quote(CON, quote("104.9", "105", last="105"), NOW)  # ratchets the trailing stop to 104
    state = json.loads(json.dumps(engine.to_state()))
    restored = MatchingEngine.from_state(state)
    assert restored.open_orders() == engine.open_orders()
    assert restored.to_state() == state
    events = restored.on_quote(CON, quote("98.9", "99", last="98.5"), NOW)  # the parent rested before: fills
    assert ("OrderFilled", 1, "Filled") in trail(events)
    assert ("OrderTriggered", 4, "Submitted") in trail(events)
    new = submit(restored, order(5))
    assert isinstance(new[0], OrderAccepted)
    assert restored.to_state()["orders"][-1]["seq"] > state["orders"][-1]["seq"]


def test_order_events_carry_snapshots_that_do_not_change_later(engine: MatchingEngine) -> None:
    (accepted,) = submit(engine, order(1))
    modify(engine, order(1, lmt_price=D("98")))
    assert isinstance(accepted, OrderAccepted) and accepted.order.spec.lmt_price == D("99")
    assert isinstance(modify(engine, order(1, lmt_price=D("97")))[0], OrderModified)
