from __future__ import annotations

from collections.abc import Iterable

from ibbot.model import Fill, Order, OrderStatus, OrderUpdate, Position, Side
from ibbot.oms import BrokerOrder, Reconciliation, Verdict, reconcile
from unit.oms.support import MSFT, NOW, at, d, fill, order, position, refs, request, update, with_ref

S = OrderStatus


def run(
    journal: Iterable[Order] = (),
    fill_ids: Iterable[str] = (),
    journal_positions: Iterable[Position] = (),
    open_orders: Iterable[OrderUpdate] = (),
    completed: Iterable[OrderUpdate] = (),
    executions: Iterable[Fill] = (),
    broker_positions: Iterable[Position] = (),
) -> Reconciliation:
    return reconcile(
        journal_orders=journal,
        journal_fill_ids=set(fill_ids),
        journal_positions=journal_positions,
        broker_open_orders=[BrokerOrder(update=u) for u in open_orders],
        broker_completed=[BrokerOrder(update=u, request=request(5, ref=u.order_ref)) for u in completed],
        broker_executions=executions,
        broker_positions=broker_positions,
        our_client_ids={1},
        now=at(60),
        is_ours=refs().is_ours,
    )


def test_all_clean_is_safe() -> None:
    result = run(
        journal=[order(S.PARTIALLY_FILLED, filled=40)],
        fill_ids={"E1"},
        journal_positions=[position(40)],
        open_orders=[update("Submitted", 40)],
        executions=[fill("E1", 40, 10)],
        broker_positions=[position(40)],
    )
    assert (result.verdict, result.reasons, result.notes, result.changes, result.fills) == (
        Verdict.SAFE,
        (),
        (),
        (),
        (),
    )
    assert result.time == at(60)


def test_an_order_filled_while_down_is_brought_up_to_date_and_its_fills_recorded_once() -> None:
    result = run(
        journal=[order(S.PARTIALLY_FILLED, filled=40)],
        fill_ids={"E1"},
        journal_positions=[position(40)],
        completed=[update("Filled", 100, 0, avg_fill_price=d("10.6"))],
        executions=[fill("E1", 40, 10), fill("E2", 60, 11, ref="")],
        broker_positions=[position(100)],
    )
    assert result.verdict is Verdict.SAFE
    assert [f.exec_id for f in result.fills] == ["E2"] and result.fills[0].order_ref == "ibb-1"
    (change,) = result.changes
    assert (change.previous, change.order.status, change.order.filled) == (S.PARTIALLY_FILLED, S.FILLED, 100)
    assert change.order.avg_fill_price == d("10.6")  # the fill replayed by the journal is counted in the total


def test_an_order_cancelled_while_down_is_cancelled_with_its_partial_fill() -> None:
    result = run(
        journal=[order(S.PARTIALLY_FILLED, filled=30)],
        journal_positions=[position(30)],
        completed=[update("Cancelled", 30, 0)],
        broker_positions=[position(30)],
    )
    assert result.verdict is Verdict.SAFE
    assert [(c.order.status, c.order.filled) for c in result.changes] == [(S.CANCELLED, 30)]


def test_a_manual_trade_in_tws_is_monitor_only() -> None:
    manual = fill("X1", 50, 10, ref="", order_id=0, client_id=0, perm_id=777)
    result = run(
        journal_positions=[position(100)],
        executions=[manual],
        completed=[update("Filled", 50, 0, order_ref="", order_id=0, client_id=0, perm_id=777)],
        broker_positions=[position(150)],
    )
    assert result.verdict is Verdict.MONITOR_ONLY
    assert result.external_fills == (manual,) and len(result.external_orders) == 1
    assert [(x.ours, x.broker) for x in result.discrepancies] == [(100, 150)]
    assert result.reasons == ("position differs: AAPL (DU123): ours 100, IB's 150",)
    assert any("external fill X1: BUY 50 AAPL" in note for note in result.notes)
    assert any("external order 0/0 perm 777 (BUY 5 AAPL MKT, Filled): no orderRef" in n for n in result.notes)


def test_a_working_external_order_is_monitor_only_and_says_whose_it_may_be() -> None:
    ours_by_shape = refs(seed=9).next()
    result = run(
        open_orders=[
            update("Submitted", order_ref="tws", order_id=0, client_id=0, perm_id=5),
            update("Submitted", order_ref="", order_id=12, client_id=1, perm_id=6),
            update("PreSubmitted", order_ref=ours_by_shape, order_id=3, client_id=4, perm_id=7),
        ]
    )
    assert result.verdict is Verdict.MONITOR_ONLY and len(result.reasons) == 3
    reasons = [x.reason for x in result.external_orders]
    assert reasons == [
        "orderRef 'tws' is not ours",
        "placed by our client id 1 but unknown to the journal",
        f"orderRef {ours_by_shape} looks like ibbot's but the journal does not know it",
    ]


def test_unacknowledged_intents_are_adopted_when_ib_shows_them_and_lost_otherwise() -> None:
    found = with_ref(order(S.NEW), "ibb-found")
    filled = with_ref(order(S.SUBMITTED), "ibb-filled")
    missing = with_ref(order(S.NEW), "ibb-missing")
    result = run(
        journal=[found, filled, missing],
        open_orders=[update("Submitted", order_ref="ibb-found", order_id=21, perm_id=8)],
        executions=[fill("E5", 100, 10, ref="ibb-filled")],
        broker_positions=[position(100)],
    )
    assert result.verdict is Verdict.SAFE
    assert (result.adopted, result.lost) == (("ibb-found", "ibb-filled"), ("ibb-missing",))
    states = {c.order.order_ref: (c.order.status, c.order.order_id) for c in result.changes}
    assert states == {"ibb-found": (S.WORKING, 21), "ibb-filled": (S.FILLED, 7), "ibb-missing": (S.REJECTED, 0)}
    lost = next(c.order for c in result.changes if c.order.order_ref == "ibb-missing")
    assert "not re-sent" in lost.reason and any("intent ibb-missing (BUY 100 AAPL MKT) lost" in n for n in result.notes)


def test_a_working_order_ib_no_longer_knows_is_monitor_only_and_left_alone() -> None:
    result = run(journal=[order(S.WORKING)])
    assert (result.verdict, result.unresolved, result.changes) == (Verdict.MONITOR_ONLY, ("ibb-1",), ())
    assert result.reasons == ("order ibb-1 is working in the journal but unknown to IB",)


def test_a_journaled_fill_ib_does_not_know_for_an_order_it_knows_halts() -> None:
    result = run(
        journal=[order(S.FILLED, filled=100)],
        fill_ids={"E1", "E2"},
        journal_positions=[position(100)],
        completed=[update("Filled", 50, 0)],
        broker_positions=[position(100)],
    )
    assert result.verdict is Verdict.HALT
    assert result.reasons == ("order ibb-1: the journal has 100 filled, IB 50",)


def test_an_impossible_step_between_journal_and_ib_halts() -> None:
    result = run(
        journal=[order(S.FILLED, filled=100)],
        journal_positions=[position(100)],
        open_orders=[update("Submitted", 100, 0)],
        broker_positions=[position(100)],
    )
    assert result.verdict is Verdict.HALT
    assert result.reasons[0].startswith("order ibb-1: filled cannot take 'Submitted'")


def test_a_fill_against_its_order_s_side_halts() -> None:
    result = run(
        journal=[order(S.WORKING)],
        open_orders=[update("Submitted")],
        executions=[fill("E1", 10, 10, side=Side.SELL)],
        broker_positions=[],
    )
    assert result.verdict is Verdict.HALT and "fill E1 is a SELL for BUY order ibb-1" in result.reasons[0]


def test_halt_outranks_monitor_only_and_every_reason_is_listed() -> None:
    result = run(
        journal=[order(S.FILLED, filled=100), with_ref(order(S.WORKING, order_id=9), "ibb-2")],
        completed=[update("Filled", 50, 0)],
        broker_positions=[position(3, instrument=MSFT)],
    )
    assert result.verdict is Verdict.HALT and len(result.reasons) == 3


def test_the_journal_s_fills_are_not_recorded_again() -> None:
    result = run(
        journal=[order(S.FILLED, filled=100)],
        fill_ids={"E1"},
        journal_positions=[position(100)],
        completed=[update("Filled", 100, 0)],
        executions=[fill("E1", 100, 10)],
        broker_positions=[position(100)],
    )
    assert (result.verdict, result.fills, result.changes) == (Verdict.SAFE, (), ())


def test_a_broker_order_without_quantities_is_not_taken_for_a_missing_fill() -> None:
    result = run(
        journal=[order(S.PARTIALLY_FILLED, filled=40)],
        journal_positions=[position(40)],
        open_orders=[update("Submitted", 0, 0)],
        broker_positions=[position(40)],
    )
    assert (result.verdict, result.changes) == (Verdict.SAFE, ())
    assert result.time > NOW
