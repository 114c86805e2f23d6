from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.errors import OrderError, OrderStateError
from ibbot.model import Notice, OrderStatus, Side
from ibbot.oms import ExternalOrder, OrderChange, OrderManager, PositionBook, ValidationRules, limit, market
from unit.oms.support import AAPL, MSFT, NOW, at, d, fill, manager, order, refs, request, update

S = OrderStatus


def sent(orders: OrderManager, quantity: int = 100, strategy: str = "s1", order_id: int = 7, **fields: object) -> str:
    created = orders.create(request(quantity, ref="", strategy=strategy, **fields), NOW)
    orders.submitted(created.order_ref, order_id, 1, NOW)
    return created.order_ref


def notice(code: int, text: str = "text", req_id: int = 7) -> Notice:
    return Notice(code=code, text=text, time=at(3), req_id=req_id)


def test_create_assigns_a_ref_and_validates_the_request() -> None:
    orders = OrderManager(refs(), ValidationRules(round_to_tick=True))
    created = orders.create(limit(AAPL, Side.BUY, 10, "150.259"), NOW)
    assert created.status is S.NEW and orders.by_ref(created.order_ref) is created
    assert created.order_ref.startswith("ibb-") and created.request.limit_price == d("150.25")
    with pytest.raises(OrderError, match="not a multiple"):
        manager().create(limit(AAPL, Side.BUY, 10, "150.259"), NOW)


def test_create_refuses_a_ref_in_use_and_a_request_without_ref_when_there_are_no_refs() -> None:
    orders = manager()
    orders.create(request(ref="ibb-x"), NOW)
    with pytest.raises(OrderError, match="ibb-x is already in use"):
        orders.create(request(ref="ibb-x"), NOW)
    with pytest.raises(OrderError, match="no order_ref and no OrderRefs"):
        OrderManager().create(request(ref=""), NOW)


def test_submitted_records_the_ids_and_an_early_acknowledgement_is_kept() -> None:
    orders = manager()
    ref = orders.create(request(ref=""), NOW).order_ref
    change = orders.on_update(update("Submitted", order_ref=ref))
    assert isinstance(change, OrderChange) and change.order.status is S.WORKING
    after = orders.submitted(ref, 7, 1, at(2))
    assert (after.status, after.order_id, after.client_id) == (S.WORKING, 7, 1)
    with pytest.raises(OrderStateError, match="was sent as 1/7, not 2/8"):
        orders.submitted(ref, 8, 2, at(2))


def test_updates_move_the_order_and_duplicates_are_none() -> None:
    orders = manager()
    ref = sent(orders)
    assert orders.by_ref(ref).status is S.SUBMITTED  # type: ignore[union-attr]
    change = orders.on_update(update("PreSubmitted", order_ref=ref))
    assert isinstance(change, OrderChange) and (change.previous, change.order.status, change.moved) == (
        S.SUBMITTED, S.WORKING, True)  # fmt: skip
    assert orders.on_update(update("PreSubmitted", order_ref=ref)) is None
    by_id = orders.on_update(update("Submitted", order_ref="", perm_id=55))  # found by client and order id
    assert isinstance(by_id, OrderChange) and not by_id.moved and by_id.order.perm_id == 55  # the perm id is news
    assert orders.on_update(update("Submitted", order_ref="", perm_id=55)) is None


def test_an_order_is_found_by_perm_id_once_known() -> None:
    orders = manager()
    ref = sent(orders)
    orders.on_update(update("Submitted", order_ref=ref, perm_id=55))
    change = orders.on_update(update("Cancelled", order_ref="", order_id=0, client_id=0, perm_id=55))
    assert isinstance(change, OrderChange) and change.order.order_ref == ref and change.order.status is S.CANCELLED


def test_an_unknown_or_foreign_ref_is_an_external_order_not_an_error() -> None:
    orders = manager()
    sent(orders)
    foreign = orders.on_update(update("Submitted", order_ref="manual", order_id=7))
    assert isinstance(foreign, ExternalOrder) and foreign.reason == "orderRef 'manual' is not ours" and foreign.working
    tws = orders.on_update(update("Filled", 10, 0, order_ref="", order_id=0, client_id=0, perm_id=999))
    assert isinstance(tws, ExternalOrder) and tws.reason == "no orderRef" and not tws.working


def test_informational_codes_never_move_an_order_they_are_warnings() -> None:
    orders = manager()
    ref = sent(orders)
    orders.on_update(update("Submitted", order_ref=ref))
    for code in (10349, 399, 2109, 2137, 404, 161, 10148, 12345):
        change = orders.on_notice(notice(code, "TIF set to DAY"))
        assert change is not None and not change.moved and change.warning == f"{code} TIF set to DAY"
        assert orders.by_ref(ref).status is S.WORKING  # type: ignore[union-attr]


def test_rejection_and_cancel_notices_end_the_order() -> None:
    orders = manager()
    rejected, cancelled = sent(orders, order_id=7), sent(orders, order_id=8)
    orders.on_update(update("Submitted", order_ref=cancelled, order_id=8))
    change = orders.on_notice(notice(201, "Order rejected - reason: margin"))
    assert change is not None and change.order.order_ref == rejected
    assert (change.order.status, change.order.reason) == (S.REJECTED, "201 Order rejected - reason: margin")
    change = orders.on_notice(notice(202, "Order Canceled", req_id=8))
    assert change is not None and change.order.status is S.CANCELLED
    late = orders.on_notice(notice(202, "again", req_id=8))
    assert late is not None and not late.moved and late.warning == "202 again"


def test_a_new_order_refusal_rejects_only_an_unacknowledged_order() -> None:
    orders = manager()
    pending, live = sent(orders, order_id=7), sent(orders, order_id=8)
    orders.on_update(update("Submitted", order_ref=live, order_id=8))
    assert orders.on_notice(notice(110, "tick")).order.status is S.REJECTED  # type: ignore[union-attr]
    refused_modify = orders.on_notice(notice(110, "tick", req_id=8))
    assert refused_modify is not None and refused_modify.order.status is S.WORKING and refused_modify.warning
    assert orders.by_ref(pending).status is S.REJECTED  # type: ignore[union-attr]


def test_notices_about_the_session_requests_or_unknown_ids_concern_no_order() -> None:
    orders = manager()
    sent(orders)
    assert orders.on_notice(notice(2104, "farm ok", req_id=-1)) is None
    assert orders.on_notice(notice(162, "pacing violation", req_id=7)) is None  # a data request's id
    assert orders.on_notice(notice(201, "rejected", req_id=99)) is None
    assert orders.on_notice(notice(201, "rejected", req_id=7), client_id=2) is None


def test_fills_move_the_order_with_an_exact_average_and_link_the_ref() -> None:
    orders = manager()
    ref = sent(orders)
    first = orders.on_fill(fill("E1", 30, "10.10", ref=""))
    assert first.new and first.fill.order_ref == ref and first.change is not None
    assert first.change.order.status is S.PARTIALLY_FILLED
    last = orders.on_fill(fill("E2", 70, "10.20", ref=ref))
    assert last.change is not None and last.change.order.status is S.FILLED
    assert (last.change.order.filled, last.change.order.avg_fill_price) == (100, d("10.17"))


def test_a_fill_is_recorded_once_whatever_path_brings_it() -> None:
    orders = manager()
    ref = sent(orders)
    live = [fill("E1", 40, 10, ref=ref)]
    recovered = [fill("E1", 40, 10, ref=ref), fill("E2", 60, 11, ref=ref)]  # reqExecutions after a reconnect
    replayed = [*recovered]  # the journal's fills at start-up
    outcomes = [orders.on_fill(f) for f in (*live, *recovered, *replayed)]
    assert [o.new for o in outcomes] == [True, False, True, False, False]
    final = orders.by_ref(ref)
    assert final is not None and (final.status, final.filled, final.avg_fill_price) == (S.FILLED, 100, d("10.6"))
    assert orders.known_exec_ids == {"E1", "E2"}


def test_fills_replayed_onto_an_adopted_order_do_not_count_twice() -> None:
    orders = OrderManager()
    orders.adopt(replace(order(S.PARTIALLY_FILLED, filled=40), avg_fill_price=d(10)))
    replayed = orders.on_fill(fill("E1", 40, 10))
    assert replayed.new and orders.by_ref("ibb-1").filled == 40  # type: ignore[union-attr]
    again = OrderManager()
    again.adopt(order(S.PARTIALLY_FILLED, filled=40), fills=[fill("E1", 40, 10)])
    assert not again.on_fill(fill("E1", 40, 10)).new
    done = again.on_fill(fill("E2", 60, 10))
    assert done.change is not None and done.change.order.status is S.FILLED


def test_a_status_ahead_of_its_executions_is_not_counted_twice() -> None:
    orders = manager()
    ref = sent(orders)
    orders.on_update(update("Filled", 50, 50, order_ref=ref, avg_fill_price=d("10.0000001")))
    outcome = orders.on_fill(fill("E1", 50, 10, ref=ref))
    assert outcome.change is not None and outcome.change.order.filled == 50
    assert outcome.change.order.avg_fill_price == d(10)  # the fills' Decimal over IB's float


def test_a_fill_for_a_cancelled_order_is_still_a_fact() -> None:
    orders = manager()
    ref = sent(orders)
    orders.on_update(update("Cancelled", order_ref=ref))
    outcome = orders.on_fill(fill("E1", 100, 10, ref=ref))
    assert outcome.new and outcome.change is not None and outcome.change.order.status is S.FILLED


def test_external_fills_are_new_once_and_a_wrong_side_is_an_error() -> None:
    orders = manager()
    ref = sent(orders)
    external = orders.on_fill(fill("X1", 5, 10, ref="", order_id=0, client_id=0, perm_id=4242))
    assert external.new and external.external and external.change is None
    assert not orders.on_fill(fill("X1", 5, 10, ref="", order_id=0)).new
    with pytest.raises(OrderStateError, match="fill E9 is a SELL for BUY order"):
        orders.on_fill(fill("E9", 5, 10, side=Side.SELL, ref=ref))
    assert "E9" not in orders.known_exec_ids


def test_working_cancel_targets_and_cancel_plans_by_strategy() -> None:
    orders = manager()
    a = sent(orders, strategy="a", order_id=1)
    b = sent(orders, strategy="b", order_id=2)
    pending = sent(orders, strategy="a", order_id=3)
    orders.on_update(update("PendingCancel", order_ref=pending, order_id=3))
    unsent = orders.create(request(ref="", strategy="a"), NOW).order_ref
    done = sent(orders, strategy="a", order_id=4)
    orders.on_update(update("Filled", 100, 0, order_ref=done, order_id=4))
    assert {o.order_ref for o in orders.working("a")} == {a, pending, unsent}
    assert [o.order_ref for o in orders.cancel_targets("a")] == [a]
    assert {o.order_ref for o in orders.cancel_targets()} == {a, b}
    plan = orders.cancel_all(at(5), strategy="a")
    assert [o.order_ref for o in plan.send] == [a] and [o.order_ref for o in plan.skipped] == [pending]
    assert [c.order.order_ref for c in plan.dropped] == [unsent] and not plan.global_cancel
    assert orders.by_ref(unsent).status is S.CANCELLED  # type: ignore[union-attr]
    everything = orders.global_cancel(at(6))
    assert everything.global_cancel and {o.order_ref for o in everything.send} == {a, b}
    assert orders.cancel(done, at(7)).skipped[0].order_ref == done


def test_an_unsent_intent_can_be_refused_once() -> None:
    orders = manager()
    ref = orders.create(request(ref=""), NOW).order_ref
    change = orders.reject(ref, "not connected", at(1))
    assert (change.order.status, change.order.reason) == (S.REJECTED, "not connected")
    with pytest.raises(OrderStateError, match="only a NEW order"):
        orders.reject(ref, "again", at(2))
    with pytest.raises(OrderError, match="no order 'nope'"):
        orders.reject("nope", "x", at(2))


def test_modify_keeps_the_ref_and_links_and_validates() -> None:
    orders = manager()
    ref = sent(orders, limit_price=d(100), parent_ref="ibb-parent", oca_group="g")
    modified = orders.modify(ref, limit(AAPL, Side.BUY, 150, "101.5"), at(4))
    assert (modified.request.order_ref, modified.request.parent_ref, modified.request.oca_group) == (
        ref,
        "ibb-parent",
        "g",
    )
    assert (modified.request.quantity, modified.request.limit_price, modified.status) == (150, d("101.5"), S.SUBMITTED)
    with pytest.raises(OrderError, match="not a multiple"):
        orders.modify(ref, limit(AAPL, Side.BUY, 150, "101.555"), at(4))


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        (limit(MSFT, Side.BUY, 100, 100), "must keep BUY AAPL"),
        (limit(AAPL, Side.SELL, 100, 100), "must keep BUY AAPL"),
        (market(AAPL, Side.BUY, 100), "does not change an order's type"),
        (limit(AAPL, Side.BUY, 100, 100, order_ref="other"), "cannot change the order_ref"),
        (limit(AAPL, Side.BUY, 30, 100), "quantity 30 is not above the filled 30"),
    ],
)
def test_modify_refuses_what_ib_would_not_do(replacement: object, message: str) -> None:
    orders = manager()
    ref = sent(orders, limit_price=d(100))
    orders.on_fill(fill("E1", 30, 100, ref=ref))
    with pytest.raises(OrderError, match=message):
        orders.modify(ref, replacement, at(4))  # type: ignore[arg-type]


def test_an_order_that_is_over_cannot_be_modified() -> None:
    orders = manager()
    ref = sent(orders, limit_price=d(100))
    orders.on_update(update("PendingCancel", order_ref=ref))
    with pytest.raises(OrderError, match="pending_cancel: it cannot be modified"):
        orders.modify(ref, limit(AAPL, Side.BUY, 100, 99), at(4))


FILLS = [fill("E1", 30, "10.01"), fill("E2", 25, "10.02"), fill("E3", 45, "9.99"), fill("X1", 7, "10.5", ref="",
         order_id=0, client_id=5)]  # fmt: skip


@given(st.lists(st.integers(1, 3), min_size=len(FILLS), max_size=len(FILLS)), st.randoms(use_true_random=False))
def test_any_interleaving_of_repeated_fills_gives_the_same_position_and_filled(copies: list[int], rng: object) -> None:
    deliveries = [f for f, count in zip(FILLS, copies, strict=True) for _ in range(count)]
    rng.shuffle(deliveries)  # type: ignore[attr-defined]
    orders = OrderManager()
    orders.adopt(order(S.WORKING))
    book = PositionBook()
    for delivered in deliveries:
        outcome = orders.on_fill(delivered)
        if outcome.new:
            book.apply(outcome.fill)
    final = orders.by_ref("ibb-1")
    assert final is not None and (final.status, final.filled, final.avg_fill_price) == (S.FILLED, 100, d("10.0035"))
    assert book.quantity(AAPL, "DU123") == 107
